"""The final commit of a stopping worker covers its last batches even when the periodic commit
is under way (Faust's own commit would then return without committing: the next owner of the
partitions published those batches again, caught by the soak test as duplicates after a SIGTERM).
"""

from __future__ import annotations

import asyncio

from faust.types import TP

from service.config import Settings
from service.metrics import Metrics
from service.offload import Result
from service.pipeline import Limits, Origin
from service.worker.app import create_app
from service.worker.barrier import CommitBarrier
from service.worker.batch import BatchProcessor
from service.worker.offsets import OffsetTracker
from service.worker.publish import Item


async def test_the_final_commit_waits_for_a_commit_under_way_then_commits(tmp_path) -> None:
    app = create_app(Settings(broker="kafka://127.0.0.1:9", data_dir=str(tmp_path), processes=0))
    consumer = app.consumer
    commits: list[bool] = []

    async def force_commit(topics=None, start_new_transaction=True) -> bool:
        commits.append(start_new_transaction)
        return True

    async def nothing_in_flight() -> None:
        pass

    try:
        consumer.force_commit = force_commit
        app.before_final_commit = nothing_in_flight
        periodic = asyncio.get_running_loop().create_future()
        consumer._commit_fut = periodic  # the periodic commit, begun before the last acks
        stopping = asyncio.ensure_future(consumer.on_stop())
        await asyncio.sleep(0.05)
        assert not stopping.done()  # waits for the commit under way …
        consumer._commit_fut = None  # … which ends as Faust ends it
        periodic.set_result(None)
        await asyncio.wait_for(stopping, 10)
        assert commits == [False]  # … then commits itself, ending the transactions
    finally:
        if app.scratch_dir is not None:
            app.scratch_dir.cleanup()


class _Message:
    def __init__(self, offset: int) -> None:
        self.tp = ("raw", 4)
        self.topic, self.partition, self.offset = "raw", 4, offset
        self.timestamp = None


class _Event:
    def __init__(self, offset: int) -> None:
        self.message = _Message(offset)


class _SlowTransactionPublisher:
    """Puts the outcomes into the transaction at once; the broker's acks come on ``release``."""

    def __init__(self) -> None:
        self.sent: list[int] = []
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def publish_transactional(self, items) -> None:
        self.sent += [item.origin.offset for item in items]
        self.entered.set()
        await self.release.wait()
        for item in items:
            item.published = True


async def test_a_cancelled_agent_does_not_split_publishing_from_acknowledging() -> None:
    """A stopping worker's agent is cancelled before the final commit: a batch whose outcomes
    are already in the partition's transaction is still acknowledged, so the final commit
    covers its offsets (else the transaction commits them with an older offset, and the next
    owner publishes the batch again)."""
    publisher = _SlowTransactionPublisher()
    offsets = OffsetTracker()
    processor = BatchProcessor(None, limits=Limits(), concurrency=1, exactly_once=True,
                               offload=None, publisher=publisher, offsets=offsets,
                               barrier=CommitBarrier(), metrics=Metrics())
    batch = [_Event(offset) for offset in (100, 101, 102)]
    for event in batch:
        offsets.fetched(event.message.tp, event.message.offset)
    items = [Item(Origin("raw", 4, e.message.offset), b"{}", None,
                  Result("clean", None, b"{}", f"e{e.message.offset}")) for e in batch]
    agent = asyncio.ensure_future(processor._finish(batch, items, processor.barrier.epoch))
    await asyncio.wait_for(publisher.entered.wait(), 10)
    agent.cancel()  # the agent is stopped while the broker has not acknowledged the batch
    await asyncio.gather(agent, return_exceptions=True)
    stopping = asyncio.ensure_future(processor.stop())  # before the final commit
    await asyncio.sleep(0.05)
    assert not stopping.done()  # it waits for the batch being published …
    publisher.release.set()
    await asyncio.wait_for(stopping, 10)
    assert publisher.sent == [100, 101, 102]
    # … which was acknowledged: the final commit covers every outcome in the transaction
    assert offsets.committable(lambda tp: None) == {("raw", 4): 103}


