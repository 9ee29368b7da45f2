"""The rules topic through aiokafka: write a rule or a tombstone, read every rule, follow it.

The topic is read without a consumer group: every reader takes all of its partitions from the
beginning (the topic is compacted, so that is every rule's latest record).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from service.config import Settings
from service.errors import QingliuError
from service.rules.model import Rule
from service.rules.store import RulesStore, Skipped

log = logging.getLogger(__name__)

FETCH_WAIT_MS = 100


class RulesTopicMissing(QingliuError):
    """The rules topic does not exist (yet)."""


async def open_consumer(settings: Settings) -> Any:
    """A started, group-less consumer assigned every partition of the rules topic, positioned
    at the beginning.  Raises :class:`RulesTopicMissing` if the topic does not exist.

    Partitions are assigned explicitly after an all-topics metadata request, which (unlike a
    subscription) never makes a broker auto-create the topic without compaction.
    """
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from service.worker.compat import fetch_all_metadata

    kafka = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap, group_id=None, enable_auto_commit=False,
        auto_offset_reset="earliest", fetch_max_wait_ms=FETCH_WAIT_MS, **settings.kafka_auth(),
    )
    await kafka.start()
    try:
        cluster = await fetch_all_metadata(kafka)
        partitions = cluster.partitions_for_topic(settings.topic_rules)
        if not partitions:
            raise RulesTopicMissing(f"topic {settings.topic_rules} does not exist; create it "
                                    "(compacted) with `qingliu topics apply`")
        assigned = [TopicPartition(settings.topic_rules, p) for p in sorted(partitions)]
        kafka.assign(assigned)
        await kafka.seek_to_beginning(*assigned)
    except BaseException:
        await kafka.stop()
        raise
    return kafka


async def catch_up(kafka: Any, store: RulesStore, timeout: float,
                   on_skip: Callable[[Skipped], None] | None = None) -> bool:
    """Read until every partition's position reaches its end offset as of now.

    Returns whether it did within ``timeout`` (what was read is in ``store`` either way).
    """
    partitions = set(kafka.assignment())
    ends = await kafka.end_offsets(list(partitions))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        behind = [tp for tp in partitions if await kafka.position(tp) < ends[tp]]
        if not behind:
            return True
        if loop.time() > deadline:
            return False
        batch = await kafka.getmany(timeout_ms=200, max_records=1000)
        take(store, batch, on_skip)


def take(store: RulesStore, batch: dict[Any, list[Any]],
         on_skip: Callable[[Skipped], None] | None = None) -> int:
    """Apply a fetched batch to ``store`` in offset order per partition; returns the count."""
    count = 0
    for records in batch.values():
        for record in records:
            skipped = store.apply(record.key, record.value)
            count += 1
            if skipped is not None and on_skip is not None:
                on_skip(skipped)
    return count


async def read_all(settings: Settings, timeout: float = 30.0,
                   on_skip: Callable[[Skipped], None] | None = None) -> RulesStore:
    """Every rule on the topic now (``qingliu rules list``)."""
    kafka = await open_consumer(settings)
    try:
        store = RulesStore()
        if not await catch_up(kafka, store, timeout, on_skip):
            raise QingliuError(f"reading {settings.topic_rules} took more than {timeout:.0f} s")
        store.snapshot()
        return store
    finally:
        await kafka.stop()


async def require_topic(settings: Settings) -> None:
    """Raise :class:`RulesTopicMissing` unless the rules topic exists."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap, request_timeout_ms=15000,
                                **settings.kafka_auth())
    await admin.start()
    try:
        if settings.topic_rules not in set(await admin.list_topics()):
            raise RulesTopicMissing(f"topic {settings.topic_rules} does not exist; create it "
                                    "(compacted) with `qingliu topics apply`")
    finally:
        await admin.close()


async def write(settings: Settings, records: list[tuple[str, bytes | None]]) -> None:
    """Send ``(rule id, value or None for a tombstone)`` records and wait for the acks."""
    from aiokafka import AIOKafkaProducer

    await require_topic(settings)  # a broker that auto-creates topics would not compact it
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, acks="all",
                                **settings.kafka_auth())
    await producer.start()
    try:
        sent: list[Awaitable[Any]] = [
            await producer.send(settings.topic_rules, key=key.encode("utf-8"), value=value)
            for key, value in records]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def put(settings: Settings, rule: Rule) -> None:
    """Add or replace ``rule`` on the rules topic."""
    await write(settings, [(rule.id, rule.to_bytes())])


async def remove(settings: Settings, rule_id: str) -> None:
    """Remove the rule ``rule_id`` (a tombstone)."""
    await write(settings, [(rule_id, None)])
