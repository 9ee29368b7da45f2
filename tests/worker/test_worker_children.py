"""No process outlives a killed worker: pipeline children and the embedded broker die with it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from service.broker import EmbeddedBroker

pytestmark = [pytest.mark.integration, pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="parent-death signals are Linux-only")]

READY_TIMEOUT_S = 120.0
GONE_TIMEOUT_S = 20.0


@pytest.fixture(scope="module")
def broker() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker() as running:
        yield running


def _survivors(processes: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """The processes still running (zombies count as gone) after up to ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        alive = []
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                    alive.append(process)
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


def _leftovers(temp: Path) -> list[str]:
    """What the worker, its children or the broker left in ``temp`` (libraries' caches aside)."""
    return sorted(p.name for p in temp.iterdir() if p.name.startswith(("qingliu-", "pymp-", "tmp")))


def _kill(processes: list[psutil.Process]) -> None:
    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.kill()


def test_pipeline_children_die_with_a_killed_worker(broker: EmbeddedBroker, tmp_path: Path,
                                                    spawn_worker) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    worker = spawn_worker(broker.url, TMPDIR=str(temp), QINGLIU_PROCESSES="2",
                          QINGLIU_LOG_LEVEL="warning")
    descendants: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            assert worker.process.poll() is None, worker.log()
            descendants = psutil.Process(worker.pid).children(recursive=True)
            # forkserver + 2 pool workers (+ resource tracker), and the pool answered readiness
            if worker.ready() and len(descendants) >= 3:
                break
            time.sleep(0.3)
        else:
            raise AssertionError("worker not ready with its children:\n" + worker.log())
        descendants = psutil.Process(worker.pid).children(recursive=True)
        os.kill(worker.pid, signal.SIGKILL)
        worker.process.wait(30)
        left = _survivors(descendants, GONE_TIMEOUT_S)
        assert not left, "outlived the worker: " + ", ".join(
            f"{p.pid} {' '.join(p.cmdline())[:120]}" for p in left)
        assert not _leftovers(temp), "left in the temporary folder"
    finally:
        worker.close()
        _kill(descendants)


OWNER = """
import sys, threading, time
from service.broker import EmbeddedBroker
brokers = []
if sys.argv[1] == "thread":  # a thread that ends at once: the broker must outlive it
    starter = threading.Thread(target=lambda: brokers.append(EmbeddedBroker().start()))
    starter.start()
    starter.join()
else:
    brokers.append(EmbeddedBroker().start())
print(brokers[0].process.pid, flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("started_on", ["main", "thread"])
def test_embedded_broker_dies_with_its_owner(tmp_path: Path, started_on: str) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    owner = subprocess.Popen([sys.executable, "-c", OWNER, started_on], stdout=subprocess.PIPE,
                             stdin=subprocess.DEVNULL, start_new_session=True,
                             env=dict(os.environ, TMPDIR=str(temp)))
    tansu: psutil.Process | None = None
    try:
        assert owner.stdout is not None
        line = owner.stdout.readline()
        assert line.strip(), "the owner did not start a broker"
        tansu = psutil.Process(int(line))
        time.sleep(1.0)  # the starting thread has ended by now
        assert tansu.is_running() and tansu.status() != psutil.STATUS_ZOMBIE
        os.kill(owner.pid, signal.SIGKILL)
        owner.wait(30)
        assert not _survivors([tansu], GONE_TIMEOUT_S), "the broker outlived its owner"
        assert not _leftovers(temp), "left in the temporary folder"
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait(30)
        if tansu is not None:
            _kill([tansu])


WATCHED = """
import sys, time
from service.lifeline import die_with_parent
die_with_parent(int(sys.argv[1]), death_signal=False)  # the parent-watch thread alone
print("watching", flush=True)
time.sleep(600)
"""
MIDDLE = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", sys.argv[1], str(os.getpid())],
                         stdout=subprocess.PIPE)
child.stdout.readline()
print(child.pid, flush=True)
time.sleep(600)
"""


def test_the_parent_watch_alone_ends_an_orphan() -> None:
    middle = subprocess.Popen([sys.executable, "-c", MIDDLE, WATCHED], stdout=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, start_new_session=True)
    child: psutil.Process | None = None
    try:
        assert middle.stdout is not None
        child = psutil.Process(int(middle.stdout.readline()))
        os.kill(middle.pid, signal.SIGKILL)
        middle.wait(30)
        assert not _survivors([child], GONE_TIMEOUT_S), "the orphan kept running"
    finally:
        if middle.poll() is None:
            middle.kill()
            middle.wait(30)
        if child is not None:
            _kill([child])
