"""Every place the worker overrides or reads the internals of Faust and aiokafka.

Nothing else in ``service/`` touches a private attribute of faust, aiokafka, mode or
prometheus_client (``tests/worker/test_worker_fences.py`` checks that).  Each override says why
it exists.  The code was written against the versions in :data:`WRITTEN_FOR`;
:func:`check_versions` refuses to start on others (``QINGLIU_ALLOW_UNTESTED_VERSIONS=1`` starts
anyway, at the operator's risk), because an upgrade can break these silently.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from importlib import metadata
from typing import Any

from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.consumer import TransactionManager as FaustTransactionManager
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.web.drivers.aiohttp import Web as AiohttpWeb

from service.errors import ConfigError

log = logging.getLogger(__name__)

#: distribution → the major.minor series this module was written and tested for.
WRITTEN_FOR = {"faust-streaming": "0.15", "aiokafka": "0.14"}
ALLOW_ENV = "QINGLIU_ALLOW_UNTESTED_VERSIONS"
FETCH_MAX_WAIT_MS = 100
DRAIN_YIELD_EVERY = 500  # records handed to the agent between trips through the event loop
#: at_least_once: commit as soon as this many more offsets are committable (a deep backlog
#: otherwise leaves a second's worth of messages to repeat after a kill -9)
COMMIT_EVERY = 200
FENCED_CRASH_AFTER_S = 60.0  # exactly_once: a commit fenced this long without a revocation
ROOM_POLL_S = 0.005  # a full agent queue is polled for room (no task per record meanwhile)
REVOKE_DRAIN_S = 4.0  # at_least_once: batches being published may finish before a revocation


def check_versions(env: dict[str, str] | None = None) -> None:
    """Raise :class:`ConfigError` (one line) unless the installed versions are the known ones."""
    env = os.environ if env is None else env
    wrong = []
    for name, series in WRITTEN_FOR.items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "missing"
        if installed != series and not installed.startswith(series + "."):
            wrong.append(f"{name} {installed} (written for {series}.x)")
    if not wrong:
        return
    message = ("service/worker/compat.py overrides internals of " + ", ".join(wrong)
               + f"; install the versions it was written for, or set {ALLOW_ENV}=1 "
               "to start anyway at your own risk")
    if env.get(ALLOW_ENV, "") in ("1", "true", "yes"):
        log.warning(message)
        return
    raise ConfigError(message)


# -- the app ---------------------------------------------------------------------------------------

class StopDuringRebalance:
    """A mixin for the worker's ``faust.App``: a rebalance that starts while the app stops leaves
    the consumer to its own stop.

    Faust's ``App._on_rebalance_when_stopped`` calls ``Consumer.close()``, which closes the
    aiokafka client from the app's event loop while the consumer thread's group coordinator may
    be joining the group.  Closing the client cancels its metadata synchronizer; a leader whose
    assignment is waiting for the metadata of a topic it just subscribed to (a worker stopped
    while starting) then waits forever, and so does the stop, which waits for the coordinator.
    The consumer thread's own stop (``AIOKafkaConsumer.stop``) closes the coordinator first,
    after the join in progress, and leaves the group.
    """

    def _on_rebalance_when_stopped(self) -> None:
        log.info("a rebalance began while the worker stops: the consumer's stop ends it")


# -- the consumer --------------------------------------------------------------------------------

class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """Faust hard-codes ``fetch_max_wait_ms=1500`` in the private ``_create_worker_consumer``.

    A broker that honours it adds up to 1.5 s to every idle fetch; aiokafka reads the private
    ``_fetch_max_wait_ms`` when its fetcher starts, so it is set right after creation.
    """

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS
        return consumer


async def deliver(callback: Callable[[Any], Awaitable[None]], message: Any,
                  suspend_flow: asyncio.Event, may_block: bool) -> bool:
    """Hand ``message`` to the conductor unless flow control is suspended first.

    Faust races every record's ``callback(message)`` against ``suspend_flow.wait()`` (two tasks
    and an ``asyncio.wait`` per record).  The callback can only block when the agent's queue is
    full or flow control is suspended (``may_block``); otherwise it completes without yielding
    and is awaited directly.  Returns False when the flow was suspended before delivery.
    """
    if suspend_flow.is_set():
        return False
    if not may_block:
        await callback(message)
        return True
    delivery = asyncio.ensure_future(callback(message))
    suspended = asyncio.ensure_future(suspend_flow.wait())
    try:
        await asyncio.wait({delivery, suspended}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        suspended.cancel()
    if delivery.done():
        delivery.result()
        return True
    delivery.cancel()
    return False


class Consumer(faust_aiokafka.Consumer):
    """Faust's aiokafka consumer with the worker's own offset bookkeeping.

    The app supplies ``offsets`` (:class:`service.worker.offsets.OffsetTracker`),
    ``commit_barrier`` (:class:`service.worker.barrier.CommitBarrier`), ``intake_full()`` and
    ``before_final_commit()`` (see :class:`service.worker.app.QingliuApp`).
    """

    _final_commit_refused = False  # see on_stop

    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        # Faust's factory for its consumer thread: the only way to use ConsumerThread above.
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def force_commit(self, topics: Any = None, start_new_transaction: bool = True) -> bool:
        """Commit each partition up to its lowest unacknowledged offset (not Faust's ``_acked``).

        Faust skips its gap check for a partition never committed (committed offset None or 0)
        and so commits past an unpublished first message; the worker's tracker has no such case.
        Under exactly_once the commit (a transaction commit) waits for batches being published.
        """
        if self._final_commit_refused:
            return False  # see on_stop
        if self.app.in_transaction:
            async with self.app.commit_barrier.committing() as drained:
                if not drained:  # its outcomes are in the transactions: commit once it is acked
                    log.warning("commit skipped: a batch is still being published into the "
                                "transactions")
                    return False
                return await self._commit_acked(topics, start_new_transaction)
        return await self._commit_acked(topics, start_new_transaction)

    async def _commit_acked(self, topics: Any, start_new_transaction: bool) -> bool:
        assignment = self.assignment()
        only = [tp for tp in assignment
                if topics is None or tp in topics or tp.topic in topics]
        committed = self._committed_offset  # Faust's record of what went through
        offsets = self.app.offsets.committable(committed.get, only)
        self.app.offsets.committed()  # the count for commit-by-count starts again
        if not offsets:
            return False
        # Faust's private commit: flushes the producer (at_least_once) or commits the
        # transactions (exactly_once), then records the offsets as committed.
        try:
            did_commit = await self._commit_offsets(
                offsets, start_new_transaction=start_new_transaction)
        except Exception as exc:
            if not _fenced_commit(exc):
                raise
            # exactly_once: another worker took these partitions over (the group rebalanced and
            # this worker has not heard yet) and fenced their transactions, which the broker
            # aborts.  Their offsets are the new owner's to commit; the revocation follows.  A
            # worker still fenced long after that is stuck: crash, so that it is restarted.
            now = time.monotonic()
            self._fenced_since = getattr(self, "_fenced_since", None) or now
            if now - self._fenced_since > FENCED_CRASH_AFTER_S:
                raise
            log.warning("commit refused, the transaction was fenced (%r): leaving %d offsets "
                        "to the partitions' new owner", exc, len(offsets))
            return False
        self._fenced_since = None
        return bool(did_commit)

    async def _drain_messages(self, fetcher: Any) -> None:
        """Faust's private fetch loop, cheaper per record and feeding the offset tracker.

        Kept from Faust: read offsets, dropping records already read, the race against
        ``suspend_flow`` (see :func:`deliver`; while the agent's queue is full the loop polls
        it for room instead, so a backlog costs no task per record).  Changed: no task per record, a trip through
        the event loop every :data:`DRAIN_YIELD_EVERY` records, every record registered with
        the tracker before delivery (one not delivered stays unacknowledged, so no commit
        passes it until the partition is read again from its committed offset), and a commit
        after :data:`COMMIT_EVERY` newly committable offsets (at_least_once; a transaction
        commit costs more) instead of Faust's gap tracking.
        """
        callback = self.callback
        should_stop = self._stopped.is_set
        fetcher_should_stop = fetcher._stopped.is_set
        read_offsets = self._read_offset
        tracker = self.app.offsets
        commit_every = None if self.app.in_transaction else COMMIT_EVERY
        intake_full = self.app.intake_full
        flow = self.app.flow_control
        since_yield = 0
        try:
            while not (should_stop() or fetcher_should_stop()):
                self.diag.set_flag(CONSUMER_FETCHING)
                records = self.getmany(timeout=1.0)
                await asyncio.sleep(0)
                if self.should_stop:
                    continue
                async for tp, message in records:
                    since_yield += 1
                    if since_yield >= DRAIN_YIELD_EVERY:
                        await asyncio.sleep(0)
                        since_yield = 0
                    offset = message.offset
                    read = read_offsets.get(tp)
                    if read is not None and offset < read:
                        continue  # seen already (Faust drops these too)
                    if commit_every and tracker.acked_since_commit >= commit_every:
                        await self.commit()
                    tracker.fetched(tp, offset)
                    while intake_full() and not self.suspend_flow.is_set():
                        await asyncio.sleep(ROOM_POLL_S)  # the agent is behind: wait for room
                    may_block = intake_full() or not flow.is_active()
                    if await deliver(callback, message, self.suspend_flow, may_block):
                        read_offsets[tp] = offset
                self.diag.unset_flag(CONSUMER_FETCHING)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                return
            raise
        except Exception as exc:
            log.exception("fetching messages raised: %r", exc)
            raise
        finally:
            self.diag.unset_flag(CONSUMER_FETCHING)

    async def on_stop(self) -> None:
        """Let every batch being published finish first, so the final commit covers them.

        Faust's ``on_stop`` commits through ``Consumer.commit``, which returns without
        committing when a commit is already under way: the periodic one, begun before the last
        batches were acknowledged, whose offsets the next owner would then publish again.  So
        any commit under way is waited for first (no other can begin between the last wait and
        Faust's commit: nothing yields in between).

        Under exactly_once a batch still being published when the wait ends (the broker does
        not acknowledge it) has outcomes in its partition's transaction but no acknowledged
        offsets: committing would commit them with an older offset, and the next owner would
        publish them again.  Then nothing is committed; the open transactions are aborted when
        the next owner fences them, and it processes their messages again."""
        drained = await self.app.before_final_commit()
        while await self.maybe_wait_for_commit_to_finish():
            pass  # (the periodic commit may have begun another meanwhile)
        if drained is False and self.app.in_transaction:
            log.warning("stopping without the final commit: batches are still being published "
                        "into the transactions, which the partitions' next owner aborts and "
                        "processes again")
            self._final_commit_refused = True
        await super().on_stop()

    async def on_partitions_revoked(self, revoked: set[Any]) -> None:
        """Commit what was published before Faust forgets the revoked partitions.

        Faust forgets their acks and resumes every partition it keeps from its committed offset.
        So the batches being published are acknowledged first and their offsets committed (under
        exactly_once: each transaction with the offsets of the outputs it holds), and batches
        fetched in this generation are not published afterwards (the next owner reads them).

        Under exactly_once a batch still being published when the wait ends is not
        acknowledged, and its outcomes are in the transactions: nothing is committed, and every
        transaction's producer is replaced at the assignment, which aborts them (the partitions
        are read again from their committed offsets, here or by their next owner).
        """
        app = self.app
        if not app.should_stop:
            timeout = None if app.in_transaction else REVOKE_DRAIN_S
            async with app.commit_barrier.committing(revoking=True, timeout=timeout) as drained:
                if drained or not app.in_transaction:
                    try:
                        await self._commit_acked(None, True)
                    except Exception:
                        log.exception("commit before revoking %d partitions failed",
                                      len(revoked))
                else:
                    log.warning("no commit before revoking %d partitions: a batch is still being "
                                "published into the transactions, which are aborted",
                                len(revoked))
                    self.transactions.abandon(self.assignment())
                app.commit_barrier.begin_rebalance()  # publish nothing until the assignment
        app.offsets.reset(revoked)
        await super().on_partitions_revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[Any], generation_id: int = 0) -> None:
        """Every assigned partition is read again from its committed offset: forget its offsets
        and what was read before (a batch read since the revocation is stale)."""
        self.app.commit_barrier.end_rebalance()
        self.app.offsets.reset(assigned)
        await super().on_partitions_assigned(assigned, generation_id)


def _fenced_commit(exc: BaseException) -> bool:
    """A transaction commit refused because another producer took the transactional id over."""
    from aiokafka import errors

    while exc.__cause__ is not None and exc.__cause__ is not exc:
        exc = exc.__cause__
    if isinstance(exc, errors.ProducerFenced | errors.InvalidProducerEpoch):
        return True
    return isinstance(exc, errors.IllegalOperation) and "transaction" in str(exc).lower()


class TransactionManager(FaustTransactionManager):
    """Faust's keeper of the transactional producers (exactly_once), one per input partition.

    Two Faust behaviours let an open transaction outlive the offsets it belongs to, and then the
    messages of a partition that stays with the worker are read again from its committed offset
    and published again into that same transaction (duplicates once it commits):

    - Faust's assignor also names *standby* partitions of the input topic (for tables; they are
      never consumed), and Faust does not stop the producer of a revoked partition that became
      a standby.  The partition's next owner fences that producer; when the partition comes
      back, Faust keeps the fenced producer (its ``begin_transaction`` fails) and every send and
      commit for the partition fails.  Here every producer whose partition is not actively
      assigned is stopped at each assignment.
    - Faust commits the transactions one after another and gives up at the first that fails,
      leaving the rest open with outputs whose offsets were not committed.  Here each
      transaction is committed on its own; the first error is raised once all were tried (so
      no offset is recorded as committed), and the producer of a transaction that failed to
      commit is replaced at the next assignment: a new producer for the same transactional id
      makes the broker abort the old transaction, so a partition read again from its committed
      offset starts with an empty one.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failed: set[str] = set()  # transactional ids whose last commit failed

    def transactional_id(self, tp: Any) -> str:
        group = self.app.assignor.group_for_topic(tp.topic)
        return f"{self.app.conf.id}-{group}-{tp.partition}"

    async def commit(self, offsets: Any, start_new_transaction: bool = True) -> bool:
        """Commit each transaction with its offsets; raise the first error after trying all."""
        by_transaction: dict[str, dict[Any, int]] = {}
        for tp, offset in offsets.items():
            by_transaction.setdefault(self.transactional_id(tp), {})[tp] = offset
        first: BaseException | None = None
        for tid, tid_offsets in by_transaction.items():
            try:
                # Faust's commit of one transaction: send the offsets, commit, begin the next
                await self.producer.commit_transactions(
                    {tid: tid_offsets}, self.app.conf.id,
                    start_new_transaction=start_new_transaction)
            except Exception as exc:
                self.failed.add(tid)
                log.warning("transaction %s did not commit (%r); its outputs stay uncommitted "
                            "and its offsets are not committed", tid, exc)
                first = first or exc
            else:
                self.failed.discard(tid)
        if first is not None:
            raise first
        return True

    async def on_rebalance(self, assigned: Any, revoked: Any, newly_assigned: Any) -> None:
        """Stop stale producers (see the class docstring), then let Faust start the rest."""
        await self.drop_stale(self.stale(assigned))
        await super().on_rebalance(assigned, revoked, newly_assigned)

    def abandon(self, tps: Any) -> None:
        """Replace the producers of ``tps``' transactions at the next assignment (which aborts
        them) as if their last commit had failed: they hold outcomes whose offsets will not be
        committed."""
        self.failed.update(self.transactional_id(tp) for tp in tps)

    def stale(self, assigned: Any) -> list[str]:
        """Producers to replace: partition not actively assigned now, or last commit failed."""
        active = self._tps_to_transactional_ids(assigned)  # Faust's: assigned, not standby
        producers = self.producer._transaction_producers  # Faust's private dict by id
        return sorted(tid for tid in producers if tid not in active or tid in self.failed)

    async def drop_stale(self, tids: list[str]) -> None:
        if tids:
            log.info("stopping %d transactional producers whose partitions are not assigned "
                     "here or whose last commit failed: %s", len(tids), ", ".join(tids))
        for tid in tids:
            self.failed.discard(tid)
            try:
                await self.producer.stop_transaction(tid)  # forgets it, then stops it
            except Exception as exc:
                log.warning("stopping the producer of transaction %s failed: %r", tid, exc)


