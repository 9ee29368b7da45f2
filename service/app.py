"""The Faust worker: consume raw posts, run :func:`service.pipeline.process_message`, publish.

Every consumed message yields exactly one outcome, a clean event (``topic_clean``, key = post id)
or a dead-letter record (``topic_dlq``, key = the raw key).  The web server serves only
``/healthz``, ``/readyz`` and ``/metrics``.

Per-message cost is what limits a stream worker, so the agent works in batches: the messages
already fetched (up to :data:`BATCH_MAX_MESSAGES`) are processed together and their outcomes go
out as one record batch per output partition (:mod:`service.publisher`).  at_least_once acks them
once the broker has acknowledged them, with ``QINGLIU_CONCURRENCY`` batches in flight while the
next is read; exactly_once hands each batch to the transactions of its input partitions, one
batch at a time, in order.  Faust's fetch loop is replaced by one that hands the conductor a
whole fetch without a task per record.

Two Faust defaults are wrong for this service and are fixed here: the consumer's hard-coded
``fetch_max_wait_ms=1500`` (a broker that honours it adds up to 1.5 s to every idle fetch; we use
:data:`FETCH_MAX_WAIT_MS`) and the 60 s session timeout (group joins wait for it on some brokers).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import faust
from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.web.drivers.aiohttp import Web as AiohttpWeb

from service.config import Settings
from service.metrics import CONTENT_TYPE, Metrics
from service.offload import Offload, Result, to_result
from service.pipeline import (
    Limits,
    Origin,
    Outcome,
    dead_letter,
    event_id,
    process_message,
    warm_up,
)
from service.publisher import send_many

log = logging.getLogger("service.app")

FETCH_MAX_WAIT_MS = 100
SESSION_TIMEOUT_S = 8.0
HEARTBEAT_INTERVAL_S = 1.0
COMMIT_INTERVAL_S = 1.0
MAX_REQUEST_BYTES = 16 << 20  # a dead letter of a too-large post carries it base64-encoded
PRODUCER_BATCH_BYTES = 1 << 20  # aiokafka waits for a full batch to be acked before the next
PUBLISH_RETRY_S = (0.1, 0.5, 1.0, 2.0, 5.0)
DRAIN_YIELD_EVERY = 500  # records handed to the agent between trips through the event loop
REVOKE_DRAIN_S = 4.0  # on revocation (within the rebalance timeout), the same for acks
STOP_DRAIN_S = 10.0  # on stop, how long batches being published may take before the last commit
BATCH_MAX_MESSAGES = 100  # at_least_once: messages processed and published together at most


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS  # read when the fetcher starts
        return consumer


class CommitBarrier:
    """Keeps offset commits and publishing apart (exactly_once).

    A transaction must hold exactly the outputs of the offsets it commits: a commit waits until
    every message being published has been acked, and no publish starts while a commit runs.
    Commits do not overlap one another.  A message fetched before a revocation is not published
    at all: its transaction was committed (or handed over) with the revocation, and whoever owns
    its partition next reads it again from the committed offset.
    """

    def __init__(self, drain_timeout: float = 30.0) -> None:
        self._active = 0
        self._drained = asyncio.Event()
        self._drained.set()
        self._open = asyncio.Event()
        self._open.set()
        self._lock = asyncio.Lock()
        self._revoked_generation: int | None = None
        self.drain_timeout = drain_timeout

    @contextlib.asynccontextmanager
    async def publishing(self, generation: int | None = None) -> Any:
        """Around process → publish → ack of one message fetched in consumer ``generation``.

        Yields False (publish nothing, ack nothing) when that generation's partitions have been
        revoked since.
        """
        await self._open.wait()
        revoked = self._revoked_generation
        if generation is not None and revoked is not None and generation <= revoked:
            yield False
            return
        self._active += 1
        self._drained.clear()
        try:
            yield True
        finally:
            self._active -= 1
            if self._active == 0:
                self._drained.set()

    @contextlib.asynccontextmanager
    async def committing(self, revoking_generation: int | None = None) -> Any:
        """Around an offset commit (a transaction commit under exactly_once).

        ``revoking_generation``: the commit precedes a revocation of that consumer generation's
        partitions; messages fetched in it or earlier are not published afterwards.
        """
        async with self._lock:
            self._open.clear()
            try:
                try:
                    await asyncio.wait_for(self._drained.wait(), self.drain_timeout)
                except TimeoutError:
                    log.warning("committing with %d messages still being published", self._active)
                if revoking_generation is not None:
                    self._revoked_generation = max(self._revoked_generation or revoking_generation,
                                                   revoking_generation)
                yield
            finally:
                self._open.set()


class _Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def force_commit(self, topics: Any = None, start_new_transaction: bool = True) -> bool:
        barrier = getattr(self.app, "commit_barrier", None)
        if barrier is None:
            return await super().force_commit(topics, start_new_transaction=start_new_transaction)
        async with barrier.committing():
            return await super().force_commit(topics,
                                              start_new_transaction=start_new_transaction)

    async def _drain_messages(self, fetcher: Any) -> None:
        """Faust's fetch loop, with the conductor's callback awaited directly.

        Faust awaits ``wait_first(callback(message), suspend_flow.wait())`` for every record: two
        tasks and an ``asyncio.wait`` each (tens of microseconds), and a trip through the event
        loop after each record, so the agent only ever saw a few messages at a time.  The
        callback enqueues without blocking (``put_nowait``), so it is awaited as is here, and the
        loop yields every :data:`DRAIN_YIELD_EVERY` records.  Read offsets, gap tracking and
        ``commit_every`` are kept as in Faust.
        """
        callback = self.callback
        should_stop = self._stopped.is_set
        fetcher_should_stop = fetcher._stopped.is_set
        read_offsets = self._read_offset
        commit_every = self._commit_every
        acks_enabled_for = self.app.topics.acks_enabled_for
        since_yield = 0
        try:
            while not (should_stop() or fetcher_should_stop()):
                self.diag.set_flag(CONSUMER_FETCHING)
                records = self.getmany(timeout=1.0)
                await asyncio.sleep(0)
                if self.should_stop:
                    continue
                async for tp, message in records:
                    since_yield += 1
                    if since_yield >= DRAIN_YIELD_EVERY:
                        await asyncio.sleep(0)
                        since_yield = 0
                    offset = message.offset
                    read = read_offsets.get(tp)
                    if read is not None and offset < read:
                        continue  # seen already (Faust drops these too)
                    if read and offset - read > 1 and acks_enabled_for(message.topic):
                        await self._add_gap(tp, read + 1, offset)
                    if commit_every is not None and self._n_acked >= commit_every:
                        self._n_acked = 0
                        await self.commit()
                    await callback(message)
                    read_offsets[tp] = offset
                self.diag.unset_flag(CONSUMER_FETCHING)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                return
            raise
        except Exception as exc:
            log.exception("fetching messages raised: %r", exc)
            raise
        finally:
            self.diag.unset_flag(CONSUMER_FETCHING)

    async def _wait_for_batches(self, timeout: float, why: str) -> None:
        """Wait (at most ``timeout`` s) until the batches being published have been acked."""
        in_flight = getattr(self.app, "batches_in_flight", None)
        if in_flight:
            log.info("%s: waiting for %d batches being published", why, len(in_flight))
            await asyncio.wait(list(in_flight), timeout=timeout)

    async def on_stop(self) -> None:
        """Let the batches being published be acked first: the final commit then covers them."""
        await self._wait_for_batches(STOP_DRAIN_S, "stopping")
        await super().on_stop()

    async def on_partitions_revoked(self, revoked: set[Any]) -> None:
        # Faust forgets the acks of revoked partitions and the consumer then resumes every
        # partition it keeps from its committed offset: commit each transaction together with
        # the offsets of the outputs it holds *before* that, or a kept partition's outputs are
        # published again into the same open transaction and committed twice.
        # at_least_once: the batches being published are acked first and their offsets
        # committed, or whoever owns their partitions next publishes them again.
        barrier = getattr(self.app, "commit_barrier", None)
        if barrier is not None and not self.app.should_stop:
            async with barrier.committing(revoking_generation=self.app.consumer_generation_id):
                try:
                    await super().force_commit(None, start_new_transaction=True)
                except Exception:
                    log.exception("commit before revoking %d partitions failed", len(revoked))
        elif barrier is None and not self.app.should_stop:
            try:
                await self._wait_for_batches(REVOKE_DRAIN_S, "partitions revoked")
                await super().force_commit(None)
            except Exception:
                log.exception("commit before revoking %d partitions failed", len(revoked))
        await super().on_partitions_revoked(revoked)


class _Transport(faust_aiokafka.Transport):
    Consumer = _Consumer


class _Web(AiohttpWeb):
    """Faust's aiohttp server without its built-in pages (only our three routes)."""

    default_blueprints: Any = []
    production_blueprints: Any = []
    debug_blueprints: Any = []
    optional_blueprints: Any = []


