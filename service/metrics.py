"""Prometheus metrics of one worker (its own registry, so several workers can share a process)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from service.errors import ERROR_CODES

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                   30.0, 60.0)
EDIT_KINDS = ("spun", "mojibake", "invisible", "fullwidth", "radical", "homoglyph")


class _LagCollector(Collector):
    """Consumer lag per assigned partition, computed at scrape time."""

    def __init__(self, source: Callable[[], Iterable[tuple[str, int, int]]]) -> None:
        self._source = source

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "qingliu_consumer_lag", "Messages not yet consumed (highwater - position)",
            labels=["topic", "partition"],
        )
        total = 0
        try:
            rows = list(self._source())
        except Exception:
            rows = []
        for topic, partition, lag in rows:
            family.add_metric([topic, str(partition)], lag)
            total += lag
        yield family
        yield GaugeMetricFamily("qingliu_consumer_lag_total", "Sum of consumer lag", value=total)


class _StallCollector(Collector):
    """Partitions whose lowest unacknowledged offset has not moved for too long."""

    def __init__(self, source: Callable[[], Iterable[tuple[str, int, int, float]]]) -> None:
        self._source = source

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "qingliu_partition_stalled",
            "Seconds a stalled partition's lowest unacknowledged offset has not moved",
            labels=["topic", "partition"],
        )
        try:
            rows = list(self._source())
        except Exception:
            rows = []
        for topic, partition, _offset, seconds in rows:
            family.add_metric([topic, str(partition)], seconds)
        yield family
        yield GaugeMetricFamily("qingliu_stalled_partitions", "Partitions stalled now",
                                value=len(rows))


class Metrics:
    """The worker's counters and histograms."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.consumed = Counter("qingliu_consumed", "Raw messages consumed", registry=r)
        self.published = Counter("qingliu_published", "Outcomes published", ["topic", "kind"],
                                 registry=r)
        self.dead_lettered = Counter("qingliu_dead_lettered", "Dead-letter records by error code",
                                     ["code"], registry=r)
        self.edits = Counter("qingliu_edits", "Repair edits in published clean events", registry=r)
        self.edits_by_kind = Counter("qingliu_edits_by_kind",
                                     "Repair edits in published clean events, by fixer kind",
                                     ["kind"], registry=r)
        self.corrupted = Counter("qingliu_corrupted", "Clean events with corruption detected",
                                 registry=r)
        self.publish_errors = Counter("qingliu_publish_errors", "Failed publish attempts",
                                      registry=r)
        self.redelivered = Counter("qingliu_redelivered",
                                   "Messages the consumer delivered again within one assignment "
                                   "(taken once)", registry=r)
        self.processing = Histogram("qingliu_processing_seconds",
                                    "Pipeline time per message (decode, repair, tag)",
                                    buckets=LATENCY_BUCKETS, registry=r)
        self.latency = Histogram("qingliu_end_to_end_seconds",
                                 "Raw message timestamp to outcome published",
                                 buckets=LATENCY_BUCKETS, registry=r)
        self.batch_size = Histogram("qingliu_batch_messages",
                                    "Messages processed and published together (at_least_once)",
                                    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
                                    registry=r)
        self.rules = Gauge("qingliu_rules", "Operator rules in force", registry=r)
        self.rules_version = Gauge("qingliu_rules_version_info",
                                   "The operator rules version in force (label; value 1)",
                                   ["version"], registry=r)
        self.rules_invalid = Counter("qingliu_rules_invalid",
                                     "Records of the rules topic skipped as invalid, by reason",
                                     ["reason"], registry=r)
        self.set_rules("none", 0)
        for code in ERROR_CODES:
            self.dead_lettered.labels(code=code)
        for kind in EDIT_KINDS:
            self.edits_by_kind.labels(kind=kind)
        self._lag: _LagCollector | None = None

    def watch_lag(self, source: Callable[[], Iterable[tuple[str, int, int]]]) -> None:
        """Report lag from ``source()`` → ``(topic, partition, lag)`` rows at scrape time."""
        self._lag = _LagCollector(source)
        self.registry.register(self._lag)

    def watch_stalls(self, source: Callable[[], Iterable[tuple[str, int, int, float]]]) -> None:
        """Report stalled partitions from ``source()`` → ``(topic, partition, offset, seconds)``."""
        self.registry.register(_StallCollector(source))

    def value(self, name: str, labels: dict[str, str] | None = None) -> float:
        """The current value of sample ``name`` (e.g. ``qingliu_consumed_total``; 0 if absent)."""
        found = self.registry.get_sample_value(name, labels or {})
        return 0.0 if found is None else found

    def count_edits(self, by_kind: Mapping[str, int] | Iterable[tuple[str, int]]) -> None:
        """Count a published clean event's edits by kind: ``{kind: n}`` or ``(kind, n)`` pairs
        (what :func:`edits_by_kind` returns for the event)."""
        pairs = by_kind.items() if isinstance(by_kind, Mapping) else by_kind
        for kind, n in pairs:
            if n > 0:
                self.edits_by_kind.labels(kind=kind).inc(n)

    def set_rules(self, version: str, count: int) -> None:
        """Report the operator rules in force: their ``version`` and how many."""
        self.rules_version.clear()
        self.rules_version.labels(version=version).set(1)
        self.rules.set(count)

    def render(self) -> bytes:
        """The exposition text."""
        return generate_latest(self.registry)
