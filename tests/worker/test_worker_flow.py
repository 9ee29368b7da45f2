"""Flow control: a record whose delivery races a suspended flow is not delivered, nor lost."""

from __future__ import annotations

import asyncio

from service.worker.compat import deliver
from service.worker.offsets import OffsetTracker


async def test_delivery_without_blocking_is_direct():
    delivered: list[int] = []

    async def callback(message: int) -> None:
        delivered.append(message)

    assert await deliver(callback, 1, asyncio.Event(), may_block=False)
    assert delivered == [1]


async def test_suspended_flow_wins_against_a_blocked_delivery():
    queue: asyncio.Queue[int] = asyncio.Queue(maxsize=1)
    queue.put_nowait(0)  # the agent's queue is full: delivery blocks
    suspend = asyncio.Event()

    async def callback(message: int) -> None:
        await queue.put(message)

    racing = asyncio.ensure_future(deliver(callback, 1, suspend, may_block=True))
    await asyncio.sleep(0.01)
    assert not racing.done()
    suspend.set()  # a rebalance starts
    assert await racing is False
    assert queue.get_nowait() == 0 and queue.empty()  # the record was not delivered


async def test_no_delivery_once_suspended():
    async def callback(message: int) -> None:
        raise AssertionError("delivered while suspended")

    suspend = asyncio.Event()
    suspend.set()
    assert await deliver(callback, 1, suspend, may_block=False) is False


async def test_an_undelivered_record_is_not_committed_past_and_order_is_kept():
    """What the fetch loop does: register, then deliver; the undelivered offset holds commits."""
    offsets = OffsetTracker()
    suspend = asyncio.Event()
    delivered: list[int] = []

    async def callback(offset: int) -> None:
        delivered.append(offset)
        if offset == 1:
            suspend.set()  # the flow is suspended while the fetch is being handed over

    for offset in range(4):
        offsets.fetched("p", offset)
        await deliver(callback, offset, suspend, may_block=False)
    assert delivered == [0, 1]  # in order, nothing after the suspension
    for offset in delivered:
        offsets.ack("p", offset)
    assert offsets.committable(lambda tp: None) == {"p": 2}  # 2 and 3 will be read again
