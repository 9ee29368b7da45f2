"""Keep offset commits and publishing apart."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

log = logging.getLogger(__name__)


class CommitBarrier:
    """Offset commits (transaction commits under exactly_once) against outcomes being published.

    A commit waits until every batch being published has been acknowledged, and no publish
    starts while a commit runs; commits do not overlap one another.  A message fetched before
    its partitions were revoked is not published at all: its offsets were committed (or handed
    over) with the revocation, and whoever owns its partition next reads it again from the
    committed offset.  After :meth:`close` (the worker is stopping) nothing is published any
    more, so the final commit covers every outcome published — including batches that started
    after the stop began.
    """

    def __init__(self, drain_timeout: float = 30.0) -> None:
        self._active = 0
        self._drained = asyncio.Event()
        self._drained.set()
        self._open = asyncio.Event()
        self._open.set()
        self._lock = asyncio.Lock()
        self._epoch = 0
        self._closed = False
        self._rebalancing = False
        self.drain_timeout = drain_timeout

    @property
    def active(self) -> int:
        """Batches being published now."""
        return self._active

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def epoch(self) -> int:
        """How many revocations there have been: batches remember the epoch they were read in."""
        return self._epoch

    @contextlib.asynccontextmanager
    async def publishing(self, epoch: int | None = None) -> AsyncIterator[bool]:
        """Around publish → ack of one batch read in ``epoch`` (see :attr:`epoch`).

        Yields False (publish nothing, ack nothing) once the barrier is closed, or when there
        has been a revocation since that epoch.  (Kafka's generation ids are no substitute:
        some brokers keep them at 0.)
        """
        while not self._open.is_set() and not self._closed:
            await self._open.wait()
        if self._closed or self._rebalancing or (epoch is not None and epoch < self._epoch):
            yield False
            return
        self._active += 1
        self._drained.clear()
        try:
            yield True
        finally:
            self._active -= 1
            if self._active == 0:
                self._drained.set()

    async def wait_drained(self, timeout: float | None = None) -> bool:
        """Wait until no batch is being published; False when ``timeout`` ran out first."""
        try:
            await asyncio.wait_for(self._drained.wait(),
                                   self.drain_timeout if timeout is None else timeout)
            return True
        except TimeoutError:
            log.warning("%d batches still being published after %.0fs", self._active,
                        self.drain_timeout if timeout is None else timeout)
            return False

    @contextlib.asynccontextmanager
    async def committing(self, revoking: bool = False,
                         timeout: float | None = None) -> AsyncIterator[bool]:
        """Around an offset commit: no new batch is published while it runs.  Yields whether
        every batch being published finished within ``timeout`` (one still publishing has
        outcomes out without acknowledged offsets: under exactly_once, in the transaction a
        commit would commit).

        ``revoking``: the commit precedes a revocation; batches read before it are not
        published afterwards, and one still publishing is not acknowledged (a new epoch begins).
        """
        async with self._lock:
            self._open.clear()
            try:
                drained = await self.wait_drained(timeout)
                if revoking:
                    self._epoch += 1
                yield drained
            finally:
                self._open.set()

    @property
    def rebalancing(self) -> bool:
        """Between a revocation's commit and the next assignment: nothing is published."""
        return self._rebalancing

    def begin_rebalance(self) -> None:
        """Partitions are being revoked (call once their offsets are committed).

        Until :meth:`end_rebalance`, nothing is published: a batch read in this window was
        fetched before the revocation, and if the same partitions come back they are read
        again from the committed offset, so publishing it would duplicate its outcomes (into
        the transaction that stays open, under exactly_once).
        """
        self._rebalancing = True

    def end_rebalance(self) -> None:
        """Partitions are assigned: what was read before is stale (a new epoch begins)."""
        self._epoch += 1
        self._rebalancing = False

    async def close(self, timeout: float | None = None) -> bool:
        """Stop publishing for good and wait for the batches being published (stopping)."""
        self._closed = True
        self._open.set()  # wake waiters: they see the barrier closed and publish nothing
        return await self.wait_drained(timeout)
