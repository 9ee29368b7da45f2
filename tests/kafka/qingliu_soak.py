"""Soak of the worker on a three-node Apache Kafka cluster: faults, hostile posts, a CPU hog.

Three ``qingliu worker`` processes (one consumer group) drain posts produced in waves while a
seeded random schedule SIGTERMs and restarts a worker, kill -9s one (its pid only) and restarts
it, adds a worker, and kill -9s a broker and restarts it, with a CPU-heavy process beside them.
Hostile posts are mixed in: not JSON, JSON with a BOM, wrong types, empty and NUL-only texts,
deep nesting, random bytes, GBK/Big5/Shift-JIS bytes, 1 MiB zero-width posts, a post over
``QINGLIU_MAX_BYTES`` and a valid post whose clean event would be huge.

Every raw message is matched with its outcomes by ``event_id`` (blake2b-128 of key, NUL, value,
as the worker computes it).  At the end (a bounded wait for all outcomes, then a graceful stop)
the outcome topics are read with ``read_committed`` and :class:`Summary` gives lost posts,
duplicates (attributed to the fault after which the extra outcome appeared), poison posts
without a dead letter, partitions whose committed offset is short of the end, end-to-end latency
(outcome log-append time minus the raw record's create time), ``/healthz`` answer times and the
workers' peak RSS.

Run as a script::

    python tests/kafka/qingliu_soak.py --mode exactly_once --posts 100000 --seed 7
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import importlib.util
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson
import psutil

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))


def _harness() -> Any:
    """The fault-test harness module (shared with the other Kafka tests)."""
    name = "qingliu_kafka_harness"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


h = _harness()

MODES = ("exactly_once", "at_least_once")
PARTITIONS = 6
MAX_BYTES = 1 << 20  # the worker's default QINGLIU_MAX_BYTES
PROBE_LATE_S = 1.0  # a /healthz answer slower than this counts as late
FAULT_KINDS = ("sigterm", "kill9", "join", "broker")


# -- event ids and posts -----------------------------------------------------------------------


def event_id(key: bytes | None, value: bytes | None) -> str:
    """The outcome id of a raw message, computed as the worker does (blake2b-128 of key NUL value)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(key or b"")
    digest.update(b"\0")
    digest.update(value or b"")
    return digest.hexdigest()


def check_event_id() -> None:
    """Fail early (with the reason) if the worker's ``event_id`` no longer matches this one."""
    from service.pipeline import event_id as service_event_id

    for key, value in ((b"k", b'{"id":"k"}'), (None, b"\xff\x00"), (b"x", b"")):
        if service_event_id(key, value) != event_id(key, value):
            raise AssertionError("service.pipeline.event_id changed: update the soak's event_id")


@dataclass(frozen=True)
class Post:
    """One raw message and what its outcome must be (``dlq``, ``clean`` or ``any``)."""

    key: bytes | None
    value: bytes | None
    kind: str
    expect: str

    @property
    def event_id(self) -> str:
        return event_id(self.key, self.value)


TEXTS = (
    *h.TEXTS,
    "这家店的服务態度很好，價格也公道，下次还来。",
    "新能源汽車销量持续增长，充电桩建设加快。",
    "浙江省杭州市西湖区今天举办马拉松比赛。",
    "ｗｅｉｂｏ上的热搜：某明星官宣结婚了",
)


def _json(obj: Any, encoding: str = "utf-8") -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode(encoding)


def _deep(depth: int) -> Any:
    node: Any = "底"
    for _ in range(depth):
        node = {"n": node}
    return node


def hostile_posts(prefix: str, rng: random.Random, heavy: int) -> list[Post]:
    """Hostile inputs (ids unique per ``prefix``); ``heavy`` copies of each huge kind."""
    out: list[Post] = []

    def add(kind: str, expect: str, value: bytes | None, key: bytes | None = b"") -> None:
        ident = f"{prefix}-{kind}-{len(out)}"
        out.append(Post(ident.encode() if key == b"" else key, value, kind, expect))

    def ident() -> str:
        return f"{prefix}-h{len(out)}"

    add("not_json", "dlq", b"{not json " + ident().encode())
    add("truncated_json", "dlq", _json({"id": ident(), "text": "半截"})[:-3])
    add("bom_json", "any", b"\xef\xbb\xbf" + _json({"id": ident(), "text": "带BOM的帖子"}))
    add("not_object", "dlq", _json([ident(), "数组"]))
    add("wrong_type_text", "dlq", _json({"id": ident(), "text": 12345}))
    add("wrong_type_id", "dlq", _json({"id": 7, "text": "id是数字 " + ident()}))
    add("missing_text", "dlq", _json({"id": ident()}))
    add("empty_text", "dlq", _json({"id": ident(), "text": ""}))
    add("blank_text", "dlq", _json({"id": ident(), "text": " \t\n "}))
    add("nul_only", "dlq", _json({"id": ident(), "text": "\u0000" * 40}))
    add("zero_width_only", "dlq", _json({"id": ident(), "text": "\u200b\u200c\u200d\ufeff" * 20}))
    add("deep_array", "dlq", b"[" * 100_000 + b"]" * 100_000)
    add("deep_object", "any", _json({"id": ident(), "text": "深层嵌套", "meta": _deep(300)}))
    add("random_bytes", "dlq", b"\xff" + rng.randbytes(rng.randint(1, 3000)))
    add("empty_value", "dlq", b"")
    add("null_value", "dlq", None)
    add("no_key", "any", _json({"id": ident(), "text": "没有键的帖子"}), key=None)
    add("no_key_garbage", "dlq", b"\x00\x01" + ident().encode(), key=None)
    add("gbk", "any", _json({"id": ident(), "text": "广东省深圳市的天气很好，网络谣言已辟谣。"}, "gbk"))
    add("big5", "any", _json({"id": ident(), "text": "臺灣的朋友們新年快樂，香港天氣晴朗。"}, "big5"))
    add("shift_jis", "any", _json({"id": ident(), "text": "東京都の天気は晴れです。日本語の投稿。"},
                                  "shift_jis"))
    add("utf16", "any", _json({"id": ident(), "text": "UTF-16 的帖子"}, "utf-16"))
    add("mojibake", "any", _json({"id": ident(), "text": "中文".encode().decode("latin-1") * 5}))
    for _ in range(heavy):
        # ~1 MiB of zero-width characters only: seconds of pipeline work, then empty_text
        add("zero_width_1mib", "dlq", _json({"id": ident(), "text": "\u200b" * 349_000}))
        # ~1 MiB alternating text and zero-width characters: a clean event with many edits
        add("zero_width_mixed_1mib", "any", _json({"id": ident(), "text": "文\u200b" * 174_000}))
        # over QINGLIU_MAX_BYTES: too_large
        add("over_max_bytes", "dlq", _json({"id": ident(), "text": "长" * (MAX_BYTES // 3 + 40_000)}))
        # under the limit, but 262k full-width edits: merged edits or a dead letter, never a stall
        add("huge_clean_event", "any", _json({"id": ident(), "text": "ａb" * 262_000}))
    return out


def make_posts(count: int, seed: int) -> list[Post]:
    """``count`` posts: hostile ones (about 2 %, each kind at least once) among valid ones."""
    rng = random.Random(seed)
    prefix = f"soak{seed}"
    heavy = 1 if count < 20_000 else 2
    hostile: list[Post] = []
    round_no = 0
    while not hostile or len(hostile) < count // 50:
        hostile += hostile_posts(f"{prefix}r{round_no}", rng, heavy if round_no == 0 else 0)
        round_no += 1
    posts: list[Post] = []
    for i in range(max(0, count - len(hostile))):
        ident = f"{prefix}-{i:06d}"
        text = rng.choice(TEXTS) + f" #{i} " + rng.choice(TEXTS)[: rng.randint(0, 20)]
        value = _json({"id": ident, "text": text, "source": "soak", "lang": "zh", "ts": i})
        posts.append(Post(ident.encode(), value, "valid", "clean"))
    for post in hostile:
        posts.insert(rng.randint(0, len(posts)), post)
    return posts


# -- the CPU hog -------------------------------------------------------------------------------


@contextlib.contextmanager
def cpu_hog(processes: int = 1) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Busy-looping Python processes beside the test (stopped, by pid, on exit)."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"],
                              stdin=subprocess.DEVNULL, start_new_session=True)
             for _ in range(processes)]
    try:
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)


