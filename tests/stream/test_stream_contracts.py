"""Topic definitions and schemas in topics/, and `topics apply` against the broker."""

from __future__ import annotations

import jsonschema
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from service import contracts
from service.errors import ConfigError
from service.pipeline import Origin, process_message

from .conftest import fresh_settings

ROLES = ("raw", "clean", "dlq")


def test_definitions_cover_the_three_topics():
    spec = contracts.definitions()
    assert spec["version"] == 1
    for role in ROLES:
        topic = spec["topics"][role]
        assert topic["partitions"] >= 1 and topic["replication"] >= 1
        assert topic["config"]["cleanup.policy"] == "delete"
        assert int(topic["config"]["retention.ms"]) > 0
        assert topic["key"]["format"] and topic["value"]["format"] == "json"
        jsonschema.Draft202012Validator.check_schema(contracts.schema(role))
    names = [spec["topics"][r]["name"] for r in ROLES]
    assert names == ["posts.raw", "posts.clean", "posts.dlq"]


def test_dlq_accepts_more_than_raw_allows():
    raw = int(contracts.definitions()["topics"]["raw"]["config"]["max.message.bytes"])
    dlq = int(contracts.definitions()["topics"]["dlq"]["config"]["max.message.bytes"])
    assert dlq >= raw * 4 // 3 + 4096, "a dead letter carries the raw value base64-encoded"
    assert raw > 1 << 20, "a post over the 1 MiB default limit must reach the worker"


def test_pipeline_outputs_match_the_schemas():
    clean = process_message(b'{"id": "a", "text": "hello", "meta": {"x": 1}}', b"a")
    contracts.validator("clean").validate(clean.value)
    dead = process_message(b"[]", None, Origin("posts.raw", 3, 9, 1700000000000))
    contracts.validator("dlq").validate(dead.value)
    contracts.validator("raw").validate({"id": "a", "text": "hello", "ts": 1})
    with pytest.raises(jsonschema.ValidationError):
        contracts.validator("raw").validate({"id": "a"})


def test_overrides_from_settings(tmp_path, broker):
    settings = fresh_settings(broker, tmp_path, partitions=3, replication=1)
    specs = {s.role: s for s in contracts.specs(settings)}
    assert specs["raw"].name == settings.topic_raw and specs["raw"].partitions == 3
    assert specs["dlq"].partitions == 1


@pytest.mark.integration
async def test_apply_is_idempotent(tmp_path, broker):
    settings = fresh_settings(broker, tmp_path)
    first = await contracts.apply(settings)
    assert all(line.startswith("created") for line in first)
    second = await contracts.apply(settings)
    assert all(line.startswith("ok") for line in second)
    rows = {row["role"]: row for row in await contracts.describe(settings)}
    assert rows["raw"]["partitions"] == 4 and rows["dlq"]["partitions"] == 1


async def _create_with_another_client(settings, topics: list[NewTopic]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap)
    await admin.start()
    try:
        await admin.create_topics(topics)
    finally:
        await admin.close()


@pytest.mark.integration
async def test_apply_rejects_an_auto_created_topic(tmp_path, broker):
    settings = fresh_settings(broker, tmp_path)
    await _create_with_another_client(settings, [NewTopic(settings.topic_raw, 1, 1)])
    with pytest.raises(ConfigError, match="partitions"):
        await contracts.apply(settings)


@pytest.mark.integration
async def test_apply_right_after_another_client_created_the_topics(tmp_path, broker):
    """Topics listed before their partitions reach every broker are waited for, not rejected."""
    settings = fresh_settings(broker, tmp_path)
    await _create_with_another_client(settings, [
        NewTopic(spec.name, spec.partitions, spec.replication) for spec in contracts.specs(settings)
    ])
    lines = await contracts.apply(settings)
    assert all(line.startswith("ok") for line in lines), lines
