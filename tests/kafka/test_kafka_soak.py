"""Soak: three workers on a three-node Kafka cluster through a random schedule of faults.

Posts (hostile and oversized ones among them) are produced in waves while a seeded schedule
SIGTERMs and restarts a worker, kill -9s one and restarts it, adds a worker and kill -9s a broker
and restarts it, with a CPU-heavy process beside them (see ``qingliu_soak.py``).  It fails on a
lost post, a poison post without a dead letter, a partition not committed to its end, a worker
that dies unasked or ignores SIGTERM; under exactly_once on any duplicate, under at_least_once
on a duplicate that appeared after a SIGTERM (other duplicates are reported).

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

pytestmark = [pytest.mark.kafka, pytest.mark.integration, pytest.mark.slow]


def _soak() -> Any:
    name = "qingliu_soak"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


soak = _soak()


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
