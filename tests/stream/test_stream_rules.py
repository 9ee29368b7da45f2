"""Operator rules through a real broker: the rules topic, its followers, and the worker.

Run on the embedded broker and (``QINGLIU_TEST_BROKER=kafka``) on Apache Kafka.  Each test has
its own rules topic, so rules never leak between tests.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from service import contracts
from service.broker import free_port
from service.config import Settings
from service.metrics import Metrics
from service.rules import RuleSet, make_rule
from service.rules import kafka as rules_kafka
from service.rules.follow import RulesFollower

from .conftest import consume, fresh_settings, produce, running_worker

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


PROTECT = make_rule("protect", id="keep-xiaolao", phrase="效劳", by="mod", why="wrong repair")
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


async def test_a_rules_topic_created_later_is_followed(broker: Any, tmp_path: Any) -> None:
    settings = fresh_settings(broker, tmp_path, topic_rules=f"later{uuid.uuid4().hex[:8]}")
    follower = RulesFollower(settings)
    await follower.start()  # the topic is missing: start anyway, with no rules
    try:
        assert not follower.current() and not follower.caught_up.is_set()
        await contracts.apply(settings)
        await rules_kafka.put(settings, PROTECT)
        await eventually(lambda: follower.current() == RuleSet.of([PROTECT]),
                         "the rule on the topic created later")
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


# -- the worker -----------------------------------------------------------------------------
SPUN_POST = "大家经由过程设置装备摆设，正在效劳社会"  # without rules, 效劳 becomes 服务


def post(post_id: str) -> tuple[bytes, bytes]:
    return post_id.encode(), orjson.dumps({"id": post_id, "text": SPUN_POST})


async def outcomes(settings: Settings, count: int) -> dict[str, dict[str, Any]]:
    records = await consume(settings, [settings.topic_clean], count)
    events = {event["id"]: event for event in (orjson.loads(r.value) for r in records)}
    assert len(events) >= count  # redelivered duplicates (at least once) have the same id
    return events


@pytest.mark.parametrize("processes", [0, 1], ids=["in-loop", "child-process"])
async def test_a_rule_added_while_streaming_changes_later_outcomes_only(
        rules_settings: Settings, processes: int) -> None:
    settings = rules_settings.replace(processes=processes)
    protect = RuleSet.of([PROTECT])
    async with running_worker(settings) as app:
        assert app.rules.current().version == "none"
        await produce(settings, [post("before")])
        before = (await outcomes(settings, 1))["before"]
        assert before["processor"]["rules"] == "none"
        assert "效劳" not in before["text"]

        await rules_kafka.put(settings, PROTECT)
        await eventually(lambda: app.rules.current() == protect, "the worker to take the rule")
        await produce(settings, [post("after")])
        events = await outcomes(settings, 2)
    after = events["after"]
    assert after["processor"]["rules"] == protect.version
    assert "效劳" in after["text"] and "配置" in after["text"]
    assert events["before"] == before  # the earlier outcome was not redone


async def test_two_workers_converge(rules_settings: Settings, tmp_path: Any) -> None:
    settings = rules_settings
    for rule in (PROTECT, DISABLE):
        await rules_kafka.put(settings, rule)
    await rules_kafka.remove(settings, DISABLE.id)
    expected = RuleSet.of([PROTECT])
    # A second replica of the same group (its own port and data folder).
    other = settings.replace(web_port=free_port(), data_dir=str(tmp_path / "second"))
    async with running_worker(settings) as first, running_worker(other) as second:
        # Both read the topic before consuming: the rules are in force from the first post.
        assert first.rules.current() == expected == second.rules.current()
        await rules_kafka.put(settings, RESTORE)
        both = RuleSet.of([PROTECT, RESTORE])
        await eventually(lambda: first.rules.current() == both == second.rules.current(),
                         "both workers to take the new rule")
        await produce(settings, [post(f"p{i}") for i in range(12)])  # to every partition
        events = await outcomes(settings, 12)
    assert {event["processor"]["rules"] for event in events.values()} == {both.version}
    assert all("效劳" in event["text"] for event in events.values())


async def test_a_restarted_worker_recovers_the_rules(rules_settings: Settings, tmp_path: Any
                                                     ) -> None:
    settings = rules_settings
    async with running_worker(settings) as app:
        await rules_kafka.put(settings, PROTECT)
        await rules_kafka.put(settings, RESTORE)
        await rules_kafka.remove(settings, RESTORE.id)
        await eventually(lambda: app.rules.current() == RuleSet.of([PROTECT]), "the rules")
    # Started later (a new app of the same group): the rules are read before the first post.
    later = settings.replace(web_port=free_port(), data_dir=str(tmp_path / "later"))
    async with running_worker(later) as restarted:
        assert restarted.rules.current() == RuleSet.of([PROTECT])
        await produce(settings, [post("late")])
        late = (await outcomes(settings, 1))["late"]
    assert late["processor"]["rules"] == RuleSet.of([PROTECT]).version
    assert "效劳" in late["text"]


async def test_a_bad_rule_on_the_topic_is_skipped_and_the_worker_keeps_going(
        rules_settings: Settings) -> None:
    settings = rules_settings
    await write_raw(settings, b"huge", orjson.dumps({"action": "protect", "phrase": "字" * 65}))
    async with running_worker(settings) as app:
        assert sample(app.metrics, "qingliu_rules_invalid_total", {"reason": "too_large"}) == 1
        await write_raw(settings, b"empty", b'{"action": "protect", "phrase": ""}')
        await rules_kafka.put(settings, PROTECT)
        await eventually(lambda: app.rules.current() == RuleSet.of([PROTECT]), "the good rule")
        assert sample(app.metrics, "qingliu_rules_invalid_total", {"reason": "empty"}) == 1
        await produce(settings, [post("p1")])
        event = (await outcomes(settings, 1))["p1"]
        assert event["processor"]["rules"] == RuleSet.of([PROTECT]).version
        assert b"qingliu_rules_version_info" in app.metrics.render()
