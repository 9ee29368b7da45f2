"""Publish the outcomes of a batch; isolate the ones that can never be published.

at_least_once: record batches on the plain producer, awaited until the broker acknowledges them.
exactly_once: record batches into the transaction of each outcome's *input* partition (the one
whose offsets that transaction commits).  What a batch could not publish is published one by
one: transient errors are retried (:data:`RETRY_S`, bounded for clean events), an outcome that
can never be published becomes a dead letter (:mod:`service.worker.poison`), and a dead letter
that is too large is cut to fit.  Every item ends published, or reported as not published
because its partition was revoked (its new owner processes it again).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from service.metrics import Metrics
from service.offload import Result
from service.pipeline import Origin
from service.publisher import send_many
from service.worker import compat, poison

log = logging.getLogger(__name__)

RETRY_S = (0.1, 0.5, 1.0, 2.0, 5.0, 5.0, 5.0, 5.0, 5.0)  # ~29 s, then a clean event is refused
DLQ_RETRY_MAX_S = 10.0  # a dead letter is retried without end (the partition shows as stalled)


@dataclass(slots=True)
class Item:
    """One consumed message on its way out."""

    origin: Origin
    raw: bytes | None
    raw_key: bytes | None
    result: Result
    published: bool = False
    cut: bool = False  # a dead letter whose raw bytes were cut to fit


class OutcomePublisher:
    """Sends outcomes for a worker app; counts them in ``metrics``; calls ``on_published``."""

    def __init__(self, app: Any, topics: dict[str, str], metrics: Metrics,
                 owns: Callable[[Origin], bool], max_request_bytes: int) -> None:
        self.app = app
        self.topics = topics
        self.metrics = metrics
        self.owns = owns
        #: the largest record each kind of outcome may be: the producer's max request size,
        #: lowered to the topic's max.message.bytes once known (:meth:`set_topic_limits`)
        self.max_record = {kind: max_request_bytes for kind in topics}
        self._max_request_bytes = max_request_bytes
        self._published = {kind: metrics.published.labels(topic=name, kind=kind)
                           for kind, name in topics.items()}

    def set_topic_limits(self, max_message_bytes: dict[str, int]) -> None:
        """The output topics' ``max.message.bytes`` by kind (``clean``, ``dlq``), as read now."""
        for kind in self.topics:
            limit = max_message_bytes.get(kind)
            self.max_record[kind] = min(self._max_request_bytes, limit or self._max_request_bytes)

    def screen(self, item: Item) -> None:
        """Replace an outcome that cannot fit its topic before sending it.

        A refused record inside a transaction would fail the whole transaction (exactly_once),
        and a broker round trip is wasted anyway: a clean event too large becomes a dead letter
        ``outcome_too_large``, a dead letter too large is cut to fit.
        """
        result = item.result
        if result.kind == "clean" and poison.record_size(result) > self.max_record["clean"]:
            reason = (f"a clean event of {len(result.value)} bytes exceeds the limit of "
                      f"{self.max_record['clean']} bytes of topic {self.topics['clean']}")
            log.error("cannot publish the clean event of %s:%s@%s (%s); dead-lettering it as "
                      "outcome_too_large", item.origin.topic, item.origin.partition,
                      item.origin.offset, reason)
            item.result = result = poison.unpublishable(result, "outcome_too_large", reason,
                                                        item.raw, item.raw_key, item.origin)
        if result.kind == "dlq" and poison.record_size(result) > self.max_record["dlq"]:
            self._cut(item)

    def _cut(self, item: Item) -> None:
        limit = poison.cut_limit(self.max_record["dlq"])
        log.error("the dead letter of %s:%s@%s is too large; cutting its raw bytes to %d",
                  item.origin.topic, item.origin.partition, item.origin.offset, limit)
        item.result = poison.cut_to_fit(item.result, limit)
        item.cut = True

    def transactional_id(self, origin: Origin) -> str:
        """The transaction that commits ``origin``'s offset (exactly_once)."""
        group = self.app.assignor.group_for_topic(origin.topic)
        return f"{self.app.conf.id}-{group}-{origin.partition}"

    def _account(self, item: Item) -> None:
        item.published = True
        result = item.result
        self._published[result.kind].inc()
        if result.kind == "clean":
            if result.edits:
                self.metrics.edits.inc(result.edits)
                self.metrics.count_edits(result.edits_by_kind)
            if result.detected:
                self.metrics.corrupted.inc()
        else:
            self.metrics.dead_lettered.labels(code=result.error_code or "internal_error").inc()

    def _record(self, item: Item) -> tuple[str, bytes | None, bytes]:
        return self.topics[item.result.kind], item.result.key, item.result.value

    async def publish_batch(self, items: Sequence[Item]) -> None:
        """at_least_once: record batches, each awaited until the broker acknowledges it."""
        for item in items:
            self.screen(item)
        failed: set[int] = set()
        try:
            producer = await compat.raw_producer(self.app)
            deliveries = await send_many(producer, [self._record(item) for item in items])
        except Exception as exc:
            self.metrics.publish_errors.inc()
            log.warning("publishing a batch of %d failed (%r); publishing one by one",
                        len(items), exc)
            deliveries, failed = [], set(range(len(items)))
        for delivery in deliveries:
            try:
                await delivery.future  # type: ignore[misc]
            except Exception as exc:
                self.metrics.publish_errors.inc()
                log.warning("a batch of %d to %s was not acknowledged (%r); publishing it one "
                            "by one", len(delivery.indexes), delivery.topic, exc)
                failed.update(delivery.indexes)
        for index, item in enumerate(items):
            if index in failed:
                await self.publish_one(item, confirm=True)
            else:
                self._account(item)

    async def publish_transactional(self, items: Sequence[Item]) -> None:
        """exactly_once: into the transactions of the input partitions, in record batches.

        The transaction's commit flushes the batches; what a transaction's producer refuses is
        published one by one instead.
        """
        by_transaction: dict[str, list[int]] = {}
        for index, item in enumerate(items):
            self.screen(item)
            by_transaction.setdefault(self.transactional_id(item.origin), []).append(index)
        again: list[int] = []
        for tid, indexes in by_transaction.items():
            found = compat.transaction_producer(self.app, tid)
            if found is None:  # no open transaction: revoked, unless we still own the partition
                again.extend(i for i in indexes if self.owns(items[i].origin))
                continue
            kafka, lock = found
            try:
                async with lock:
                    deliveries = await send_many(kafka, [self._record(items[i]) for i in indexes])
            except Exception as exc:
                self.metrics.publish_errors.inc()
                if poison.classify(exc) == "fenced":
                    self._drop_fenced(tid, len(indexes), exc)
                    continue
                log.warning("transaction %s refused a batch of %d (%r); publishing one by one",
                            tid, len(indexes), exc)
                again.extend(indexes)
                continue
            for delivery in deliveries:
                future = delivery.future
                failed = (future is not None and future.done()
                          and (future.cancelled() or future.exception() is not None))
                if failed and not future.cancelled() and (
                        poison.classify(future.exception()) == "fenced"):
                    self._drop_fenced(tid, len(delivery.indexes), future.exception())
                    continue
                for j in delivery.indexes:
                    if failed:
                        again.append(indexes[j])
                    else:
                        self._account(items[indexes[j]])
        for index in sorted(again):
            await self.publish_one(items[index], confirm=False)

    def _drop_fenced(self, tid: str, count: int, exc: BaseException) -> None:
        """Leave ``count`` outcomes of a fenced transaction unpublished and unacknowledged: the
        transaction is aborted and the partition's new owner processes the messages again."""
        log.warning("transaction %s was fenced (%s): %d outcomes left to the partition's new "
                    "owner", tid, poison.describe(exc), count)

    async def _send(self, item: Item, confirm: bool) -> None:
        topic, key, value = self._record(item)
        if self.app.in_transaction:
            future = await self.app.producer.send(
                topic, key, value, None, None, None,
                transactional_id=self.transactional_id(item.origin))
        else:
            producer = await self.app.maybe_start_producer()
            future = await producer.send(topic, key, value, None, None, None)
        if confirm:
            await future

    async def publish_one(self, item: Item, confirm: bool) -> bool:
        """Publish ``item`` alone, isolating it if it can never be published.

        ``confirm``: return only once the broker has acknowledged it.  Returns False (nothing
        published) when the item's partition was revoked meanwhile.
        """
        attempt = 0
        while True:
            try:
                await self._send(item, confirm)
                self._account(item)
                return True
            except Exception as exc:
                self.metrics.publish_errors.inc()
                origin = item.origin
                where = f"{origin.topic}:{origin.partition}@{origin.offset}"
                if not self.owns(origin):
                    log.warning("partition of %s revoked; leaving it to its new owner (%r)",
                                where, exc)
                    return False
                verdict = poison.classify(exc)
                if verdict == "fenced":  # exactly_once: its transaction belongs to another worker
                    log.warning("not publishing %s: %s", where, poison.describe(exc))
                    return False
                clean = item.result.kind == "clean"
                if clean and (verdict != "transient" or attempt >= len(RETRY_S)):
                    code = "outcome_too_large" if verdict == "too_large" else "publish_refused"
                    log.error("cannot publish the clean event of %s (%s); dead-lettering it as "
                              "%s", where, poison.describe(exc), code)
                    item.result = poison.unpublishable(item.result, code, poison.describe(exc),
                                                       item.raw, item.raw_key, origin)
                    attempt = 0
                    continue
                if not clean and verdict != "transient" and not item.cut:
                    log.error("cannot publish the dead letter of %s (%s)", where,
                              poison.describe(exc))
                    self._cut(item)
                    continue
                delay = (RETRY_S[min(attempt, len(RETRY_S) - 1)] if clean
                         else min(DLQ_RETRY_MAX_S, 0.5 * 2 ** min(attempt, 5)))
                attempt += 1
                log.warning("publishing %s of %s failed (attempt %d, retry in %.1fs): %r",
                            item.result.kind, where, attempt, delay, exc)
                await asyncio.sleep(delay)
