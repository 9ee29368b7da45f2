"""The stop watchdog: past its timeout it logs, dumps every thread's stack and exits with 1."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading

import pytest

from service.worker import watchdog


def test_giving_up_logs_dumps_the_stacks_and_exits_with_status_one(
        capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    codes: list[int] = []
    with caplog.at_level(logging.ERROR, logger="service.worker.watchdog"):
        watchdog.give_up(7.5, codes.append)
    assert codes == [watchdog.STUCK_EXIT_STATUS] == [1]
    assert "did not stop within 7.5 s (QINGLIU_STOP_TIMEOUT" in caplog.text
    stacks = capfd.readouterr().err
    assert "most recent call first" in stacks
    assert "test_giving_up_logs_dumps_the_stacks" in stacks  # this very frame


def test_the_timer_gives_up_after_its_timeout_from_a_daemon_thread() -> None:
    fired = threading.Event()
    codes: list[int] = []

    def exit_process(code: int) -> None:
        codes.append(code)
        fired.set()

    timer = watchdog.arm(0.05, exit_process, backstop=False)
    assert timer.daemon  # never keeps a finished process alive
    assert fired.wait(30)
    assert codes == [1]


BACKSTOP = """
import time
from service.worker import watchdog
watchdog.arm(0.2, lambda code: None)  # the Python watchdog cannot end this process
time.sleep(60)
"""


def test_the_backstop_ends_a_process_the_timer_could_not() -> None:
    """Should the timer's thread not end the process, faulthandler's C thread does,
    ``BACKSTOP_S`` after the timeout, with the stacks and status 1."""
    done = subprocess.run([sys.executable, "-c", BACKSTOP], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1, done.stderr[-2000:]
    assert "most recent call first" in done.stderr