async def test_no_final_commit_under_exactly_once_while_a_batch_is_still_being_published(
        tmp_path) -> None:
    """A batch the broker never acknowledged has outcomes in its transaction but no acknowledged
    offsets: the stopping worker commits nothing (the next owner aborts the transactions and
    processes the messages again) instead of committing them with an older offset.  Under
    at_least_once the acknowledged offsets are committed all the same."""
    for guarantee, expected in (("exactly_once", []), ("at_least_once", [False])):
        app = create_app(Settings(broker="kafka://127.0.0.1:9", data_dir=str(tmp_path / guarantee),
                                  processes=0, processing_guarantee=guarantee))
        commits: list[bool] = []

        async def commit_acked(topics, start_new_transaction, commits=commits) -> bool:
            commits.append(start_new_transaction)
            return True

        async def still_publishing() -> bool:
            return False

        try:
            app.in_worker = True  # (Faust's in_transaction holds only in a worker)
            app.consumer._commit_acked = commit_acked
            app.before_final_commit = still_publishing
            await asyncio.wait_for(app.consumer.on_stop(), 10)
            assert commits == expected, guarantee
        finally:
            if app.scratch_dir is not None:
                app.scratch_dir.cleanup()


class _StuckPublish:
    """An exactly_once worker app whose commits are recorded, with one batch being published
    until ``release`` (the barrier's wait for it runs out after 50 ms)."""

    def __init__(self, tmp_path) -> None:
        self.app = create_app(Settings(broker="kafka://127.0.0.1:9", data_dir=str(tmp_path),
                                       processes=0, processing_guarantee="exactly_once"))
        self.app.in_worker = True  # (before Faust caches in_transaction: only in a worker)
        self.app.commit_barrier.drain_timeout = 0.05
        self.commits: list[bool] = []
        self.release = asyncio.Event()
        self.app.consumer._commit_acked = self._commit_acked
        self.publishing: asyncio.Future[None] | None = None

    async def _commit_acked(self, topics, start_new_transaction) -> bool:
        self.commits.append(start_new_transaction)
        return True

    async def _publish(self) -> None:
        async with self.app.commit_barrier.publishing():
            await self.release.wait()

    async def __aenter__(self) -> _StuckPublish:
        self.publishing = asyncio.ensure_future(self._publish())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc) -> None:
        self.release.set()
        await self.publishing
        if self.app.scratch_dir is not None:
            self.app.scratch_dir.cleanup()


async def test_the_periodic_commit_waits_for_a_batch_still_being_published(tmp_path) -> None:
    """exactly_once: a commit whose wait for the batches being published ran out commits
    nothing (their outcomes are in the transactions without acknowledged offsets); the next
    commit, once they are acknowledged, does."""
    async with _StuckPublish(tmp_path) as stuck:
        consumer = stuck.app.consumer
        assert await consumer.force_commit() is False
        assert stuck.commits == []
        stuck.release.set()
        await stuck.publishing
        assert await consumer.force_commit() is True
        assert stuck.commits == [True]


async def test_a_revocation_during_a_stuck_publish_abandons_the_transactions(tmp_path) -> None:
    """exactly_once: the commit before a revocation whose batch is still being published when
    the wait ends commits nothing, and every assigned partition's transaction is abandoned (its
    producer replaced at the assignment, which aborts it)."""
    assigned = {TP("raw", 0), TP("raw", 3)}
    async with _StuckPublish(tmp_path) as stuck:
        consumer = stuck.app.consumer
        consumer.assignment = lambda: assigned
        consumer.transactions.transactional_id = lambda tp: f"g-0-{tp.partition}"
        await consumer.on_partitions_revoked({TP("raw", 3)})
        assert stuck.commits == []
        assert consumer.transactions.failed == {"g-0-0", "g-0-3"}
