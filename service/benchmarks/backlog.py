"""A 100k-post backlog: flat memory (peak RSS) and time per post linear in its length.

``qingliu bench backlog`` runs up to three phases:

* ``batch``: the posts through :func:`service.pipeline.process_message` in this process, generated
  lazily (the backlog itself is not held in memory), RSS sampled every ``--sample-every`` posts;
* ``worker``: the posts produced to a broker first, then drained by one ``qingliu worker``
  subprocess whose RSS is sampled every 0.5 s until every post has an outcome;
* ``linearity``: one post per length in ``--lengths`` (characters, up to 10 MiB) through
  ``process_message``, best of ``--repeat``; reports µs per character and the log-log slope of
  time against length (1.0 = linear).

Figures are printed, never asserted (``--json`` prints them as one JSON object too).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from typing import Any

from service.benchmarks.stream import stop_worker
from service.localbroker import broker_kind
from service.pipeline import Limits, Origin, process_message

DEFAULT_LENGTHS = "1000,10000,100000,1000000,4000000"
RSS_TARGET_MIB = 400


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``qingliu bench backlog``."""
    parser.add_argument("--posts", type=int, default=100_000, metavar="N",
                        help="posts in the backlog (default 100000)")
    parser.add_argument("--mode", default="batch,linearity",
                        help="comma-separated phases: batch, worker, linearity "
                        "(default batch,linearity)")
    parser.add_argument("--broker", default="kafka", metavar="KIND", type=broker_kind,
                        help="worker phase: kafka (local Apache Kafka), embedded (Tansu) or "
                        "kafka://host:port (default kafka)")
    parser.add_argument("--guarantee", default="at_least_once",
                        choices=("at_least_once", "exactly_once"))
    parser.add_argument("--partitions", type=int, default=6, metavar="N")
    parser.add_argument("--sample-every", type=int, default=1000, metavar="N",
                        help="batch phase: sample RSS every N posts (default 1000)")
    parser.add_argument("--lengths", default=DEFAULT_LENGTHS, metavar="L1,L2,…",
                        help=f"linearity phase: post lengths in characters (default {DEFAULT_LENGTHS})")
    parser.add_argument("--repeat", type=int, default=2, metavar="N",
                        help="linearity phase: best of N runs per length (default 2)")
    parser.add_argument("--timeout", type=float, default=3600.0, metavar="S",
                        help="worker phase: give up after S seconds")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")


def rss_mib(pid: int | None = None) -> float:
    """Resident set size of ``pid`` (default: this process) in MiB."""
    import psutil

    return psutil.Process(pid).memory_info().rss / (1 << 20)


def backlog_posts(count: int, run: str) -> Iterator[tuple[bytes, bytes]]:
    """``(key, value)`` for ``count`` posts built from the shipped samples, made lazily."""
    from service.samples import make_posts

    chunk = 1000
    for start in range(0, count, chunk):
        for value in make_posts(min(chunk, count - start), prefix=f"{run}-{start // chunk}"):
            ident = json.loads(value)["id"]
            yield ident.encode(), value


