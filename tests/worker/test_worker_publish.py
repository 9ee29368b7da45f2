"""OutcomePublisher.publish_one / screen without a broker: bounded retries, poison isolated."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from aiokafka.errors import KafkaConnectionError, MessageSizeTooLargeError
from faust.exceptions import ProducerSendError

from service.metrics import Metrics
from service.offload import Result
from service.pipeline import Origin
from service.worker import publish
from service.worker.publish import Item, OutcomePublisher

TOPICS = {"clean": "posts.clean", "dlq": "posts.dlq"}


class FakeProducer:
    """``send`` fails as ``fail(topic, value)`` says (an exception or None), else succeeds."""

    def __init__(self, fail) -> None:
        self.fail = fail
        self.sent: list[tuple[str, bytes]] = []

    async def send(self, topic: str, key: Any, value: bytes, *args: Any, **kwargs: Any) -> Any:
        error = self.fail(topic, value)
        if error is not None:
            raise error
        self.sent.append((topic, value))
        future = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future


class FakeApp:
    in_transaction = False

    def __init__(self, producer: FakeProducer) -> None:
        self.producer = producer

    async def maybe_start_producer(self) -> FakeProducer:
        return self.producer


def make(fail, owns=lambda origin: True) -> tuple[OutcomePublisher, FakeProducer, Metrics]:
    producer = FakeProducer(fail)
    metrics = Metrics()
    return OutcomePublisher(FakeApp(producer), TOPICS, metrics, owns, 16 << 20), producer, metrics


def item(kind: str = "clean", value: bytes = b'{"id": "p"}') -> Item:
    result = Result(kind, b"p", value, "a" * 32, None if kind == "clean" else "not_json")
    return Item(Origin("posts.raw", 0, 5), b'{"id": "p", "text": "x"}', b"raw-key", result)


def wrapped_too_large() -> Exception:
    try:
        raise ProducerSendError("Error while sending") from MessageSizeTooLargeError("big")
    except ProducerSendError as exc:
        return exc


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(publish, "RETRY_S", (0.0,) * len(publish.RETRY_S))
    monkeypatch.setattr(publish, "DLQ_RETRY_MAX_S", 0.0)


def code_of(value: bytes) -> str:
    return orjson.loads(value)["error"]["code"]


async def test_too_large_clean_event_is_dead_lettered_at_once():
    attempts = []

    def fail(topic, value):
        attempts.append(topic)
        return wrapped_too_large() if topic == TOPICS["clean"] else None

    publisher, producer, metrics = make(fail)
    work = item()
    assert await publisher.publish_one(work, confirm=True)
    assert attempts == ["posts.clean", "posts.dlq"]
    assert [code_of(v) for _, v in producer.sent] == ["outcome_too_large"]
    assert work.published and work.result.kind == "dlq"
    assert metrics.value("qingliu_dead_lettered_total", {"code": "outcome_too_large"}) == 1


async def test_transient_errors_of_a_clean_event_are_retried_a_bounded_number_of_times():
    clean_attempts = []

    def fail(topic, value):
        if topic == TOPICS["clean"]:
            clean_attempts.append(1)
            return KafkaConnectionError()
        return None

    publisher, producer, _ = make(fail)
    assert await publisher.publish_one(item(), confirm=True)
    assert len(clean_attempts) == len(publish.RETRY_S) + 1
    assert [code_of(v) for _, v in producer.sent] == ["publish_refused"]


async def test_a_dead_letter_is_retried_until_it_goes_out_and_cut_when_too_large():
    failures = [KafkaConnectionError(), KafkaConnectionError(), wrapped_too_large()]

    def fail(topic, value):
        return failures.pop(0) if failures else None

    publisher, producer, _ = make(fail)
    work = item("dlq", orjson.dumps({"error": {"code": "not_json", "message": "m"},
                                     "raw_b64": "eA==", "raw_key_b64": None}))
    assert await publisher.publish_one(work, confirm=True)
    assert work.cut and len(producer.sent) == 1
    assert orjson.loads(producer.sent[0][1])["truncated"]["raw_length"] == 1


async def test_nothing_is_published_for_a_revoked_partition():
    publisher, producer, _ = make(lambda topic, value: KafkaConnectionError(),
                                  owns=lambda origin: False)
    work = item()
    assert not await publisher.publish_one(work, confirm=True)
    assert not work.published and not producer.sent


def test_screen_replaces_what_cannot_fit_before_sending():
    publisher, _, _ = make(lambda topic, value: None)
    publisher.set_topic_limits({"clean": 2000, "dlq": 3000})
    work = item(value=b"x" * 5000)
    publisher.screen(work)
    assert work.result.kind == "dlq" and code_of(work.result.value) == "outcome_too_large"
    big = item("dlq", orjson.dumps({"error": {"code": "too_large", "message": "m"},
                                    "raw_b64": "eA==" * 2000, "raw_key_b64": None}))
    publisher.screen(big)
    assert big.cut and len(big.result.value) <= 3000


async def test_a_published_clean_event_counts_its_edits_by_kind():
    from service.offload import to_result
    from service.pipeline import Limits, process_message

    outcome = process_message('{"id": "k", "text": "ＡＢＣ的年夜饭"}'.encode(), b"k",
                              Origin("posts.raw", 0, 1), Limits())
    result = to_result(outcome)
    assert dict(result.edits_by_kind) == {"fullwidth": 1}  # one edit for the run ＡＢＣ
    publisher, _producer, metrics = make(lambda topic, value: None)
    assert await publisher.publish_one(
        Item(Origin("posts.raw", 0, 1), b"raw", b"k", result), confirm=True)
    assert metrics.value("qingliu_edits_by_kind_total", {"kind": "fullwidth"}) == 1
    assert metrics.value("qingliu_edits_by_kind_total", {"kind": "spun"}) == 0


def fenced() -> Exception:
    from aiokafka.errors import ProducerFenced

    try:
        raise ProducerSendError("Error while sending") from ProducerFenced()
    except ProducerSendError as exc:
        return exc


def test_a_fenced_producer_is_classified_as_fenced_not_transient():
    from aiokafka.errors import IllegalOperation

    from service.worker import poison

    assert poison.classify(fenced()) == "fenced"
    assert poison.classify(IllegalOperation("Can't send messages while not in transaction")) \
        == "fenced"
    assert poison.classify(KafkaConnectionError()) == "transient"


async def test_a_fenced_transaction_publishes_nothing_more(monkeypatch):
    """exactly_once: a batch refused because another worker took the partition over is left
    unpublished (and so unacknowledged), never re-sent one by one: a re-send would open a new
    transaction for the same id, fence the new owner and commit the batch twice."""
    from types import SimpleNamespace

    publisher, producer, metrics = make(lambda topic, value: None)
    publisher.app.in_transaction = True
    publisher.app.assignor = SimpleNamespace(group_for_topic=lambda topic: 0)
    publisher.app.conf = SimpleNamespace(id="g")

    async def refused(kafka, records):
        raise fenced()

    monkeypatch.setattr(publish, "send_many", refused)
    monkeypatch.setattr(publish.compat, "transaction_producer",
                        lambda app, tid: (object(), asyncio.Lock()))
    work = [item(), item()]
    await publisher.publish_transactional(work)
    assert not any(w.published for w in work)
    assert producer.sent == []  # nothing re-sent outside the fenced transaction
    assert metrics.value("qingliu_dead_lettered_total", {"code": "publish_refused"}) == 0


async def test_publish_one_gives_up_on_a_fenced_transaction():
    publisher, producer, _metrics = make(lambda topic, value: fenced())
    work = item()
    assert await publisher.publish_one(work, confirm=True) is False
    assert not work.published and work.result.kind == "clean"


def test_a_fenced_transaction_commit_is_recognised():
    from aiokafka.errors import IllegalOperation, KafkaConnectionError, ProducerFenced

    from service.worker.compat import _fenced_commit

    assert _fenced_commit(IllegalOperation("Not in the middle of a transaction"))
    assert _fenced_commit(fenced()) and _fenced_commit(ProducerFenced())
    assert not _fenced_commit(KafkaConnectionError())
    assert not _fenced_commit(IllegalOperation("something else"))