class QingliuApp(faust.App):
    """A Faust app with the transport and web fixes above; ``metrics`` and ``settings`` attached."""

    metrics: Metrics
    settings: Settings
    offload: Offload | None = None
    commit_barrier: CommitBarrier | None = None
    batches_in_flight: set[asyncio.Future[None]]

    async def on_start(self) -> None:
        """Wait for the broker (answering probes meanwhile), warm up, then start Faust."""
        await wait_for_broker(self.settings, self.metrics)
        if self.offload is not None:
            await self.offload.ready()
        else:
            started = time.perf_counter()
            await asyncio.get_running_loop().run_in_executor(None, warm_up)
            log.info("pipeline loaded in %.1fs", time.perf_counter() - started)
        await super().on_start()

    async def on_stop(self) -> None:
        """Stop consuming and flush (Faust), then stop the pipeline processes."""
        await super().on_stop()
        if self.offload is not None:
            self.offload.close()

    def _new_transport(self) -> Any:
        return _Transport(self.conf.broker_consumer, self)

    def _new_web(self) -> Any:
        return _Web(self)

    # -- state for /readyz and the lag metric ------------------------------------------------
    def _kafka_consumer(self) -> Any:
        thread = getattr(self.consumer, "_thread", None)
        return getattr(thread, "_consumer", None) if thread is not None else None

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        """Ready = started, connected to the broker, not rebalancing, partitions assigned."""
        info: dict[str, Any] = {"started": bool(self.started), "connected": False,
                                "rebalancing": bool(self.rebalancing), "assigned": []}
        try:
            kafka = self._kafka_consumer()
            if kafka is not None:
                conns = getattr(kafka._client, "_conns", {})
                info["connected"] = any(c.connected() for c in conns.values())
                info["assigned"] = sorted(f"{tp.topic}:{tp.partition}"
                                          for tp in kafka.assignment())
        except Exception as exc:  # never let a probe crash
            info["error"] = repr(exc)
        ready = (info["started"] and info["connected"] and not info["rebalancing"]
                 and bool(info["assigned"]))
        return ready, info

    def lag(self) -> Iterator[tuple[str, int, int]]:
        """``(topic, partition, lag)`` for each assigned partition with a known highwater."""
        kafka = self._kafka_consumer()
        if kafka is None:
            return
        consumer = self.consumer
        for tp in kafka.assignment():
            highwater = kafka.highwater(tp)
            if highwater is None:
                continue
            read = consumer._read_offset.get(tp)
            position = read + 1 if read is not None else 0
            committed = consumer._committed_offset.get(tp)
            if committed is not None:
                position = max(position, committed)
            yield tp.topic, tp.partition, max(0, highwater - position)


