"""Stream throughput and latency through a broker, beside ``qingliu process`` on the same posts.

Phases, per processing guarantee:

1. batch: the same loop as ``qingliu process`` (process_message + serialize) over the posts;
2. backlog: the posts are produced first, then a worker (``qingliu worker`` subprocess) drains
   them; throughput = posts / (last outcome - first outcome), from the outcomes' timestamps;
3. latency: posts are produced at a fixed rate while the worker runs; latency = outcome timestamp
   - raw timestamp (both CreateTime on this host), p50/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any

from service.benchmarks import median, percentile


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``qingliu bench stream``."""
    parser.add_argument("--posts", type=int, default=5000, metavar="N",
                        help="posts in the backlog phase (default 5000)")
    parser.add_argument("--latency-posts", type=int, default=500, metavar="N",
                        help="posts in the latency phase (default 500)")
    parser.add_argument("--rate", type=float, default=None, metavar="PER_S",
                        help="produce rate in the latency phase (default: half the backlog rate)")
    parser.add_argument("--broker", default="embedded", metavar="KIND",
                        help="embedded (Tansu), kafka (local Apache Kafka via service.kafka_local) "
                        "or kafka://host:port")
    parser.add_argument("--guarantee", default="at_least_once",
                        choices=("at_least_once", "exactly_once", "both"),
                        help="processing guarantee(s) to measure (exactly_once needs Kafka)")
    parser.add_argument("--partitions", type=int, default=6, metavar="N")
    parser.add_argument("--concurrency", type=int, default=None, metavar="N",
                        help="agent concurrency (default: QINGLIU_CONCURRENCY or 4)")
    parser.add_argument("--processes", default="0,2", metavar="N[,N…]",
                        help="QINGLIU_PROCESSES values to measure, comma-separated (default 0,2: "
                        "the pipeline in the event loop, then in 2 child processes)")
    parser.add_argument("--timeout", type=float, default=300.0, metavar="S",
                        help="give up a phase after S seconds")


def batch_rate(posts: list[bytes], cpu: list[float] | None = None) -> float:
    """Posts/s of the ``qingliu process`` loop on ``posts`` (after a warm-up).

    ``cpu``, when given, receives the CPU seconds per post.
    """
    from service.cli import post_key
    from service.pipeline import Origin, process_message

    for post in posts[:50]:
        process_message(post, post_key(post))
    started, cpu_started = time.perf_counter(), time.process_time()
    sink = 0
    for number, post in enumerate(posts):
        outcome = process_message(post, post_key(post), Origin("batch", 0, number))
        sink += len(outcome.value_bytes())
    if cpu is not None:
        cpu.append((time.process_time() - cpu_started) / len(posts))
    return len(posts) / (time.perf_counter() - started)


async def _produce(bootstrap: str, topic: str, posts: list[bytes], rate: float | None) -> None:
    from aiokafka import AIOKafkaProducer

    from service.cli import post_key

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5 if rate is None else 0)
    await producer.start()
    try:
        started = time.monotonic()
        for i, post in enumerate(posts):
            if rate:
                delay = started + i / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            await producer.send(topic, key=post_key(post), value=post)
        await producer.flush()
    finally:
        await producer.stop()


def _tree_cpu(process: Any) -> float:
    """CPU seconds used so far by ``process`` and its children (psutil.Process)."""
    try:
        total = sum(process.cpu_times()[:2])
        for child in process.children(recursive=True):
            try:
                total += sum(child.cpu_times()[:2])
            except Exception:
                pass
        return total
    except Exception:
        return float("nan")


