"""Fixtures of the Apache Kafka tier: a single KRaft node and a three-node cluster.

The jars come from ``deploy/kafka/fetch.sh`` (run here when they are missing, so a fresh machine
works); the tests skip only when no Java 17+ is installed.  One broker/cluster per test module.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from service import kafka_local


def _harness():
    name = "qingliu_kafka_harness"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_harness()


@pytest.fixture(scope="session")
def kafka_jars() -> Path:
    """The Kafka jar folder (fetched from Maven Central on first use); skips without Java."""
    try:
        kafka_local.find_java()
    except kafka_local.KafkaUnavailable as exc:
        pytest.skip(f"Apache Kafka tier skipped: {exc}")
    try:
        return kafka_local.find_kafka_lib()
    except kafka_local.KafkaUnavailable:
        return kafka_local.fetch_kafka()


@pytest.fixture(scope="module")
def kafka1(kafka_jars: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A single KRaft node (its log directory survives restarts within the module)."""
    root = tmp_path_factory.mktemp("kafka1")
    with kafka_local.start_kafka(1, root) as bootstrap:
        yield bootstrap


@pytest.fixture(scope="module")
def kafka3(kafka_jars: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Three KRaft nodes: replication factor 3, min.insync.replicas 2."""
    root = tmp_path_factory.mktemp("kafka3")
    with kafka_local.start_kafka(3, root) as bootstrap:
        yield bootstrap


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list]:
    """A list to append started workers to; all are stopped at the end of the test."""
    started: list = []
    yield started
    for worker in started:
        worker.close()


@pytest.fixture
def logdir(tmp_path: Path) -> Path:
    return tmp_path


