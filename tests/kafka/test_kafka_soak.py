"""Soak: three workers on a three-node Kafka cluster through a random schedule of faults.

Posts (hostile and oversized ones among them) are produced in waves while a seeded schedule
SIGTERMs and restarts a worker, kill -9s one and restarts it, adds a worker and kill -9s a broker
and restarts it, with a CPU-heavy process beside them (see ``qingliu_soak.py``).  It fails on a
lost post, a poison post without a dead letter, a partition not committed to its end, a worker
that dies unasked or ignores SIGTERM, a child process that outlives its worker; under
exactly_once on any duplicate, under at_least_once on a duplicate put down to a SIGTERM (other
duplicates are reported).

``QINGLIU_SOAK_POSTS`` (default 4,000) sets the size, ``QINGLIU_SOAK_SEED`` the schedule (random
and printed otherwise).  The full run: ``QINGLIU_SOAK_POSTS=100000``, or the module as a script.
"""

from __future__ import annotations

import importlib.util
import os
import random
import sys
from pathlib import Path
from typing import Any

import pytest


def _soak() -> Any:
    name = "qingliu_soak"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


soak = _soak()


@pytest.mark.kafka
@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("mode", soak.MODES)
def test_soak(kafka3: str, cpu_hog: Any, tmp_path: Path, mode: str) -> None:
    posts = int(os.environ.get("QINGLIU_SOAK_POSTS") or 4000)
    seed = int(os.environ.get("QINGLIU_SOAK_SEED") or random.SystemRandom().randrange(1, 1 << 30))
    print(f"\n[soak] {mode}: QINGLIU_SOAK_SEED={seed} QINGLIU_SOAK_POSTS={posts}", flush=True)
    summary = soak.run_soak(kafka3, soak.SoakConfig(mode, posts, seed, hog=False), tmp_path,
                            log=lambda line: print(line, flush=True))
    text = summary.text()
    print(text)
    if os.environ.get("QINGLIU_FAULT_REPORT"):
        with open(os.environ["QINGLIU_FAULT_REPORT"], "a", encoding="utf-8") as out:
            out.write(text + "\n")
    assert summary.produced == posts and summary.raw_records >= posts, text
    failures = summary.failures()
    assert not failures, f"soak failed (seed {seed}):\n" + "\n".join(failures) + "\n" + text


def test_soak_schedule_posts_and_blame() -> None:
    """The parts that need no broker: a seed fixes the schedule and the posts, every fault kind
    and hostile kind is there, event ids are the worker's and unique, duplicates are blamed on
    the right fault."""
    faults = soak.plan(11, 4000, 6)
    assert [f.line() for f in faults] == [f.line() for f in soak.plan(11, 4000, 6)]
    assert {f.kind for f in faults} == set(soak.FAULT_KINDS)
    assert len({f.wave for f in faults}) == len(faults)
    assert len(soak.plan(11, 100_000, 16)) == 16

    posts = soak.make_posts(4000, 11)
    assert len(posts) == 4000
    assert [p.value for p in posts[:50]] == [p.value for p in soak.make_posts(4000, 11)[:50]]
    assert len({p.event_id for p in posts}) == len(posts)
    kinds = {p.kind for p in posts}
    assert {"over_max_bytes", "huge_clean_event", "zero_width_1mib", "nul_only", "bom_json",
            "gbk", "big5", "shift_jis", "random_bytes", "deep_array", "null_value"} <= kinds
    soak.check_event_id()
    huge = next(p for p in posts if p.kind == "huge_clean_event")
    assert len(huge.value) < soak.MAX_BYTES
    assert len(next(p for p in posts if p.kind == "over_max_bytes").value) > soak.MAX_BYTES

    windows = [(1000.0, 5000.0, "kill9"), (10000.0, 15000.0, "sigterm")]
    assert soak.blame(windows, 500, 7000) == "kill9"  # first outcome before the kill
    assert soak.blame(windows, 12000, 30000) == "sigterm"  # during the stop and restart
    assert soak.blame(windows, 6000, 11000) == "sigterm"  # after the kill settled
    assert soak.blame(windows, 6000, 9000) == "no fault"
