"""The worker's event loop (and so /healthz) keeps answering while a huge post is repaired.

A post like ``"ａb" × 262000`` (1 MiB, under the limit) takes seconds of pipeline CPU, and parts
of it are single C calls (automaton and regex scans over the whole text) that hold the GIL for
hundreds of milliseconds, longer on a loaded machine.  In a thread of the worker's own process
those calls stall the event loop; in a child process they cannot.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

import pytest

from service.config import Settings
from service.worker.app import create_app

pytestmark = pytest.mark.integration

MAX_LOOP_STALL_S = 0.25  # a thread holding the GIL stalls the loop for 0.3 s and (loaded) more


@dataclass
class Message:
    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes
    timestamp: float


@dataclass
class Event:
    message: Message


async def _loop_stalls(work: asyncio.Future) -> float:
    """The longest the loop went without running a 10 ms ticker while ``work`` ran."""
    worst = 0.0
    while not work.done():
        started = time.perf_counter()
        await asyncio.sleep(0.01)
        worst = max(worst, time.perf_counter() - started - 0.01)
    return worst


@pytest.mark.parametrize("guarantee", ["exactly_once", "at_least_once"])
async def test_the_loop_answers_while_a_huge_post_is_repaired(tmp_path, guarantee):
    settings = Settings(broker="kafka://127.0.0.1:9", processing_guarantee=guarantee,
                        data_dir=str(tmp_path))
    app = create_app(settings)
    processor = app.processor
    try:
        if app.offload is not None:
            await app.offload.ready()
        huge = json.dumps({"id": "h", "text": "ａb" * 262_000}, ensure_ascii=False).encode()
        assert len(huge) < settings.max_bytes
        batch = [Event(Message(settings.topic_raw, 0, 0, b"h", huge, time.time()))]
        work = asyncio.ensure_future(processor._process(batch))
        stall = await _loop_stalls(work)
        items = await work
        assert items[0].result.kind == "clean"
        assert stall < MAX_LOOP_STALL_S, (
            f"the event loop stalled {stall:.2f}s while a huge post was repaired "
            f"({settings.pipeline_processes} pipeline processes)")
    finally:
        if app.offload is not None:
            app.offload.close()
        await processor.stop(timeout=1)
        if app.scratch_dir is not None:
            app.scratch_dir.cleanup()
