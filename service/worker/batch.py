"""The agent's work: batches of consumed messages → outcomes → published → acknowledged.

The messages already fetched (up to :data:`BATCH_MAX_MESSAGES`) form one batch.  The pipeline
runs off the event loop — in the child processes (``QINGLIU_PROCESSES`` > 0) or in one worker
thread, in order — so the web server's probes answer while a huge post is repaired.

- at_least_once: up to ``QINGLIU_CONCURRENCY`` batches are published (and awaited until the
  broker acknowledges them) while the next is read.
- exactly_once: one batch at a time, in order, into the transactions of its input partitions.

A message's offset is acknowledged to the :class:`~service.worker.offsets.OffsetTracker` only
once its outcome is published; commits never pass an unacknowledged offset.  Publishing happens
inside :meth:`CommitBarrier.publishing`, so revocations and the final commit see every batch.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from service.metrics import Metrics
from service.offload import Offload, Result, to_result
from service.pipeline import Limits, Origin, Outcome, dead_letter, event_id, process_message
from service.rules import EMPTY, RuleSet
from service.rules.follow import RulesView, StaticRules
from service.worker.barrier import CommitBarrier
from service.worker.offsets import OffsetTracker
from service.worker.publish import Item, OutcomePublisher

log = logging.getLogger(__name__)

BATCH_MAX_MESSAGES = 100  # messages processed and published together at most
BATCH_MAX_BYTES = 4 << 20  # and raw bytes: a batch of huge posts stays a few seconds of work
STOP_DRAIN_S = 10.0  # on stop, how long batches being published may take before the last commit

PublishedHook = Callable[[Sequence[Item]], None]


def origin_of(message: Any) -> Origin:
    timestamp = getattr(message, "timestamp", None)
    return Origin(message.topic, message.partition, message.offset,
                  int(timestamp * 1000) if timestamp else None)


def process_here(value: bytes | None, key: bytes | None, origin: Origin, limits: Limits,
                 rules: RuleSet = EMPTY) -> Result:
    """The pipeline for one message; an exception becomes an ``internal_error`` dead letter."""
    try:
        ruled = {"rules": rules} if rules else {}
        return to_result(process_message(value, key, origin, limits, **ruled))
    except Exception as exc:  # process_message never raises; belt and braces
        log.exception("pipeline raised on %s:%s@%s", origin.topic, origin.partition,
                      origin.offset)
        eid = event_id(key, value or b"")
        return to_result(Outcome("dlq", key, dead_letter(
            "internal_error", f"{type(exc).__name__}: {exc}", value, key, origin, eid),
            error_code="internal_error"))


def _process_all(items: list[tuple[bytes | None, bytes | None, Origin]], limits: Limits,
                 rules: RuleSet = EMPTY) -> tuple[list[Result], float]:
    started = time.perf_counter()
    results = [process_here(value, key, origin, limits, rules) for value, key, origin in items]
    return results, time.perf_counter() - started


class TakenOffsets:
    """The highest offset of each partition taken into a batch since the last assignment.

    Within one assignment a partition's messages arrive in offset order, each once, except
    that the consumer may deliver a run of them again (seen in a soak: the worker a SIGTERM had
    just handed a partition to, and whose Faust had then sought it to its committed offset,
    published the same eleven messages twice, 90 ms apart).  A message at or below
    the partition's highest taken offset is such a copy: its first copy is in a batch of this
    assignment, which publishes it and acknowledges its offset (or, revoked, leaves it to the
    next owner), so the copy is dropped.  Cleared with every new epoch of the barrier."""

    def __init__(self) -> None:
        self._highest: dict[Any, int] = {}

    def first_time(self, tp: Any, offset: int) -> bool:
        """Whether ``offset`` of ``tp`` is new in this assignment (and note it as taken)."""
        if offset <= self._highest.get(tp, -1):
            return False
        self._highest[tp] = offset
        return True

    def clear(self) -> None:
        self._highest.clear()


class BatchProcessor:
    """The body of the worker's one agent (see the module docstring)."""

    def __init__(self, app: Any, *, limits: Limits, concurrency: int, exactly_once: bool,
                 offload: Offload | None, publisher: OutcomePublisher, offsets: OffsetTracker,
                 barrier: CommitBarrier, metrics: Metrics) -> None:
        self.app = app
        self.limits = limits
        self.exactly_once = exactly_once
        self.offload = offload
        self.publisher = publisher
        self.offsets = offsets
        self.barrier = barrier
        self.metrics = metrics
        self.on_published: list[PublishedHook] = []
        self.rules: RulesView = StaticRules()  # the worker's follower of the rules topic
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._in_flight: set[asyncio.Future[None]] = set()
        self._thread: ThreadPoolExecutor | None = None
        self._queue: Any = None

    # -- seams for the consumer (service.worker.compat) --------------------------------------
    def intake_full(self) -> bool:
        """Whether the agent's queue is full (handing it a message would block)."""
        return self._queue is not None and self._queue.full()

    async def stop(self, timeout: float = STOP_DRAIN_S) -> bool:
        """Publish nothing more; wait for every batch being published (before the last commit).
        False when some were still being published after ``timeout``."""
        if self._in_flight or self.barrier.active:
            log.info("stopping: waiting for %d batches being published", self.barrier.active)
        drained = await self.barrier.close(timeout)
        if self._thread is not None:
            self._thread.shutdown(wait=False, cancel_futures=True)
        return drained

    # -- the agent ----------------------------------------------------------------------------
    async def run(self, stream: Any) -> None:
        """Consume ``stream``; each message's outcome is published, then its offset acked."""
        stream.enable_acks = False  # offsets are acknowledged to the tracker instead
        self._queue = stream.channel.queue
        events: list[Any] = []
        size = 0
        epoch = self.barrier.epoch
        taken = TakenOffsets()
        try:
            async for event in stream.events():
                if self.barrier.epoch != epoch:  # a revocation: what was read before is stale
                    events, size, epoch = [], 0, self.barrier.epoch
                    taken.clear()
                message = event.message
                if taken.first_time(message.tp, message.offset):
                    events.append(event)
                    size += len(message.value or b"")
                else:
                    self.metrics.redelivered.inc()
                    log.info("%s@%s delivered again in one assignment: taken once",
                              message.tp, message.offset)
                if not events or (len(events) < BATCH_MAX_MESSAGES and size < BATCH_MAX_BYTES
                                  and not self._queue.empty()):
                    continue  # more are already fetched: take them into this batch
                batch, events, size = events, [], 0
                await self._start(batch, epoch)
        finally:
            if self._in_flight:  # stopping: let published batches be acked, so they commit
                await asyncio.wait(list(self._in_flight), timeout=STOP_DRAIN_S)

    async def _start(self, batch: list[Any], epoch: int) -> None:
        if epoch != self.barrier.epoch or self.barrier.closed or self.barrier.rebalancing:
            return  # read before a revocation (read again by the owner) or stopping
        self.metrics.consumed.inc(len(batch))
        self.metrics.batch_size.observe(len(batch))
        if self.exactly_once:  # one generation (filtered above), one batch at a time
            await self._finish(batch, await self._process(batch), epoch)
            return
        results = None
        if self.offload is None:  # in order, in the pipeline thread, before the next batch
            results = await self._process(batch)
        await self._slots.acquire()
        task = asyncio.ensure_future(self._finish_guarded(batch, results, epoch))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _finish_guarded(self, batch: list[Any], results: list[Item] | None,
                              epoch: int) -> None:
        try:
            if results is None:
                results = await self._process(batch)
            await self._finish(batch, results, epoch)
        except asyncio.CancelledError:
            raise
        except Exception:  # never lose the agent to one batch: its messages come again
            log.exception("batch of %d failed; not acknowledged (they will be processed again)",
                          len(batch))
        finally:
            self._slots.release()

    async def _process(self, batch: list[Any]) -> list[Item]:
        """The outcomes of a batch, computed off the event loop."""
        messages = [event.message for event in batch]
        inputs = [(m.value, m.key, origin_of(m)) for m in messages]
        rules = self.rules.current()  # one rule set per batch; events name its version
        loop = asyncio.get_running_loop()
        if self.offload is not None:
            started = time.perf_counter()
            results = await self.offload.process_many(inputs, rules)
            elapsed = time.perf_counter() - started
        else:
            if self._thread is None:
                self._thread = ThreadPoolExecutor(1, thread_name_prefix="qingliu-pipeline")
            results, elapsed = await loop.run_in_executor(self._thread, _process_all, inputs,
                                                          self.limits, rules)
        items = []
        for (value, key, origin), result in zip(inputs, results, strict=True):
            self.metrics.processing.observe(elapsed / max(1, len(inputs)))
            if result.kind == "dlq":
                log.info("dead-lettered %s:%s@%s: %s", origin.topic, origin.partition,
                         origin.offset, result.error_code)
            items.append(Item(origin, value, key, result))
        return items

    async def _finish(self, batch: list[Any], items: list[Item], epoch: int) -> None:
        """Publish a processed batch under the barrier, then acknowledge what was published.

        Publishing and acknowledging are one step that a cancellation of the agent cannot
        split: a stopping worker's agent is cancelled before the consumer's final commit, and a
        batch cancelled after its outcomes went into the partition's transaction but before
        its offsets were acknowledged would be committed with an older offset (exactly_once:
        the next owner publishes the batch again, duplicates in the committed output; seen in a
        Kafka fault test).  The step runs as its own task; a cancelled agent stops waiting for
        it, and the final commit waits for it through the barrier (it holds ``publishing``).
        """
        step = asyncio.ensure_future(self._publish_and_acknowledge(batch, items, epoch))
        self._in_flight.add(step)
        step.add_done_callback(self._in_flight.discard)
        await asyncio.shield(step)

    async def _publish_and_acknowledge(self, batch: list[Any], items: list[Item],
                                       epoch: int) -> None:
        async with self.barrier.publishing(epoch) as current:
            if not current:
                log.info("not publishing %d messages: their partitions were revoked or the "
                         "worker is stopping (they will be read again)", len(batch))
                return
            if self.exactly_once:
                await self.publisher.publish_transactional(items)
            else:
                await self.publisher.publish_batch(items)
            if epoch == self.barrier.epoch:  # else: read again by whoever owns it now
                self._acknowledge(batch, items)

    def _acknowledge(self, batch: list[Any], items: list[Item]) -> None:
        now = time.time()
        for event, item in zip(batch, items, strict=True):
            message = event.message
            if not item.published:
                continue  # its partition was revoked: read again by whoever owns it now
            self.offsets.ack(message.tp, message.offset)
            if message.timestamp:
                self.metrics.latency.observe(max(0.0, now - message.timestamp))
        published = [item for item in items if item.published]
        for hook in self.on_published if published else ():
            try:
                hook(published)
            except Exception:
                log.exception("an on_published hook failed")
