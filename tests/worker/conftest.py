"""``qingliu worker`` subprocesses for the worker's process-level tests (signals, children)."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from service.ports import free_ports


def worker_command() -> list[str]:
    """``qingliu worker`` from the interpreter's environment (``python -m`` fallback)."""
    script = Path(sys.executable).with_name("qingliu")
    if script.exists():
        return [str(script), "worker"]
    return [sys.executable, "-m", "service.cli", "worker"]


@dataclass
class WorkerProcess:
    """A started worker: its process, log file, web port and input topic."""

    process: subprocess.Popen[bytes]
    log_path: Path
    port: int
    raw_topic: str

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        """The last 3,000 characters of its log (for assertion messages)."""
        return self.log_path.read_text(errors="replace")[-3000:]

    def ready(self) -> bool:
        """Whether /readyz answers 200."""
        url = f"http://127.0.0.1:{self.port}/readyz"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)


@pytest.fixture
def spawn_worker(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """``spawn_worker(broker_url, **env)`` starts a worker on fresh topics, group, web port and
    data directory (``env``: more variables, or other values); every one still running is
    killed afterwards."""
    started: list[WorkerProcess] = []

    def spawn(broker_url: str, **env: str) -> WorkerProcess:
        run = uuid.uuid4().hex[:8]
        port, = free_ports(1, "127.0.0.1")
        variables = dict(os.environ, QINGLIU_BROKER=broker_url, QINGLIU_TOPIC_RAW=f"w{run}.raw",
                         QINGLIU_TOPIC_CLEAN=f"w{run}.clean", QINGLIU_TOPIC_DLQ=f"w{run}.dlq",
                         QINGLIU_GROUP_ID=f"g{run}", QINGLIU_WEB_PORT=str(port),
                         QINGLIU_DATA_DIR=str(tmp_path / f"data-{run}"))
        variables.update(env)  # (these may replace the defaults above)
        log_path = tmp_path / f"worker-{run}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(worker_command(), env=variables, stdout=log,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
        started.append(WorkerProcess(process, log_path, port, variables["QINGLIU_TOPIC_RAW"]))
        return started[-1]

    yield spawn
    for worker in started:
        worker.close()
