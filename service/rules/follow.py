"""Every worker follows the rules topic: :func:`attach` and :class:`RulesFollower`.

Why not a Faust ``GlobalTable`` whose changelog is the rules topic: in Faust a table's active
replica writes its changelog but does not read it while running, and a global table is active
everywhere, so records written by someone else (``qingliu rules add``) reach a running worker
only when it recovers the table, i.e. on restart or rebalance; only standbys follow the
changelog live (robinhood/faust#541 and faust-streaming/faust#283: "GlobalTable not working with
multiple instances").  A rule must apply within seconds without a restart, so each worker runs
a small reader instead, with the same result a global table promises: it takes every partition
of the compacted topic without a consumer group, reads it from the beginning (every rule's
latest record) before the worker consumes any post, then follows it.  Replicas that have read
the same records hold the same rules and report the same :attr:`RuleSet.version`.

The follower is a Faust (mode) service added to the app before the app starts, so the app
starts it ahead of its consumer: posts are never processed under rules older than those on the
topic when the worker started.  Bad records are skipped (a warning and
``qingliu_rules_invalid_total{reason}``); the worker never stops for them.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from mode import Service

from service.config import Settings
from service.rules import kafka as rules_kafka
from service.rules.model import EMPTY, RuleSet
from service.rules.store import RulesStore, Skipped

log = logging.getLogger(__name__)

CATCH_UP_S = 30.0  # at start: how long the worker waits for the rules before consuming anyway
RETRY_S = 5.0  # the topic missing or the broker failing: try again after this long


class RulesView(Protocol):
    """Where the pipeline gets the rules in force."""

    def current(self) -> RuleSet: ...


class StaticRules:
    """Fixed rules (batch commands, tests)."""

    def __init__(self, rules: RuleSet = EMPTY) -> None:
        self._rules = rules

    def current(self) -> RuleSet:
        return self._rules


class RulesFollower(Service):
    """Reads the rules topic from the beginning, then follows it; :meth:`current` is lock-free."""

    def __init__(self, settings: Settings, metrics: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.metrics = metrics
        self.store = RulesStore()
        self._rules: RuleSet = EMPTY
        self._kafka: Any = None
        self.caught_up = asyncio.Event()

    def current(self) -> RuleSet:
        """The rules in force (an immutable snapshot; pass it to the pipeline per batch)."""
        return self._rules

    # -- records → snapshot ------------------------------------------------------------------
    def _skipped(self, skipped: Skipped) -> None:
        log.warning("skipping rule record %r on %s: %s (%s)", skipped.key,
                    self.settings.topic_rules, skipped.message, skipped.reason)
        if self.metrics is not None:
            self.metrics.rules_invalid.labels(reason=skipped.reason).inc()

    def _publish(self) -> None:
        rules, newly_left_out = self.store.snapshot()
        if newly_left_out:
            log.warning("%d rules beyond the limit of %d are left out (the greatest ids)",
                        newly_left_out, len(rules))
            if self.metrics is not None:
                self.metrics.rules_invalid.labels(reason="too_many").inc(newly_left_out)
        if rules.version != self._rules.version:
            log.info("rules version %s in force (%d rules)", rules.version, len(rules))
        self._rules = rules
        if self.metrics is not None:
            self.metrics.set_rules(rules.version, len(rules))

    # -- the consumer ------------------------------------------------------------------------
    async def _connect(self) -> None:
        self._kafka = await rules_kafka.open_consumer(self.settings)

    async def _disconnect(self) -> None:
        kafka, self._kafka = self._kafka, None
        if kafka is not None:
            try:
                await kafka.stop()
            except Exception:  # pragma: no cover - stopping is best effort
                log.debug("stopping the rules consumer failed", exc_info=True)

    async def on_start(self) -> None:
        """Read every rule on the topic before the app's consumer starts (bounded wait)."""
        try:
            await asyncio.wait_for(self._initial(), CATCH_UP_S)
        except Exception as exc:
            log.warning("rules from %s not read at start (%r); consuming with %d rules, "
                        "following the topic in the background", self.settings.topic_rules,
                        exc, len(self._rules))

    async def _initial(self) -> None:
        await self._connect()
        if await rules_kafka.catch_up(self._kafka, self.store, CATCH_UP_S, self._skipped):
            self.caught_up.set()
        self._publish()

    async def on_stop(self) -> None:
        await self._disconnect()

    @Service.task
    async def _follow(self) -> None:
        """Apply new records as they arrive (reconnecting after failures)."""
        failures = 0
        while not self.should_stop:
            try:
                if self._kafka is None:
                    await self._connect()
                    self.store = RulesStore()  # a fresh read from the beginning
                    await rules_kafka.catch_up(self._kafka, self.store, CATCH_UP_S,
                                               self._skipped)
                    self.caught_up.set()
                    self._publish()
                    failures = 0
                batch = await self._kafka.getmany(timeout_ms=500, max_records=1000)
                if batch and rules_kafka.take(self.store, batch, self._skipped):
                    self._publish()
                    self.caught_up.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.should_stop:
                    break
                failures += 1
                # A missing topic is reported once (and at start); other failures each time.
                quiet = isinstance(exc, rules_kafka.RulesTopicMissing) and failures > 1
                log.log(logging.DEBUG if quiet else logging.WARNING,
                        "following %s failed (%r); retrying in %.0fs",
                        self.settings.topic_rules, exc, RETRY_S)
                await self._disconnect()
                await self.sleep(RETRY_S)


def attach(app: Any, settings: Settings | None = None) -> RulesFollower:
    """Make ``app`` (a worker app, not started yet) follow the rules topic; returns the view.

    The follower starts before the app's consumer and stops with the app.  Pass
    ``view.current()`` to the pipeline (``process_message(..., rules=...)``) once per batch.
    """
    settings = settings or app.settings
    follower = RulesFollower(settings, getattr(app, "metrics", None))
    app.add_dependency(follower)
    app.rules = follower
    return follower
