"""End to end through the embedded broker: every message yields exactly one valid outcome."""

from __future__ import annotations

import asyncio
import base64
import json
import random
from collections import Counter

import aiohttp
import orjson
import pytest

from service import contracts
from service.pipeline import Limits, event_id, process_message
from service.samples import make_posts

from .conftest import STALL_S, consume, produce, running_worker

pytestmark = pytest.mark.integration

MAX_BYTES = 4096

#: Bad inputs (≥ 20 of each) and the dead-letter code each must get.
BAD_KINDS = {
    "not_json": lambda i: b'{"id": "nj-%d", "text": "unterminated' % i,
    "not_object": lambda i: b'["na-%d", "an array"]' % i,
    "missing_field": lambda i: b'{"id": "mf-%d", "source": "x"}' % i,
    "wrong_type": lambda i: b'{"id": %d, "text": "id is a number"}' % i,
    "empty_text": lambda i: b'{"id": "et-%d", "text": " \\n\\t "}' % i,
    "too_large": lambda i: orjson.dumps({"id": f"tl-{i}", "text": "大" * (MAX_BYTES // 2 + i)}),
    "tombstone": lambda i: None,
}
EXPECTED_CODE = {"tombstone": "not_json"}


def _legacy(i: int) -> bytes:
    """A valid post in GBK (non-UTF-8 bytes): decoded by the worker, or dead-lettered if not."""
    return json.dumps({"id": f"gbk-{i}", "text": f"深圳地铁新线路第{i}期工程完成"},
                      ensure_ascii=False).encode("gbk")


def _garbage(i: int) -> bytes:
    return bytes([0xFF, 0xFE, 0x80 + i % 64]) + random.Random(i).randbytes(40)


def build_messages(total: int = 2000) -> tuple[list[tuple[bytes | None, bytes | None]], dict]:
    """``total`` messages: ≥ 20 of each bad kind, 20 GBK, 20 garbage, the rest valid posts."""
    messages: list[tuple[bytes | None, bytes | None]] = []
    kinds: dict[int, str] = {}
    for kind, make in BAD_KINDS.items():
        for i in range(20 + (5 if kind == "not_json" else 0)):
            kinds[len(messages)] = kind
            messages.append((f"{kind}-{i}".encode(), make(i)))
    for i in range(20):
        kinds[len(messages)] = "legacy"
        messages.append((f"gbk-{i}".encode(), _legacy(i)))
        kinds[len(messages)] = "garbage"
        messages.append((None if i % 2 else f"garbage-{i}".encode(), _garbage(i)))
    for post in make_posts(total - len(messages), prefix="e2e"):
        kinds[len(messages)] = "valid"
        messages.append((json.loads(post)["id"].encode(), post))
    order = list(range(len(messages)))
    random.Random(7).shuffle(order)
    return [messages[i] for i in order], {new: kinds[old] for new, old in enumerate(order)}


async def test_2000_messages_give_2000_valid_outcomes(settings):
    settings = settings.replace(max_bytes=MAX_BYTES)
    messages, kinds = build_messages(2000)
    assert len(messages) == 2000
    assert all(sum(1 for k in kinds.values() if k == kind) >= 20 for kind in BAD_KINDS)
    limits = Limits(max_bytes=MAX_BYTES)
    async with running_worker(settings) as app:
        seen: list = []
        app.on_published.append(seen.extend)  # the seam for e.g. a review page
        metadata = await produce(settings, messages)
        records = await consume(settings, [settings.topic_clean, settings.topic_dlq], 2000,
                                settle=1.0, timeout=600, stall=STALL_S)
        for _ in range(100):  # called once the broker has acknowledged each batch
            if len(seen) == 2000:
                break
            await asyncio.sleep(0.05)
        assert sorted(item.result.event_id for item in seen) == sorted(
            orjson.loads(r.value)["event_id"] for r in records)
        async with aiohttp.ClientSession() as http:
            base = f"http://{settings.web_host}:{settings.web_port}"
            async with http.get(base + "/metrics") as response:
                assert response.status == 200
                metrics_text = await response.text()
            async with http.get(base + "/readyz") as response:
                assert response.status == 200
            async with http.get(base + "/") as response:
                assert response.status == 404  # the web server serves only our three routes
        assert app.metrics.value("qingliu_consumed_total") == 2000

    assert len(records) == 2000, f"{len(records)} outcomes for 2000 messages"
    clean_v, dlq_v = contracts.validator("clean"), contracts.validator("dlq")
    by_event: dict[str, object] = {}
    for record in records:
        value = orjson.loads(record.value)
        if record.topic == settings.topic_clean:
            errors = [e.message for e in clean_v.iter_errors(value)]
            assert not errors, errors
            assert record.key == value["id"].encode("utf-8")
        else:
            errors = [e.message for e in dlq_v.iter_errors(value)]
            assert not errors, errors
        assert value["event_id"] not in by_event, "duplicate outcome"
        by_event[value["event_id"]] = (record, value)

    codes = Counter()
    for index, (key, value) in enumerate(messages):
        eid = event_id(key, value or b"")
        assert eid in by_event, f"message {index} ({kinds[index]}) has no outcome"
        record, outcome = by_event[eid]
        expected = process_message(value, key, limits=limits)  # the pure flow, in-process
        if expected.kind == "clean":
            assert record.topic == settings.topic_clean
            assert outcome["text"] == expected.value["text"]
            assert outcome["edits"] == expected.value["edits"]
        else:
            assert record.topic == settings.topic_dlq, kinds[index]
            assert outcome["error"]["code"] == expected.error_code
            codes[outcome["error"]["code"]] += 1
            raw = outcome["raw_b64"]
            assert (base64.b64decode(raw) if raw is not None else None) == value
            assert (base64.b64decode(outcome["raw_key_b64"])
                    if outcome["raw_key_b64"] is not None else None) == key
            assert record.key == key
            assert (outcome["topic"], outcome["partition"], outcome["offset"]) == (
                settings.topic_raw, metadata[index].partition, metadata[index].offset)
        kind = kinds[index]
        if kind in BAD_KINDS:
            assert outcome["error"]["code"] == EXPECTED_CODE.get(kind, kind)
        elif kind == "valid":
            assert record.topic == settings.topic_clean
    for code in ("not_json", "not_object", "missing_field", "wrong_type", "empty_text",
                 "too_large"):
        assert codes[code] >= 20
        assert f'qingliu_dead_lettered_total{{code="{code}"}} {float(codes[code])}' in metrics_text
    assert "qingliu_consumer_lag" in metrics_text
    assert "qingliu_end_to_end_seconds_bucket" in metrics_text


async def test_default_limit_dead_letters_a_post_over_1_mib(settings):
    big = orjson.dumps({"id": "big", "text": "文" * ((1 << 20) // 3 + 10)})
    assert len(big) > 1 << 20
    async with running_worker(settings):
        await produce(settings, [(b"big", big), (b"ok", b'{"id": "ok", "text": "ok"}')])
        records = await consume(settings, [settings.topic_clean, settings.topic_dlq], 2)
    by_topic = {r.topic: orjson.loads(r.value) for r in records}
    assert by_topic[settings.topic_dlq]["error"]["code"] == "too_large"
    assert base64.b64decode(by_topic[settings.topic_dlq]["raw_b64"]) == big
    assert by_topic[settings.topic_clean]["id"] == "ok"


async def test_worker_survives_a_pipeline_exception(settings, monkeypatch):
    import service.worker.batch as batch_module

    real = batch_module.process_message

    def flaky(value, key=None, origin=None, limits=None):
        if value and b"boom" in value:
            raise RuntimeError("boom")
        return real(value, key, origin, limits)

    monkeypatch.setattr(batch_module, "process_message", flaky)
    async with running_worker(settings) as app:
        await produce(settings, [(b"1", b'{"id": "1", "text": "boom"}'),
                                 (b"2", b'{"id": "2", "text": "fine"}')])
        records = await consume(settings, [settings.topic_clean, settings.topic_dlq], 2)
        def counted() -> float:
            return app.metrics.value("qingliu_dead_lettered_total", {"code": "internal_error"})

        for _ in range(100):  # counted once the broker has acknowledged the batch
            if counted():
                break
            await asyncio.sleep(0.05)
        assert counted() == 1
    outcomes = {r.key: orjson.loads(r.value) for r in records}
    assert outcomes[b"1"]["error"]["code"] == "internal_error"
    assert outcomes[b"2"]["schema"] == "qingliu.clean/1"


async def test_not_ready_before_start(settings):
    from service.worker import create_app

    app = create_app(settings)
    ready, info = app.readiness()
    assert not ready and not info["assigned"]


async def test_unpublishable_clean_event_is_dead_lettered_with_its_bytes(settings, monkeypatch):
    """Faust wraps aiokafka's MessageSizeTooLargeError in ProducerSendError: unwrapped, it is
    a dead letter ``outcome_too_large`` at once (not a retry every few seconds without end)."""
    from aiokafka.errors import MessageSizeTooLargeError
    from faust.exceptions import ProducerSendError

    import service.worker.publish as publish_module

    real_send_many = publish_module.send_many

    def too_large() -> Exception:
        try:
            raise MessageSizeTooLargeError("too large for the broker")
        except MessageSizeTooLargeError as exc:
            wrapped = ProducerSendError(f"Error while sending: {exc!r}")
            wrapped.__cause__ = exc
            return wrapped

    async def send_many(producer, records):  # the batch path refuses it, as aiokafka would
        if any(topic == settings.topic_clean for topic, _, _ in records):
            raise too_large()
        return await real_send_many(producer, records)

    monkeypatch.setattr(publish_module, "send_many", send_many)
    raw = b'{"id": "huge", "text": "pretend the clean event is too large"}'
    async with running_worker(settings) as app:
        producer = await app.maybe_start_producer()
        real_send = producer.send

        async def send(topic, key, value, *args, **kwargs):
            if topic == settings.topic_clean:
                raise too_large()
            return await real_send(topic, key, value, *args, **kwargs)

        producer.send = send
        await produce(settings, [(b"huge", raw)])
        records = await consume(settings, [settings.topic_dlq], 1, timeout=30)
        assert app.metrics.value("qingliu_publish_errors_total") >= 1
    (record,) = records
    value = orjson.loads(record.value)
    assert value["error"]["code"] == "outcome_too_large"
    assert "publish failed" in value["error"]["message"]
    assert base64.b64decode(value["raw_b64"]) == raw
    assert not [e.message for e in contracts.validator("dlq").iter_errors(value)]


async def _produce_to(settings, partition: int, messages) -> list:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, linger_ms=5)
    await producer.start()
    try:
        futures = [await producer.send(settings.topic_raw, key=k, value=v, partition=partition)
                   for k, v in messages]
        return list(await asyncio.gather(*futures))
    finally:
        await producer.stop()


async def _committed(settings, partition: int) -> int | None:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap, group_id=settings.group_id,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        return await consumer.committed(TopicPartition(settings.topic_raw, partition))
    finally:
        await consumer.stop()


async def _wait_until(condition, timeout: float = 60.0, what: str = "condition") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await condition():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


async def test_an_unpublished_first_offset_is_never_committed_past_and_shows_as_stalled(
        settings, monkeypatch, caplog):
    """Offset 0 of a never-committed partition waits to be published while later offsets are
    published: the commit stays before it (Faust's own bookkeeping committed past it), the
    partition is reported stalled (/readyz 503, metric), and all commits once it goes out."""
    import service.worker.publish as publish_module

    release = asyncio.Event()
    hung = asyncio.Event()
    real = publish_module.OutcomePublisher.publish_batch

    async def publish_batch(self, items):
        if any(item.origin.partition == 0 and item.origin.offset == 0 for item in items):
            hung.set()
            await release.wait()
        return await real(self, items)

    monkeypatch.setattr(publish_module.OutcomePublisher, "publish_batch", publish_batch)
    first = [(b"first", b'{"id": "first", "text": "stuck for a while"}')]
    rest = [(f"r{i}".encode(), f'{{"id": "r{i}", "text": "next"}}'.encode()) for i in range(20)]
    base = f"http://{settings.web_host}:{settings.web_port}"
    async with running_worker(settings) as app:
        app.stall_after = 1.0
        await _produce_to(settings, 0, first)
        await asyncio.wait_for(hung.wait(), 60)
        await _produce_to(settings, 0, rest)
        records = await consume(settings, [settings.topic_clean], 20, timeout=60)
        assert {r.key for r in records} == {key for key, _ in rest}
        await asyncio.sleep(3 * 1.0)  # several commit intervals
        assert await _committed(settings, 0) in (None, 0)
        async with aiohttp.ClientSession() as http:
            async with http.get(base + "/readyz") as response:
                body = await response.json()
                assert response.status == 503, body
            assert [s["partition"] for s in body["stalled"]] == [f"{settings.topic_raw}:0"]
            assert body["stalled"][0]["offset"] == 0
            assert app.metrics.value("qingliu_stalled_partitions") == 1
            async with http.get(base + "/metrics") as response:
                assert "qingliu_partition_stalled{" in await response.text()

            async def logged() -> bool:
                return any("stalled at offset 0" in r.getMessage() for r in caplog.records)

            await _wait_until(logged, timeout=30, what="a log line about the stall")
            release.set()

            async def all_committed() -> bool:
                return await _committed(settings, 0) == 21

            await _wait_until(all_committed, what="offset 21 committed")
            async with http.get(base + "/readyz") as response:
                assert response.status == 200


# /healthz probes while huge posts are repaired: one every PROBE_INTERVAL seconds, so a probe
# sent as a post's repair starts waits (if the loop is blocked) at least the post's pipeline time
# less this interval; a ratio of wait to pipeline time above BLOCKED_LOOP_RATIO means a blocked loop.
PROBE_INTERVAL = 0.05
BLOCKED_LOOP_RATIO = 0.6


async def test_healthz_answers_while_a_huge_post_is_repaired(settings):
    """The pipeline runs off the event loop: /healthz answers meanwhile (probed from a thread,
    as a kubelet would, so a blocked loop cannot hide its delay).

    No wall-clock bound: a probe's wait is compared with the worker's own pipeline time per
    post in the same run (``qingliu_processing_seconds``).  A loop blocked by the repair keeps
    a probe sent as a post starts waiting for all of it (a ratio near 1); a free loop answers
    within its share of the GIL, whatever else the machine is doing."""
    import threading
    import time
    import urllib.request

    settings = settings.replace(processes=0)
    huge = [(f"z{i}".encode(), orjson.dumps({"id": f"z{i}", "text": "好\u200b" * 174000}))
            for i in range(4)]
    assert all(len(value) < 1 << 20 for _, value in huge)
    latencies: list[float] = []
    done = threading.Event()
    url = f"http://{settings.web_host}:{settings.web_port}/healthz"

    def probe() -> None:
        while not done.is_set():
            started = time.monotonic()
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    ok = response.status == 200
            except OSError:
                ok = False
            latencies.append(time.monotonic() - started if ok else 99.0)
            time.sleep(PROBE_INTERVAL)

    async with running_worker(settings) as app:
        prober = threading.Thread(target=probe, daemon=True)
        prober.start()
        try:
            await produce(settings, huge)
            records = await consume(settings, [settings.topic_clean, settings.topic_dlq], 4,
                                    timeout=600)
        finally:
            done.set()
            await asyncio.to_thread(prober.join, 35)
        registry = app.metrics.registry
        per_post = (registry.get_sample_value("qingliu_processing_seconds_sum")
                    / registry.get_sample_value("qingliu_processing_seconds_count"))
    assert len(records) == 4
    ratio = max(latencies) / per_post
    print(f"\n/healthz: {len(latencies)} probes while repairing, max {max(latencies):.2f}s, "
          f"{per_post:.2f}s of pipeline per post: ratio {ratio:.2f}")
    assert ratio < BLOCKED_LOOP_RATIO, "the event loop waited for the repair"
    assert len(latencies) >= 8, "the posts were repaired too fast to probe"


async def test_no_scratch_folder_is_left_behind(settings, tmp_path, monkeypatch):
    """Without QINGLIU_DATA_DIR the worker's scratch folder goes away when it stops."""
    import tempfile

    scratch_root = tmp_path / "tmp"
    scratch_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch_root))
    def scratch() -> list[str]:
        return [p.name for p in scratch_root.glob("qingliu-faust-*")]

    async with running_worker(settings.replace(data_dir="")):
        assert len(scratch()) == 1
    assert not scratch()
