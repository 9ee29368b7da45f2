"""Operator rules through a real broker: the rules topic, its followers, and the worker.

Run on the embedded broker and (``QINGLIU_TEST_BROKER=kafka``) on Apache Kafka.  Each test has
its own rules topic, so rules never leak between tests.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from service import contracts
from service.config import Settings
from service.metrics import Metrics
from service.rules import RuleSet, make_rule
from service.rules import kafka as rules_kafka
from service.rules.follow import RulesFollower

from .conftest import fresh_settings

pytestmark = pytest.mark.integration
WAIT_S = 60.0


@pytest.fixture
async def rules_settings(broker: Any, tmp_path: Any) -> Settings:
    """Fresh settings (topics created) with a rules topic of this test's own."""
    settings = fresh_settings(broker, tmp_path, topic_rules=f"r{uuid.uuid4().hex[:10]}.rules")
    await contracts.apply(settings)
    return settings


def sample(metrics: Metrics, name: str, labels: dict[str, str] | None = None) -> float:
    return metrics.registry.get_sample_value(name, labels or {}) or 0.0


async def eventually(check: Callable[[], bool], what: str, timeout: float = WAIT_S) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def write_raw(settings: Settings, key: bytes, value: bytes | None) -> None:
    """A record on the rules topic as a careless producer might write it."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap)
    await producer.start()
    try:
        await (await producer.send(settings.topic_rules, key=key, value=value))
    finally:
        await producer.stop()


PROTECT = make_rule("protect", id="keep-nianyefan", phrase="年夜饭", by="mod", why="wrong repair")
RESTORE = make_rule("restore", id="shequ", spun="小区", original="社区")
DISABLE = make_rule("disable", id="no-width", kind="width")


async def test_a_follower_reads_follows_and_survives_bad_records(rules_settings: Settings
                                                                 ) -> None:
    await rules_kafka.put(rules_settings, PROTECT)
    metrics = Metrics()
    follower = RulesFollower(rules_settings, metrics)
    await follower.start()
    try:
        # Read at start, before start() returned.
        assert follower.current() == RuleSet.of([PROTECT])
        assert sample(metrics, "qingliu_rules") == 1

        await rules_kafka.put(rules_settings, RESTORE)
        await eventually(lambda: follower.current() == RuleSet.of([PROTECT, RESTORE]),
                         "the added rule")

        # Bad records are skipped and counted; the follower keeps going.
        await write_raw(rules_settings, b"bad-kind", b'{"action": "disable", "kind": "decoding"}')
        await write_raw(rules_settings, b"not-json", b"{nope")
        await rules_kafka.put(rules_settings, DISABLE)
        await eventually(lambda: len(follower.current()) == 3, "the rule after the bad ones")
        assert sample(metrics, "qingliu_rules_invalid_total", {"reason": "unknown_kind"}) == 1
        assert sample(metrics, "qingliu_rules_invalid_total", {"reason": "not_json"}) == 1
        assert "bad-kind" not in {rule.id for rule in follower.current().rules}

        # A tombstone removes a rule.
        await rules_kafka.remove(rules_settings, RESTORE.id)
        expected = RuleSet.of([PROTECT, DISABLE])
        await eventually(lambda: follower.current() == expected, "the tombstone")
        assert sample(metrics, "qingliu_rules_version_info", {"version": expected.version}) == 1
    finally:
        await follower.stop()


async def test_two_followers_converge_and_a_late_one_recovers(rules_settings: Settings) -> None:
    first, second = RulesFollower(rules_settings), RulesFollower(rules_settings)
    await first.start()
    await second.start()
    try:
        for rule in (PROTECT, RESTORE, DISABLE):
            await rules_kafka.put(rules_settings, rule)
        await rules_kafka.remove(rules_settings, DISABLE.id)
        expected = RuleSet.of([PROTECT, RESTORE])
        await eventually(lambda: first.current() == expected == second.current(), "convergence")
        assert first.current().version == second.current().version != "none"
    finally:
        await first.stop()
        await second.stop()
    late = RulesFollower(rules_settings)
    await late.start()
    try:
        assert late.current() == expected  # read from the topic before start() returned
    finally:
        await late.stop()


async def test_a_missing_rules_topic_does_not_hold_a_follower_up(broker: Any, tmp_path: Any
                                                                 ) -> None:
    settings = fresh_settings(broker, tmp_path, topic_rules=f"missing{uuid.uuid4().hex[:8]}")
    follower = RulesFollower(settings)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await follower.start()
    try:
        assert loop.time() - started < 20
        assert not follower.current()
    finally:
        await follower.stop()


async def test_rules_list_and_remove_through_the_cli(rules_settings: Settings, capsys) -> None:
    from service.cli import main

    base = ["--broker", rules_settings.broker, "--topic-rules", rules_settings.topic_rules]
    loop = asyncio.get_running_loop()

    def cli(*argv: str) -> int:
        return main([*argv[:2], *argv[2:], *base])

    assert await loop.run_in_executor(None, cli, "rules", "add", "--protect", "年夜饭",
                                      "--id", "k1", "--by", "mod", "--why", "wrong repair") == 0
    assert await loop.run_in_executor(None, cli, "rules", "list") == 0
    out = capsys.readouterr().out
    assert "k1" in out and "年夜饭" in out and "wrong repair" in out
    assert await loop.run_in_executor(None, cli, "rules", "remove", "k1") == 0
    assert await loop.run_in_executor(None, cli, "rules", "remove", "k1") == 2
    store = await rules_kafka.read_all(rules_settings)
    assert not store.by_id
