"""A worker stopped while it is still starting exits cleanly (status 0), not by the signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from service.ports import free_ports

pytestmark = [pytest.mark.integration, pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc/PID/status")]

CAUGHT_TIMEOUT_S = 60.0


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


def test_sigterm_while_starting_exits_zero(tmp_path: Path) -> None:
    """SIGTERM as soon as the worker handles it: long before it could join a group (the broker
    it is given answers nowhere), it says so in one line and exits 0."""
    nowhere, web = free_ports(2, "127.0.0.1")
    env = dict(os.environ, QINGLIU_BROKER=f"kafka://127.0.0.1:{nowhere}",
               QINGLIU_WEB_PORT=str(web), QINGLIU_DATA_DIR=str(tmp_path / "data"))
    script = Path(sys.executable).with_name("qingliu")
    command = [str(script), "worker"] if script.exists() else [
        sys.executable, "-m", "service.cli", "worker"]
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        worker = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + CAUGHT_TIMEOUT_S
        while not _catches(worker.pid, signal.SIGTERM):
            assert worker.poll() is None, log_path.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the worker never handled SIGTERM"
            time.sleep(0.01)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(60) == 0, log_path.read_text(errors="replace")[-3000:]
        assert "stopped while starting" in log_path.read_text(errors="replace")
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(30)
