"""The Faust app: one agent on the raw topic, three web routes, and the seams for extensions.

Every consumed message yields exactly one outcome, a clean event (``topic_clean``, key = post id)
or a dead-letter record (``topic_dlq``, key = the raw key); the work is done by
:class:`~service.worker.batch.BatchProcessor`, the Faust overrides live in
:mod:`service.worker.compat`.  Seams:

- ``app.on_published``: callbacks ``(items) -> None`` called in the event loop with each
  published batch (:class:`~service.worker.publish.Item`: origin, raw bytes, raw key, result);
  under exactly_once the items are in a transaction that commits within a second or so (or is
  aborted, and the messages are processed again).  Keep callbacks quick: they run in the loop.
- ``create_app(..., extend=...)``: callables ``(app) -> None`` run once the app exists and before
  the agent is defined (e.g. to create a GlobalTable or add web pages with ``app.page``).
- :func:`service.worker.probes.preflight` runs before the broker is waited for.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import faust
from faust.types import TP

from service import review
from service.config import MAX_REQUEST_BYTES, Settings
from service.metrics import CONTENT_TYPE, Metrics
from service.offload import Offload
from service.pipeline import Limits, Origin, warm_up
from service.rules.follow import attach as attach_rules
from service.spun import compiled
from service.worker import compat, probes, watchdog
from service.worker.barrier import CommitBarrier
from service.worker.batch import BatchProcessor, PublishedHook
from service.worker.offsets import OffsetTracker
from service.worker.publish import OutcomePublisher

log = logging.getLogger("service.worker")

SESSION_TIMEOUT_S = 8.0  # Faust's 60 s default: group joins wait for it on some brokers
HEARTBEAT_INTERVAL_S = 1.0
COMMIT_INTERVAL_S = 1.0
METADATA_MAX_AGE_MS = 5000  # topics created after the worker started are seen within seconds
PRODUCER_BATCH_BYTES = 1 << 20  # aiokafka waits for a full batch to be acked before the next
SCRATCH_PREFIX = "qingliu-faust-"  # + owner pid: a killed worker's folder is removed by the next
#: how often the output topics' max.message.bytes is read again
TOPIC_LIMITS_EVERY_S = float(os.environ.get("QINGLIU_TOPIC_LIMITS_SECONDS", "30"))
#: a partition whose lowest unacknowledged offset has not moved for this long is stalled
STALL_AFTER_S = float(os.environ.get("QINGLIU_STALL_SECONDS", "60"))


class QingliuApp(compat.StopDuringRebalance, faust.App):
    """A Faust app with the worker's consumer, web server, offsets and batch processor."""

    settings: Settings
    metrics: Metrics
    offsets: OffsetTracker
    commit_barrier: CommitBarrier
    processor: BatchProcessor
    offload: Offload | None = None
    stall_after: float = STALL_AFTER_S
    scratch_dir: tempfile.TemporaryDirectory[str] | None = None  # removed on stop
    #: seconds the stop may take before the process exits anyway (:mod:`.watchdog`); set by
    #: ``qingliu worker`` only: an app stopped inside another program never ends its process
    stop_timeout: float | None = None

    @property
    def on_published(self) -> list[PublishedHook]:
        """Callbacks called with each published batch of items."""
        return self.processor.on_published

    async def on_start(self) -> None:
        """Check the set-up, wait for the broker (answering probes), warm up, start Faust."""
        await probes.preflight(self.settings)
        await probes.wait_for_broker(self.settings, self.metrics)
        if self.offload is not None:
            await self.offload.ready()
            log.info("pipeline processes ready; %s", compiled.describe())
        else:
            started = time.perf_counter()
            await asyncio.get_running_loop().run_in_executor(None, warm_up)
            log.info("pipeline loaded in %.1fs; %s", time.perf_counter() - started,
                     compiled.describe())
        await self.read_topic_limits()
        await super().on_start()

    async def read_topic_limits(self) -> None:
        """Learn the output topics' ``max.message.bytes`` (outcomes that cannot fit are
        dead-lettered or cut before they are sent; see :meth:`OutcomePublisher.screen`)."""
        self.processor.publisher.set_topic_limits(
            await probes.topic_max_message_bytes(self.settings))

    async def on_stop(self) -> None:
        """Stop consuming and commit (Faust), then stop the pipeline processes."""
        if self.stop_timeout is not None:
            watchdog.arm(self.stop_timeout)  # never cancelled: it ends with the process
        try:
            await super().on_stop()
        finally:
            if self.offload is not None:
                self.offload.close()
            if self.scratch_dir is not None:
                self.scratch_dir.cleanup()

    def _new_transport(self) -> Any:
        return compat.Transport(self.conf.broker_consumer, self)

    def _new_web(self) -> Any:
        return compat.Web(self)

    # -- called by service.worker.compat.Consumer -----------------------------------------------
    def intake_full(self) -> bool:
        return self.processor.intake_full()

    async def before_final_commit(self) -> bool:
        """Stop publishing; False when batches were still being published at the deadline."""
        return await self.processor.stop()

    # -- state for /readyz and the metrics ---------------------------------------------------
    def stalled(self) -> Iterator[tuple[str, int, int, float]]:
        """``(topic, partition, lowest unacknowledged offset, seconds)`` of stalled partitions."""
        for tp, offset, seconds in self.offsets.stalled(self.stall_after):
            yield tp.topic, tp.partition, offset, round(seconds, 1)

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        """Ready = started, connected, not rebalancing, partitions assigned, none stalled."""
        info: dict[str, Any] = {"started": bool(self.started), "connected": False,
                                "rebalancing": bool(self.rebalancing), "assigned": [],
                                "stalled": []}
        try:
            kafka = compat.kafka_consumer(self)
            if kafka is not None:
                info["connected"] = compat.broker_connected(kafka)
                info["assigned"] = sorted(f"{tp.topic}:{tp.partition}"
                                          for tp in kafka.assignment())
            info["stalled"] = [{"partition": f"{topic}:{partition}", "offset": offset,
                                "seconds": seconds}
                               for topic, partition, offset, seconds in self.stalled()]
        except Exception as exc:  # never let a probe crash
            info["error"] = repr(exc)
        ready = (info["started"] and info["connected"] and not info["rebalancing"]
                 and bool(info["assigned"]) and not info["stalled"])
        return ready, info

    def lag(self) -> Iterator[tuple[str, int, int]]:
        """``(topic, partition, lag)`` for each assigned partition with a known highwater."""
        kafka = compat.kafka_consumer(self)
        if kafka is None:
            return
        for tp in kafka.assignment():
            highwater = kafka.highwater(tp)
            if highwater is not None:
                lag = highwater - compat.consumer_position(self, tp)
                yield tp.topic, tp.partition, max(0, lag)

    def owns(self, origin: Origin) -> bool:
        """Whether ``origin``'s partition is still assigned to this worker."""
        try:
            return TP(origin.topic, origin.partition) in self.consumer.assignment()
        except Exception:
            return True


