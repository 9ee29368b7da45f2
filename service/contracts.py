"""The topic contract in ``topics/``: topic definitions, JSON Schemas, and ``topics apply``.

``topics/topics.v1.json`` defines posts.raw / posts.clean / posts.dlq and the compacted
qingliu.rules (partitions, replication, retention, cleanup policy, key/value format);
``topics/schemas/*.json`` are the value schemas.
Names, partitions and replication are overridable through :mod:`service.config`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from service.config import Settings
from service.errors import ConfigError

TOPICS_DIR_ENV = "QINGLIU_TOPICS_DIR"
TOPICS_FILE = "topics.v1.json"
ROLES = ("raw", "clean", "dlq", "rules")
SINGLE_PARTITION = ("dlq", "rules")  # QINGLIU_PARTITIONS does not apply to these


def topics_dir() -> Path:
    """``$QINGLIU_TOPICS_DIR``, else ``topics/`` next to the package (source checkouts)."""
    candidates = []
    if os.environ.get(TOPICS_DIR_ENV):
        candidates.append(Path(os.environ[TOPICS_DIR_ENV]))
    candidates.append(Path(__file__).resolve().parents[1] / "topics")
    for candidate in candidates:
        if (candidate / TOPICS_FILE).is_file():
            return candidate
    raise ConfigError(
        f"cannot find {TOPICS_FILE}; set {TOPICS_DIR_ENV} to the repository's topics/ directory"
    )


@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def definitions() -> dict[str, Any]:
    """The parsed topic definition file."""
    return _load(str(topics_dir() / TOPICS_FILE))


def schema(role: str) -> dict[str, Any]:
    """The JSON Schema of the values of topic ``role`` (raw, clean or dlq)."""
    spec = definitions()["topics"][role]
    return _load(str(topics_dir() / spec["value"]["schema"]))


def validator(role: str) -> Any:
    """A jsonschema validator for the values of topic ``role``."""
    import jsonschema

    return jsonschema.Draft202012Validator(schema(role))


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic as it should exist on the broker."""

    role: str
    name: str
    partitions: int
    replication: int
    config: dict[str, str]


def specs(settings: Settings) -> list[TopicSpec]:
    """The contract's topics with names/partitions/replication from ``settings`` where given."""
    names = {"raw": settings.topic_raw, "clean": settings.topic_clean, "dlq": settings.topic_dlq,
             "rules": settings.topic_rules}
    out = []
    for role in ROLES:
        spec = definitions()["topics"][role]
        partitions = spec["partitions"]
        if settings.partitions and role not in SINGLE_PARTITION:
            partitions = settings.partitions
        out.append(TopicSpec(
            role=role,
            name=names[role],
            partitions=partitions,
            replication=settings.replication or spec["replication"],
            config=dict(spec.get("config", {})),
        ))
    return out


def _admin(settings: Settings) -> Any:
    from aiokafka.admin import AIOKafkaAdminClient

    return AIOKafkaAdminClient(
        bootstrap_servers=settings.bootstrap, request_timeout_ms=15000, **settings.kafka_auth()
    )


async def describe(settings: Settings) -> list[dict[str, Any]]:
    """What the broker has for each topic: ``{role, name, exists, partitions, config}``."""
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    admin = _admin(settings)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        out = []
        for spec in specs(settings):
            row: dict[str, Any] = {"role": spec.role, "name": spec.name,
                                   "exists": spec.name in existing, "partitions": None,
                                   "replication": None, "config": {}}
            if row["exists"]:
                (meta,) = await admin.describe_topics([spec.name])
                parts = meta.get("partitions", [])
                row["partitions"] = len(parts)
                row["replication"] = len(parts[0]["replicas"]) if parts else None
                try:
                    (resp,) = await admin.describe_configs(
                        [ConfigResource(ConfigResourceType.TOPIC, spec.name)]
                    )
                    for resource in resp.resources:
                        for entry in resource[4]:
                            if entry[0] in spec.config:
                                row["config"][entry[0]] = entry[1]
                except Exception:  # brokers that do not support DescribeConfigs
                    pass
            out.append(row)
        return out
    finally:
        await admin.close()


async def apply(settings: Settings) -> list[str]:
    """Create missing topics; check existing ones.  Returns what was done, one line per topic.

    Idempotent.  Raises :class:`ConfigError` when an existing topic has fewer partitions than
    wanted (e.g. auto-created by the broker): the message says how to fix it.
    """
    from aiokafka.admin import NewTopic
    from aiokafka.errors import TopicAlreadyExistsError

    wanted = specs(settings)
    current = {row["name"]: row for row in await describe(settings)}
    # A topic another client has just created is listed before every broker has its partitions;
    # wait for them rather than call it a topic of zero partitions.
    settling = [name for name, row in current.items() if row["exists"] and not row["partitions"]]
    if settling:
        current = await _wait_until_visible(settings, settling)
    admin = _admin(settings)
    await admin.start()
    lines = []
    problems = []
    try:
        for spec in wanted:
            row = current[spec.name]
            if not row["exists"]:
                try:
                    response = await admin.create_topics([NewTopic(
                        spec.name, spec.partitions, spec.replication, topic_configs=spec.config,
                    )])
                    for topic_error in getattr(response, "topic_errors", []):
                        code = topic_error[1]
                        if code not in (0, TopicAlreadyExistsError.errno):
                            raise ConfigError(
                                f"creating {spec.name} failed: error {code} {topic_error[2:]}"
                            )
                except TopicAlreadyExistsError:
                    pass
                lines.append(f"created {spec.name} ({spec.role}): {spec.partitions} partitions, "
                             f"replication {spec.replication}")
            elif row["partitions"] != spec.partitions:
                problems.append(
                    f"{spec.name} has {row['partitions']} partitions, the contract wants "
                    f"{spec.partitions}; it was probably auto-created by the broker. Delete it "
                    f"(or set QINGLIU_PARTITIONS={row['partitions']}) and run `qingliu topics "
                    f"apply` again"
                )
            else:
                lines.append(f"ok      {spec.name} ({spec.role}): {spec.partitions} partitions")
    finally:
        await admin.close()
    if problems:
        raise ConfigError("; ".join(problems))
    created = [spec.name for spec in wanted if not current[spec.name]["exists"]]
    if created:
        await _wait_until_visible(settings, created)
    return lines


async def _wait_until_visible(
    settings: Settings, names: list[str], timeout: float = 30.0
) -> dict[str, dict[str, Any]]:
    """Wait until new topics show in the cluster's metadata (creation is asynchronous in Kafka);
    returns the last :func:`describe` rows by name."""
    import asyncio

    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        rows = {row["name"]: row for row in await describe(settings)}
        missing = [name for name in names if not rows[name]["partitions"]]
        if not missing:
            return rows
        if asyncio.get_running_loop().time() > deadline:
            raise ConfigError(f"created topics did not appear in the metadata within {timeout:.0f}"
                              f" s: {', '.join(missing)}; check the broker's logs")
        await asyncio.sleep(0.2)
