"""``qingliu``: the command line (worker, local dev broker, topics, batch tools, benchmarks).

Every Kafka-facing command reads the settings of :mod:`service.config` (flags and ``QINGLIU_*``
environment variables); run ``qingliu COMMAND --help`` for each.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Awaitable, Iterator
from typing import IO, Any, NoReturn

import orjson

from service import __version__, config
from service.errors import ConfigError, QingliuError
from service.localbroker import broker_kind, local_broker
from service.pipeline import post_key
from service.review import command as review_cli
from service.rules import cli as rules_cli

log = logging.getLogger("service.cli")

EPILOG = """\
quick start (embedded broker, nothing to install):
  qingliu dev --demo            start a broker, create topics, run the worker, stream sample posts,
                                then keep running (review page, rules, more posts; Ctrl-C stops)
  qingliu process < posts.jsonl > clean.jsonl     the same pipeline without Kafka
  echo '鞭策事情扭着项目干' | qingliu repair --explain

against a Kafka cluster:
  export QINGLIU_BROKER=kafka://broker1:9092,broker2:9092
  qingliu topics apply && qingliu worker
"""


# How long ``qingliu dev`` waits for a given broker to answer before it says it cannot reach it.
DEV_BROKER_TIMEOUT = 60.0


class UsageError(QingliuError):
    """A command-line mistake; the message says what to do (exit status 2)."""


class BrokerError(QingliuError):
    """The broker cannot be reached or refused a request (exit status 1)."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line naming the (sub)command, exit status 2."""

    def error(self, message: str) -> NoReturn:
        """Print ``PROG: error: MESSAGE (PROG --help …)`` and exit with status 2."""
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
def _settings(args: argparse.Namespace) -> config.Settings:
    from service.logs import add_secret

    settings = config.load(args)
    add_secret(settings.sasl_password)
    return settings


def _open_in(path: str | None) -> contextlib.AbstractContextManager[IO[bytes]]:
    if not path or path == "-":
        return contextlib.nullcontext(sys.stdin.buffer)
    try:
        return open(path, "rb")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None


def _open_out(path: str | None) -> contextlib.AbstractContextManager[IO[bytes]]:
    if not path or path == "-":
        return contextlib.nullcontext(sys.stdout.buffer)
    try:
        return open(path, "wb")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None


def _numbered_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """(line number from 1, line without its line break); blank lines skipped."""
    for number, line in enumerate(stream, start=1):
        line = line.rstrip(b"\r\n")
        if line.strip():
            yield number, line


def _lines(stream: IO[bytes]) -> Iterator[bytes]:
    """Lines without their line break; blank lines skipped."""
    return (line for _, line in _numbered_lines(stream))