# -- reading topics in the background ----------------------------------------------------------


@dataclass
class Seen:
    """One record read back: where it is and its log timestamp (ms)."""

    topic: str
    partition: int
    offset: int
    ts: int
    code: str | None = None


class TopicReader(threading.Thread):
    """Reads ``topics`` from the beginning as they grow (``read_committed``), in its own loop.

    ``handle(record)`` is called for each record in this thread; :meth:`catch_up` waits until
    everything up to the end offsets (the last stable offsets) at call time has been read.
    """

    def __init__(self, bootstrap: str, topics: list[str],
                 handle: Callable[[Any], None]) -> None:
        super().__init__(daemon=True, name="soak-reader")
        self.bootstrap = bootstrap
        self.topics = topics
        self.handle = handle
        self.records = 0
        self.error: BaseException | None = None
        self._halt = threading.Event()
        self._caught_up_at = 0.0  # wall time of the end-offset query last reached

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported by catch_up
            self.error = exc

    async def _main(self) -> None:
        from aiokafka import AIOKafkaConsumer, TopicPartition

        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False,
            isolation_level="read_committed", fetch_max_wait_ms=200,
            max_partition_fetch_bytes=16 << 20, fetch_max_bytes=64 << 20,
            request_timeout_ms=30000, metadata_max_age_ms=5000,
        )
        await consumer.start()
        try:
            partitions = []
            for topic in self.topics:
                while not (parts := consumer.partitions_for_topic(topic)):
                    await consumer._client.force_metadata_update()
                    await asyncio.sleep(0.2)
                partitions += [TopicPartition(topic, p) for p in sorted(parts)]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends: dict[Any, int] = {}
            asked = 0.0
            last_query = 0.0
            while not self._halt.is_set():
                batch = await consumer.getmany(timeout_ms=300, max_records=2000)
                for records in batch.values():
                    for record in records:
                        self.handle(record)
                        self.records += 1
                now = time.monotonic()
                if now - last_query > 1.0:
                    with contextlib.suppress(Exception):
                        query_time = time.time()
                        ends = await consumer.end_offsets(partitions)
                        asked = query_time
                    last_query = now
                if ends and asked > self._caught_up_at:
                    positions = {}
                    with contextlib.suppress(Exception):
                        positions = {tp: await consumer.position(tp) for tp in partitions}
                    if positions and all(positions[tp] >= ends[tp] for tp in partitions):
                        self._caught_up_at = asked
        finally:
            await consumer.stop()

    def catch_up(self, timeout: float) -> bool:
        """Whether everything appended before now was read within ``timeout`` seconds."""
        since = time.time()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.error:
                raise self.error
            if self._caught_up_at > since:
                return True
            time.sleep(0.2)
        return False

    def stop(self) -> None:
        self._halt.set()
        if self.ident is not None:
            self.join(30)


class Outcomes:
    """Outcomes read back, by event id (filled by a :class:`TopicReader`)."""

    def __init__(self, clean: str, dlq: str) -> None:
        self.clean = clean
        self.dlq = dlq
        self.by_id: dict[str, list[Seen]] = defaultdict(list)
        self.unreadable = 0
        self.lock = threading.Lock()

    def handle(self, record: Any) -> None:
        code = None
        try:
            value = orjson.loads(record.value)
            eid = value["event_id"]
            if record.topic == self.dlq:
                code = value["error"]["code"]
        except Exception:
            with self.lock:
                self.unreadable += 1
            return
        with self.lock:
            self.by_id[eid].append(Seen(record.topic, record.partition, record.offset,
                                        record.timestamp, code))

    def count(self, ids: set[str]) -> int:
        with self.lock:
            return sum(1 for eid in ids if eid in self.by_id)


