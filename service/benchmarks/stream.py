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
from service.localbroker import broker_kind


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``qingliu bench stream``."""
    parser.add_argument("--posts", type=int, default=5000, metavar="N",
                        help="posts in the backlog phase (default 5000)")
    parser.add_argument("--latency-posts", type=int, default=500, metavar="N",
                        help="posts in the latency phase (default 500)")
    parser.add_argument("--rate", type=float, default=None, metavar="PER_S",
                        help="produce rate in the latency phase (default: half the backlog rate)")
    parser.add_argument("--broker", default="embedded", metavar="KIND", type=broker_kind,
                        help="embedded (Tansu), kafka (local Apache Kafka via service.kafka_local) "
                        "or kafka://host:port")
    parser.add_argument("--guarantee", default="at_least_once",
                        choices=("at_least_once", "exactly_once", "both"),
                        help="processing guarantee(s) to measure (exactly_once needs Kafka)")
    parser.add_argument("--partitions", type=int, default=6, metavar="N")
    parser.add_argument("--concurrency", type=int, default=None, metavar="N",
                        help="agent concurrency (default: QINGLIU_CONCURRENCY or 4)")
    parser.add_argument("--processes", default="0,auto", metavar="N[,N…]",
                        help="QINGLIU_PROCESSES values to measure, comma-separated (default "
                        "0,auto: the pipeline in the event loop, then the worker's default)")
    parser.add_argument("--no-stub", dest="stub", action="store_false",
                        help="skip the phase with the pipeline stubbed out (which measures what "
                        "Kafka and Faust alone cost per message)")
    parser.add_argument("--rounds", type=int, default=3, metavar="N",
                        help="measure each configuration N times, alternating with batch runs "
                        "(default 3; the table shows medians)")
    parser.add_argument("--timeout", type=float, default=300.0, metavar="S",
                        help="give up a phase after S seconds")


def batch_rate(posts: list[bytes], cpu: list[float] | None = None) -> float:
    """Posts/s of the ``qingliu process`` loop on ``posts`` (after a warm-up).

    ``cpu``, when given, receives the CPU seconds per post.
    """
    from service.pipeline import Origin, post_key, process_message

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

    from service.pipeline import post_key

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
                  concurrency: int | None, processes: int | str, log_path: str,
                  stub: bool = False) -> subprocess.Popen[bytes]:
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
    module = "service.benchmarks.stream" if stub else "service.cli"
    if stub:
        env["QINGLIU_PROCESSES"] = "0"
    log_file = open(log_path, "ab")
    return subprocess.Popen([sys.executable, "-m", module, "worker"], env=env,
                            stdout=log_file, stderr=subprocess.STDOUT)


def _stub_process(value: bytes | None, key: bytes | None = None, origin: Any = None,
                  limits: Any = None) -> Any:
    """Stands in for process_message in a stub worker: the raw value is the 'clean event'."""
    from service.pipeline import Outcome

    return Outcome("clean", key, {}, serialized=value or b"{}")


def stub_worker() -> int:
    """``qingliu worker`` with the pipeline replaced by :func:`_stub_process`.

    What such a worker spends per message is the cost of Kafka and Faust alone.  The stub is
    put in place before the worker's modules are imported, so they bind it instead of the real
    pipeline; the worker is then started as ``qingliu worker`` starts it.
    """
    import service.pipeline

    service.pipeline.process_message = _stub_process  # type: ignore[assignment]
    import faust

    from service import config
    from service.app import create_app
    from service.logs import configure

    settings = config.load()
    app = create_app(settings)
    configure(settings.log_level)
    faust.Worker(app, loglevel=settings.log_level.upper(), quiet=True, redirect_stdouts=False,
                 logging_config=app.conf.logging_config).execute_from_commandline()
    return 0


def stop_worker(process: subprocess.Popen[bytes], grace: float = 30) -> None:
    """SIGTERM a worker subprocess and wait; kill it if it outlives ``grace`` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def measure(url: str, guarantee: str, processes: int | str, args: argparse.Namespace,
                  posts: list[bytes], stub: bool = False) -> dict[str, Any]:
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
                           log_path, stub)
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
    from service.localbroker import local_broker

    with local_broker(kind) as url:
        yield url


def _batch(posts: list[bytes]) -> tuple[float, float]:
    cpu: list[float] = []
    return batch_rate(posts, cpu), cpu[0]


def _processes(text: str) -> int | str:
    text = text.strip().lower()
    if text == "auto":
        return text
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


