"""Fault-test harness: topics, posts, producers, ``qingliu worker`` processes and the tally.

Every fault test produces posts keyed by their id (bad ones too, so a dead letter's key names
the post), lets workers process them through some fault, and then reads every topic back from the
beginning to the end offsets.  :class:`Tally` compares what the raw topic holds with the outcomes
on posts.clean + posts.dlq: ``lost`` ids have no outcome, ``duplicated`` ids have more outcomes than
raw copies.  Nothing here sleeps to assert: everything polls with a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from service.ports import free_ports

TEXTS = (
    "肇庆市正在推进产业项目建设，今年新开工项目三十个。",
    "今天北京的天气很好，我们去天安门广场看升旗。",
    "网络谣言：某地发生重大事故，官方已辟谣。",
    "广东省深圳市南山区科技园的企业招聘会明天举行。",
    "ｆｕｌｌ ｗｉｄｔｈ 文字与零\u200b宽\u200c字符混在一起",
    "香港、澳门和台湾的朋友们新年快乐！",
    "âäºº çæ´»ï¼ä¸­æ",  # mojibake-looking
)


def unique(prefix: str) -> str:
    """A short unique name (topics and groups never collide between tests)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Topics:
    raw: str
    clean: str
    dlq: str

    @classmethod
    def fresh(cls, prefix: str = "t") -> Topics:
        base = unique(prefix)
        return cls(f"{base}.raw", f"{base}.clean", f"{base}.dlq")

    @property
    def outputs(self) -> list[str]:
        return [self.clean, self.dlq]


def make_posts(count: int, prefix: str, bad_every: int = 10) -> list[tuple[bytes, bytes]]:
    """``(key, value)`` pairs; every ``bad_every``-th is malformed (a dead letter), keyed all the same."""
    out = []
    for i in range(count):
        ident = f"{prefix}-{i:06d}"
        key = ident.encode()
        if bad_every and i % bad_every == bad_every - 1:
            kind = (i // bad_every) % 3
            value = [b"{not json " + key, json.dumps({"id": ident}).encode(),
                     json.dumps({"id": ident, "text": "   "}).encode()][kind]
        else:
            text = TEXTS[i % len(TEXTS)] + f" #{i}"
            value = json.dumps({"id": ident, "text": text, "source": "fault-test", "lang": "zh",
                                "ts": i}, ensure_ascii=False).encode()
        out.append((key, value))
    return out


def client_kwargs(security: dict[str, Any] | None) -> dict[str, Any]:
    return dict(security or {})


# -- admin / produce / read --------------------------------------------------------------------


#: The contract's output topic size (topics/topics.v1.json): the worker's start-up check wants
#: room for the largest clean event and dead letter of a post at QINGLIU_MAX_BYTES.
OUTPUT_MAX_MESSAGE_BYTES = str(8 << 20)


async def _create_topics(bootstrap: str, topics: Topics, partitions: int, replication: int,
                         security: dict[str, Any] | None) -> None:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import TopicAlreadyExistsError

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=20000,
                                **client_kwargs(security))
    await admin.start()
    try:
        new = [NewTopic(name, partitions if name != topics.dlq else 1, replication,
                        topic_configs={} if name == topics.raw
                        else {"max.message.bytes": OUTPUT_MAX_MESSAGE_BYTES})
               for name in (topics.raw, topics.clean, topics.dlq)]
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics(new, timeout_ms=20000)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            described = await admin.describe_topics([t.name for t in new])
            ready = all(
                d.get("error_code", 0) == 0 and d.get("partitions")
                and all(p.get("leader", -1) >= 0 for p in d["partitions"])
                for d in described
            )
            if ready:
                return
            await asyncio.sleep(0.2)
        raise TimeoutError(f"topics {topics} have no leaders after 30 s")
    finally:
        await admin.close()


async def _set_max_message_bytes(bootstrap: str, sizes: dict[str, int],
                                 security: dict[str, Any] | None) -> None:
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=20000,
                                **client_kwargs(security))
    await admin.start()
    try:
        await admin.alter_configs([
            ConfigResource(ConfigResourceType.TOPIC, name, {"max.message.bytes": str(size)})
            for name, size in sizes.items()])
    finally:
        await admin.close()