class RawCopies:
    """Raw records by event id (copies, and the create time of the first)."""

    def __init__(self) -> None:
        self.by_id: dict[str, list[Seen]] = defaultdict(list)

    def handle(self, record: Any) -> None:
        eid = event_id(record.key, record.value)
        self.by_id[eid].append(Seen(record.topic, record.partition, record.offset,
                                    record.timestamp))


# -- admin helpers -----------------------------------------------------------------------------


def settings_for(bootstrap: str, base: str, group: str) -> Any:
    from service.config import Settings

    return Settings(broker="kafka://" + bootstrap, topic_raw=f"{base}.raw",
                    topic_clean=f"{base}.clean", topic_dlq=f"{base}.dlq",
                    topic_rules=f"{base}.rules", group_id=group, partitions=PARTITIONS,
                    replication=3)


async def _create_topics(settings: Any) -> None:
    """The contract's topics; the outputs stamped with log-append time (for latency)."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    from service import contracts

    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap, request_timeout_ms=30000)
    await admin.start()
    try:
        new = []
        for spec in contracts.specs(settings):
            config = dict(spec.config)
            if spec.role in ("clean", "dlq"):
                config["message.timestamp.type"] = "LogAppendTime"
            new.append(NewTopic(spec.name, spec.partitions, spec.replication,
                                topic_configs=config))
        await admin.create_topics(new, timeout_ms=30000)
    finally:
        await admin.close()
    await contracts.apply(settings)  # checks them and waits until they are visible


def create_topics(settings: Any) -> None:
    asyncio.run(_create_topics(settings))


async def _group_progress(bootstrap: str, group: str, topic: str) -> dict[int, tuple[int, int]]:
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=20000)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                request_timeout_ms=20000)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        ends = await consumer.end_offsets(tps)
        out = {}
        for tp in tps:
            meta = committed.get(tp)
            out[tp.partition] = (meta.offset if meta is not None else -1, ends[tp])
        return out
    finally:
        await consumer.stop()
        await admin.close()


def group_progress(bootstrap: str, group: str, topic: str) -> dict[int, tuple[int, int]]:
    """``{partition: (committed offset or -1, end offset)}`` of ``group`` on ``topic``."""
    return asyncio.run(_group_progress(bootstrap, group, topic))


# -- workers -----------------------------------------------------------------------------------


@dataclass
class Incarnation:
    """One worker process from start to exit, with what was measured of it."""

    name: str
    worker: Any
    started: float
    pid: int = 0
    signalled: str = ""  # "sigterm" / "kill9" once the soak stopped it on purpose
    exit_code: int | None = None
    max_rss: int = 0
    max_rss_tree: int = 0
    children: set[int] = field(default_factory=set)
    probes: int = 0
    late_probes: int = 0
    failed_probes: int = 0
    max_probe_s: float = 0.0
    answered: bool = False


def _first_error(log: str) -> str:
    """The first error line of a worker's log (its message only), else the log's end."""
    for line in log.splitlines():
        if '"level":"error"' in line or '"level":"critical"' in line:
            with contextlib.suppress(ValueError):
                return str(json.loads(line).get("msg", line))[:800]
            return line[:800]
    return log[-800:]


class Fleet:
    """The soak's workers: start, SIGTERM, kill -9 (the worker's pid only), sample, probe."""

    def __init__(self, bootstrap: str, settings: Any, guarantee: str, logdir: Path,
                 log: Callable[[str], None], env: dict[str, str] | None = None) -> None:
        self.bootstrap = bootstrap
        self.env = dict(env or {})
        self.settings = settings
        self.guarantee = guarantee
        self.logdir = logdir
        self.log = log
        self.live: dict[str, Incarnation] = {}
        self.history: list[Incarnation] = []
        self.orphans: list[str] = []
        self.crashes: list[str] = []
        self.sigterm_problems: list[str] = []
        self.idle: list[str] = []  # running workers without partitions at the last wait_ready
        self.stalls: list[str] = []  # stalls reported by the workers' /readyz
        self.lock = threading.RLock()
        self._serial = Counter()
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True, name="soak-sampler")
        self._prober = threading.Thread(target=self._probe, daemon=True, name="soak-prober")

    def begin(self) -> None:
        self._sampler.start()
        self._prober.start()

    def start(self, name: str) -> Incarnation:
        self._serial[name] += 1
        topics = h.Topics(self.settings.topic_raw, self.settings.topic_clean,
                          self.settings.topic_dlq)
        worker = h.Worker(self.bootstrap, topics, self.settings.group_id, self.guarantee,
                          self.logdir, f"{name}.{self._serial[name]}", env={
                              "QINGLIU_TOPIC_RULES": self.settings.topic_rules,
                              "QINGLIU_REPLICATION": "3",
                              "QINGLIU_PARTITIONS": str(PARTITIONS),
                              "QINGLIU_STALL_SECONDS": "60",
                              **self.env,
                          })
        worker.start()
        inc = Incarnation(name, worker, time.time(), pid=worker.proc.pid)
        with self.lock:
            self.live[name] = inc
            self.history.append(inc)
        return inc

    @staticmethod
    def settled(inc: Incarnation) -> str:
        """``ready``, ``idle`` (running, no partitions assigned) or ``""`` (neither yet)."""
        status, body, _ = inc.worker.get("/readyz")
        if status == 200:
            return "ready"
        with contextlib.suppress(ValueError, TypeError):
            info = json.loads(body)
            if (info.get("started") and info.get("connected") and not info.get("rebalancing")
                    and not info.get("assigned") and not info.get("stalled")):
                return "idle"
        return ""

    def wait_ready(self, timeout: float, idle_ok: bool = True) -> list[str]:
        """Wait until every live worker is ready (or idle, with ``idle_ok``); returns the rest."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_crashes()
            with self.lock:
                live = dict(self.live)
            states = {name: self.settled(inc) for name, inc in live.items()}
            pending = [n for n, state in states.items()
                       if not (state == "ready" or (idle_ok and state == "idle"))]
            if not pending or time.monotonic() > deadline:
                self.idle = sorted(n for n, state in states.items() if state == "idle")
                return pending
            time.sleep(0.5)

    def _descendants(self, pid: int) -> set[int]:
        with contextlib.suppress(psutil.Error):
            return {child.pid for child in psutil.Process(pid).children(recursive=True)}
        return set()

    def _check_orphans(self, inc: Incarnation, before: float, timeout: float = 15) -> None:
        """Children of ``inc`` (created before ``before``) still alive ``timeout`` s later."""
        children = inc.children
        deadline = time.monotonic() + timeout
        alive: list[psutil.Process] = []
        while True:
            alive = []
            for pid in children:
                with contextlib.suppress(psutil.Error):
                    proc = psutil.Process(pid)
                    if proc.status() != psutil.STATUS_ZOMBIE and proc.create_time() <= before:
                        alive.append(proc)
            if not alive or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        for proc in alive:
            with contextlib.suppress(psutil.Error):
                line = (f"{inc.worker.name} ({inc.signalled or 'exit'}): child {proc.pid} "
                        f"{' '.join(proc.cmdline())[:120]} alive {timeout:.0f}s after its worker")
                self.orphans.append(line)
                self.log("orphan: " + line)
                proc.kill()

    def sigterm(self, name: str, timeout: float = 60) -> None:
        with self.lock:
            inc = self.live.pop(name)
        inc.signalled = "sigterm"
        inc.children |= self._descendants(inc.pid)
        before = time.time()
        proc = inc.worker.proc
        proc.send_signal(signal.SIGTERM)
        try:
            inc.exit_code = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.sigterm_problems.append(f"{inc.worker.name} ignored SIGTERM for {timeout:.0f}s")
            os.killpg(proc.pid, signal.SIGKILL)
            inc.exit_code = proc.wait(30)
        if inc.exit_code != 0:
            self.sigterm_problems.append(f"{inc.worker.name} exited {inc.exit_code} on SIGTERM")
        self._check_orphans(inc, before)

    def kill9(self, name: str) -> None:
        with self.lock:
            inc = self.live.pop(name)
        inc.signalled = "kill9"
        inc.children |= self._descendants(inc.pid)
        before = time.time()
        os.kill(inc.pid, signal.SIGKILL)
        inc.exit_code = inc.worker.proc.wait(30)
        self._check_orphans(inc, before)

    def check_crashes(self) -> list[str]:
        """Workers that exited without being told to (restarted under the same name)."""
        died = []
        with self.lock:
            for name, inc in list(self.live.items()):
                if inc.worker.proc.poll() is not None:
                    inc.exit_code = inc.worker.proc.returncode
                    line = (f"{inc.worker.name} exited {inc.exit_code} unasked: "
                            f"{_first_error(inc.worker.log())}")
                    self.crashes.append(line)
                    self.log("crash: " + line[:400])
                    del self.live[name]
                    died.append(name)
        for name in died:
            self.start(name)
        return died

    def stop_all(self) -> None:
        for name in list(self.live):
            self.sigterm(name)

    def close(self) -> None:
        self._stop.set()
        for inc in self.history:
            if inc.worker.proc.poll() is None:
                os.killpg(inc.worker.proc.pid, signal.SIGKILL)
                inc.worker.proc.wait(30)
        for thread in (self._sampler, self._prober):
            if thread.is_alive():
                thread.join(10)

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            with self.lock:
                live = list(self.live.values())
            for inc in live:
                with contextlib.suppress(psutil.Error):
                    proc = psutil.Process(inc.pid)
                    rss = proc.memory_info().rss
                    tree = rss
                    for child in proc.children(recursive=True):
                        with contextlib.suppress(psutil.Error):
                            tree += child.memory_info().rss
                            inc.children.add(child.pid)
                    inc.max_rss = max(inc.max_rss, rss)
                    inc.max_rss_tree = max(inc.max_rss_tree, tree)

    def _probe(self) -> None:
        while not self._stop.wait(1.0):
            with self.lock:
                live = [inc for inc in self.live.values() if not inc.signalled]
            for inc in live:
                url = f"http://127.0.0.1:{inc.worker.port}/healthz"
                started = time.monotonic()
                ok = False
                with contextlib.suppress(urllib.error.URLError, OSError):
                    with urllib.request.urlopen(url, timeout=10) as resp:
                        ok = resp.status == 200
                elapsed = time.monotonic() - started
                if inc.signalled or inc.worker.proc.poll() is not None:
                    continue  # stopped meanwhile
                if not ok and not inc.answered:
                    continue  # not serving yet
                inc.answered = True
                inc.probes += 1
                inc.max_probe_s = max(inc.max_probe_s, elapsed)
                if not ok:
                    inc.failed_probes += 1
                elif elapsed > PROBE_LATE_S:
                    inc.late_probes += 1
                self._record_stalls(inc)

    def _record_stalls(self, inc: Incarnation) -> None:
        """Note the stalled partitions a worker's /readyz reports (once per partition and offset)."""
        status, body, _ = inc.worker.get("/readyz", timeout=5)
        if status != 503:
            return
        with contextlib.suppress(ValueError, TypeError, KeyError):
            for stall in json.loads(body).get("stalled") or []:
                line = f"{inc.worker.name}: {stall['partition']} at offset {stall['offset']}"
                if line not in self.stalls:
                    self.stalls.append(line)
                    self.log(f"[soak] /readyz reports a stall: {line} ({stall['seconds']}s)")