@contextlib.contextmanager
def _quiet_kafka_clients() -> Iterator[None]:
    """Within: aiokafka and asyncio log nothing below CRITICAL.  Client commands report a
    broker failure in one line; aiokafka's own log lines would repeat it (and Python prints the
    warnings of unconfigured loggers to stderr)."""
    loggers = [logging.getLogger("aiokafka"), logging.getLogger("asyncio")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


# --------------------------------------------------------------------------------------------
# worker
# --------------------------------------------------------------------------------------------
def _stop_while_starting(signum: int, frame: object) -> NoReturn:
    """SIGTERM before Faust handles signals: nothing is consumed yet, so exit 0 at once.

    Faust's own handler replaces this one when its worker starts; until then (imports, the
    preflight checks, building the app) the default action would kill the process with status
    -15.  ``os._exit``, not ``SystemExit``: an exception raised in a signal handler is dropped
    when it lands in a finalizer, and leaving would wait for the preflight thread.  The pipeline
    processes die with their parent; the next worker removes the scratch folder.
    """
    try:
        print("qingliu worker: stopped while starting (SIGTERM); nothing was consumed",
              file=sys.stderr, flush=True)
    finally:
        os._exit(0)


def cmd_worker(args: argparse.Namespace) -> int:
    """Run the Faust worker until SIGTERM/SIGINT (offsets committed on the way out)."""
    signal.signal(signal.SIGTERM, _stop_while_starting)
    from concurrent.futures import ThreadPoolExecutor

    import faust

    from service.worker import create_app, probes

    settings = _settings(args)
    if not sys.platform.startswith("win"):
        logging.captureWarnings(True)
    # Port 0 becomes a free port; a misconfiguration stops here, in one line, before Faust runs
    # (in a thread: Faust wants the main thread's event loop untouched).
    settings = settings.replace(web_port=probes.resolve_web_port(settings))
    with ThreadPoolExecutor(1) as checker:
        checker.submit(asyncio.run, probes.preflight(settings)).result()
    app = create_app(settings)
    app.stop_timeout = settings.stop_timeout
    from service.logs import configure

    configure(settings.log_level)
    log.info("starting worker", extra={"settings": settings.redacted(),
                                       "pipeline_processes": settings.pipeline_processes})
    worker = faust.Worker(app, loglevel=settings.log_level.upper(), quiet=True,
                          redirect_stdouts=False, logging_config=app.conf.logging_config)
    try:
        worker.execute_from_commandline()
    except SystemExit as stop:
        status = _exit_status(stop.code)
    else:  # pragma: no cover - execute_from_commandline exits
        status = 0
    if app.offload is not None:
        _leave_after_stop(status)
    return status


def _exit_status(code: object) -> int:
    """The process status ``SystemExit(code)`` stands for (a message is printed, status 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr, flush=True)
    return 1


def _leave_after_stop(status: int) -> NoReturn:
    """End a worker whose stop is complete (committed, out of the group, pipeline processes
    ended) with ``status`` at once.

    The interpreter's own exit would join the process pool's manager thread, which can wait
    forever on a result that a child ended mid-write had only half written (the pool keeps the
    pipe's writing end open), and the stop watchdog would then end a clean stop with status 1.
    Logs and standard streams are flushed first; nothing else is left to do.
    """
    try:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(status)


# --------------------------------------------------------------------------------------------
# topics
# --------------------------------------------------------------------------------------------
def cmd_topics(args: argparse.Namespace) -> int:
    """Create/check (apply) or show (describe) the contract's topics."""
    from service import contracts

    settings = _settings(args)
    if args.action == "apply":
        for line in _run_against_broker(contracts.apply(settings), settings, args.timeout):
            print(line)
        return 0
    rows = _run_against_broker(contracts.describe(settings), settings, args.timeout)
    wanted = {s.name: s for s in contracts.specs(settings)}
    for row in rows:
        spec = wanted[row["name"]]
        if not row["exists"]:
            state = "MISSING (run `qingliu topics apply`)"
        elif row["partitions"] != spec.partitions:
            state = f"MISMATCH: {row['partitions']} partitions, contract wants {spec.partitions}"
        else:
            state = "ok"
        print(f"{row['role']:5} {row['name']:24} partitions={row['partitions']} "
              f"replication={row['replication']} {state}")
        for key, value in sorted(row["config"].items()):
            print(f"      {key}={value}")
    return 0 if all(r["exists"] for r in rows) else 1


def _run_against_broker(work: Awaitable[Any], settings: config.Settings,
                        timeout: float | None = None) -> Any:
    """Run ``work`` (a client talking to the broker); a broker failure becomes one line."""
    with _quiet_kafka_clients():
        return asyncio.run(_broker_errors(work, settings, timeout))


async def _broker_errors(work: Awaitable[Any], settings: config.Settings,
                         timeout: float | None) -> Any:
    try:
        return await asyncio.wait_for(work, timeout)
    except (TimeoutError, OSError) as exc:
        raise BrokerError(
            f"cannot reach the broker at {settings.broker} ({type(exc).__name__}); start one "
            "(`qingliu dev`) or set QINGLIU_BROKER / --broker"
        ) from None
    except Exception as exc:
        if type(exc).__name__ == "KafkaConnectionError":
            raise BrokerError(
                f"cannot reach the broker at {settings.broker}; start one (`qingliu dev`) or set "
                "QINGLIU_BROKER / --broker"
            ) from None
        if type(exc).__module__.startswith("aiokafka"):
            raise BrokerError(
                f"broker {settings.broker}: {type(exc).__name__}: {exc}; check QINGLIU_BROKER "
                "and the security settings"
            ) from None
        raise


# --------------------------------------------------------------------------------------------
# produce / tail
# --------------------------------------------------------------------------------------------
async def produce_lines(settings: config.Settings, lines: Iterator[bytes],
                        topic: str | None = None) -> int:
    """Send each line (bytes, unchanged) to the raw topic, keyed by post id; returns the count."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, linger_ms=5,
                                max_request_size=config.MAX_REQUEST_BYTES,
                                **settings.kafka_auth())
    count = 0
    try:
        await producer.start()  # inside: a failed start is stopped too (no "Unclosed" warning)
        for line in lines:
            await producer.send(topic or settings.topic_raw, key=post_key(line), value=line)
            count += 1
        await producer.flush()
    finally:
        await producer.stop()
    return count


def cmd_produce(args: argparse.Namespace) -> int:
    """Send a JSONL file of raw posts to the raw topic."""
    settings = _settings(args)
    with contextlib.ExitStack() as stack:
        stream = stack.enter_context(_open_in(args.file))
        count = _run_against_broker(produce_lines(settings, _lines(stream)), settings,
                                    args.timeout)
    print(f"produced {count} messages to {settings.topic_raw}", file=sys.stderr)
    return 0


# Text that survives repair although bytes were lost: U+FFFD, or UTF-8 U+FFFD read as GBK.
_LOSS_MARKS = ("\ufffd", "锟斤拷")


LEFT_UNREPAIRED = "left unrepaired"
CHANGED_CLEAN = "changed although labelled clean"


def outcome_label(event: dict[str, Any]) -> tuple[str, str, str]:
    """What happened to a post, as (mark, words, colour): repaired, unrecoverable, or unchanged
    (corruption detected but not repaired, or none detected).  A post whose ``meta.sample``
    labels it (the demo's samples: ``clean``, ``spun``, ``mojibake`` …) is also held to its
    label: a corrupted sample that comes out unchanged is *left unrepaired*, a clean one that
    is changed says so."""
    corruption = event.get("corruption") or {}
    kinds = ",".join(corruption.get("kinds") or [])
    text = str(event.get("text", ""))
    meta = event.get("meta")
    label = meta.get("sample") if isinstance(meta, dict) else None
    label = label if isinstance(label, str) and label else None
    if any(mark in text for mark in _LOSS_MARKS):
        return "✗", f"unrecoverable ({kinds or 'bytes lost'})", "red"
    if event.get("edits") or event.get("encoding") not in (None, "utf-8", "ascii"):
        if label == "clean":
            return "✗", f"{CHANGED_CLEAN} ({kinds})", "red"
        return "✓", f"repaired ({kinds})", "green"
    found = f"{kinds} detected, not repaired" if kinds else "no corruption detected"
    if label is not None and label != "clean":
        return "✗", f"{LEFT_UNREPAIRED}: labelled {label}, {found}", "red"
    return "·", f"unchanged: {found}", "yellow" if kinds else "cyan"


def render_event(value: bytes, console: Any) -> str | None:
    """Pretty-print one clean event or dead-letter record; the outcome's words
    (:func:`outcome_label`) for a clean event, else None."""
    try:
        event = orjson.loads(value)
    except orjson.JSONDecodeError:
        console.print(f"[red]unparseable value[/red] {value[:200]!r}")
        return None
    if event.get("schema", "").startswith("qingliu.dlq"):
        error = event.get("error", {})
        console.print(f"[bold red]✗ dead letter[/bold red] [red]{error.get('code')}[/red]: "
                      f"{error.get('message', '')[:160]}", highlight=False)
        return None
    from rich.markup import escape

    corruption = event.get("corruption", {})
    mark, words, colour = outcome_label(event)
    console.print(f"[bold {colour}]{mark} {escape(str(event.get('id')))}[/bold {colour}] "
                  f"[{colour}]{escape(words)}[/{colour}] score={corruption.get('score')} "
                  f"edits={len(event.get('edits', []))}", highlight=False)
    if event.get("original_text") != event.get("text"):
        console.print(f"  [dim]before:[/dim] {escape(event.get('original_text', '')[:200])!s}",
                      highlight=False)
    console.print(f"  [dim]text:  [/dim] {escape(event.get('text', '')[:200])}", highlight=False)
    tags = event.get("tags", {})
    labels = [t.get("label") or t.get("id") for t in tags.get("topics", []) if isinstance(t, dict)]
    places = [p.get("name") or p.get("label") or str(p) for p in tags.get("places", [])
              if isinstance(p, dict)]
    if labels or places:
        console.print(f"  [dim]tags:  [/dim] topics={labels} places={places}", highlight=False)
    return words


def _mismatch_summary(mismatched: list[str]) -> str:
    """``"; 2 labelled samples left unrepaired"`` and the like, or nothing."""
    unrepaired = sum(words.startswith(LEFT_UNREPAIRED) for words in mismatched)
    changed = len(mismatched) - unrepaired
    parts = [f"{n} {what[0]}{'s' if n != 1 else ''} {what[1]}" for n, what in (
        (unrepaired, ("labelled sample", LEFT_UNREPAIRED)),
        (changed, ("sample labelled clean", "changed"))) if n]
    return "; " + ", ".join(parts) if parts else ""


async def tail_topics(settings: config.Settings, topics: list[str], *, max_messages: int | None,
                      idle_timeout: float | None, from_beginning: bool, raw: bool,
                      out: IO[str] | None = None, labelled: list[str] | None = None) -> int:
    """Print messages of ``topics`` until ``max_messages`` or ``idle_timeout`` (None: forever)."""
    from aiokafka import AIOKafkaConsumer
    from rich.console import Console

    console = Console(file=out or sys.stdout, soft_wrap=True)
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=settings.bootstrap, group_id=None,
        auto_offset_reset="earliest" if from_beginning else "latest",
        fetch_max_wait_ms=100, **settings.kafka_auth(),
    )
    seen = 0
    last = time.monotonic()
    try:
        await consumer.start()  # inside: a failed start is stopped too
        while max_messages is None or seen < max_messages:
            batch = await consumer.getmany(timeout_ms=200, max_records=500)
            if not batch:
                if idle_timeout is not None and time.monotonic() - last > idle_timeout:
                    break
                continue
            last = time.monotonic()
            for messages in batch.values():
                for message in messages:
                    if raw:
                        console.file.write(message.value.decode("utf-8", "replace") + "\n")
                    else:
                        words = render_event(message.value, console)
                        if labelled is not None and words and words.startswith(
                            (LEFT_UNREPAIRED, CHANGED_CLEAN)
                        ):
                            labelled.append(words)
                    seen += 1
    finally:
        await consumer.stop()
    return seen


def cmd_tail(args: argparse.Namespace) -> int:
    """Pretty-print clean events (and dead letters with --dlq) as they arrive."""
    settings = _settings(args)
    topics = [settings.topic_clean] + ([settings.topic_dlq] if args.dlq else [])
    try:
        _run_against_broker(tail_topics(settings, topics, max_messages=args.max,
                                        idle_timeout=args.idle_timeout,
                                        from_beginning=args.from_beginning, raw=args.json),
                            settings)
    except KeyboardInterrupt:
        pass
    return 0


# --------------------------------------------------------------------------------------------
# dev
# --------------------------------------------------------------------------------------------
def demo_posts() -> list[bytes]:
    """The shipped demo posts (raw bytes, one per line; some deliberately bad)."""
    from service.samples import demo_posts as load

    return load()


#: A word the demo's spun engine changes (demo-09: 效劳 → 服务), for the hint on operator rules.
DEMO_PROTECT, DEMO_REPAIRED = "效劳", "服务"


def _env_prefix(settings: config.Settings) -> str:
    """``QINGLIU_BROKER=… [QINGLIU_TOPIC_…=…]``: what another shell needs to reach this stack."""
    import shlex

    defaults = config.Settings()
    parts = [f"QINGLIU_BROKER={shlex.quote(settings.broker)}"]
    for name in config.TOPICS:
        value = getattr(settings, name)
        if value != getattr(defaults, name):
            parts.append(f"QINGLIU_{name.upper()}={shlex.quote(value)}")
    return " ".join(parts)


def _print_running(settings: config.Settings, demo: bool) -> None:
    """How to look at, steer and feed the running stack from another shell."""
    env = _env_prefix(settings)
    if settings.review:
        print(f"review  http://{settings.web_host}:{settings.web_port}/review"
              + ("?token=…" if settings.review_token else "")
              + "  (open it in a browser: each repair highlighted by kind)", file=sys.stderr)
    print(f"broker  {settings.broker}", file=sys.stderr)
    print(f"rules   {env} qingliu rules add --protect {DEMO_PROTECT} --why \"not spun\"  "
          f"(later posts keep {DEMO_PROTECT}"
          + (f", which demo-09 had repaired as {DEMO_REPAIRED}" if demo else "")
          + "; `qingliu rules list`, `qingliu rules remove ID`)", file=sys.stderr)
    print(f"posts   {env} qingliu produce FILE.jsonl  (one JSON post per line, - for stdin; "
          "their outcomes appear here and on the page)", file=sys.stderr)
    print("running Ctrl-C to stop", file=sys.stderr)


async def _dev(settings: config.Settings, demo: bool, idle_timeout: float,
               once: bool = False) -> int:
    from service import contracts
    from service.worker import create_app

    print(f"broker  {settings.broker}", file=sys.stderr)
    with _quiet_kafka_clients():  # an unreachable broker: one line, not aiokafka's as well
        lines = await _broker_errors(contracts.apply(settings), settings, DEV_BROKER_TIMEOUT)
    for line in lines:
        print(f"topics  {line}", file=sys.stderr)
    app = create_app(settings)
    await app.start()
    print(f"worker  started; http://{settings.web_host}:{settings.web_port}/metrics "
          "(/healthz, /readyz)", file=sys.stderr)
    if settings.review:  # service/review: recent outcomes with their edits highlighted
        print(f"review  http://{settings.web_host}:{settings.web_port}/review"
              + ("?token=… (QINGLIU_REVIEW_TOKEN)" if settings.review_token else ""),
              file=sys.stderr)
    stop = asyncio.Event()
    if not once:  # Ctrl-C (or SIGTERM) stops the stack, the demo included, cleanly
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    status = 0
    try:
        if demo:
            posts = demo_posts()
            count = await produce_lines(settings, iter(posts))
            print(f"demo    produced {count} sample posts to {settings.topic_raw}; outcomes:\n",
                  file=sys.stderr)
            mismatched: list[str] = []  # samples whose outcome contradicts their label
            outcomes = asyncio.ensure_future(tail_topics(
                settings, [settings.topic_clean, settings.topic_dlq], max_messages=count,
                idle_timeout=idle_timeout, from_beginning=True, raw=False, labelled=mismatched))
            stopped = asyncio.ensure_future(stop.wait())
            await asyncio.wait({outcomes, stopped}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if not outcomes.done():  # stopped during the demo
                outcomes.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await outcomes
                return 0
            seen = outcomes.result()
            clean = int(app.metrics.registry.get_sample_value(
                "qingliu_published_total", {"topic": settings.topic_clean, "kind": "clean"}) or 0)
            print(f"\ndemo    {seen}/{count} outcomes ({clean} clean events, "
                  f"{seen - clean} dead letters){_mismatch_summary(mismatched)}", file=sys.stderr)
            status = 0 if seen == count else 1
            if once:
                return status
        # Keep the broker, the worker and the review page up; print later outcomes as they come.
        later = asyncio.ensure_future(tail_topics(
            settings, [settings.topic_clean, settings.topic_dlq], max_messages=None,
            idle_timeout=None, from_beginning=False, raw=False))
        _print_running(settings, demo)
        try:
            await stop.wait()
        finally:
            later.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await later
        return status
    finally:
        await app.stop()


def cmd_dev(args: argparse.Namespace) -> int:
    """Local broker + topics + worker in one process (``--demo`` streams sample posts)."""
    from service.broker import free_port
    from service.logs import configure

    if args.once and not args.demo:
        raise UsageError("--once goes with --demo (qingliu dev --demo --once)")
    base = _settings(args)
    if args.web_port is None and "QINGLIU_WEB_PORT" not in os.environ:
        base = base.replace(web_port=free_port())
    if args.review is None and "QINGLIU_REVIEW" not in os.environ:  # the review page, locally
        base = base.replace(review=review_cli.is_loopback(base.web_host))
    configure("warning" if args.log_level is None else base.log_level)
    with local_broker(args.dev_broker) as url:
        settings = base.replace(broker=url)
        return asyncio.run(_dev(settings, args.demo, args.idle_timeout, args.once))


# --------------------------------------------------------------------------------------------
# process / repair
# --------------------------------------------------------------------------------------------
def cmd_process(args: argparse.Namespace) -> int:
    """Batch mode: JSONL raw posts in, clean events (JSONL) out, dead letters to --dlq."""
    from tqdm import tqdm

    from service.pipeline import Limits, Origin, process_message, warm_up

    # flag > QINGLIU_MAX_BYTES > default, validated like every setting (1 byte to 64 MiB)
    limits = Limits(max_bytes=config.load({"max_bytes": args.max_bytes}).max_bytes)
    source = args.input or "-"
    counts = {"clean": 0, "dlq": 0}
    rules = rules_cli.batch_rules(args)
    warm_up()  # as a worker does: models loaded, the heap settled (see pipeline.settle_heap)
    with contextlib.ExitStack() as stack:
        stream = stack.enter_context(_open_in(args.input))
        out = stack.enter_context(_open_out(args.output))
        dlq = stack.enter_context(_open_out(args.dlq)) if args.dlq else None
        progress = stack.enter_context(tqdm(
            desc="posts", unit=" posts", file=sys.stderr, mininterval=0.5,
            disable=None if not args.progress else False,
        ))
        for number, line in _numbered_lines(stream):  # dead letters cite the input line
            outcome = process_message(line, post_key(line), Origin(source, 0, number), limits,
                                      rules)
            counts[outcome.kind] += 1
            target = out if outcome.kind == "clean" else dlq
            if target is not None:
                target.write(outcome.value_bytes() + b"\n")
            progress.update(1)
        out.flush()
    print(f"{counts['clean']} clean events, {counts['dlq']} dead letters"
          + ("" if args.dlq or not counts["dlq"] else " (not written: give --dlq FILE)"),
          file=sys.stderr)
    return 0


def cmd_repair(args: argparse.Namespace) -> int:
    """Repair text: one output line per input line (or one JSON object with --explain)."""
    from service.fixers.decoding import Decoded, decode_bytes, decode_lines
    from service.pipeline import explain, repair_text

    if args.text and (args.file or args.input):
        raise UsageError("give either --text or a FILE, not both")
    rules = rules_cli.batch_rules(args)
    with contextlib.ExitStack() as stack:
        lines: Iterator[Decoded]
        if args.text:
            lines = (decode_bytes(text.encode("utf-8", "surrogateescape"), lenient=True)
                     for text in args.text)
        else:
            stream = stack.enter_context(_open_in(args.input or args.file))
            lines = decode_lines(stream)  # any codec, line by line; never raises
        out = stack.enter_context(_open_out(args.output))
        for decoded in lines:
            if args.explain:
                out.write(orjson.dumps(explain(decoded, rules=rules)) + b"\n")
            else:
                out.write(repair_text(decoded.text, rules=rules).text.encode("utf-8", "replace")
                          + b"\n")
        out.flush()
    return 0


# --------------------------------------------------------------------------------------------
# parser
# --------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    """The full ``qingliu`` argument parser."""
    parser = Parser(
        prog="qingliu",
        description="Qingliu (清流): repair and tag corrupted Chinese posts in a Kafka stream.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"qingliu {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    fmt = argparse.RawDescriptionHelpFormatter

    p = sub.add_parser("dev", help="local broker + topics + worker in one process",
                       description="Start a local broker (embedded Tansu by default), create the "
                       "topics and run the worker in this process, until Ctrl-C.  --demo "
                       "streams the shipped sample posts through it and prints the outcomes, "
                       "then keeps everything running (the review page, `qingliu rules add`, "
                       "`qingliu produce` from another shell); --demo --once exits instead.",
                       formatter_class=fmt)
    p.add_argument("--demo", action="store_true",
                   help="stream sample posts and show their outcomes, then keep running")
    p.add_argument("--once", action="store_true",
                   help="with --demo: exit after the demo's outcomes (status 1 if some are "
                   "missing), for scripts")
    p.add_argument("--broker", dest="dev_broker", default="embedded", metavar="KIND",
                   type=broker_kind,
                   help="embedded (Tansu, default), kafka (local Apache Kafka via "
                   "service.kafka_local) or an existing kafka://host:port")
    p.add_argument("--idle-timeout", type=float, default=60.0, metavar="S",
                   help="--demo gives up after this many seconds without output (default 60)")
    config.add_flags(p, [n for n in config.WORKER
                         if n not in config.CONNECTION and n not in config.WORKER_PROCESS])
    p.set_defaults(func=cmd_dev)

    p = sub.add_parser("worker", help="run the stream worker (Faust agent)",
                       description="Consume the raw topic, repair and tag each post, publish "
                       "clean events and dead letters.  Serves /healthz, /readyz and /metrics. "
                       "SIGTERM stops it gracefully.", formatter_class=fmt)
    config.add_flags(p, config.WORKER)
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("topics", help="create/check or describe the topics",
                       description="apply: create missing topics from topics/topics.v1.json "
                       "(idempotent; fails if an existing topic has the wrong partition count). "
                       "describe: show what the broker has.")
    p.add_argument("action", choices=("apply", "describe"))
    p.add_argument("--timeout", type=float, default=60.0, metavar="S")
    config.add_flags(p, (*config.CONNECTION, *config.TOPICS, *config.TOPIC_CREATION))
    p.set_defaults(func=cmd_topics)

    p = sub.add_parser("produce", help="send a JSONL file of raw posts to the raw topic",
                       description="Each line is sent unchanged (bytes) as one message, keyed by "
                       "its post id when it parses.  FILE '-' reads stdin.")
    p.add_argument("file", metavar="FILE.jsonl")
    p.add_argument("--timeout", type=float, default=300.0, metavar="S")
    config.add_flags(p, (*config.CONNECTION, "topic_raw"))
    p.set_defaults(func=cmd_produce)

    p = sub.add_parser("tail", help="pretty-print clean events as they arrive")
    p.add_argument("--dlq", action="store_true", help="also show dead letters")
    p.add_argument("--from-beginning", action="store_true", help="start at the oldest message")
    p.add_argument("--max", type=int, default=None, metavar="N", help="stop after N messages")
    p.add_argument("--idle-timeout", type=float, default=None, metavar="S",
                   help="stop after S seconds without messages")
    p.add_argument("--json", action="store_true", help="print the raw JSON values")
    config.add_flags(p, (*config.CONNECTION, "topic_clean", "topic_dlq"))
    p.set_defaults(func=cmd_tail)

    review_cli.register(sub)  # qingliu review (service/review/command.py)

    p = sub.add_parser("process", help="batch: JSONL raw posts → clean events, no Kafka",
                       description="The worker's pipeline on a file: raw posts (JSONL, one per "
                       "line, any codec) on stdin or --input; clean events as JSONL on stdout or "
                       "--output; dead-letter records to --dlq.")
    p.add_argument("--input", "-i", metavar="FILE")
    p.add_argument("--output", "-o", metavar="FILE")
    p.add_argument("--dlq", metavar="FILE", help="write dead-letter records here")
    p.add_argument("--max-bytes", default=None, metavar="BYTES",
                   help="size limit per post, 1 byte to 64 MiB [env QINGLIU_MAX_BYTES, default "
                   "1 MiB]")
    p.add_argument("--progress", action="store_true",
                   help="always show the progress bar (default: only on a terminal)")
    config.add_flags(p, ("rules_file",))
    p.set_defaults(func=cmd_process)

    p = sub.add_parser("repair", help="repair text line by line",
                       description="Text in (FILE, or stdin; any codec: UTF-8, GBK/GB18030, Big5, "
                       "Shift-JIS, UTF-16 with BOM …), repaired text out as UTF-8, exactly one output line "
                       "per input line.  --explain writes one JSON object per line instead, "
                       "with the clean event's fields: "
                       '{"text", "original_text", "normalized", "encoding", "edits", '
                       '"corruption": {"detected", "score", "kinds"}, '
                       '"tags": {"topics", "places", "evidence"}}.')
    p.add_argument("file", nargs="?", metavar="FILE", help="text file to repair (default or -: stdin)")
    p.add_argument("--text", "-t", action="append", metavar="TEXT",
                   help="repair this text instead of reading a file (repeatable)")
    p.add_argument("--input", "-i", metavar="FILE", help="same as FILE")
    p.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    p.add_argument("--explain", action="store_true", help="JSON with edits and the verdict")
    config.add_flags(p, ("rules_file",))
    p.set_defaults(func=cmd_repair)

    rules_cli.add_parser(sub)  # qingliu rules add|list|remove (service/rules/cli.py)

    p = sub.add_parser("eval", help="evaluate a repair engine against a reference")
    eval_sub = p.add_subparsers(dest="eval_name", metavar="NAME", required=True)
    q = eval_sub.add_parser("spun", help="score spun-text restoration (--spun A --orig B)")
    from service.spun import evaluate as spun_evaluate

    spun_evaluate.add_arguments(q)
    q.set_defaults(func=spun_evaluate.run)

    from service import benchmarks

    p = sub.add_parser("bench", help="benchmarks (stream, repair, tag, …)",
                       description="Benchmarks; each prints its figures beside a baseline "
                       "measured in the same run.")
    bench_sub = p.add_subparsers(dest="bench_name", metavar="NAME", required=True)
    for name, bench in benchmarks.discover().items():
        q = bench_sub.add_parser(name, help=(bench.__doc__ or "").strip().splitlines()[0])
        bench.add_arguments(q)
        q.set_defaults(func=bench.run)
    # Each (sub)command's parser in its defaults: errors found after parsing (unrecognized
    # arguments) are reported by the subcommand that was given them.
    parser.set_defaults(parser=parser)
    for commands in (sub, eval_sub, bench_sub):
        for command_parser in commands.choices.values():
            command_parser.set_defaults(parser=command_parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``qingliu`` console command."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        args.parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (ConfigError, UsageError) as exc:
        return _fail(args, exc, 2)
    except QingliuError as exc:
        return _fail(args, exc, 1)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as exc:
        return _fail(args, f"cannot open {exc.filename}: {exc.strerror}", 2)  # a path given
    except OSError as exc:  # the machine refused (a port in use, a full disk …)
        return _fail(args, exc, 1)


def _fail(args: argparse.Namespace, error: object, status: int) -> int:
    """Print ``qingliu COMMAND: error: …`` as one line on stderr; return ``status``."""
    message = " ".join(str(error).split())
    print(f"{args.parser.prog}: error: {message}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