async def _collect(bootstrap: str, topics: list[str], ids: set[bytes], timeout: float,
                   isolation: str = "read_uncommitted", worker: Any = None,
                   cpu: list[float] | None = None) -> dict[bytes, tuple[int, int]]:
    """Outcome timestamp (ms) per id in ``ids``, read from the start of ``topics``.

    Returns ``{id: (record timestamp, time received)}`` in ms.  Under exactly_once outcomes
    count only once committed (``read_committed``), and latency is measured to their receipt.
    """
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", fetch_max_wait_ms=100,
                                isolation_level=isolation)
    await consumer.start()
    seen: dict[bytes, tuple[int, int]] = {}
    deadline = time.monotonic() + timeout
    try:
        while len(seen) < len(ids) and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200, max_records=2000)
            if batch and not seen and worker is not None and cpu is not None:
                cpu.append(_tree_cpu(worker))  # CPU at the first outcome
            for messages in batch.values():
                for message in messages:
                    if message.key in ids and message.key not in seen:
                        seen[message.key] = (message.timestamp, int(time.time() * 1000))
    finally:
        if worker is not None and cpu is not None:
            cpu.append(_tree_cpu(worker))  # CPU at the last outcome
        await consumer.stop()
    return seen


async def _input_timestamps(bootstrap: str, topic: str) -> dict[bytes, int]:
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", fetch_max_wait_ms=100)
    await consumer.start()
    out: dict[bytes, int] = {}
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            if not batch:
                break
            for messages in batch.values():
                for message in messages:
                    out[message.key] = message.timestamp
    finally:
        await consumer.stop()
    return out


def _start_worker(url: str, names: dict[str, str], group: str, guarantee: str,
                  concurrency: int | None, processes: int, log_path: str
                  ) -> subprocess.Popen[bytes]:
    from service.broker import free_port

    env = dict(os.environ)
    env.update({
        "QINGLIU_BROKER": url, "QINGLIU_TOPIC_RAW": names["raw"],
        "QINGLIU_TOPIC_CLEAN": names["clean"], "QINGLIU_TOPIC_DLQ": names["dlq"],
        "QINGLIU_GROUP_ID": group, "QINGLIU_PROCESSING_GUARANTEE": guarantee,
        "QINGLIU_PROCESSES": str(processes),
        "QINGLIU_WEB_PORT": str(free_port()), "QINGLIU_LOG_LEVEL": "warning",
        "QINGLIU_DATA_DIR": tempfile.mkdtemp(prefix="qingliu-bench-"),
    })
    if concurrency:
        env["QINGLIU_CONCURRENCY"] = str(concurrency)
    log_file = open(log_path, "ab")
    return subprocess.Popen([sys.executable, "-m", "service.cli", "worker"], env=env,
                            stdout=log_file, stderr=subprocess.STDOUT)


