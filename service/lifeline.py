"""Child processes that die with their owner, even when the owner is killed with ``kill -9``.

Two mechanisms, because neither covers every case alone:

* the Linux parent-death signal (``prctl(PR_SET_PDEATHSIG, SIGKILL)``): the kernel kills the child
  the moment its parent exits.  It belongs to the parent's *thread* that started the child, so it
  is used only for children started from a thread that lives as long as the process;
* a parent-watch thread in the child (:func:`watch_parent`): it polls ``os.getppid()`` and exits
  when the child has been re-parented (to PID 1 or a subreaper).  It works on any POSIX system.

This module is imported by pipeline child processes: keep it free of heavy imports.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from collections.abc import Callable

PR_SET_PDEATHSIG = 1
WATCH_INTERVAL_S = 0.5


def _prctl() -> Callable[..., int] | None:
    """libc's ``prctl`` (None off Linux or when libc cannot be loaded)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                      ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl


def set_parent_death_signal(sig: int = signal.SIGKILL) -> bool:
    """Ask the kernel to send ``sig`` to this process when its parent exits (Linux only).

    Returns whether it was set.  Call it in the child; it survives ``exec``.
    """
    prctl = _prctl()
    return prctl is not None and prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) == 0


def parent_death_preexec() -> Callable[[], None] | None:
    """A ``preexec_fn`` for :class:`subprocess.Popen` that sets the parent-death signal.

    None where it cannot work as intended: off Linux, or on a thread other than the main one
    (the signal would fire when that thread ends, killing the child early).  libc is loaded here,
    before the fork, so the function run in the child only makes the system call.
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    prctl = _prctl()
    if prctl is None:
        return None

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

    return preexec


def watch_parent(owner: int | None = None, interval: float = WATCH_INTERVAL_S
                 ) -> threading.Thread:
    """Start a daemon thread that ends this process once its parent has gone.

    The process exits with ``os._exit`` (no clean-up handlers, which could wait on the dead
    parent) as soon as ``os.getppid()`` differs from ``owner`` (default: the parent it has now;
    pass the owner's pid from before the start to catch an owner that died in between).
    """
    parent = os.getppid() if owner is None else owner

    def watch() -> None:
        event = threading.Event()
        while not event.wait(interval):
            if os.getppid() != parent:
                os._exit(1)

    thread = threading.Thread(target=watch, name="qingliu-parent-watch", daemon=True)
    thread.start()
    return thread


def die_with_parent(owner: int | None = None, *, death_signal: bool = True) -> None:
    """Both mechanisms, for a child process that runs Python (call it first thing in the child).

    ``owner``: the pid of the process that started this one, if known.  ``death_signal``: also set the
    parent-death signal (only when the owner started this child from a long-lived thread).
    """
    if death_signal:
        set_parent_death_signal()
    if owner is not None and os.getppid() != owner:
        os._exit(1)  # the owner died before the signal was set
    watch_parent(owner)
