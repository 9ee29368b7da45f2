"""A stopping worker that outlives its stop timeout exits anyway, its threads' stacks logged.

A graceful stop finishes the batches being published, commits and leaves the group.  Each step
talks to the broker, and a broker that stops answering (or a client library stuck mid-rebalance)
can hold it up for minutes; an orchestrator then kills the worker without a word.  Instead the
worker gives up after ``QINGLIU_STOP_TIMEOUT`` seconds itself: it says so in one log line, writes
every thread's stack to stderr (what was stuck) and exits with :data:`STUCK_EXIT_STATUS`.  Nothing
is lost: what was not committed is read again by the partitions' next owner.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import sys
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

STUCK_EXIT_STATUS = 1
#: seconds after the timeout when faulthandler's C thread ends the process itself, should the
#: timer's Python thread not run (a thread holding the GIL, a blocked log handler)
BACKSTOP_S = 5.0


def arm(timeout: float, exit_process: Callable[[int], object] = os._exit,
        backstop: bool = True) -> threading.Timer:
    """Start the countdown: a daemon timer that lives until the process ends (armed when the
    stop begins, it also covers the children's stops, the loop's shutdown and the exit-time
    joins that follow), and with ``backstop`` faulthandler's own, ``BACKSTOP_S`` later."""
    timer = threading.Timer(timeout, give_up, args=(timeout, exit_process))
    timer.name = "qingliu-stop-watchdog"
    timer.daemon = True
    timer.start()
    if backstop:
        faulthandler.dump_traceback_later(timeout + BACKSTOP_S, exit=True)
    return timer


def give_up(timeout: float, exit_process: Callable[[int], object] = os._exit) -> None:
    """Log, dump every thread's stack to stderr and exit with :data:`STUCK_EXIT_STATUS`."""
    log.error("the worker did not stop within %g s (QINGLIU_STOP_TIMEOUT; the broker not "
              "answering, or a step of the shutdown stuck): exiting with status %d; the stacks "
              "of its threads follow on stderr; what it did not commit is read again by the "
              "partitions' next owner", timeout, STUCK_EXIT_STATUS,
              extra={"stop_timeout_s": timeout})
    for handler in logging.getLogger().handlers:
        handler.flush()
    try:
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):  # no usable stderr: exit all the same
        pass
    exit_process(STUCK_EXIT_STATUS)
