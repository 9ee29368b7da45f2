"""Which offsets may be committed: the contiguous acknowledged prefix of each partition.

The worker commits a partition only up to its lowest offset whose outcome has not been
acknowledged by the broker.  Faust's own bookkeeping skips its gap check when a partition has
never been committed (committed offset None or 0), so an unpublished message at offset 0 could be
committed past; this tracker has no such special case.  It also notices a partition whose lowest
unacknowledged offset has not moved for a while although messages wait behind it (*stalled*).

Offsets are tracked in the order they were handed to the agent, not as integers: Kafka offsets
have holes (transaction markers, compaction), and a hole is never waited for.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field


@dataclass
class PartitionOffsets:
    """One partition: offsets handed to the agent (in order) and which of them are acknowledged."""

    pending: deque[int] = field(default_factory=deque)
    acked: set[int] = field(default_factory=set)
    next_commit: int | None = None  # the offset to commit (first not acknowledged), if any
    head_since: float = 0.0  # when the current lowest unacknowledged offset became the head

    def fetched(self, offset: int, now: float) -> None:
        """``offset`` was handed to the agent (offsets come in increasing order)."""
        if self.pending and offset <= self.pending[-1]:
            return  # a redelivery of something already pending: keep the first
        if self.next_commit is not None and offset < self.next_commit:
            return  # a redelivery of something already acknowledged (the agent drops it)
        if not self.pending:
            self.head_since = now
        self.pending.append(offset)

    def ack(self, offset: int, now: float) -> int:
        """``offset``'s outcome is acknowledged; returns how many offsets became committable."""
        if not self.pending or offset < self.pending[0] or offset > self.pending[-1]:
            return 0  # not pending here (e.g. acked after a revocation reset the partition)
        self.acked.add(offset)
        moved = 0
        while self.pending and self.pending[0] in self.acked:
            done = self.pending.popleft()
            self.acked.discard(done)
            self.next_commit = done + 1
            moved += 1
        if moved:
            self.head_since = now
            if self.pending:
                self.next_commit = self.pending[0]
        return moved

    def discard(self, offset: int) -> None:
        """Forget ``offset`` (it was not delivered after all; it will be fetched again)."""
        if self.pending and self.pending[-1] == offset:
            self.pending.pop()
            self.acked.discard(offset)

    @property
    def lowest_unacked(self) -> int | None:
        return self.pending[0] if self.pending else None

    def stalled_for(self, now: float) -> float:
        """Seconds the lowest unacknowledged offset has not moved (0 when nothing waits)."""
        return now - self.head_since if self.pending else 0.0


class OffsetTracker:
    """:class:`PartitionOffsets` per partition key (a Faust ``TP`` or any hashable)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._partitions: dict[Hashable, PartitionOffsets] = {}
        self.acked_since_commit = 0

    def fetched(self, tp: Hashable, offset: int) -> None:
        self._partitions.setdefault(tp, PartitionOffsets()).fetched(offset, self._clock())

    def discard(self, tp: Hashable, offset: int) -> None:
        partition = self._partitions.get(tp)
        if partition is not None:
            partition.discard(offset)

    def ack(self, tp: Hashable, offset: int) -> None:
        partition = self._partitions.get(tp)
        if partition is not None:
            self.acked_since_commit += partition.ack(offset, self._clock())

    def committable(self, committed: Callable[[Hashable], int | None],
                    only: Iterable[Hashable] | None = None) -> dict[Hashable, int]:
        """``{tp: offset}`` to commit: each partition's next commit beyond ``committed(tp)``."""
        wanted = None if only is None else set(only)
        out: dict[Hashable, int] = {}
        for tp, partition in self._partitions.items():
            if wanted is not None and tp not in wanted:
                continue
            offset = partition.next_commit
            if offset is None:
                continue
            done = committed(tp)
            if done is None or offset > done:
                out[tp] = offset
        return out

    def committed(self) -> None:
        """A commit went through: restart the count for commit-by-count."""
        self.acked_since_commit = 0

    def reset(self, tps: Iterable[Hashable]) -> None:
        """Forget ``tps`` (revoked, or about to be read again from their committed offsets)."""
        for tp in tps:
            self._partitions.pop(tp, None)

    def stalled(self, threshold: float) -> list[tuple[Hashable, int, float]]:
        """``(tp, lowest unacknowledged offset, seconds)`` for partitions stuck ≥ ``threshold``."""
        now = self._clock()
        out = []
        for tp, partition in self._partitions.items():
            waited = partition.stalled_for(now)
            if partition.pending and waited >= threshold:
                out.append((tp, partition.pending[0], waited))
        return out

    def lowest_unacked(self, tp: Hashable) -> int | None:
        partition = self._partitions.get(tp)
        return partition.lowest_unacked if partition is not None else None
