"""Outcomes that cannot be published: classify the error, dead-letter them, cut what never fits.

A clean event the producer or the broker refuses for its size becomes a dead letter
``outcome_too_large``; one refused for another lasting reason (or still failing after bounded
retries while dead letters go through) becomes ``publish_refused``.  A dead letter that is too
large itself is cut: its raw bytes (and key) are kept up to :data:`CUT_BYTES`, with their
original length and sha256 under ``truncated``.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Literal

import orjson

from service.offload import Result
from service.pipeline import Origin, dead_letter

CUT_BYTES = 256 << 10  # raw bytes kept in a cut dead letter (base64 ~350 KB: fits any broker)
Verdict = Literal["too_large", "refused", "transient", "fenced"]


def root_cause(exc: BaseException) -> BaseException:
    """The innermost cause (Faust wraps aiokafka's errors in ``ProducerSendError``)."""
    seen = {id(exc)}
    while exc.__cause__ is not None and id(exc.__cause__) not in seen:
        exc = exc.__cause__
        seen.add(id(exc))
    return exc


def classify(exc: BaseException) -> Verdict:
    """Whether retrying a publish that raised ``exc`` can help."""
    from aiokafka.errors import KafkaError, MessageSizeTooLargeError, RecordTooLargeError

    cause = root_cause(exc)
    if _fenced(cause):
        return "fenced"
    if isinstance(cause, MessageSizeTooLargeError | RecordTooLargeError):
        return "too_large"
    if isinstance(cause, TypeError | ValueError | UnicodeError):
        return "refused"  # unserializable, or a record no batch can hold
    if isinstance(cause, KafkaError) and not cause.retriable and _record_specific(cause):
        return "refused"
    return "transient"


def _fenced(exc: BaseException) -> bool:
    """exactly_once: the transaction's producer was fenced (another worker now owns its input
    partition) or its transaction is gone.  Nothing may be published for it any more: whatever
    is retried would go into a new transaction that fences the partition's new owner in turn."""
    from aiokafka import errors

    if isinstance(exc, errors.ProducerFenced | errors.InvalidProducerEpoch
                  | errors.TransactionCoordinatorFenced):
        return True
    return isinstance(exc, errors.IllegalOperation) and "transaction" in str(exc).lower()


def _record_specific(exc: BaseException) -> bool:
    """Broker errors about the record itself (not the connection, the topic or the producer)."""
    from aiokafka import errors

    kinds = tuple(getattr(errors, name) for name in (
        "InvalidRecordError", "CorruptRecordError", "CorruptRecordException",
        "UnsupportedForMessageFormatError", "PolicyViolationError", "InvalidTimestampError",
    ) if hasattr(errors, name))
    return isinstance(exc, kinds)


def describe(exc: BaseException) -> str:
    cause = root_cause(exc)
    return f"{type(cause).__name__}: {cause}"


RECORD_OVERHEAD = 1024  # bytes a record takes beyond its key and value (batch header, headers)


def record_size(result: Result) -> int:
    """What ``result`` needs of a topic's ``max.message.bytes`` (an upper bound)."""
    return len(result.value) + len(result.key or b"") + RECORD_OVERHEAD


def unpublishable(result: Result, code: str, reason: str, raw: bytes | None,
                  raw_key: bytes | None, origin: Origin) -> Result:
    """The dead letter that replaces an outcome which cannot be published (``reason`` why)."""
    record = dead_letter(code, f"publish failed: {reason}", raw, raw_key, origin,
                         result.event_id)
    return Result("dlq", raw_key, orjson.dumps(record), result.event_id, code)


def cut_limit(max_record_bytes: int | None) -> int:
    """How many raw bytes a cut dead letter keeps so that it fits ``max_record_bytes``."""
    if max_record_bytes is None:
        return CUT_BYTES
    room = max(0, max_record_bytes - 8 * RECORD_OVERHEAD)  # JSON fields, message, key
    return max(0, min(CUT_BYTES, room * 3 // 11))  # raw and key base64 (4/3 each), the key


def cut_to_fit(result: Result, limit: int = CUT_BYTES) -> Result:
    """``result`` (a dead letter) with its raw value and key cut to ``limit`` bytes each."""
    record = orjson.loads(result.value)
    truncated = {}
    for field, name in (("raw_b64", "raw"), ("raw_key_b64", "key")):
        encoded = record.get(field)
        if encoded is None:
            continue
        data = base64.b64decode(encoded)
        truncated[f"{name}_length"] = len(data)
        truncated[f"{name}_sha256"] = hashlib.sha256(data).hexdigest()
        record[field] = base64.b64encode(data[:limit]).decode("ascii")
    record["truncated"] = truncated
    record["error"]["message"] = record["error"]["message"][:500]
    return Result("dlq", result.key[:limit] if result.key else result.key, orjson.dumps(record),
                  result.event_id, result.error_code)
