"""Poison isolation: which publish errors are worth a retry, and dead letters cut to fit."""

from __future__ import annotations

import base64
import hashlib

import orjson
from aiokafka.errors import (
    KafkaConnectionError,
    MessageSizeTooLargeError,
    NotLeaderForPartitionError,
    RecordTooLargeError,
)
from faust.exceptions import ProducerSendError

from service import contracts
from service.offload import Result
from service.pipeline import Origin, dead_letter
from service.worker import poison


def wrapped(exc: Exception) -> ProducerSendError:
    """What Faust raises: aiokafka's error as the cause of a ProducerSendError."""
    try:
        raise ProducerSendError(f"Error while sending: {exc!r}") from exc
    except ProducerSendError as outer:
        return outer


def test_faust_wrapped_size_errors_are_unwrapped():
    assert poison.classify(wrapped(MessageSizeTooLargeError("big"))) == "too_large"
    assert poison.classify(RecordTooLargeError("big")) == "too_large"
    assert poison.root_cause(wrapped(MessageSizeTooLargeError())).__class__ is \
        MessageSizeTooLargeError


def test_transient_and_refused():
    assert poison.classify(wrapped(KafkaConnectionError())) == "transient"
    assert poison.classify(NotLeaderForPartitionError()) == "transient"
    assert poison.classify(TypeError("not bytes")) == "refused"
    assert poison.classify(ProducerSendError("no cause")) == "transient"


def _letter(raw: bytes, key: bytes) -> Result:
    origin = Origin("posts.raw", 2, 7)
    record = dead_letter("outcome_too_large", "publish failed: x", raw, key, origin, "0" * 32)
    return Result("dlq", key, orjson.dumps(record), "0" * 32, "outcome_too_large")


def test_unpublishable_clean_event_becomes_a_valid_dead_letter():
    raw = b'{"id": "p", "text": "x"}'
    clean = Result("clean", b"p", b"{}", "1" * 32)
    letter = poison.unpublishable(clean, "publish_refused", "InvalidRecordError: no",
                                  raw, b"raw-key", Origin("posts.raw", 0, 0))
    value = orjson.loads(letter.value)
    assert letter.kind == "dlq" and letter.key == b"raw-key"
    assert value["error"]["code"] == "publish_refused" and value["event_id"] == "1" * 32
    assert base64.b64decode(value["raw_b64"]) == raw
    assert not [e.message for e in contracts.validator("dlq").iter_errors(value)]


def test_cut_to_fit_keeps_the_head_length_and_hash():
    raw = "ａb".encode() * 300_000
    key = b"k" * 10
    cut = poison.cut_to_fit(_letter(raw, key), limit=1000)
    value = orjson.loads(cut.value)
    assert base64.b64decode(value["raw_b64"]) == raw[:1000]
    assert value["truncated"] == {"raw_length": len(raw),
                                  "raw_sha256": hashlib.sha256(raw).hexdigest(),
                                  "key_length": 10, "key_sha256": hashlib.sha256(key).hexdigest()}
    assert len(cut.value) < 4000
    assert not [e.message for e in contracts.validator("dlq").iter_errors(value)]


def test_cut_limit_fits_the_topic():
    assert poison.cut_limit(None) == poison.CUT_BYTES
    for limit in (64 << 10, 512 << 10, 1 << 20):
        keep = poison.cut_limit(limit)
        letter = poison.cut_to_fit(_letter(b"x" * (4 << 20), b"k" * (4 << 20)), keep)
        assert poison.record_size(letter) <= limit