def _logging_config(level: str) -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "service.logs.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                                "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level.upper()},
    }


def remove_stale_scratch(root: str) -> list[str]:
    """Remove scratch folders in ``root`` left by workers that no longer run (killed with -9,
    which skips the clean-up on stop); their names carry the owner's pid.  Returns what went."""
    removed = []
    with os.scandir(root) as entries:
        for entry in entries:
            owner = entry.name.removeprefix(SCRATCH_PREFIX).split("-", 1)[0]
            if (entry.name.startswith(SCRATCH_PREFIX) and owner.isdigit()
                    and entry.is_dir(follow_symlinks=False) and not _running(int(owner))):
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(entry.path)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def create_app(settings: Settings, *, data_dir: str | None = None,
               extend: Iterable[Callable[[QingliuApp], None]] = ()) -> QingliuApp:
    """A configured worker app for ``settings`` (call ``await app.start()`` or run a Worker)."""
    from service.logs import add_secret

    compat.check_versions()
    add_secret(settings.sasl_password)
    scratch = None
    datadir = data_dir or settings.data_dir
    if not datadir:  # Faust wants a folder; this one goes away when the worker stops
        remove_stale_scratch(tempfile.gettempdir())
        scratch = tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-")
        datadir = scratch.name
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
        consumer_metadata_max_age_ms=METADATA_MAX_AGE_MS,
        producer_metadata_max_age_ms=METADATA_MAX_AGE_MS,
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
    app.scratch_dir = scratch
    app.settings = settings
    app.metrics = metrics = Metrics()
    app.offsets = OffsetTracker()
    exactly_once = settings.processing_guarantee == "exactly_once"
    app.commit_barrier = CommitBarrier()
    processes = settings.pipeline_processes
    limits = Limits(max_bytes=settings.max_bytes)
    app.offload = Offload(processes, limits) if processes > 0 else None
    topics = {"clean": settings.topic_clean, "dlq": settings.topic_dlq}
    app.processor = BatchProcessor(
        app, limits=limits, concurrency=settings.concurrency, exactly_once=exactly_once,
        offload=app.offload,
        publisher=OutcomePublisher(app, topics, metrics, app.owns, MAX_REQUEST_BYTES),
        offsets=app.offsets, barrier=app.commit_barrier, metrics=metrics)
    metrics.watch_lag(app.lag)
    metrics.watch_stalls(app.stalled)
    # Extensions: what every worker carries is called here, before the agent exists (a
    # GlobalTable, web pages, an on_published callback); ``extend`` adds more per caller.
    # Operator rules (service/rules): every worker reads the compacted rules topic whole before
    # its first post, then follows it; each batch is processed under the rules then in force.
    app.processor.rules = attach_rules(app, settings)
    for extension in extend:
        extension(app)
    # The review page (service/review): off unless QINGLIU_REVIEW is on; then /review on this
    # web server, fed every published outcome through on_published (bounded; never waits).
    review.attach(app, settings)

    raw_topic = app.topic(settings.topic_raw, key_type=bytes, value_type=bytes,
                          key_serializer="raw", value_serializer="raw")
    # One actor: at_least_once overlaps work by keeping batches in flight instead.
    app.agent(raw_topic, name="qingliu.clean_posts", concurrency=1)(app.processor.run)
    app.timer(5.0)(_stall_watch(app))
    app.timer(TOPIC_LIMITS_EVERY_S)(app.read_topic_limits)
    _routes(app)
    return app


def _stall_watch(app: QingliuApp) -> Callable[[], Any]:
    reported: set[tuple[str, int, int]] = set()

    async def watch_stalls() -> None:
        """Log each stalled partition once per stall (the lowest unacknowledged offset)."""
        now = set()
        for topic, partition, offset, seconds in app.stalled():
            now.add((topic, partition, offset))
            if (topic, partition, offset) not in reported:
                log.error("partition %s:%s stalled at offset %s for %.0fs", topic, partition,
                          offset, seconds)
        reported.clear()
        reported.update(now)

    return watch_stalls


def _routes(app: QingliuApp) -> None:
    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        ready, info = app.readiness()
        return web.json({"ready": ready, **info}, status=200 if ready else 503)

    @app.page("/metrics")
    async def metrics_page(web: Any, request: Any) -> Any:
        return web.bytes(app.metrics.render(), content_type=CONTENT_TYPE.split(";")[0])