class Transport(faust_aiokafka.Transport):
    """Faust's transport with :class:`Consumer` and :class:`TransactionManager` (class
    attributes are Faust's extension points)."""

    Consumer = Consumer
    TransactionManager = TransactionManager


class Web(AiohttpWeb):
    """Faust's aiohttp server without its built-in pages (only the worker's own routes)."""

    default_blueprints: Any = []
    production_blueprints: Any = []
    debug_blueprints: Any = []
    optional_blueprints: Any = []


# -- reads of consumer state (probes, lag) --------------------------------------------------------

def kafka_consumer(app: Any) -> Any:
    """The aiokafka consumer inside Faust's consumer thread (None before it exists)."""
    thread = getattr(app.consumer, "_thread", None)
    return getattr(thread, "_consumer", None) if thread is not None else None


def broker_connected(kafka: Any) -> bool:
    """Whether the aiokafka client holds a live connection (its private ``_conns``)."""
    conns = getattr(kafka._client, "_conns", {})
    return any(conn.connected() for conn in conns.values())


def consumer_position(app: Any, tp: Any) -> int:
    """Next offset the worker will read or has committed (Faust's private read/commit records)."""
    consumer = app.consumer
    read = consumer._read_offset.get(tp)
    position = read + 1 if read is not None else 0
    committed = consumer._committed_offset.get(tp)
    return max(position, committed) if committed is not None else position