def set_max_message_bytes(bootstrap: str, sizes: dict[str, int],
                          security: dict[str, Any] | None = None) -> None:
    """Change topics' ``max.message.bytes`` (``{topic: bytes}``), as an operator might."""
    asyncio.run(_set_max_message_bytes(bootstrap, sizes, security))


def create_topics(bootstrap: str, topics: Topics, partitions: int = 4, replication: int = 1,
                  security: dict[str, Any] | None = None) -> None:
    """Create raw/clean (``partitions``) and dlq (1 partition) and wait for their leaders."""
    asyncio.run(_create_topics(bootstrap, topics, partitions, replication, security))


async def _produce(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]],
                   rate: float | None, security: dict[str, Any] | None,
                   progress: Callable[[int], None] | None) -> int:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5,
        request_timeout_ms=10000, retry_backoff_ms=200, max_request_size=16 << 20,
        **client_kwargs(security),
    )
    await producer.start()
    sent = 0
    try:
        started = time.monotonic()
        pending: list[tuple[int, Any]] = []
        for i, (key, value) in enumerate(messages):
            if rate:
                delay = started + i / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            pending.append((i, await producer.send(topic, key=key, value=value)))
            if len(pending) >= 200 or rate:
                sent += await _settle(producer, topic, messages, pending)
                if progress:
                    progress(sent)
        sent += await _settle(producer, topic, messages, pending)
        if progress:
            progress(sent)
    finally:
        await producer.stop()
    return sent


async def _settle(producer: Any, topic: str, messages: list[tuple[bytes, bytes]],
                  pending: list[tuple[int, Any]]) -> int:
    """Await sends; re-send failed ones until acknowledged (a retried send may duplicate a raw
    message, which the tally accounts for by counting raw copies)."""
    done = 0
    while pending:
        retry = []
        for i, future in pending:
            try:
                await future
                done += 1
            except Exception:
                retry.append(i)
        pending.clear()
        if retry:
            await asyncio.sleep(0.5)
            for i in retry:
                key, value = messages[i]
                pending.append((i, await producer.send(topic, key=key, value=value)))
    return done


def produce(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]],
            rate: float | None = None, security: dict[str, Any] | None = None,
            progress: Callable[[int], None] | None = None) -> int:
    """Send every message (idempotent, acks=all), retrying until each is acknowledged."""
    return asyncio.run(_produce(bootstrap, topic, messages, rate, security, progress))


class BackgroundProducer(threading.Thread):
    """:func:`produce` in a thread (for faults injected while producing)."""

    def __init__(self, bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]],
                 rate: float, security: dict[str, Any] | None = None) -> None:
        super().__init__(daemon=True)
        self.args = (bootstrap, topic, messages, rate, security)
        self.sent = 0
        self.error: BaseException | None = None

    def _progress(self, sent: int) -> None:
        self.sent = sent

    def run(self) -> None:
        try:
            self.sent = produce(*self.args, progress=self._progress)
        except BaseException as exc:  # reported by join_checked
            self.error = exc

    def join_checked(self, timeout: float) -> int:
        self.join(timeout)
        if self.is_alive():
            raise TimeoutError(f"producer still running after {timeout} s ({self.sent} sent)")
        if self.error:
            raise self.error
        return self.sent


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


