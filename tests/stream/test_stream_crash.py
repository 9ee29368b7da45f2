"""kill -9 a worker subprocess mid-stream, restart it: nothing is lost; duplicates are counted."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections import Counter

import orjson
import pytest

from service.broker import free_port
from service.samples import make_posts

from .conftest import STALL_S, consume, produce

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TOTAL = 6000  # enough that the worker is still busy when it is killed (it gets ~50-500 posts/s)


def start_worker(settings, log_path):
    env = dict(os.environ)
    env.update({
        "QINGLIU_BROKER": settings.broker, "QINGLIU_TOPIC_RAW": settings.topic_raw,
        "QINGLIU_TOPIC_CLEAN": settings.topic_clean, "QINGLIU_TOPIC_DLQ": settings.topic_dlq,
        "QINGLIU_GROUP_ID": settings.group_id, "QINGLIU_WEB_PORT": str(free_port()),
        "QINGLIU_DATA_DIR": settings.data_dir, "QINGLIU_LOG_LEVEL": "warning",
    })
    log = open(log_path, "ab")
    return subprocess.Popen([sys.executable, "-m", "service.cli", "worker"], env=env,
                            stdout=log, stderr=subprocess.STDOUT)


def post_id(record) -> str:
    """The post an outcome (clean event or dead letter) is for."""
    return orjson.loads(record.value)["id"]


async def count_outcomes(settings) -> int:
    records = await consume(settings, [settings.topic_clean, settings.topic_dlq], 10**9,
                            timeout=0.5)
    return len(records)


async def test_kill_9_mid_stream_loses_nothing(settings, tmp_path, record_property):
    posts = make_posts(TOTAL, prefix="crash")
    await produce(settings, [(json.loads(p)["id"].encode(), p) for p in posts])
    log_path = tmp_path / "worker.log"
    worker = start_worker(settings, log_path)
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 90
        seen = 0
        while seen < 200:
            assert worker.poll() is None, log_path.read_text(errors="replace")[-3000:]
            assert loop.time() < deadline, "worker produced no output"
            await asyncio.sleep(0.2)
            seen = await count_outcomes(settings)
        await asyncio.sleep(1.0)  # let it commit some offsets first
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        at_kill = await count_outcomes(settings)
        assert at_kill < TOTAL, "the worker finished before it could be killed; raise TOTAL"
        worker = start_worker(settings, log_path)
        records = await consume(settings, [settings.topic_clean, settings.topic_dlq], TOTAL,
                                timeout=900, settle=2.0, distinct=post_id, stall=STALL_S)
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
    assert worker.returncode == 0, "SIGTERM should stop the worker cleanly"
    ids = Counter(map(post_id, records))
    expected = {json.loads(p)["id"] for p in posts}
    missing = expected - set(ids)
    duplicates = sum(n - 1 for n in ids.values())
    record_property("killed_after_outcomes", at_kill)
    record_property("duplicates", duplicates)
    print(f"\nkill -9 after {at_kill} outcomes: {len(expected) - len(missing)}/{TOTAL} ids, "
          f"{duplicates} duplicates (at-least-once redelivery)")
    assert not missing, f"{len(missing)} posts lost"
    assert set(ids) == expected
    assert duplicates < TOTAL


async def test_sigterm_mid_stream_duplicates_nothing(settings, tmp_path):
    """SIGTERM mid-stream (at-least-once): every published batch is committed on the way out,
    so the next worker repeats nothing."""
    posts = make_posts(TOTAL // 2, prefix="term")
    await produce(settings, [(json.loads(p)["id"].encode(), p) for p in posts])
    log_path = tmp_path / "worker.log"
    worker = start_worker(settings, log_path)
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 90
        seen = 0
        while seen < 500:
            assert worker.poll() is None, log_path.read_text(errors="replace")[-3000:]
            assert loop.time() < deadline, "worker produced no output"
            await asyncio.sleep(0.2)
            seen = await count_outcomes(settings)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(60) == 0, log_path.read_text(errors="replace")[-3000:]
        at_stop = await count_outcomes(settings)
        assert at_stop < len(posts), "the worker finished before it was stopped; raise TOTAL"
        worker = start_worker(settings, log_path)
        records = await consume(settings, [settings.topic_clean, settings.topic_dlq], len(posts),
                                timeout=900, settle=2.0, distinct=post_id, stall=STALL_S)
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
    ids = Counter(map(post_id, records))
    duplicates = sum(n - 1 for n in ids.values())
    print(f"\nSIGTERM after {at_stop} outcomes: {len(ids)}/{len(posts)} ids, {duplicates} "
          "duplicates")
    assert set(ids) == {json.loads(p)["id"] for p in posts}
    assert duplicates == 0
