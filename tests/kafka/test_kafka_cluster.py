"""A three-node Apache Kafka cluster (replication 3, min.insync.replicas 2) losing a broker.

One broker is killed with SIGKILL while posts are being produced and processed, and restarted on
its log directory a few seconds later.  The worker must keep going and nothing may be lost.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import qingliu_kafka_harness as h

pytestmark = [pytest.mark.kafka, pytest.mark.integration]


def _leader_of_most(bootstrap: str, topic: str) -> int:
    """The node id leading most partitions of ``topic`` (the broker whose loss hurts most)."""
    import asyncio
    from collections import Counter

    from aiokafka.admin import AIOKafkaAdminClient

    async def describe() -> int:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            (meta,) = await admin.describe_topics([topic])
            return Counter(p["leader"] for p in meta["partitions"]).most_common(1)[0][0]
        finally:
            await admin.close()

    return asyncio.run(describe())


@pytest.mark.slow  # 20-33 s: a broker outage and its recovery, with test files run in parallel
@pytest.mark.parametrize("guarantee", ["at_least_once", "exactly_once"])
def test_broker_killed_and_restarted_mid_stream(kafka3: str, workers: list, logdir: Path,
                                                guarantee: str) -> None:
    cluster = kafka3.cluster
    topics = h.Topics.fresh("node")
    h.create_topics(kafka3, topics, partitions=4, replication=3)
    posts = h.make_posts(900, "n3")
    keys = [k for k, _ in posts]
    h.produce(kafka3, topics.raw, posts[:150])
    producer = h.BackgroundProducer(kafka3, topics.raw, posts[150:], rate=100)
    w = h.Worker(kafka3, topics, h.unique("g"), guarantee, logdir, "w",
                 env={"QINGLIU_REPLICATION": "3"})
    workers.append(w.start())
    w.wait_ready(90)
    h.wait_for_outcomes(kafka3, topics, keys, fraction=0.15, check=w.assert_alive)
    # the rest is produced from now on (7.5 s at this rate), so the kill lands mid-stream
    # however long a loaded machine took to start the worker
    producer.start()

    victim = _leader_of_most(kafka3, topics.raw)
    cluster.kill_node(victim)
    down_since = time.monotonic()
    sent_at_kill = producer.sent
    # keep going on two brokers: more outcomes must appear while the victim is down
    h.wait_for_outcomes(kafka3, topics, keys, fraction=0.5, timeout=120, check=w.assert_alive)
    while time.monotonic() - down_since < 5:
        w.assert_alive()
        time.sleep(0.2)
    cluster.start_node(victim, timeout=90)

    producer.join_checked(180)
    assert producer.sent == len(posts) - 150
    assert sent_at_kill < producer.sent, "the producer finished before the broker was killed"
    h.wait_for_outcomes(kafka3, topics, keys, isolation="read_committed", timeout=180,
                        check=w.assert_alive)
    w.wait_ready(60)
    assert w.terminate(60) == 0

    result = h.tally(kafka3, topics, keys)
    h.report(f"3 brokers, node {victim} kill -9 + restart, {guarantee}", result)
    assert not result.lost, f"lost {len(result.lost)} posts, e.g. {result.lost[:5]}"
    assert not result.both
    if guarantee == "exactly_once":
        assert not result.duplicated


def test_three_nodes_replicate_three_ways_with_min_isr_two(kafka3: str) -> None:
    import asyncio

    from aiokafka.admin import AIOKafkaAdminClient

    cluster = kafka3.cluster
    assert len(cluster.nodes) == 3 and kafka3.count(",") == 2
    for node in cluster.nodes:
        config = node.config.read_text()
        assert "min.insync.replicas=2" in config and "default.replication.factor=3" in config
    topics = h.Topics.fresh("rf")
    h.create_topics(kafka3, topics, partitions=3, replication=3)

    async def describe() -> list:
        """The topic's partitions, once the broker answering has the new topic in its metadata
        (each broker learns of a new topic asynchronously)."""
        admin = AIOKafkaAdminClient(bootstrap_servers=kafka3)
        await admin.start()
        try:
            for _ in range(150):
                (meta,) = await admin.describe_topics([topics.raw])
                if meta["partitions"]:
                    return meta["partitions"]
                await asyncio.sleep(0.2)
            return []
        finally:
            await admin.close()

    partitions = asyncio.run(describe())
    assert len(partitions) == 3
    assert all(sorted(p["replicas"]) == [1, 2, 3] for p in partitions)
