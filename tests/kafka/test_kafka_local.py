"""service.kafka_local: clear errors without Java or jars, and a data dir that survives restarts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import qingliu_kafka_harness as h

from service import kafka_local
from service.ports import ephemeral_ports, free_ports


def test_missing_jars_say_how_to_fetch_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_repo = tmp_path / "kafka"
    fake_repo.mkdir()
    shutil.copy(kafka_local.REPO_KAFKA / "pom.xml", fake_repo / "pom.xml")
    monkeypatch.setattr(kafka_local, "REPO_KAFKA", fake_repo)
    monkeypatch.setenv("QINGLIU_KAFKA_LIB", str(tmp_path / "empty"))
    monkeypatch.setenv("QINGLIU_KAFKA_CACHE", str(tmp_path / "cache"))
    with pytest.raises(kafka_local.KafkaUnavailable, match=r"deploy/kafka/fetch\.sh"):
        kafka_local.find_kafka_lib()


def test_missing_java_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    with pytest.raises(kafka_local.KafkaUnavailable, match=r"Java 17.*fetch\.sh"):
        kafka_local.find_java()


def test_pinned_version_is_kafka_4() -> None:
    assert kafka_local.kafka_version().split(".")[0] == "4"


def test_free_ports_are_distinct_and_free() -> None:
    ports = free_ports(6)
    assert len(set(ports)) == 6
    assert not any(kafka_local.port_open(p) for p in ports)


def test_free_ports_lie_outside_the_ephemeral_range() -> None:
    """An outgoing connection cannot take one between the pick and the listener's bind."""
    low, high = ephemeral_ports()
    assert low <= high
    assert not any(low <= port <= high for port in free_ports(20))


@pytest.mark.kafka
@pytest.mark.integration
def test_a_data_dir_keeps_cluster_and_messages_across_runs(kafka_jars: Path, tmp_path: Path) -> None:
    root = tmp_path / "kafka"
    topics = h.Topics.fresh("keep")
    posts = h.make_posts(50, "keep", bad_every=0)
    with kafka_local.start_kafka(1, root) as first:
        assert first.count(",") == 0 and first.startswith("127.0.0.1:")
        h.create_topics(first, topics, partitions=2)
        h.produce(first, topics.raw, posts)
        cluster_id = first.cluster.cluster_id
    assert not kafka_local.port_open(int(first.rsplit(":", 1)[1]))
    with kafka_local.start_kafka(1, root) as second:
        assert second == first and second.cluster.cluster_id == cluster_id
        records = h.read_all(second, [topics.raw])
    assert sorted(r.key for r in records) == sorted(k for k, _ in posts)


HARD_PASSWORDS = {"admin": 'p"w\\d ümlaut', "quote": '"', "short": "a",
                  "mixed": "x'y\"z\\\\n\u00a0語"}


def test_sasl_config_escapes_for_jaas_and_properties() -> None:
    text = kafka_local._sasl_config({"admin": 'p"w\\d', "u": "ü"})
    jaas = next(line for line in text.splitlines() if "jaas.config=" in line)
    assert jaas.isascii()  # Properties.load reads ISO-8859-1: non-ASCII as \uXXXX
    assert 'user_u="\\u00fc"' in jaas
    assert 'password="p\\\\"w\\\\\\\\d"' in jaas  # \" and \\ for JAAS, each \ doubled for .properties
    with pytest.raises(ValueError, match="user name"):
        kafka_local._sasl_config({"bad name": "x"})


@pytest.mark.kafka
@pytest.mark.integration
def test_sasl_accepts_passwords_with_quotes_backslashes_and_non_ascii(
        kafka_jars: Path, tmp_path: Path) -> None:
    import asyncio

    from aiokafka.admin import AIOKafkaAdminClient

    async def authenticates(bootstrap: str, user: str, password: str) -> bool:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000,
                                    security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN",
                                    sasl_plain_username=user, sasl_plain_password=password)
        try:
            await asyncio.wait_for(admin.start(), 30)
            await asyncio.wait_for(admin.list_topics(), 30)
            return True
        except Exception:
            return False
        finally:
            await admin.close()

    with kafka_local.start_kafka(1, tmp_path / "sasl", sasl_users=HARD_PASSWORDS) as bootstrap:
        for user, password in HARD_PASSWORDS.items():
            assert asyncio.run(authenticates(bootstrap, user, password)), user
        assert not asyncio.run(authenticates(bootstrap, "quote", "wrong"))


OWNER = """
import sys, time
from service.kafka_local import start_kafka
with start_kafka(1, sys.argv[1]) as bootstrap:
    print(bootstrap.cluster.nodes[0].proc.pid, flush=True)
    time.sleep(600)
"""


@pytest.mark.kafka
@pytest.mark.integration
def test_nodes_die_with_the_process_that_started_them(kafka_jars: Path, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    import psutil

    owner = subprocess.Popen([sys.executable, "-c", OWNER, str(tmp_path / "k")],
                             stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                             start_new_session=True)
    node = None
    try:
        assert owner.stdout is not None
        node = psutil.Process(int(owner.stdout.readline()))
        os.kill(owner.pid, signal.SIGKILL)
        owner.wait(30)
        deadline = time.monotonic() + 20
        while node.is_running() and node.status() != psutil.STATUS_ZOMBIE:
            assert time.monotonic() < deadline, "the Kafka node outlived its owner"
            time.sleep(0.2)
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait(30)
        if node is not None and node.is_running():
            node.kill()
