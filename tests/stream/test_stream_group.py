"""Two workers in one consumer group share the partitions and process everything once."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter

import orjson
import pytest

from service.broker import free_port
from service.samples import make_posts

from .conftest import STALL_S, consume, produce, running_worker

pytestmark = pytest.mark.integration


async def test_two_workers_share_partitions(settings, tmp_path):
    second = settings.replace(web_port=free_port(), data_dir=str(tmp_path / "second"))
    async with contextlib.AsyncExitStack() as stack:
        first_app = await stack.enter_async_context(running_worker(settings))
        second_app = await stack.enter_async_context(running_worker(second))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while True:
            (ready_a, a), (ready_b, b) = first_app.readiness(), second_app.readiness()
            if ready_a and ready_b and not set(a["assigned"]) & set(b["assigned"]) \
                    and len(set(a["assigned"]) | set(b["assigned"])) == 4:
                break
            assert loop.time() < deadline, (a, b)
            await asyncio.sleep(0.2)
        posts = make_posts(1000, prefix="grp")
        await produce(settings, [(json.loads(p)["id"].encode(), p) for p in posts])
        records = await consume(settings, [settings.topic_clean, settings.topic_dlq], 1000,
                                settle=1.0, timeout=600, stall=STALL_S)
        consumed = (first_app.metrics.value("qingliu_consumed_total"),
                    second_app.metrics.value("qingliu_consumed_total"))
    ids = Counter(orjson.loads(r.value)["id"] for r in records)
    assert len(ids) == 1000 and set(ids.values()) == {1}, "each post exactly once"
    assert all(records_by > 0 for records_by in consumed), consumed
    assert sum(consumed) == 1000