async def _read_all(bootstrap: str, topics: list[str], isolation: str, timeout: float,
                    security: dict[str, Any] | None) -> list[Record]:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
        isolation_level=isolation, fetch_max_wait_ms=100, max_partition_fetch_bytes=16 << 20,
        fetch_max_bytes=64 << 20, request_timeout_ms=20000, **client_kwargs(security),
    )
    await consumer.start()
    out: list[Record] = []
    deadline = time.monotonic() + timeout
    try:
        partitions = []
        for topic in topics:
            while not (parts := consumer.partitions_for_topic(topic)):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no metadata for {topic}")
                await consumer._client.force_metadata_update()
                await asyncio.sleep(0.2)
            partitions += [TopicPartition(topic, p) for p in sorted(parts)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        while True:
            positions = {tp: await consumer.position(tp) for tp in partitions}
            if all(positions[tp] >= end[tp] for tp in partitions):
                break
            if time.monotonic() > deadline:
                behind = {f"{tp.topic}:{tp.partition}": (positions[tp], end[tp])
                          for tp in partitions if positions[tp] < end[tp]}
                raise TimeoutError(f"reading {topics} ({isolation}) stuck at {behind}")
            batch = await consumer.getmany(timeout_ms=300, max_records=5000)
            for tp, messages in batch.items():
                out += [Record(tp.topic, tp.partition, m.offset, m.key, m.value)
                        for m in messages]
    finally:
        await consumer.stop()
    return out


def read_all(bootstrap: str, topics: list[str], isolation: str = "read_committed",
             timeout: float = 60, security: dict[str, Any] | None = None) -> list[Record]:
    """Every record of ``topics`` up to their end offsets (LSO under read_committed)."""
    return asyncio.run(_read_all(bootstrap, topics, isolation, timeout, security))


def outcome_keys(bootstrap: str, topics: Topics, isolation: str = "read_uncommitted",
                 security: dict[str, Any] | None = None) -> Counter[bytes]:
    """How many outcomes each key has right now."""
    return Counter(r.key for r in read_all(bootstrap, topics.outputs, isolation, 60, security))


def wait_for_outcomes(bootstrap: str, topics: Topics, keys: Iterable[bytes], *, fraction: float = 1.0,
                      timeout: float = 120, isolation: str = "read_uncommitted",
                      security: dict[str, Any] | None = None,
                      check: Callable[[], None] | None = None) -> int:
    """Poll until ``fraction`` of ``keys`` have an outcome; returns how many do."""
    wanted = set(keys)
    need = max(1, int(len(wanted) * fraction))
    deadline = time.monotonic() + timeout
    have = 0
    while True:
        seen = outcome_keys(bootstrap, topics, isolation, security)
        have = sum(1 for key in wanted if seen[key])
        if have >= need:
            return have
        if check:
            check()
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {have}/{len(wanted)} posts have an outcome after {timeout} s "
                               f"(waited for {need})")
        time.sleep(0.3)


# -- the tally ---------------------------------------------------------------------------------


@dataclass
class Tally:
    """What was produced against what came out (counted per post id = message key)."""

    produced: int
    raw_copies: Counter[bytes]
    clean: Counter[bytes]
    dlq: Counter[bytes]
    lost: list[bytes] = field(default_factory=list)
    duplicated: dict[bytes, int] = field(default_factory=dict)
    both: list[bytes] = field(default_factory=list)
    dlq_codes: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        return (f"produced={self.produced} raw_records={sum(self.raw_copies.values())} "
                f"clean={sum(self.clean.values())} dead_lettered={sum(self.dlq.values())} "
                f"lost={len(self.lost)} duplicated={len(self.duplicated)} "
                f"(extra outcomes={sum(self.duplicated.values())})")

    @property
    def ok(self) -> bool:
        return not self.lost and not self.duplicated and not self.both


def tally(bootstrap: str, topics: Topics, keys: Iterable[bytes], isolation: str = "read_committed",
          timeout: float = 60, security: dict[str, Any] | None = None) -> Tally:
    """Read raw, clean and dlq from the start; count lost and duplicated posts among ``keys``."""
    keys = list(keys)
    raw = Counter(r.key for r in read_all(bootstrap, [topics.raw], isolation, timeout, security))
    clean: Counter[bytes] = Counter()
    dlq: Counter[bytes] = Counter()
    codes: Counter[str] = Counter()
    for record in read_all(bootstrap, topics.outputs, isolation, timeout, security):
        if record.topic == topics.clean:
            clean[record.key] += 1
        else:
            dlq[record.key] += 1
            with contextlib.suppress(Exception):
                codes[json.loads(record.value)["error"]["code"]] += 1
    result = Tally(len(keys), raw, clean, dlq, dlq_codes=codes)
    for key in keys:
        outcomes = clean[key] + dlq[key]
        copies = max(1, raw[key])
        if outcomes == 0:
            result.lost.append(key)
        elif outcomes > copies:
            result.duplicated[key] = outcomes - copies
        if clean[key] and dlq[key]:
            result.both.append(key)
    return result