def stop_worker(process: subprocess.Popen[bytes], grace: float = 30) -> None:
    """SIGTERM a worker subprocess and wait; kill it if it outlives ``grace`` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def measure(url: str, guarantee: str, processes: int, args: argparse.Namespace,
                  posts: list[bytes]) -> dict[str, Any]:
    """Backlog throughput and paced latency for one guarantee on the broker at ``url``."""
    from service import contracts
    from service.config import Settings

    run = uuid.uuid4().hex[:8]
    names = {role: f"bench-{run}.{role}" for role in ("raw", "clean", "dlq")}
    settings = Settings(broker=url, topic_raw=names["raw"], topic_clean=names["clean"],
                        topic_dlq=names["dlq"], partitions=args.partitions)
    await contracts.apply(settings)
    bootstrap = settings.bootstrap
    ids = {p.split(b'"id": "', 1)[1].split(b'"', 1)[0] for p in posts}
    await _produce(bootstrap, names["raw"], posts, None)
    log_path = os.path.join(tempfile.gettempdir(), f"qingliu-bench-worker-{run}.log")
    worker = _start_worker(url, names, f"bench-{run}", guarantee, args.concurrency, processes,
                           log_path)
    try:
        isolation = "read_committed" if guarantee == "exactly_once" else "read_uncommitted"
        import psutil

        cpu: list[float] = []
        seen = await _collect(bootstrap, [names["clean"], names["dlq"]], ids, args.timeout,
                              isolation, psutil.Process(worker.pid), cpu)
        if len(seen) < len(ids):
            return {"error": f"only {len(seen)}/{len(ids)} outcomes in {args.timeout}s "
                             f"(worker log: {log_path})"}
        stamps = sorted(stamp for stamp, _ in seen.values())
        span = max(1, stamps[-1] - stamps[0]) / 1000
        throughput = (len(stamps) - 1) / span
        rate = args.rate or max(10.0, throughput / 2)
        from service.samples import make_posts

        paced = make_posts(args.latency_posts, prefix=f"lat-{run}")
        paced_ids = {p.split(b'"id": "', 1)[1].split(b'"', 1)[0] for p in paced}
        producing = asyncio.ensure_future(_produce(bootstrap, names["raw"], paced, rate))
        out = await _collect(bootstrap, [names["clean"], names["dlq"]], paced_ids,
                             args.timeout + len(paced) / rate, isolation)
        await producing
        inputs = await _input_timestamps(bootstrap, names["raw"])
        pick = 1 if guarantee == "exactly_once" else 0
        latencies = [(out[k][pick] - inputs[k]) / 1000 for k in out if k in inputs]
        cpu_per_post = (cpu[-1] - cpu[0]) / max(1, len(stamps) - 1) if len(cpu) >= 2 else None
        return {"throughput": throughput, "rate": rate, "p50": median(latencies),
                "cpu_per_post": cpu_per_post,
                "p99": percentile(latencies, 99), "latency_n": len(latencies)}
    finally:
        stop_worker(worker)


@contextlib.contextmanager
def _broker(kind: str) -> Any:
    from service.cli import local_broker

    with local_broker(kind) as url:
        yield url


def run(args: argparse.Namespace) -> int:
    """Print stream vs batch throughput and the stream's latency percentiles."""
    from service.samples import make_posts

    posts = make_posts(args.posts, prefix="bench")
    batch_cpu: list[float] = []
    batch = batch_rate(posts, batch_cpu)
    guarantees = (["at_least_once", "exactly_once"] if args.guarantee == "both"
                  else [args.guarantee])
    try:
        counts = [int(n) for n in str(args.processes).split(",") if n.strip()]
    except ValueError:
        print("--processes takes comma-separated integers, e.g. 0,2", file=sys.stderr)
        return 2
    results: dict[str, dict[str, Any]] = {}
    with _broker(args.broker) as url:
        for guarantee in guarantees:
            for processes in counts:
                label = f"stream {guarantee}, processes={processes}"
                if guarantee == "exactly_once" and args.broker == "embedded":
                    results[label] = {"error": "the embedded broker (Tansu) has no "
                                               "transactions; use --broker kafka or a URL"}
                    continue
                results[label] = asyncio.run(measure(url, guarantee, processes, args, posts))
    sizes = sorted(len(p) for p in posts)
    print(f"posts: {len(posts)} (backlog; median {sizes[len(sizes) // 2]} bytes), "
          f"{args.latency_posts} (latency); broker: {args.broker}; partitions: "
          f"{args.partitions}; cpus: {os.cpu_count()}")
    print(f"{'mode':40} {'posts/s':>10} {'vs batch':>9} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'CPU ms/post':>12}")
    print(f"{'qingliu process (batch, baseline)':40} {batch:10,.0f} {1:9.2f} {'':8} {'':8} "
          f"{batch_cpu[0] * 1000:12.3f}")
    status = 0
    for label, result in results.items():
        if "error" in result:
            print(f"{label:40} skipped: {result['error']}")
            if "exactly_once" not in label or args.guarantee == "exactly_once":
                status = 1
            continue
        cpu_text = (f"{result['cpu_per_post'] * 1000:12.3f}" if result.get("cpu_per_post")
                    else f"{'?':>12}")
        print(f"{label:40} {result['throughput']:10,.0f} {result['throughput'] / batch:9.2f} "
              f"{result['p50'] * 1000:8.1f} {result['p99'] * 1000:8.1f} {cpu_text}"
              f"   (latency at {result['rate']:,.0f} posts/s, n={result['latency_n']})")
    print("CPU ms/post: the worker process and its children between the first and last outcome"
          " (robust to a busy machine; wall-clock posts/s is not)")
    return status