# -- producers --------------------------------------------------------------------------------

async def raw_producer(app: Any) -> Any:
    """The aiokafka producer behind Faust's (``_ensure_producer``): for record batches."""
    return (await app.maybe_start_producer())._ensure_producer()


def transaction_producer(app: Any, transactional_id: str) -> tuple[Any, asyncio.Lock] | None:
    """The aiokafka producer of an open transaction and Faust's lock for it, if it exists.

    Faust keeps one transactional producer per input partition group in private dicts; record
    batches go straight to it (Faust's ``send`` takes one record at a time).
    """
    producer = app.producer
    kafka = producer._transaction_producers.get(transactional_id)
    if kafka is None:
        return None
    return kafka, producer._trn_locks[transactional_id]


def partition_for(producer: Any, topic: str, key: bytes | None, value: bytes) -> int:
    """The partition aiokafka's ``send`` would choose (its private ``_partition``)."""
    return producer._partition(topic, None, key, value, key, value)


async def refresh_metadata(client_owner: Any) -> None:
    """Ask the broker for fresh metadata now (an aiokafka consumer's or producer's ``_client``)."""
    await client_owner._client.force_metadata_update()


async def fetch_all_metadata(client_owner: Any) -> Any:
    """The cluster metadata of every topic (through a consumer's or producer's ``_client``)."""
    return await client_owner._client.fetch_all_metadata()


async def wait_on_metadata(producer: Any, topic: str) -> None:
    """Wait until the producer knows ``topic``'s partitions (aiokafka's ``_wait_on_metadata``)."""
    await producer.client._wait_on_metadata(topic)