# -- the schedule ------------------------------------------------------------------------------


@dataclass
class Fault:
    """One planned fault: once ``fraction`` of wave ``wave`` (0-based) has its outcomes."""

    wave: int
    fraction: float
    kind: str
    target: str  # worker name or broker node id (chosen when it happens for workers)
    pause: float  # seconds before the restart (sigterm, kill9, broker)
    started: float = 0.0  # wall time it was injected
    recovered: float = 0.0  # wall time every worker was ready (or idle) again
    note: str = ""

    def line(self) -> str:
        return (f"wave {self.wave + 1:>2} at {self.fraction:4.0%} {self.kind:<7} "
                f"{self.target:<4} pause {self.pause:.1f}s")


def plan(seed: int, posts: int, waves: int) -> list[Fault]:
    """A seeded schedule: every kind at least once (more for larger runs), each fault in its own
    wave, while that wave's backlog is being worked off."""
    rng = random.Random(seed * 7919 + 1)
    count = min(waves, max(6, posts // 6000))
    kinds = list(FAULT_KINDS)  # each kind once, then more stops and kills, a broker now and then
    while len(kinds) < count:
        kind = rng.choice(("sigterm", "kill9", "sigterm", "kill9", "broker", "join"))
        if kind != "join" or kinds.count("join") < 2:  # at most two extra workers
            kinds.append(kind)
    rng.shuffle(kinds)
    slots = sorted(rng.sample(range(waves), min(waves, len(kinds))))
    faults = []
    for wave, kind in zip(slots, kinds, strict=False):
        target = {"broker": str(rng.randint(1, 3)), "join": "new"}.get(kind, "any")
        faults.append(Fault(wave, round(rng.uniform(0.1, 0.7), 2), kind, target,
                            round(rng.uniform(0.5, 6.0), 1)))
    return faults


# -- the soak ----------------------------------------------------------------------------------


@dataclass
class Summary:
    """What the soak found; :meth:`failures` lists what breaks the guarantee under test."""

    mode: str
    posts: int
    seed: int
    code_version: str
    schedule: list[str]
    produced: int = 0
    raw_records: int = 0
    outcomes: int = 0
    clean: int = 0
    dead_lettered: int = 0
    lost: int = 0
    lost_examples: list[str] = field(default_factory=list)
    duplicates: int = 0
    duplicated_posts: int = 0
    duplicates_by_fault: dict[str, int] = field(default_factory=dict)
    both_outcomes: int = 0
    unknown_outcomes: int = 0
    poison: int = 0
    poison_without_dlq: list[str] = field(default_factory=list)
    poison_max_latency_s: float = 0.0
    hostile_outcomes: dict[str, str] = field(default_factory=dict)
    dlq_codes: dict[str, int] = field(default_factory=dict)
    unexpected_kinds: list[str] = field(default_factory=list)
    latency_p50_s: float = 0.0
    latency_p99_s: float = 0.0
    latency_max_s: float = 0.0
    all_outcomes_in_s: float | None = None
    stalled_partitions: dict[str, str] = field(default_factory=dict)
    max_rss_mib: float = 0.0
    max_rss_tree_mib: float = 0.0
    healthz_probes: int = 0
    healthz_late: int = 0
    healthz_failed: int = 0
    healthz_max_s: float = 0.0
    orphans: list[str] = field(default_factory=list)
    reported_stalls: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    sigterm_problems: list[str] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unattributed: list[str] = field(default_factory=list)  # duplicates after no fault
    duplicate_examples: list[str] = field(default_factory=list)
    wall_s: float = 0.0

    def failures(self) -> list[str]:
        """Broken guarantees (empty when the soak passed)."""
        out = []
        if self.lost:
            out.append(f"{self.lost} posts have no outcome, e.g. {self.lost_examples[:5]}")
        if self.mode == "exactly_once" and self.duplicates:
            out.append(f"{self.duplicates} duplicate outcomes under exactly_once "
                       f"({self.duplicates_by_fault})")
        if self.mode == "at_least_once" and self.duplicates_by_fault.get("sigterm"):
            out.append(f"{self.duplicates_by_fault['sigterm']} duplicates after a SIGTERM "
                       "(a graceful stop must publish nothing twice)")
        if self.both_outcomes:
            out.append(f"{self.both_outcomes} posts have both a clean event and a dead letter")
        if self.poison_without_dlq:
            out.append(f"poison posts without a dead letter: {self.poison_without_dlq[:10]}")
        if self.stalled_partitions:
            out.append(f"partitions not committed to their end: {self.stalled_partitions}")
        if self.unknown_outcomes:
            out.append(f"{self.unknown_outcomes} outcomes match no produced message")
        if self.crashes:
            out.append(f"{len(self.crashes)} workers died unasked: {self.crashes[0][:300]}")
        if self.sigterm_problems:
            out.append(f"SIGTERM not honoured: {self.sigterm_problems}")
        if self.orphans:
            out.append(f"children outlived their worker: {self.orphans[:3]}")
        return out

    def text(self) -> str:
        lines = [
            f"[soak] mode={self.mode} posts={self.posts} seed={self.seed} "
            f"code={self.code_version} wall={self.wall_s:.0f}s",
            f"[soak] produced={self.produced} raw_records={self.raw_records} "
            f"outcomes={self.outcomes} clean={self.clean} dead_lettered={self.dead_lettered}",
            f"[soak] lost={self.lost} duplicates={self.duplicates} "
            f"(posts {self.duplicated_posts}; by fault {self.duplicates_by_fault}) "
            f"both={self.both_outcomes} unknown={self.unknown_outcomes}",
            f"[soak] latency p50={self.latency_p50_s:.2f}s p99={self.latency_p99_s:.2f}s "
            f"max={self.latency_max_s:.2f}s; all outcomes "
            + (f"in {self.all_outcomes_in_s:.0f}s after the last wave"
               if self.all_outcomes_in_s is not None else "NOT all in") + f"; stalled={self.stalled_partitions or 'none'}",
            f"[soak] poison={self.poison} without dlq={len(self.poison_without_dlq)} "
            f"max poison latency={self.poison_max_latency_s:.1f}s; dlq codes {self.dlq_codes}",
            f"[soak] max RSS worker={self.max_rss_mib:.0f} MiB, with children="
            f"{self.max_rss_tree_mib:.0f} MiB; /healthz probes={self.healthz_probes} "
            f"late(>{PROBE_LATE_S:.0f}s)={self.healthz_late} failed={self.healthz_failed} "
            f"max={self.healthz_max_s:.1f}s",
            f"[soak] hostile outcomes: {self.hostile_outcomes}",
        ]
        lines += [f"[soak] fault {line}" for line in self.faults]
        lines += [f"[soak] unexpected outcome kind: {line}" for line in self.unexpected_kinds]
        lines += [f"[soak] orphan: {line}" for line in self.orphans]
        lines += [f"[soak] stall reported by /readyz: {line}" for line in self.reported_stalls]
        lines += [f"[soak] crash: {line[:600]}" for line in self.crashes]
        lines += [f"[soak] sigterm: {line}" for line in self.sigterm_problems]
        lines += [f"[soak] duplicate after no fault: {line}" for line in self.unattributed]
        lines += [f"[soak] duplicate: {line}" for line in self.duplicate_examples]
        lines += [f"[soak] note: {line}" for line in self.notes]
        failures = self.failures()
        lines.append("[soak] " + ("PASS" if not failures else "FAIL: " + " | ".join(failures)))
        return "\n".join(lines)


BLAME_SLACK_MS = 1000  # a record in flight when its worker was killed is appended just after


def blame(windows: list[tuple[float, float, str]], first: int, again: int) -> str:
    """The fault a duplicate outcome is put down to (``windows``: sorted ``(start, settled,
    kind)`` in ms): the one during which the first outcome appeared, else the last one between
    the first outcome and the duplicate, else ``no fault``."""
    for start, settled, kind in windows:
        if start - BLAME_SLACK_MS <= first <= settled:
            return kind
    between = [kind for start, _, kind in windows if first < start <= again]
    return between[-1] if between else "no fault"


def code_version() -> str:
    """The commit under test, ``+dirty`` with a hash of uncommitted changes to ``service/``."""
    def git(*args: str) -> str:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, timeout=30,
                                  check=True).stdout.decode().strip()
        return ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    diff = git("diff", "HEAD", "--", "service")
    untracked = git("ls-files", "--others", "--exclude-standard", "service")
    if diff or untracked:
        digest = hashlib.sha1(diff.encode())
        for name in sorted(untracked.split()):
            with contextlib.suppress(OSError):
                digest.update(name.encode() + (REPO / name).read_bytes())
        return f"{head}+dirty:{digest.hexdigest()[:8]}"
    return head


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class SoakConfig:
    mode: str
    posts: int = 4000
    seed: int = 1
    workers: int = 3
    wave_interval: float = 15.0
    hog: bool = True
    worker_env: dict[str, str] = field(default_factory=dict)  # extra settings for the workers

    @property
    def waves(self) -> int:
        return max(6, min(16, self.posts // 1000))

    @property
    def outcome_timeout(self) -> float:
        return 240 + self.posts * 0.012


class _Produce(threading.Thread):
    """One wave sent in the background (acks=all, retried until acknowledged)."""

    def __init__(self, bootstrap: str, topic: str, posts: list[Post]) -> None:
        super().__init__(daemon=True, name="soak-producer")
        self.args = (bootstrap, topic, [(p.key, p.value) for p in posts])
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            h.produce(*self.args)
        except BaseException as exc:  # reported by join_checked
            self.error = exc

    def join_checked(self, timeout: float) -> None:
        self.join(timeout)
        if self.is_alive() or self.error:
            raise AssertionError(f"producing a wave failed: {self.error or 'still running'}")


def _sleep_watching(fleet: Fleet, seconds: float) -> None:
    """Sleep, restarting any worker that died unasked meanwhile."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        fleet.check_crashes()
        time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))


def _wait_for_share(fleet: Fleet, outcomes: Outcomes, ids: set[str], fraction: float,
                    timeout: float = 90) -> None:
    """Wait until ``fraction`` of ``ids`` have an outcome (at most ``timeout`` s)."""
    need = max(1, int(len(ids) * fraction))
    deadline = time.monotonic() + timeout
    while outcomes.count(ids) < need and time.monotonic() < deadline:
        fleet.check_crashes()
        time.sleep(0.2)


def _inject(fault: Fault, fleet: Fleet, cluster: Any, extra: int, rng: random.Random,
            log: Callable[[str], None], t0: float) -> int:
    """Inject ``fault``, restart what it stopped, wait for the group; returns workers added."""
    fault.started = time.time()
    added = 0
    at = f"t+{time.monotonic() - t0:.0f}s"
    if fault.kind in ("sigterm", "kill9"):
        with fleet.lock:
            live = dict(fleet.live)
        busy = sorted(name for name, inc in live.items() if fleet.settled(inc) == "ready")
        fault.target = rng.choice(busy or sorted(live))  # one with partitions, if any
        inc = fleet.live[fault.target]
        log(f"[soak] {fault.kind} {inc.worker.name} at {at}")
        (fleet.sigterm if fault.kind == "sigterm" else fleet.kill9)(fault.target)
        fault.note = f"{inc.worker.name} exit {inc.exit_code}"
        time.sleep(fault.pause)
        fleet.start(fault.target)
    elif fault.kind == "join":
        added = 1
        fault.target = f"x{extra + 1}"
        log(f"[soak] join {fault.target} at {at}")
        fleet.start(fault.target)
    else:
        node = int(fault.target)
        log(f"[soak] broker {node} kill -9 at {at}")
        cluster.kill_node(node)
        time.sleep(fault.pause)
        cluster.start_node(node, timeout=120)
    pending = fleet.wait_ready(120)
    fault.recovered = time.time()
    if pending:
        fault.note += f"; not ready 120 s later: {pending}"
    if fleet.idle:
        fault.note += f"; idle (no partitions): {fleet.idle}"
    log(f"[soak] {fault.kind} {fault.target} settled in "
        f"{fault.recovered - fault.started:.0f}s {fault.note}")
    return added


@contextlib.contextmanager
def _quiet_clients() -> Iterator[None]:
    """aiokafka's retry warnings (a broker is down on purpose) kept out of the output."""
    import logging

    logger = logging.getLogger("aiokafka")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def run_soak(bootstrap: str, config: SoakConfig, logdir: Path,
             log: Callable[[str], None] = print) -> Summary:
    """The whole soak on a running three-node cluster (``bootstrap`` carries ``.cluster``)."""
    with _quiet_clients():
        return _run_soak(bootstrap, config, logdir, log)


def _run_soak(bootstrap: str, config: SoakConfig, logdir: Path,
              log: Callable[[str], None]) -> Summary:
    check_event_id()
    began = time.time()
    cluster = bootstrap.cluster
    base = h.unique(f"soak-{config.mode[:3]}")
    settings = settings_for(bootstrap, base, h.unique("soak-g"))
    create_topics(settings)
    posts = make_posts(config.posts, config.seed)
    faults = plan(config.seed, config.posts, config.waves)
    summary = Summary(config.mode, config.posts, config.seed, code_version(),
                      [f.line() for f in faults])
    log(f"[soak] mode={config.mode} posts={len(posts)} seed={config.seed} waves={config.waves} "
        f"topics={base}.* code={summary.code_version}")
    for fault in faults:
        log(f"[soak] plan {fault.line()}")

    wanted = {post.event_id for post in posts}
    assert len(wanted) == len(posts), "two produced messages share an event id"
    outcomes = Outcomes(settings.topic_clean, settings.topic_dlq)
    reader = TopicReader(bootstrap, [settings.topic_clean, settings.topic_dlq], outcomes.handle)
    fleet = Fleet(bootstrap, settings, config.mode, logdir, log, config.worker_env)
    rng = random.Random(config.seed * 31 + 3)
    hog = cpu_hog() if config.hog else contextlib.nullcontext([])
    last_wave_at = 0.0
    try:
        with hog:
            for i in range(config.workers):
                fleet.start(f"w{i + 1}")
            fleet.begin()
            not_ready = fleet.wait_ready(180, idle_ok=False)
            if not_ready:
                raise AssertionError(f"workers not ready after 180 s: {not_ready}\n"
                                     + fleet.live[not_ready[0]].worker.log()[-3000:])
            reader.start()
            waves = [posts[i::config.waves] for i in range(config.waves)]
            by_wave = {fault.wave: fault for fault in faults}
            t0 = time.monotonic()
            extra = 0
            for n, wave in enumerate(waves):
                wave_start = time.monotonic()
                producer = _Produce(bootstrap, settings.topic_raw, wave)
                fault = by_wave.get(n)
                if fault is not None:
                    _wait_for_share(fleet, outcomes, {p.event_id for p in wave}, fault.fraction)
                    extra += _inject(fault, fleet, cluster, extra, rng, log, t0)
                producer.join_checked(config.outcome_timeout)
                last_wave_at = time.time()
                log(f"[soak] wave {n + 1}/{len(waves)} produced ({len(wave)} posts) "
                    f"t+{time.monotonic() - t0:.0f}s, outcomes so far {outcomes.count(wanted)}")
                _sleep_watching(fleet, wave_start + config.wave_interval - time.monotonic())

            # bounded wait for every outcome, then for the commits to reach the end
            deadline = time.monotonic() + config.outcome_timeout
            have = 0
            while time.monotonic() < deadline:
                fleet.check_crashes()
                have = outcomes.count(wanted)
                if have >= len(wanted):
                    summary.all_outcomes_in_s = 0.0  # measured from the outcomes below
                    break
                time.sleep(1.0)
            log(f"[soak] {have}/{len(wanted)} posts have an outcome "
                f"{time.time() - last_wave_at:.0f}s after the last wave")
            progress: dict[int, tuple[int, int]] = {}
            commit_deadline = time.monotonic() + 60
            while time.monotonic() < commit_deadline:
                with contextlib.suppress(Exception):
                    progress = group_progress(bootstrap, settings.group_id, settings.topic_raw)
                    if progress and all(c >= e for c, e in progress.values()):
                        break
                time.sleep(1.0)
            summary.stalled_partitions = {
                f"{settings.topic_raw.rsplit('.', 1)[-1]}:{p}": f"committed {c} of {e}"
                for p, (c, e) in sorted(progress.items()) if c < e}
            if not progress:
                summary.stalled_partitions = {"?": "committed offsets unreadable"}
            fleet.stop_all()
        if not reader.catch_up(120):
            summary.notes.append("the outcome reader did not catch up within 120 s")
        raw = RawCopies()
        raw_reader = TopicReader(bootstrap, [settings.topic_raw], raw.handle)
        raw_reader.start()
        if not raw_reader.catch_up(180):
            summary.notes.append("the raw reader did not catch up within 180 s")
        raw_reader.stop()
    finally:
        fleet.close()
        reader.stop()

    # -- the tally ------------------------------------------------------------------------------
    summary.produced = len(posts)
    summary.raw_records = sum(len(v) for v in raw.by_id.values())
    windows = sorted((f.started * 1000, (f.recovered or f.started) * 1000, f"{f.kind}#{i}")
                     for i, f in enumerate(faults) if f.started)
    dup_by_fault: Counter[str] = Counter()
    by_id = outcomes.by_id
    summary.outcomes = sum(len(v) for v in by_id.values())
    summary.clean = sum(1 for v in by_id.values() for s in v if s.topic == settings.topic_clean)
    summary.dead_lettered = summary.outcomes - summary.clean
    summary.unknown_outcomes = sum(len(v) for eid, v in by_id.items() if eid not in wanted)
    codes: Counter[str] = Counter()
    latencies: list[float] = []
    first_outcomes: list[int] = []
    dup_by: Counter[str] = Counter()
    hostile: dict[str, Counter[str]] = defaultdict(Counter)
    for post in posts:
        eid = post.event_id
        seen = sorted(by_id.get(eid, []), key=lambda s: s.ts)
        copies = raw.by_id.get(eid, [])
        kinds = {"clean" if s.topic == settings.topic_clean else "dlq" for s in seen}
        for s in seen:
            if s.code:
                codes[s.code] += 1
        if not seen:
            summary.lost += 1
            where = f"{copies[0].partition}@{copies[0].offset}" if copies else "not in raw"
            summary.lost_examples.append(f"{post.kind}:{(post.key or b'').decode(errors='replace')[:40]}"
                                         f"({where})")
            if post.expect == "dlq":
                summary.poison_without_dlq.append(post.kind)
            continue
        if len(kinds) > 1:
            summary.both_outcomes += 1
        if config.mode == "exactly_once" and len(seen) < len(copies):
            summary.lost += len(copies) - len(seen)  # a raw copy without its own outcome
            summary.lost_examples.append(f"{post.kind}: {len(copies)} raw copies, "
                                         f"{len(seen)} outcomes")
        extra = len(seen) - max(1, len(copies))
        if extra > 0:
            summary.duplicates += extra
            summary.duplicated_posts += 1
            for dup in seen[len(seen) - extra:]:
                cause = blame(windows, seen[0].ts, dup.ts)
                dup_by_fault[cause] += 1
                # (every duplicate a failure is made of is listed: those after a SIGTERM,
                # or after a fault under exactly_once; a dozen of the others)
                failing = config.mode == "exactly_once" or cause.startswith("sigterm")
                if copies and (failing or len(summary.duplicate_examples) < 12):
                    summary.duplicate_examples.append(
                        f"raw {copies[0].partition}@{copies[0].offset} ({post.kind}): outcomes at "
                        + ", ".join(f"{s.topic.rsplit('.', 1)[-1]}:{s.partition}@{s.offset} "
                                    f"ts {s.ts}" for s in seen) + f" -> {cause}")
                cause = cause.split("#")[0]
                dup_by[cause] += 1
                if cause == "no fault" and len(summary.unattributed) < 10:
                    summary.unattributed.append(
                        f"{post.kind} first {seen[0].topic.rsplit('.', 1)[-1]}:{seen[0].partition}"
                        f"@{seen[0].offset} ts {seen[0].ts}, again @{dup.offset} ts {dup.ts}")
        first_outcomes.append(seen[0].ts)
        if copies:
            latency = (seen[0].ts - copies[0].ts) / 1000
            latencies.append(latency)
        if post.expect == "dlq":
            summary.poison += 1
            if "dlq" not in kinds:
                summary.poison_without_dlq.append(post.kind)
            elif copies:
                first_dlq = next(s for s in seen if s.topic == settings.topic_dlq)
                summary.poison_max_latency_s = max(summary.poison_max_latency_s,
                                                   (first_dlq.ts - copies[0].ts) / 1000)
        elif post.expect == "clean" and kinds != {"clean"}:
            summary.unexpected_kinds.append(
                f"{post.kind} {post.key!r}: {[s.code for s in seen]}")
        if post.kind != "valid":
            label = "+".join(sorted(s.code or "clean" for s in seen))
            hostile[post.kind][label] += 1
    summary.unexpected_kinds = summary.unexpected_kinds[:20]
    summary.duplicates_by_fault = dict(dup_by)
    summary.dlq_codes = dict(codes.most_common())
    summary.hostile_outcomes = {kind: ", ".join(f"{k}×{n}" if n > 1 else k
                                                for k, n in labels.items())
                                for kind, labels in sorted(hostile.items())}
    if summary.all_outcomes_in_s is not None and first_outcomes:
        summary.all_outcomes_in_s = max(0.0, max(first_outcomes) / 1000 - last_wave_at)
    summary.latency_p50_s = _percentile(latencies, 0.50)
    summary.latency_p99_s = _percentile(latencies, 0.99)
    summary.latency_max_s = max(latencies, default=0.0)
    summary.max_rss_mib = max((i.max_rss for i in fleet.history), default=0) / 2**20
    summary.max_rss_tree_mib = max((i.max_rss_tree for i in fleet.history), default=0) / 2**20
    summary.healthz_probes = sum(i.probes for i in fleet.history)
    summary.healthz_late = sum(i.late_probes for i in fleet.history)
    summary.healthz_failed = sum(i.failed_probes for i in fleet.history)
    summary.healthz_max_s = max((i.max_probe_s for i in fleet.history), default=0.0)
    summary.orphans = fleet.orphans
    summary.reported_stalls = fleet.stalls
    summary.crashes = fleet.crashes
    summary.sigterm_problems = fleet.sigterm_problems
    summary.faults = [f"{f.line()} -> {f.kind} {f.target}: {f.note}; settled in "
                      f"{f.recovered - f.started:.0f}s; duplicates {dup_by_fault[f'{f.kind}#{i}']}"
                      for i, f in enumerate(faults) if f.started]
    if outcomes.unreadable:
        summary.notes.append(f"{outcomes.unreadable} outcome values without an event_id")
    summary.wall_s = time.time() - began
    return summary


def main(argv: list[str] | None = None) -> int:
    """Run the soak on a fresh local three-node cluster and print the summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=MODES, default="exactly_once")
    parser.add_argument("--posts", type=int,
                        default=int(os.environ.get("QINGLIU_SOAK_POSTS") or 4000))
    parser.add_argument("--seed", type=int, default=None, help="default: random (printed)")
    parser.add_argument("--no-hog", action="store_true", help="no CPU-heavy process beside it")
    parser.add_argument("--logdir", default=None, help="worker logs (default: a temp folder)")
    parser.add_argument("--json", default=None, help="also write the summary here as JSON")
    parser.add_argument("--worker-env", action="append", default=[], metavar="NAME=VALUE",
                        help="an extra worker setting (e.g. a negative control: "
                             "--mode exactly_once --worker-env "
                             "QINGLIU_PROCESSING_GUARANTEE=at_least_once must fail)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 1 << 30)

    from service.kafka_local import start_kafka

    logdir = Path(args.logdir or tempfile.mkdtemp(prefix="qingliu-soak-"))
    logdir.mkdir(parents=True, exist_ok=True)
    print(f"[soak] worker logs in {logdir}", flush=True)
    env = dict(item.split("=", 1) for item in args.worker_env)
    config = SoakConfig(args.mode, args.posts, seed, hog=not args.no_hog, worker_env=env)
    with start_kafka(3) as bootstrap:
        summary = run_soak(bootstrap, config, logdir,
                           log=lambda line: print(line, flush=True))
    print(summary.text(), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(asdict(summary), indent=1, ensure_ascii=False))
    return 1 if summary.failures() else 0


if __name__ == "__main__":
    raise SystemExit(main())
