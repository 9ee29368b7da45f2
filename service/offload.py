"""Run the pipeline in worker processes so that one worker can use several cores.

The Faust event loop does the Kafka work (about half a millisecond per message); with
``QINGLIU_PROCESSES=N`` the CPU-bound :func:`service.pipeline.process_message` runs in ``N``
child processes instead, fed in chunks so the inter-process cost is paid once per chunk, not per
message.  A child that dies is replaced; its chunk is processed in the loop instead, so no message
is lost or left without an outcome.

Children die with their worker, even after ``kill -9``: they are started with ``spawn`` (so their
parent is the worker itself, not a forkserver that would outlive it, and no socket is left in
the temporary folder) and each sets a parent-death signal and watches its parent
(:mod:`service.lifeline`).  The multiprocessing resource tracker then sees its last client go and
exits too.

This module is imported by the children: keep it free of Faust and Kafka imports.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.context
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from service.edits import edits_by_kind
from service.lifeline import die_with_parent
from service.pipeline import Limits, Origin, Outcome, process_message, warm_up
from service.rules import EMPTY, RuleSet

log = logging.getLogger(__name__)

MAX_CHUNK = 64


@dataclass(frozen=True, slots=True)
class Result:
    """A processed message, ready to publish (the value already serialized)."""

    kind: str
    key: bytes | None
    value: bytes
    event_id: str
    error_code: str | None = None
    edits: int = 0
    detected: bool = False
    edits_by_kind: tuple[tuple[str, int], ...] = ()  # clean events: (kind, count) pairs


def to_result(outcome: Outcome) -> Result:
    """Serialize an :class:`Outcome` for publishing."""
    corruption = outcome.value.get("corruption") or {}
    by_kind = tuple(edits_by_kind(outcome.value).items()) if outcome.kind == "clean" else ()
    return Result(outcome.kind, outcome.key, outcome.value_bytes(),
                  str(outcome.value.get("event_id", "")), outcome.error_code, outcome.edits,
                  bool(corruption.get("detected")), by_kind)


def process(value: bytes | None, key: bytes | None, origin: Origin, limits: Limits,
            rules: RuleSet = EMPTY) -> Result:
    """:func:`process_message` then serialize (what the loop or a child runs per message)."""
    ruled = {"rules": rules} if rules else {}
    return to_result(process_message(value, key, origin, limits, **ruled))


def process_chunk(items: list[tuple[bytes | None, bytes | None, Origin]], limits: Limits,
                  rules: RuleSet = EMPTY) -> list[Result]:
    """Process a chunk of messages under ``rules`` (runs in a child process)."""
    return [process(value, key, origin, limits, rules) for value, key, origin in items]


def _start_child(owner: int, parent_death_signal: bool) -> None:
    """Child initializer: die with the worker (``owner``), then load the pipeline.

    ``parent_death_signal``: the pool is used from the main thread, so the kernel's parent-death
    signal (tied to the thread that starts the child) is safe to use.
    """
    die_with_parent(owner, death_signal=parent_death_signal)
    _warm_up()


def _warm_up() -> None:
    """Load dictionaries and models once per child, before the first chunk."""
    try:
        warm_up()
    except Exception:  # pragma: no cover - warming up is best effort
        process_message(b'{"id": "warm-up", "text": "\\u670d\\u52a1"}')


class _RecordingSpawnContext(multiprocessing.context.SpawnContext):
    """The ``spawn`` context, remembering the processes it starts: the pool's children.

    A stopping worker ends them (:meth:`Offload.close`); ``ProcessPoolExecutor`` has no public way
    to before Python 3.14 (``terminate_workers``), and its ``_processes`` is private."""

    def __init__(self) -> None:
        super().__init__()
        self.started: list[multiprocessing.process.BaseProcess] = []

    def Process(self, *args: Any, **kwargs: Any) -> multiprocessing.process.BaseProcess:
        process = multiprocessing.context.SpawnProcess(*args, **kwargs)
        self.started.append(process)
        return process


def _ping(delay: float) -> int:
    import time

    time.sleep(delay)
    return os.getpid()


class Offload:
    """Chunked, bounded dispatch of messages to a process pool (use from one event loop)."""

    def __init__(self, processes: int, limits: Limits, max_chunk: int = MAX_CHUNK) -> None:
        self.processes = processes
        self.limits = limits
        self.max_chunk = max_chunk
        self._pool: ProcessPoolExecutor | None = None
        self._context: _RecordingSpawnContext | None = None
        self._closed = False
        self._pending: list[tuple[bytes | None, bytes | None, Origin, asyncio.Future[Result]]] = []
        self._wake: asyncio.Event | None = None
        self._slots: asyncio.Semaphore | None = None
        self._dispatcher: asyncio.Task[None] | None = None

    def _new_pool(self) -> ProcessPoolExecutor:
        self._context = _RecordingSpawnContext()
        on_main_thread = threading.current_thread() is threading.main_thread()
        return ProcessPoolExecutor(self.processes, mp_context=self._context,
                                   initializer=_start_child, initargs=(os.getpid(), on_main_thread))

    def start(self) -> None:
        """Create the pool and the dispatcher task (in the running loop)."""
        if self._dispatcher is not None:
            return
        self._pool = self._new_pool()
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(self.processes * 2)
        self._dispatcher = asyncio.ensure_future(self._dispatch())

    async def ready(self, timeout: float = 120.0) -> None:
        """Start every child and wait until each has loaded the pipeline (call before consuming)."""
        self.start()
        assert self._pool is not None
        loop = asyncio.get_running_loop()
        pings = [loop.run_in_executor(self._pool, _ping, 0.2) for _ in range(self.processes * 2)]
        try:
            await asyncio.wait_for(asyncio.gather(*pings), timeout)
        except BrokenProcessPool:
            if self._closed:  # stopped while starting: close() ended the children
                raise asyncio.CancelledError from None
            raise

    def submit(self, value: bytes | None, key: bytes | None, origin: Origin,
               rules: RuleSet = EMPTY) -> asyncio.Future[Result]:
        """Queue one message; the future gets its result (processed in a child with others)."""
        self.start()
        assert self._wake is not None
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._pending.append((value, key, origin, rules, future))
        self._wake.set()
        return future

    async def process(self, value: bytes | None, key: bytes | None, origin: Origin) -> Result:
        """The result for one message (queued, processed in a child with others)."""
        return await self.submit(value, key, origin)

    async def process_many(self, items: list[tuple[bytes | None, bytes | None, Origin]],
                           rules: RuleSet = EMPTY) -> list[Result]:
        """The results for ``(value, key, origin)`` items under ``rules``, in order (chunked
        across children)."""
        return list(await asyncio.gather(*(self.submit(*item, rules) for item in items)))

    async def _dispatch(self) -> None:
        assert self._wake is not None and self._slots is not None
        while True:
            await self._wake.wait()
            await self._slots.acquire()
            chunk = self._pending[: self.max_chunk]
            rules = chunk[0][3] if chunk else None  # a chunk is processed under one rule set
            size = next((i for i, item in enumerate(chunk) if item[3] is not rules), len(chunk))
            chunk = chunk[:size]
            del self._pending[:size]
            if not self._pending:
                self._wake.clear()
            if not chunk:
                self._slots.release()
                continue
            asyncio.ensure_future(self._run(chunk))

    async def _run(self, chunk: list[Any]) -> None:
        assert self._slots is not None
        items = [(value, key, origin) for value, key, origin, _, _ in chunk]
        rules = chunk[0][3]
        try:
            try:
                assert self._pool is not None
                results = await asyncio.get_running_loop().run_in_executor(
                    self._pool, process_chunk, items, self.limits, rules)
            except Exception as exc:  # a dead child (BrokenProcessPool) or pickling trouble
                if self._closed:  # ended by close(): the worker is stopping, nobody waits
                    for *_, future in chunk:
                        future.cancel()
                    return
                log.error("worker process failed (%r); processing %d messages in the loop",
                          exc, len(items))
                self._replace_pool()
                results = [process(value, key, origin, self.limits, rules)
                           for value, key, origin in items]
            for (*_, future), result in zip(chunk, results, strict=True):
                if not future.done():
                    future.set_result(result)
        except BaseException as exc:
            for *_, future in chunk:
                if not future.done():
                    future.set_exception(exc)
            raise
        finally:
            self._slots.release()

    def _replace_pool(self) -> None:
        old, self._pool = self._pool, self._new_pool()
        if old is not None:
            old.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop the dispatcher and end the children.

        A child may be in the middle of a chunk whose results nobody will read: the worker is
        stopping, and what it did not publish and commit is read again by the partitions' next
        owner.  Left running, the chunk would hold up the interpreter's exit (it joins the pool's
        manager thread, which waits for the chunk), which under load can outlast
        ``QINGLIU_STOP_TIMEOUT``, so the children are terminated."""
        self._closed = True
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            self._dispatcher = None
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        if self._context is not None:
            for child in self._context.started:
                if child.is_alive():
                    child.terminate()
        for *_, future in self._pending:
            if not future.done():
                future.cancel()
        self._pending.clear()
