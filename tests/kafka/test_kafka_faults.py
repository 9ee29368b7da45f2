"""Worker faults on a single Apache Kafka node: kill -9, SIGTERM, rebalances, a broker restart.

Each test produces posts (one in ten malformed, so dead letters are counted too) while workers
run, injects its fault mid-stream, lets the workers finish and then tallies produced, clean,
dead-lettered, lost and duplicated posts from the topics themselves.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import qingliu_kafka_harness as h

pytestmark = [pytest.mark.kafka, pytest.mark.integration]

POSTS = 1200
RATE = 300.0  # posts/s: the stream is still flowing when the fault hits



def _run_stream(bootstrap: str, topics: h.Topics, prefix: str) -> tuple[list, h.BackgroundProducer]:
    posts = h.make_posts(POSTS, prefix)
    h.produce(bootstrap, topics.raw, posts[:200])  # a backlog to start with
    producer = h.BackgroundProducer(bootstrap, topics.raw, posts[200:], RATE)
    return posts, producer


@pytest.mark.parametrize("guarantee", ["exactly_once", "at_least_once"])
def test_kill9_mid_stream(kafka1: str, workers: list, logdir: Path, guarantee: str) -> None:
    topics = h.Topics.fresh("kill9")
    h.create_topics(kafka1, topics, partitions=4)
    group = h.unique("g")
    posts, producer = _run_stream(kafka1, topics, "k9")
    keys = [k for k, _ in posts]
    first = h.Worker(kafka1, topics, group, guarantee, logdir, "first")
    workers.append(first.start())
    producer.start()
    first.wait_ready(90)
    done = h.wait_for_outcomes(kafka1, topics, keys, fraction=0.3, check=first.assert_alive)
    first.kill9()
    assert done < len(keys), "the stream finished before the kill; raise POSTS"

    second = h.Worker(kafka1, topics, group, guarantee, logdir, "second")
    workers.append(second.start())
    producer.join_checked(120)
    h.wait_for_outcomes(kafka1, topics, keys, isolation="read_committed", timeout=180,
                        check=second.assert_alive)
    assert second.terminate() == 0

    result = h.tally(kafka1, topics, keys)
    h.report(f"kill -9 {guarantee}", result)
    uncommitted = h.tally(kafka1, topics, keys, isolation="read_uncommitted")
    h.report(f"kill -9 {guarantee} (read_uncommitted view)", uncommitted)
    assert not result.lost, f"lost {len(result.lost)} posts, e.g. {result.lost[:5]}"
    assert not result.both
    assert sum(result.dlq.values()) >= POSTS // 10
    if guarantee == "exactly_once":
        assert not result.duplicated, f"duplicates under exactly_once: {list(result.duplicated)[:5]}"
        assert all(result.clean[k] + result.dlq[k] == 1 for k in keys)


def test_sigterm_is_graceful(kafka1: str, workers: list, logdir: Path) -> None:
    """SIGTERM mid-stream under at-least-once: the worker commits what it published, no duplicates."""
    topics = h.Topics.fresh("term")
    h.create_topics(kafka1, topics, partitions=4)
    group = h.unique("g")
    posts, producer = _run_stream(kafka1, topics, "tm")
    keys = [k for k, _ in posts]
    first = h.Worker(kafka1, topics, group, "at_least_once", logdir, "first")
    workers.append(first.start())
    producer.start()
    first.wait_ready(90)
    done = h.wait_for_outcomes(kafka1, topics, keys, fraction=0.3, check=first.assert_alive)
    assert first.terminate(60) == 0
    assert done < len(keys)

    second = h.Worker(kafka1, topics, group, "at_least_once", logdir, "second")
    workers.append(second.start())
    producer.join_checked(120)
    h.wait_for_outcomes(kafka1, topics, keys, timeout=180, check=second.assert_alive)
    assert second.terminate(60) == 0

    result = h.tally(kafka1, topics, keys)
    h.report("SIGTERM at_least_once", result)
    assert not result.lost, f"lost {len(result.lost)} posts, e.g. {result.lost[:5]}"
    assert not result.duplicated, f"SIGTERM duplicated {len(result.duplicated)} posts"
    assert not result.both


@pytest.mark.parametrize("guarantee", ["at_least_once", "exactly_once"])
def test_workers_join_and_leave_during_backlog(kafka1: str, workers: list, logdir: Path,
                                               guarantee: str) -> None:
    """Three workers come and go (join, SIGTERM, kill -9) while a backlog drains: nothing lost."""
    topics = h.Topics.fresh("rebal")
    h.create_topics(kafka1, topics, partitions=6)
    group = h.unique("g")
    posts = h.make_posts(POSTS, "rb")
    keys = [k for k, _ in posts]
    h.produce(kafka1, topics.raw, posts[:400])
    producer = h.BackgroundProducer(kafka1, topics.raw, posts[400:], RATE)

    def worker(name: str) -> h.Worker:
        started = h.Worker(kafka1, topics, group, guarantee, logdir, name).start()
        workers.append(started)
        return started

    a = worker("a")
    producer.start()
    a.wait_ready(90)
    h.wait_for_outcomes(kafka1, topics, keys, fraction=0.15, check=a.assert_alive)
    b = worker("b")
    c = worker("c")
    h.wait_for_outcomes(kafka1, topics, keys, fraction=0.35, check=b.assert_alive)
    assert a.terminate(60) == 0  # leaves gracefully
    h.wait_for_outcomes(kafka1, topics, keys, fraction=0.55, check=c.assert_alive)
    b.kill9()  # leaves without a word
    d = worker("d")  # and one more joins
    producer.join_checked(120)
    h.wait_for_outcomes(kafka1, topics, keys, isolation="read_committed", timeout=180,
                        check=c.assert_alive)
    for w in (c, d):
        assert w.terminate(60) == 0

    result = h.tally(kafka1, topics, keys)
    h.report(f"rebalance {guarantee}", result)
    assert not result.lost, f"lost {len(result.lost)} posts, e.g. {result.lost[:5]}"
    assert not result.both
    if guarantee == "exactly_once":
        assert not result.duplicated


def test_single_node_broker_restart_keeps_everything(kafka1: str, workers: list,
                                                     logdir: Path) -> None:
    """kill -9 of the only broker mid-stream, restarted on its log directory: nothing lost."""
    cluster = kafka1.cluster
    topics = h.Topics.fresh("brk1")
    h.create_topics(kafka1, topics, partitions=4)
    group = h.unique("g")
    posts = h.make_posts(800, "b1")
    keys = [k for k, _ in posts]
    h.produce(kafka1, topics.raw, posts[:500])
    w = h.Worker(kafka1, topics, group, "at_least_once", logdir, "w")
    workers.append(w.start())
    w.wait_ready(90)
    h.wait_for_outcomes(kafka1, topics, keys[:500], fraction=0.2, check=w.assert_alive)
    cluster.kill_node(1)
    cluster.start_node(1, timeout=90)
    h.produce(kafka1, topics.raw, posts[500:])
    h.wait_for_outcomes(kafka1, topics, keys, timeout=180, check=w.assert_alive)
    w.wait_ready(60)
    assert w.terminate(60) == 0

    result = h.tally(kafka1, topics, keys)
    h.report("single broker kill -9 + restart", result)
    assert not result.lost, f"lost {len(result.lost)} posts, e.g. {result.lost[:5]}"
    assert not result.both