def report(name: str, result: Tally) -> str:
    """Print (and append to ``$QINGLIU_FAULT_REPORT`` when set) one line per fault test."""
    line = f"[fault] {name}: {result.summary()}"
    print(line)
    if os.environ.get("QINGLIU_FAULT_REPORT"):
        with open(os.environ["QINGLIU_FAULT_REPORT"], "a", encoding="utf-8") as out:
            out.write(line + "\n")
    return line


def assert_nothing_lost(bootstrap: str, topics: Topics, keys: Iterable[bytes], name: str) -> Tally:
    """Tally the committed outcomes, report them as ``name`` and assert that every post has
    one and none is both clean and dead-lettered; the tally, for more checks."""
    result = tally(bootstrap, topics, keys)
    report(name, result)
    assert not result.lost, f"lost {len(result.lost)} posts, e.g. {result.lost[:5]}"
    assert not result.both
    return result


# -- workers -----------------------------------------------------------------------------------


def worker_command() -> list[str]:
    """``qingliu worker`` from the interpreter's environment (``python -m service.cli`` fallback)."""
    script = Path(sys.executable).with_name("qingliu")
    if script.exists():
        return [str(script), "worker"]
    return [sys.executable, "-m", "service.cli", "worker"]


class Worker:
    """One ``qingliu worker`` process, configured only through its environment."""

    def __init__(self, bootstrap: str, topics: Topics, group: str, guarantee: str, logdir: Path,
                 name: str = "worker", env: dict[str, str] | None = None,
                 web_host: str = "127.0.0.1") -> None:
        self.name = name
        self.web_host = web_host
        self.port = free_ports(1)[0]
        self.log_path = logdir / f"{name}.log"
        self.data_dir = logdir / f"{name}-data"
        self.env = dict(os.environ)
        self.env.update({
            "QINGLIU_BROKER": "kafka://" + bootstrap,
            "QINGLIU_TOPIC_RAW": topics.raw,
            "QINGLIU_TOPIC_CLEAN": topics.clean,
            "QINGLIU_TOPIC_DLQ": topics.dlq,
            "QINGLIU_GROUP_ID": group,
            "QINGLIU_PROCESSING_GUARANTEE": guarantee,
            "QINGLIU_WEB_HOST": web_host,
            "QINGLIU_WEB_PORT": str(self.port),
            "QINGLIU_LOG_LEVEL": "info",
            "QINGLIU_DATA_DIR": str(self.data_dir),
            "QINGLIU_CONCURRENCY": "2",
            "PYTHONUNBUFFERED": "1",
        })
        self.env.update(env or {})
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, args: list[str] | None = None) -> Worker:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                worker_command() + list(args or []), env=self.env, stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            )
        return self

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def assert_alive(self) -> None:
        if not self.alive:
            code = self.proc.returncode if self.proc else None
            raise AssertionError(f"{self.name} exited ({code}):\n{self.log()[-4000:]}")

    def get(self, path: str, timeout: float = 3) -> tuple[int, bytes, str]:
        """``(status, body, content type)`` of a GET (status 0 when nothing answers)."""
        url = f"http://{self.web_host}:{self.port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:
                return resp.status, resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(), exc.headers.get("Content-Type", "")
        except (urllib.error.URLError, OSError):
            return 0, b"", ""

    def ready(self) -> bool:
        return self.get("/readyz")[0] == 200

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.assert_alive()
            if self.ready():
                return
            time.sleep(0.2)
        status, body, _ = self.get("/readyz")
        raise TimeoutError(f"{self.name} not ready after {timeout} s: {status} {body[:300]!r}\n"
                           f"{self.log()[-3000:]}")

    def wait_status(self, status: int, timeout: float = 60) -> None:
        """Poll /readyz until it answers ``status``."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            self.assert_alive()
            last = self.get("/readyz")
            if last[0] == status:
                return
            time.sleep(0.2)
        raise TimeoutError(f"{self.name} /readyz never answered {status} in {timeout} s: {last}")

    def kill9(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(30)

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM and wait; returns the exit code (kills after ``timeout``)."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill9()
                raise AssertionError(f"{self.name} ignored SIGTERM for {timeout} s:\n"
                                     f"{self.log()[-3000:]}") from None
        return self.proc.returncode

    def close(self) -> None:
        if self.proc and self.proc.poll() is None:
            with contextlib.suppress(Exception):
                self.terminate(20)
        if self.proc and self.proc.poll() is None:
            self.kill9()
