"""CommitBarrier: commits wait for batches being published; revoked and stopped ones publish not."""

from __future__ import annotations

import asyncio

from service.worker.barrier import CommitBarrier


async def test_commit_waits_for_publishing_and_blocks_new_publishes():
    barrier = CommitBarrier()
    events: list[str] = []
    release = asyncio.Event()

    async def publish(name: str) -> None:
        async with barrier.publishing() as current:
            assert current
            events.append(f"{name} start")
            await release.wait()
            events.append(f"{name} end")

    async def commit() -> None:
        async with barrier.committing():
            events.append("commit")
            await asyncio.sleep(0.01)
            events.append("commit end")

    first = asyncio.ensure_future(publish("a"))
    await asyncio.sleep(0)
    committing = asyncio.ensure_future(commit())
    await asyncio.sleep(0)
    late = asyncio.ensure_future(publish("b"))  # waits for the commit to finish
    await asyncio.sleep(0.01)
    assert events == ["a start"]
    release.set()
    await asyncio.gather(first, committing, late)
    assert events == ["a start", "a end", "commit", "commit end", "b start", "b end"]


async def test_batches_read_before_a_revocation_are_not_published():
    barrier = CommitBarrier()
    read_before = barrier.epoch
    async with barrier.committing():
        pass
    assert barrier.epoch == read_before  # an ordinary commit starts no new epoch
    async with barrier.committing(revoking=True):
        pass
    async with barrier.publishing(read_before) as current:
        assert not current
    async with barrier.publishing(barrier.epoch) as current:
        assert current
    async with barrier.publishing(None) as current:
        assert current


async def test_commit_times_out_on_a_stuck_publish():
    barrier = CommitBarrier(drain_timeout=0.05)
    stuck = asyncio.Event()

    async def publish() -> None:
        async with barrier.publishing():
            await stuck.wait()

    task = asyncio.ensure_future(publish())
    await asyncio.sleep(0)
    async with barrier.committing() as drained:
        assert barrier.active == 1
        assert not drained  # the commit knows a batch is still out
    stuck.set()
    await task
    async with barrier.committing() as drained:
        assert drained


async def test_close_waits_for_every_batch_including_later_ones():
    """The stop path: a batch that starts after the stop began publishes nothing."""
    barrier = CommitBarrier()
    release = asyncio.Event()
    published: list[str] = []

    async def publish(name: str) -> None:
        async with barrier.publishing() as current:
            if current:
                await release.wait()
                published.append(name)

    early = asyncio.ensure_future(publish("early"))
    await asyncio.sleep(0)
    closing = asyncio.ensure_future(barrier.close(timeout=5))
    await asyncio.sleep(0)
    late = asyncio.ensure_future(publish("late"))
    await asyncio.sleep(0.01)
    assert not closing.done()
    release.set()
    assert await closing
    await asyncio.gather(early, late)
    assert published == ["early"]
    assert barrier.active == 0


async def test_publishers_waiting_on_a_commit_see_the_close():
    barrier = CommitBarrier()
    outcome: list[bool] = []

    async def publish() -> None:
        async with barrier.publishing() as current:
            outcome.append(current)

    async with barrier.committing():
        waiting = asyncio.ensure_future(publish())
        await asyncio.sleep(0)
        await barrier.close(timeout=1)
    await waiting
    assert outcome == [False]


async def test_nothing_is_published_between_a_revocation_and_the_next_assignment():
    """A batch read after the revocation's commit was fetched before it: if the same partitions
    come back they are read again from the committed offset, so it must not be published."""
    barrier = CommitBarrier(drain_timeout=1.0)
    async with barrier.committing(revoking=True):
        barrier.begin_rebalance()
    read_in = barrier.epoch  # what the agent sees while the group rebalances
    async with barrier.publishing(read_in) as current:
        assert current is False
    barrier.end_rebalance()
    async with barrier.publishing(read_in) as current:
        assert current is False  # still stale after the assignment
    async with barrier.publishing(barrier.epoch) as current:
        assert current is True
