"""The worker against a broker that is not there: started first, then a 30-second outage.

Readiness must say so (``/readyz`` 503 while the broker is away, 200 once it is back and
partitions are assigned), the process must keep running, and every post must get its outcome.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import qingliu_kafka_harness as h

from service import kafka_local

pytestmark = [pytest.mark.kafka, pytest.mark.integration, pytest.mark.slow]

OUTAGE_S = 30.0


def _hold_down(worker: h.Worker, seconds: float) -> list[int]:
    """Poll /readyz for ``seconds`` while the broker is away; returns the statuses seen."""
    seen = []
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        worker.assert_alive()
        seen.append(worker.get("/readyz")[0])
        time.sleep(0.5)
    return seen


def test_worker_before_broker_and_a_30s_outage(kafka_jars: Path, workers: list,
                                               tmp_path: Path) -> None:
    cluster = kafka_local.create_cluster(1, tmp_path / "kafka")
    try:
        cluster.start()
        bootstrap = cluster.bootstrap
        topics = h.Topics.fresh("outage")
        h.create_topics(bootstrap, topics, partitions=4)
        cluster.stop_node(1)  # topics exist; now the broker is gone

        # 1. the worker starts first and waits
        w = h.Worker(bootstrap, topics, h.unique("g"), "at_least_once", tmp_path, "w")
        workers.append(w.start())
        w.wait_status(503, timeout=60)  # web server up, not ready
        statuses = _hold_down(w, 5)
        assert 200 not in statuses, "ready without a broker"

        cluster.start_node(1, timeout=90)
        w.wait_ready(120)
        posts = h.make_posts(600, "out")
        keys = [k for k, _ in posts]
        h.produce(bootstrap, topics.raw, posts[:300])
        h.wait_for_outcomes(bootstrap, topics, keys[:300], check=w.assert_alive)

        # 2. a 30 s outage with work in flight
        h.produce(bootstrap, topics.raw, posts[300:450])
        cluster.kill_node(1)
        statuses = _hold_down(w, OUTAGE_S)
        assert 503 in statuses, f"/readyz never reported the outage: {sorted(set(statuses))}"
        cluster.start_node(1, timeout=90)
        w.wait_ready(120)
        h.produce(bootstrap, topics.raw, posts[450:])
        h.wait_for_outcomes(bootstrap, topics, keys, timeout=180, check=w.assert_alive)
        assert w.terminate(60) == 0

        result = h.tally(bootstrap, topics, keys)
        h.report("worker before broker + 30 s outage", result)
        assert not result.lost, f"lost {len(result.lost)} posts, e.g. {result.lost[:5]}"
        assert not result.both
    finally:
        cluster.close()
