"""QINGLIU_PROCESSES > 0: the pipeline in child processes gives the same outcomes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys

import orjson
import psutil
import pytest

from service.offload import Offload, process
from service.pipeline import Limits, Origin
from service.samples import demo_posts, make_posts

from .conftest import STALL_S, consume, produce, running_worker


async def test_offload_matches_in_loop_and_survives_a_dead_child():
    offload = Offload(1, Limits(), max_chunk=8)
    await offload.ready()
    try:
        posts = demo_posts() + make_posts(20)
        results = [await offload.process(p, b"k", Origin("t", 0, i)) for i, p in enumerate(posts)]
        expected = [process(p, b"k", Origin("t", 0, i), Limits()) for i, p in enumerate(posts)]
        assert [(r.kind, r.error_code, r.event_id) for r in results] == [
            (e.kind, e.error_code, e.event_id) for e in expected]
        for pid in list(offload._pool._processes):  # kill the child: the chunk still completes
            os.kill(pid, signal.SIGKILL)
        again = await offload.process(posts[0], b"k", Origin("t", 0, 0))
        assert again.event_id == expected[0].event_id
        after = await offload.process(posts[1], b"k", Origin("t", 0, 1))  # a fresh pool
        assert after.event_id == expected[1].event_id
    finally:
        offload.close()


# A process that closes its Offload while the child is busy with a chunk (here a ten-minute
# sleep), then exits; ``EXIT_BOUND_S`` is a hang detector, far below the chunk's length.
BUSY_CHILD_SCRIPT = """
import asyncio, sys, time
from service.offload import Offload, _ping
from service.pipeline import Limits

async def main():
    offload = Offload(1, Limits())
    await offload.ready()
    busy = asyncio.get_running_loop().run_in_executor(offload._pool, _ping, 600.0)
    await asyncio.sleep(1.0)  # the child has taken the call
    children = [p.pid for p in offload._context.started]
    offload.close()
    print(*children, flush=True)
    try:
        await asyncio.wait_for(busy, 30)
    except BaseException as exc:
        print(type(exc).__name__, flush=True)

asyncio.run(main())
"""
EXIT_BOUND_S = 120


def test_closing_ends_a_busy_child_so_the_process_can_exit():
    """A stopping worker must not wait at exit for a chunk nobody will read (it used to: the
    interpreter joins the pool's manager thread, which waits for the chunk; under load that
    outlasted QINGLIU_STOP_TIMEOUT and the worker exited 1 on SIGTERM)."""
    done = subprocess.run([sys.executable, "-c", BUSY_CHILD_SCRIPT], capture_output=True,
                          text=True, timeout=EXIT_BOUND_S)
    assert done.returncode == 0, done.stderr[-2000:]
    children, outcome = done.stdout.split("\n")[:2]
    assert outcome in ("BrokenProcessPool", "CancelledError"), done.stdout
    for pid in map(int, children.split()):
        try:  # a zombie not yet reaped counts as gone
            assert psutil.Process(pid).status() == psutil.STATUS_ZOMBIE, f"{pid} outlived close()"
        except psutil.NoSuchProcess:
            continue


async def test_closing_while_the_children_start_cancels_the_start():
    """A SIGTERM while the worker waits for its children to load ends the start quietly (a
    cancellation, which the worker treats as a normal stop), not with BrokenProcessPool."""
    offload = Offload(1, Limits())
    starting = asyncio.ensure_future(offload.ready())
    await asyncio.sleep(0.5)  # the pings are queued or running; the child is loading
    offload.close()
    with pytest.raises(asyncio.CancelledError):
        await starting


@pytest.mark.integration
async def test_worker_with_child_processes(settings):
    settings = settings.replace(processes=1)
    posts = make_posts(300, prefix="off")
    messages = [(json.loads(p)["id"].encode(), p) for p in posts] + [(b"bad", b"[]")]
    async with running_worker(settings) as app:
        await produce(settings, messages)
        records = await consume(settings, [settings.topic_clean, settings.topic_dlq],
                                len(messages), settle=1.0, timeout=600, stall=STALL_S)
        assert app.metrics.consumed._value.get() == len(messages)
    ids = sorted(orjson.loads(r.value).get("id", "") for r in records
                 if r.topic == settings.topic_clean)
    assert ids == sorted(json.loads(p)["id"] for p in posts)
    dead = [orjson.loads(r.value) for r in records if r.topic == settings.topic_dlq]
    assert [d["error"]["code"] for d in dead] == ["not_object"]
