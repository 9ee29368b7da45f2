"""Smoke test of ``qingliu bench backlog`` (the 100k-post run is a benchmark, not a test)."""

from __future__ import annotations

import argparse
import json

import pytest

from service.benchmarks import backlog


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    backlog.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_backlog_batch_and_linearity_report_their_figures(capsys: pytest.CaptureFixture) -> None:
    args = _args("--posts", "300", "--sample-every", "100", "--lengths", "500,5000",
                 "--repeat", "1", "--json")
    assert backlog.run(args) == 0
    out = capsys.readouterr().out
    figures = json.loads(out.strip().splitlines()[-1])
    batch = figures["batch"]
    assert batch["posts"] == 300 and batch["clean"] + batch["dlq"] == 300
    assert batch["peak_rss_mib"] >= batch["start_rss_mib"] > 0
    # The batch runs in this test process, whose RSS already holds what earlier tests loaded: bound
    # what the run adds (the engine's data included), not the total (the 400 MiB per-worker target
    # is the benchmark's, measured in a fresh process).
    assert batch["peak_rss_mib"] - batch["start_rss_mib"] < 300
    rows = figures["linearity"]["rows"]
    assert [r["chars"] for r in rows] == [500, 5000]
    assert all(r["outcome"] == "clean" for r in rows)
    assert "peak" in out and "µs/char" in out


@pytest.mark.kafka
@pytest.mark.integration
def test_backlog_through_a_worker_on_kafka(kafka1: str, capsys: pytest.CaptureFixture) -> None:
    args = _args("--posts", "400", "--mode", "worker", "--broker", f"kafka://{kafka1}",
                 "--partitions", "2", "--timeout", "120", "--json")
    assert backlog.run(args) == 0
    worker = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["worker"]
    assert worker["outcomes"] == 400
    assert worker["peak_rss_mib"] > 0
