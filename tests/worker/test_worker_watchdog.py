"""The stop watchdog: past its timeout it logs, dumps every thread's stack and exits with 1."""

from __future__ import annotations

import logging
import threading

import pytest

from service.worker import watchdog


def test_giving_up_logs_dumps_the_stacks_and_exits_with_status_one(
        capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    codes: list[int] = []
    with caplog.at_level(logging.ERROR, logger="service.worker.watchdog"):
        watchdog.give_up(7.5, codes.append)
    assert codes == [watchdog.STUCK_EXIT_STATUS] == [1]
    assert "did not stop within 7.5 s (QINGLIU_STOP_TIMEOUT)" in caplog.text
    stacks = capfd.readouterr().err
    assert "most recent call first" in stacks
    assert "test_giving_up_logs_dumps_the_stacks" in stacks  # this very frame


def test_the_timer_fires_once_after_its_timeout_and_not_when_cancelled() -> None:
    fired = threading.Event()
    codes: list[int] = []

    def exit_process(code: int) -> None:
        codes.append(code)
        fired.set()

    timer = watchdog.arm(0.05, exit_process)
    assert timer.daemon  # never keeps a finished process alive
    assert fired.wait(30)
    assert codes == [1]

    cancelled = watchdog.arm(30, exit_process)
    cancelled.cancel()
    cancelled.join(5)
    assert not cancelled.is_alive() and codes == [1]
