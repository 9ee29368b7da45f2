"""Stopping a worker: while it is still starting it exits cleanly (status 0), not by the signal;
a stop the broker holds up ends at the stop timeout (status 1, the threads' stacks logged)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from service.broker import EmbeddedBroker
from service.ports import free_ports
from service.samples import make_posts

pytestmark = [pytest.mark.integration, pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc/PID/status")]

CAUGHT_TIMEOUT_S = 60.0
READY_TIMEOUT_S = 120.0
POSTS = 20_000
#: the stop timeout (3 s) plus the time to write the log and the stacks, on a busy machine
STUCK_EXIT_TIMEOUT_S = 60.0


def _catches(pid: int, signum: int) -> bool:
    """Whether process ``pid`` has a handler for ``signum`` (the SigCgt mask of /proc)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    for line in status.splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    return False


def test_sigterm_while_starting_exits_zero(spawn_worker) -> None:
    """SIGTERM as soon as the worker handles it, while its preflight waits on a broker that
    accepts connections and never answers (seconds before Faust handles signals): it says so
    in one line and exits 0."""
    port, = free_ports(1, "127.0.0.1")
    with socket.create_server(("127.0.0.1", port), backlog=64) as silent:
        worker = spawn_worker(f"kafka://127.0.0.1:{silent.getsockname()[1]}")
        deadline = time.monotonic() + CAUGHT_TIMEOUT_S
        while not _catches(worker.pid, signal.SIGTERM):
            assert worker.process.poll() is None, worker.log()
            assert time.monotonic() < deadline, "the worker never handled SIGTERM"
            time.sleep(0.01)
        worker.process.send_signal(signal.SIGTERM)
        assert worker.process.wait(60) == 0, worker.log()
    assert "stopped while starting" in worker.log()


def _published(port: int) -> float:
    """``qingliu_published_total`` summed over its labels (0 when the page does not answer)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
            text = response.read().decode()
    except OSError:
        return 0.0
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("qingliu_published_total{"))


def _produce(bootstrap: str, topic: str, count: int) -> None:
    """``count`` sample posts of several sentences (~100–300 characters): the worker takes far
    longer to clean them than the producer takes to send them, so a backlog remains (posts of one
    short sentence were cleaned as fast as they came, and the worker could be idle, all
    committed, by the time the broker was frozen)."""
    from aiokafka import AIOKafkaProducer

    async def send() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20)
        await producer.start()
        try:
            for n, post in enumerate(make_posts(count)):
                await producer.send(topic, post, key=str(n).encode())
            await producer.flush()
        finally:
            await producer.stop()

    asyncio.run(send())


#: scenarios tried until one stop is held up by the frozen broker (see below)
STUCK_ATTEMPTS = 3


def _stop_with_the_broker_frozen(spawn_worker) -> tuple[int, str]:
    """One scenario: a worker working through a backlog, the broker frozen (SIGSTOP: no answer,
    no closed connection), then SIGTERM; the worker's exit status and log."""
    with EmbeddedBroker() as broker:
        assert broker.process is not None
        worker = spawn_worker(broker.url, QINGLIU_PROCESSES="0", QINGLIU_STOP_TIMEOUT="3")
        frozen = False
        try:
            deadline = time.monotonic() + READY_TIMEOUT_S
            while not worker.ready():
                assert worker.process.poll() is None, worker.log()
                assert time.monotonic() < deadline, "the worker never got ready"
                time.sleep(0.2)
            _produce(broker.bootstrap, worker.raw_topic, POSTS)
            while _published(worker.port) < 1:  # the backlog (seconds of work) is being worked
                assert worker.process.poll() is None, worker.log()
                assert time.monotonic() < deadline, "no outcome published"
                time.sleep(0.05)
            os.kill(broker.process.pid, signal.SIGSTOP)
            frozen = True
            assert _published(worker.port) < POSTS, "the backlog was done before the freeze"
            worker.process.send_signal(signal.SIGTERM)
            status = worker.process.wait(STUCK_EXIT_TIMEOUT_S)  # (never a hang)
            return status, worker.log_path.read_text(errors="replace")
        finally:
            if frozen:
                os.kill(broker.process.pid, signal.SIGCONT)
            worker.close()


def test_a_stop_the_broker_holds_up_ends_at_the_stop_timeout(spawn_worker, cpu_hog) -> None:
    """SIGTERM while the broker is frozen on a busy machine, the worker still working through a
    backlog: a stop that has to publish, commit or leave the group cannot, so after
    QINGLIU_STOP_TIMEOUT the worker says so, logs its threads' stacks and exits with status 1
    instead of hanging.

    Work left in the backlog does not always mean work the stop must send: where the SIGTERM
    finds the worker between batches, everything it finished already published and committed
    (the rest is redelivered), its stop needs no broker and it exits 0 (seen once in CI, with
    posts still in the backlog).  Such a scenario is tried again, up to ``STUCK_ATTEMPTS`` times;
    every stop must end, cleanly or at the timeout, and one must be held up."""
    statuses = []
    for _ in range(STUCK_ATTEMPTS):
        status, text = _stop_with_the_broker_frozen(spawn_worker)
        statuses.append(status)
        if status == 0:
            assert "did not stop within" not in text, text[-3000:]
            continue
        assert status == 1, text[-3000:]
        assert "did not stop within 3 s" in text
        assert "most recent call first" in text  # the threads' stacks
        return
    pytest.fail(f"no stop was held up by the frozen broker in {STUCK_ATTEMPTS} scenarios "
                f"(exit statuses {statuses})")