async def broker_reachable(settings: Settings, timeout: float = 5.0) -> bool:
    """Whether a bootstrap server answers a metadata request."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap,
                                request_timeout_ms=int(timeout * 1000), **settings.kafka_auth())
    try:
        await asyncio.wait_for(admin.start(), timeout)
        return True
    except Exception:
        return False
    finally:
        with contextlib.suppress(Exception):
            await admin.close()


async def wait_for_broker(settings: Settings, metrics: Metrics) -> None:
    """Return once the broker answers; until then serve /healthz 200 and /readyz 503.

    A worker started before its broker (or during an outage) waits instead of exiting, and
    says so to its probes; Faust's own web server takes the port over afterwards.
    """
    if await broker_reachable(settings):
        return
    from aiohttp import web

    async def healthz(request: Any) -> Any:
        return web.json_response({"status": "ok"})

    async def readyz(request: Any) -> Any:
        return web.json_response({"ready": False, "connected": False,
                                  "reason": "waiting for the broker"}, status=503)

    async def metrics_page(request: Any) -> Any:
        return web.Response(body=metrics.render(), content_type="text/plain")

    standby = web.Application()
    standby.router.add_get("/healthz", healthz)
    standby.router.add_get("/readyz", readyz)
    standby.router.add_get("/metrics", metrics_page)
    runner = web.AppRunner(standby)
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.web_host, settings.web_port).start()
    except OSError as exc:
        log.warning("cannot serve probes while waiting for the broker: %r", exc)
    delay = 1.0
    try:
        while not await broker_reachable(settings):
            log.warning("broker %s is not reachable; retrying in %.0fs", settings.broker, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
        log.info("broker %s is reachable", settings.broker)
    finally:
        await runner.cleanup()


def _logging_config(level: str) -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "service.logs.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                                "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level.upper()},
    }


def create_app(settings: Settings, *, data_dir: str | None = None) -> QingliuApp:
    """A configured worker app for ``settings`` (call ``await app.start()`` or run a Worker)."""
    from service.logs import add_secret

    add_secret(settings.sasl_password)
    datadir = data_dir or settings.data_dir or tempfile.mkdtemp(prefix="qingliu-faust-")
    app = QingliuApp(
        settings.group_id,
        broker=settings.broker,
        broker_credentials=settings.faust_credentials(),
        processing_guarantee=settings.processing_guarantee,
        datadir=datadir,
        autodiscover=False,
        store="memory://",
        topic_disable_leader=True,
        topic_allow_declare=False,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=SESSION_TIMEOUT_S,
        broker_heartbeat_interval=HEARTBEAT_INTERVAL_S,
        broker_rebalance_timeout=SESSION_TIMEOUT_S * 2,
        broker_commit_interval=COMMIT_INTERVAL_S,
        broker_max_poll_records=500,
        consumer_max_fetch_size=MAX_REQUEST_BYTES,
        producer_max_request_size=MAX_REQUEST_BYTES,
        producer_linger_ms=5,
        producer_max_batch_size=PRODUCER_BATCH_BYTES,
        stream_wait_empty=False,
        web_enabled=True,
        web_bind=settings.web_host,
        web_host=settings.web_host,
        web_port=settings.web_port,
        web_router_enabled=False,
        web_tables_enabled=False,
        web_graph_enabled=False,
        web_stats_enabled=False,
        web_metrics_enabled=False,
        logging_config=_logging_config(settings.log_level),
    )
    app.settings = settings
    app.batches_in_flight = set()
    app.metrics = metrics = Metrics()
    metrics.watch_lag(app.lag)
    limits = Limits(max_bytes=settings.max_bytes)

    raw_topic = app.topic(settings.topic_raw, key_type=bytes, value_type=bytes,
                          key_serializer="raw", value_serializer="raw")
    topics = {"clean": settings.topic_clean, "dlq": settings.topic_dlq}
    published = {kind: metrics.published.labels(topic=name, kind=kind)
                 for kind, name in topics.items()}

    def delivered(topic: str, future: asyncio.Future[Any]) -> None:
        if future.cancelled() or future.exception() is not None:
            metrics.publish_errors.inc()
            log.error("delivery to %s failed: %r", topic,
                      None if future.cancelled() else future.exception())

    def transactional_id(origin: Origin) -> str:
        """The transaction that commits ``origin``'s offset (exactly_once)."""
        group = app.assignor.group_for_topic(origin.topic)
        return f"{app.conf.id}-{group}-{origin.partition}"

    async def send(topic: str, key: bytes | None, value: bytes, origin: Origin
                   ) -> asyncio.Future[Any]:
        # The producer directly (not Topic.send), without Faust's per-message FutureMessage
        # bookkeeping (~3x faster).  Under exactly_once the outcome goes through the transaction
        # of its *input* partition (the one whose offsets that transaction commits); Faust's own
        # routing keys transactions by the output topic, which its assignor does not know.
        if app.in_transaction:
            future = await app.producer.send(topic, key, value, None, None, None,
                                             transactional_id=transactional_id(origin))
        else:
            producer = await app.maybe_start_producer()
            future = await producer.send(topic, key, value, None, None, None)
        future.add_done_callback(lambda f: delivered(topic, f))
        return future

    processes = settings.pipeline_processes
    offload = Offload(processes, limits) if processes > 0 else None
    app.offload = offload

    def owns(origin: Origin) -> bool:
        try:
            from faust.types import TP

            return TP(origin.topic, origin.partition) in app.consumer.assignment()
        except Exception:
            return True

    def account(result: Result) -> None:
        """Count a published outcome."""
        published[result.kind].inc()
        if result.kind == "clean":
            if result.edits:
                metrics.edits.inc(result.edits)
            if result.detected:
                metrics.corrupted.inc()
        else:
            metrics.dead_lettered.labels(code=result.error_code or "internal_error").inc()

    async def publish(result: Result, origin: Origin, raw: bytes | None,
                      confirm: bool = False) -> None:
        """Send ``result``; retry Kafka errors, and never drop the message silently.

        ``confirm``: return only once the broker has acknowledged it (retrying if it does not).
        """
        attempt = 0
        while True:
            try:
                future = await send(topics[result.kind], result.key, result.value, origin)
                if confirm:
                    await future
                break
            except Exception as exc:
                metrics.publish_errors.inc()
                if not owns(origin):
                    # Revoked during a rebalance: its offset will not be committed here, and
                    # the partition's new owner processes the message again.
                    log.warning("partition %s:%s revoked; leaving offset %s to its new owner "
                                "(%r)", origin.topic, origin.partition, origin.offset, exc)
                    return
                if _permanent(exc) and result.kind == "clean":
                    # The clean event cannot be published (e.g. too large): dead-letter the input.
                    log.error("cannot publish clean event for %s:%s@%s: %r; dead-lettering",
                              origin.topic, origin.partition, origin.offset, exc)
                    result = to_result(Outcome("dlq", result.key, dead_letter(
                        "internal_error", f"publish failed: {type(exc).__name__}: {exc}",
                        raw, result.key, origin, result.event_id,
                    ), error_code="internal_error"))
                    continue
                delay = PUBLISH_RETRY_S[min(attempt, len(PUBLISH_RETRY_S) - 1)]
                attempt += 1
                log.warning("publish to %s failed (attempt %d, retry in %.1fs): %r",
                            result.kind, attempt, delay, exc)
                await asyncio.sleep(delay)
        account(result)

    def origin_of(message: Any) -> Origin:
        timestamp = getattr(message, "timestamp", None)
        return Origin(message.topic, message.partition, message.offset,
                      int(timestamp * 1000) if timestamp else None)

    def process_here(message: Any, origin: Origin) -> Result:
        """The pipeline in the event loop; a pipeline exception becomes an internal_error."""
        try:
            result = to_result(process_message(message.value, message.key, origin, limits))
        except Exception as exc:  # process_message never raises; belt and braces
            log.exception("pipeline raised on %s:%s@%s", origin.topic, origin.partition,
                          origin.offset)
            eid = event_id(message.key, message.value or b"")
            result = to_result(Outcome("dlq", message.key, dead_letter(
                "internal_error", f"{type(exc).__name__}: {exc}", message.value,
                message.key, origin, eid), error_code="internal_error"))
        if result.kind == "dlq":
            log.info("dead-lettered %s:%s@%s: %s", origin.topic, origin.partition,
                     origin.offset, result.error_code)
        return result

    async def process_batch(messages: list[Any], origins: list[Origin]) -> list[Result]:
        """The outcomes of a batch: in the event loop, or in the child processes."""
        if offload is None:
            results = []
            for message, origin in zip(messages, origins, strict=True):
                started = time.perf_counter()
                results.append(process_here(message, origin))
                metrics.processing.observe(time.perf_counter() - started)
            return results
        started = time.perf_counter()
        results = await offload.process_many(
            [(message.value, message.key, origin)
             for message, origin in zip(messages, origins, strict=True)])
        elapsed = time.perf_counter() - started
        for result, origin in zip(results, origins, strict=True):
            metrics.processing.observe(elapsed)
            if result.kind == "dlq":
                log.info("dead-lettered %s:%s@%s: %s", origin.topic, origin.partition,
                         origin.offset, result.error_code)
        return results

    async def publish_batch(results: list[Result], origins: list[Origin],
                            raws: list[bytes | None]) -> None:
        """Publish ``results`` in record batches and wait for the broker's acks.

        A batch the producer refuses or the broker does not acknowledge is published again
        message by message (retrying, dead-lettering what can never be published).
        """
        producer = (await app.maybe_start_producer())._ensure_producer()
        records = [(topics[result.kind], result.key, result.value) for result in results]
        failed: set[int] = set()
        try:
            deliveries = await send_many(producer, records)
        except Exception as exc:
            metrics.publish_errors.inc()
            log.warning("publishing a batch of %d failed (%r); publishing one by one",
                        len(records), exc)
            deliveries, failed = [], set(range(len(records)))
        for delivery in deliveries:
            try:
                await delivery.future  # type: ignore[misc]
            except Exception as exc:
                metrics.publish_errors.inc()
                log.warning("a batch of %d to %s:%s was not acknowledged (%r); publishing it "
                            "one by one", len(delivery.indexes), delivery.topic,
                            delivery.partition, exc)
                failed.update(delivery.indexes)
        for index, result in enumerate(results):
            if index in failed:
                await publish(result, origins[index], raws[index], confirm=True)
            else:
                account(result)

    async def publish_transactional(results: list[Result], origins: list[Origin],
                                    raws: list[bytes | None]) -> None:
        """Hand each outcome to the transaction of its input partition, in record batches.

        That transaction commits the input's offset, so outcome and offset commit together.
        The transaction's commit flushes the batches.  What a transaction's producer refuses is
        published message by message instead (retrying, dead-lettering what never fits).
        """
        producer = app.producer
        by_transaction: dict[str, list[int]] = {}
        for index, origin in enumerate(origins):
            by_transaction.setdefault(transactional_id(origin), []).append(index)
        again: list[int] = []
        for tid, indexes in by_transaction.items():
            kafka = producer._transaction_producers.get(tid)
            if kafka is None:
                again.extend(indexes)
                continue
            records = [(topics[results[i].kind], results[i].key, results[i].value)
                       for i in indexes]
            try:
                async with producer._trn_locks[tid]:
                    deliveries = await send_many(kafka, records)
            except Exception as exc:
                metrics.publish_errors.inc()
                log.warning("transaction %s refused a batch of %d (%r); publishing one by one",
                            tid, len(records), exc)
                again.extend(indexes)
                continue
            for delivery in deliveries:
                future = delivery.future
                failed = (future is not None and future.done()
                          and (future.cancelled() or future.exception() is not None))
                for j in delivery.indexes:
                    if failed:
                        again.append(indexes[j])
                    else:
                        account(results[indexes[j]])
        for index in sorted(again):
            await publish(results[index], origins[index], raws[index])

    exactly_once = settings.processing_guarantee == "exactly_once"
    barrier = app.commit_barrier = CommitBarrier() if exactly_once else None

    async def ack(stream: Any, events: list[Any]) -> None:
        """Ack published events (offsets commit up to contiguous acks); observe their latency."""
        now = time.time()
        for event in events:
            await stream.ack(event)
            if event.message.timestamp:
                metrics.latency.observe(max(0.0, now - event.message.timestamp))

    async def handle_transactionally(stream: Any, batch: list[Any]) -> None:
        """exactly_once: process a batch, publish it into the transactions, ack it; in order."""
        assert barrier is not None
        for generation, run in itertools.groupby(batch, lambda e: e.message.generation_id):
            events = list(run)
            messages = [event.message for event in events]
            origins = [origin_of(message) for message in messages]
            results = await process_batch(messages, origins)
            async with barrier.publishing(generation) as current:
                if not current:
                    log.info("dropping %d messages of %s fetched before their partitions were "
                             "revoked", len(events), messages[0].topic)
                    continue
                await publish_transactional(results, origins,
                                            [message.value for message in messages])
                await ack(stream, events)

    async def finish_batch(stream: Any, events: list[Any], origins: list[Origin],
                           results: list[Result] | None) -> None:
        """Process (in the child processes) if not done yet, publish, then ack the batch."""
        messages = [event.message for event in events]
        if results is None:
            results = await process_batch(messages, origins)
        await publish_batch(results, origins, [message.value for message in messages])
        await ack(stream, events)

    async def clean_posts(stream: Any) -> None:
        """Consume ``posts.raw``; publish each message's outcome, then ack it.

        The messages already fetched (up to :data:`BATCH_MAX_MESSAGES`) are processed together
        and their outcomes published as record batches.  at_least_once: up to
        ``QINGLIU_CONCURRENCY`` batches await the broker's acks (or their child processes) while
        the next is read.  exactly_once: one batch at a time, in order, into the transactions.
        """
        stream.enable_acks = False
        queue = stream.channel.queue
        slots = asyncio.Semaphore(settings.concurrency)
        tasks = app.batches_in_flight
        events: list[Any] = []

        async def finish(batch: list[Any], origins: list[Origin],
                         results: list[Result] | None) -> None:
            try:
                await finish_batch(stream, batch, origins, results)
            except asyncio.CancelledError:
                raise
            except Exception:  # never lose the agent to one batch: its messages come again
                log.exception("batch of %d failed; not acked (they will be processed again)",
                              len(batch))
            finally:
                slots.release()

        try:
            async for event in stream.events():
                events.append(event)
                if len(events) < BATCH_MAX_MESSAGES and not queue.empty():
                    continue  # more are already fetched: take them into this batch
                batch, events = events, []
                metrics.consumed.inc(len(batch))
                metrics.batch_size.observe(len(batch))
                if exactly_once:
                    await handle_transactionally(stream, batch)
                    continue
                origins = [origin_of(event.message) for event in batch]
                results = None
                if offload is None:  # CPU-bound here: the next batch can wait for it
                    results = await process_batch([event.message for event in batch], origins)
                await slots.acquire()
                task = asyncio.ensure_future(finish(batch, origins, results))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        finally:
            if tasks:  # stopping: let published batches be acked, so their offsets commit
                done, pending = await asyncio.wait(list(tasks), timeout=STOP_DRAIN_S)
                for task in pending:
                    task.cancel()

    # One actor: at_least_once overlaps work by keeping batches in flight instead.
    app.agent(raw_topic, name="qingliu.clean_posts", concurrency=1)(clean_posts)

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        ready, info = app.readiness()
        return web.json({"ready": ready, **info}, status=200 if ready else 503)

    @app.page("/metrics")
    async def metrics_page(web: Any, request: Any) -> Any:
        return web.bytes(metrics.render(), content_type=CONTENT_TYPE.split(";")[0])

    return app


def _permanent(exc: Exception) -> bool:
    """Errors that retrying cannot fix."""
    from aiokafka.errors import MessageSizeTooLargeError, RecordTooLargeError

    return isinstance(exc, MessageSizeTooLargeError | RecordTooLargeError | TypeError)