def _resolved(processes: int | str, guarantee: str) -> str:
    from service.config import Settings

    if processes != "auto":
        return str(processes)
    count = Settings(processes="auto", processing_guarantee=guarantee).pipeline_processes
    return f"auto ({count})"


def run(args: argparse.Namespace) -> int:
    """Print stream vs batch throughput and the stream's latency percentiles."""
    from service.samples import make_posts

    posts = make_posts(args.posts, prefix="bench")
    guarantees = (["at_least_once", "exactly_once"] if args.guarantee == "both"
                  else [args.guarantee])
    try:
        counts = [_processes(n) for n in str(args.processes).split(",") if n.strip()]
    except ValueError:
        print("--processes takes comma-separated integers or auto, e.g. 0,auto", file=sys.stderr)
        return 2
    # Batch runs alternate with the stream phases, and each phase is compared with the mean of
    # the batch runs on either side of it: this machine's speed drifts by tens of percent within
    # minutes, which a single baseline run would put into the ratio.  Each configuration is
    # measured ``--rounds`` times; the table shows medians.
    batches: list[tuple[float, float]] = [_batch(posts)]
    results: dict[str, list[dict[str, Any]]] = {}
    with _broker(args.broker) as url:

        def phase(label: str, guarantee: str, processes: int | str, stub: bool = False) -> None:
            """Measure one stream phase, then a batch run; its ratio uses the runs around it."""
            if guarantee == "exactly_once" and args.broker == "embedded":
                results[label] = [{"error": "the embedded broker (Tansu) has no "
                                            "transactions; use --broker kafka or a URL"}]
                return
            result = asyncio.run(measure(url, guarantee, processes, args, posts, stub=stub))
            batches.append(_batch(posts))
            result["ratio"] = result.get("throughput", 0) / ((batches[-2][0] + batches[-1][0]) / 2)
            results.setdefault(label, []).append(result)

        for _ in range(args.rounds):
            for guarantee in guarantees:
                for processes in counts:
                    phase(f"stream {guarantee}, processes={_resolved(processes, guarantee)}",
                          guarantee, processes)
            if args.stub:
                phase(f"stream {guarantees[0]}, pipeline stubbed", guarantees[0], 0, stub=True)
    batch = median([rate for rate, _ in batches])
    batch_cpu = median([cpu for _, cpu in batches])
    sizes = sorted(len(p) for p in posts)
    print(f"posts: {len(posts)} (backlog; median {sizes[len(sizes) // 2]} bytes), "
          f"{args.latency_posts} (latency); broker: {args.broker}; partitions: "
          f"{args.partitions}; cpus: {os.cpu_count()}; rounds: {args.rounds}")
    print(f"{'mode':40} {'posts/s':>10} {'vs batch':>9} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'CPU ms/post':>12}")
    print(f"{'qingliu process (batch, baseline)':40} {batch:10,.0f} {1:9.2f} {'':8} {'':8} "
          f"{batch_cpu * 1000:12.3f}   (runs: "
          f"{', '.join(f'{rate:,.0f}' for rate, _ in batches)})")
    status = 0
    for label, rounds in results.items():
        failed = [result["error"] for result in rounds if "error" in result]
        if failed:
            print(f"{label:40} skipped: {failed[0]}")
            if "exactly_once" not in label or args.guarantee == "exactly_once":
                status = 1
            continue
        cpus = [result["cpu_per_post"] for result in rounds if result.get("cpu_per_post")]
        cpu_text = f"{median(cpus) * 1000:12.3f}" if cpus else f"{'?':>12}"
        ratios = [result["ratio"] for result in rounds]
        print(f"{label:40} {median([r['throughput'] for r in rounds]):10,.0f} "
              f"{median(ratios):9.2f} {median([r['p50'] for r in rounds]) * 1000:8.1f} "
              f"{median([r['p99'] for r in rounds]) * 1000:8.1f} {cpu_text}"
              f"   (ratios {', '.join(f'{ratio:.2f}' for ratio in ratios)}; latency at "
              f"{rounds[0]['rate']:,.0f} posts/s, n={rounds[0]['latency_n']})")
    print("vs batch: each stream phase against the mean of the batch runs just before and after "
          "it; medians over the rounds.")
    print("CPU ms/post: the worker process and its children between the first and last outcome"
          " (not wall-clock; children count too)")
    if args.stub:
        print("pipeline stubbed: the worker passes each raw post through as its outcome, so its "
              "CPU ms/post is what Kafka and Faust cost per message (compare the batch row's)")
    return status


if __name__ == "__main__" and sys.argv[1:] == ["worker"]:
    sys.exit(stub_worker())