def _summary(samples: list[tuple[int, float]], total: int) -> dict[str, Any]:
    """Peak RSS and the growth over the second half of the run (a leak shows as growth)."""
    rss = [mib for _, mib in samples]
    half = [mib for n, mib in samples if n >= total // 2] or rss[-1:]
    first_half = [mib for n, mib in samples if n < total // 2] or rss[:1]
    return {
        "peak_rss_mib": round(max(rss), 1),
        "start_rss_mib": round(rss[0], 1),
        "end_rss_mib": round(rss[-1], 1),
        "max_first_half_mib": round(max(first_half), 1),
        "max_second_half_mib": round(max(half), 1),
        "second_half_growth_mib": round(max(half) - max(first_half), 1),
        "samples": [(n, round(mib, 1)) for n, mib in samples],
    }


def run_batch(count: int, sample_every: int) -> dict[str, Any]:
    """Every post through ``process_message`` in this process, sampling RSS."""
    run = f"bl{uuid.uuid4().hex[:6]}"
    samples = [(0, rss_mib())]
    kinds = {"clean": 0, "dlq": 0}
    started = time.perf_counter()
    for number, (key, value) in enumerate(backlog_posts(count, run), 1):
        outcome = process_message(value, key, Origin("backlog", 0, number))
        outcome.value_bytes()
        kinds[outcome.kind] += 1
        if number % sample_every == 0:
            samples.append((number, rss_mib()))
    elapsed = time.perf_counter() - started
    samples.append((count, rss_mib()))
    return {"posts": count, "seconds": round(elapsed, 2), "posts_per_s": round(count / elapsed, 1),
            **kinds, **_summary(samples, count)}


def _make_text(length: int) -> str:
    from service.samples import texts

    pool = "\n".join(texts("bench-texts.txt"))
    return (pool * (length // len(pool) + 1))[:length]


def run_linearity(lengths: list[int], repeat: int) -> dict[str, Any]:
    """Time one post per length; µs per character and the log-log slope of time vs length."""
    rows = []
    for length in lengths:
        value = json.dumps({"id": f"len-{length}", "text": _make_text(length)},
                           ensure_ascii=False).encode()
        limits = Limits(max_bytes=len(value) + 1)
        best = math.inf
        kind = ""
        for _ in range(max(1, repeat)):
            started = time.perf_counter()
            outcome = process_message(value, None, Origin("linearity", 0, 0), limits)
            outcome.value_bytes()
            best = min(best, time.perf_counter() - started)
            kind = outcome.error_code or outcome.kind
        rows.append({"chars": length, "bytes": len(value), "seconds": round(best, 4),
                     "us_per_char": round(best / length * 1e6, 3), "outcome": kind})
    slope = _loglog_slope([(r["chars"], r["seconds"]) for r in rows if r["seconds"] > 0])
    largest = rows[-1] if rows else {}
    return {"rows": rows, "loglog_slope": round(slope, 3) if slope == slope else None,
            "largest": largest}


def _loglog_slope(points: list[tuple[float, float]]) -> float:
    if len(points) < 2:
        return float("nan")
    xs = [math.log(x) for x, _ in points]
    ys = [math.log(y) for _, y in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else math.nan


# -- worker phase ---------------------------------------------------------------------------------


async def _produce(bootstrap: str, topic: str, count: int, run: str) -> list[bytes]:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, acks="all",
                                max_batch_size=1 << 20)
    await producer.start()
    keys = []
    try:
        pending = []
        for key, value in backlog_posts(count, run):
            keys.append(key)
            pending.append(await producer.send(topic, key=key, value=value))
            if len(pending) >= 5000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return keys


async def _drain(bootstrap: str, topics: list[str], expected: int, pid: int, timeout: float,
                 alive: Any) -> tuple[int, list[tuple[float, int, float]]]:
    """Count outcomes until ``expected``; sample the worker's RSS every 0.5 s."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", fetch_max_wait_ms=200,
                                isolation_level="read_committed")
    await consumer.start()
    seen = 0
    samples: list[tuple[float, int, float]] = []
    started = time.monotonic()
    next_sample = started
    try:
        while seen < expected and time.monotonic() - started < timeout and alive():
            batch = await consumer.getmany(timeout_ms=250, max_records=10000)
            seen += sum(len(messages) for messages in batch.values())
            if time.monotonic() >= next_sample:
                samples.append((time.monotonic() - started, seen, rss_mib(pid)))
                next_sample += 0.5
    finally:
        await consumer.stop()
    samples.append((time.monotonic() - started, seen, rss_mib(pid) if alive() else math.nan))
    return seen, samples


def run_worker(args: argparse.Namespace) -> dict[str, Any]:
    """Produce the backlog, start ``qingliu worker``, sample its RSS until it has drained."""
    from service import contracts
    from service.broker import free_port
    from service.config import Settings
    from service.localbroker import local_broker

    run = f"bl{uuid.uuid4().hex[:6]}"
    names = {role: f"backlog-{run}.{role}" for role in ("raw", "clean", "dlq")}
    with local_broker(args.broker) as url:
        settings = Settings(broker=url, topic_raw=names["raw"], topic_clean=names["clean"],
                            topic_dlq=names["dlq"], partitions=args.partitions)
        asyncio.run(contracts.apply(settings))
        t0 = time.perf_counter()
        keys = asyncio.run(_produce(settings.bootstrap, names["raw"], args.posts, run))
        produce_s = time.perf_counter() - t0
        env = dict(os.environ)
        env.update({
            "QINGLIU_BROKER": url, "QINGLIU_TOPIC_RAW": names["raw"],
            "QINGLIU_TOPIC_CLEAN": names["clean"], "QINGLIU_TOPIC_DLQ": names["dlq"],
            "QINGLIU_GROUP_ID": f"backlog-{run}", "QINGLIU_WEB_PORT": str(free_port()),
            "QINGLIU_PROCESSING_GUARANTEE": args.guarantee, "QINGLIU_LOG_LEVEL": "warning",
            "QINGLIU_DATA_DIR": tempfile.mkdtemp(prefix="qingliu-backlog-"),
        })
        log_path = os.path.join(tempfile.gettempdir(), f"qingliu-backlog-worker-{run}.log")
        with open(log_path, "ab") as log:
            worker = subprocess.Popen([sys.executable, "-m", "service.cli", "worker"], env=env,
                                      stdout=log, stderr=subprocess.STDOUT)
        try:
            seen, samples = asyncio.run(_drain(
                settings.bootstrap, [names["clean"], names["dlq"]], len(keys), worker.pid,
                args.timeout, lambda: worker.poll() is None))
        finally:
            stop_worker(worker, grace=60)
    rss = [(n, mib) for _, n, mib in samples if mib == mib]
    elapsed = samples[-1][0]
    first = next((t for t, n, _ in samples if n > 0), elapsed)
    out = {"posts": len(keys), "outcomes": seen, "broker": args.broker,
           "guarantee": args.guarantee, "produce_seconds": round(produce_s, 1),
           "drain_seconds": round(elapsed, 1),
           "posts_per_s": round(seen / elapsed, 1) if elapsed else None,
           "posts_per_s_after_first_outcome": round(seen / (elapsed - first), 1)
           if elapsed > first else None,
           "worker_log": log_path,
           **_summary(rss or [(0, math.nan)], len(keys))}
    if seen < len(keys):
        out["error"] = f"only {seen}/{len(keys)} outcomes (worker log: {log_path})"
    return out


def _print_memory(label: str, result: dict[str, Any]) -> None:
    verdict = "within" if result["peak_rss_mib"] <= RSS_TARGET_MIB else "ABOVE"
    print(f"{label}: {result['posts']:,} posts in {result.get('seconds', result.get('drain_seconds'))} s "
          f"({result['posts_per_s']:,} posts/s"
          + (f"; {result['posts_per_s_after_first_outcome']:,} after the first outcome"
             if result.get("posts_per_s_after_first_outcome") else "") + ")")
    print(f"  RSS MiB: start {result['start_rss_mib']}, peak {result['peak_rss_mib']} ({verdict} the "
          f"{RSS_TARGET_MIB} MiB target), end {result['end_rss_mib']}; max over first half "
          f"{result['max_first_half_mib']}, second half {result['max_second_half_mib']} "
          f"(growth {result['second_half_growth_mib']:+})")
    if "error" in result:
        print(f"  error: {result['error']}")


def run(args: argparse.Namespace) -> int:
    """Print peak RSS over the backlog and the time-vs-length figures."""
    modes = [m.strip() for m in args.mode.split(",") if m.strip()]
    unknown = set(modes) - {"batch", "worker", "linearity"}
    if unknown:
        print(f"unknown --mode {', '.join(sorted(unknown))}; use batch, worker, linearity",
              file=sys.stderr)
        return 2
    results: dict[str, Any] = {}
    status = 0
    if "batch" in modes:
        results["batch"] = run_batch(args.posts, args.sample_every)
        _print_memory("batch (process_message in-process)", results["batch"])
    if "worker" in modes:
        results["worker"] = run_worker(args)
        _print_memory(f"worker ({args.broker}, {args.guarantee})", results["worker"])
        status = 1 if "error" in results["worker"] else status
    if "linearity" in modes:
        lengths = [int(x) for x in args.lengths.split(",") if x.strip()]
        results["linearity"] = lin = run_linearity(lengths, args.repeat)
        print("time per post against its length (best of "
              f"{args.repeat}; slope of log t vs log n: {lin['loglog_slope']}, 1.0 = linear)")
        print(f"  {'chars':>10} {'bytes':>10} {'seconds':>9} {'µs/char':>8}  outcome")
        for row in lin["rows"]:
            print(f"  {row['chars']:>10,} {row['bytes']:>10,} {row['seconds']:>9.3f} "
                  f"{row['us_per_char']:>8.3f}  {row['outcome']}")
    if args.json:
        for result in results.values():
            if isinstance(result, dict):
                result.pop("samples", None)
        print(json.dumps(results, ensure_ascii=False))
    return status
