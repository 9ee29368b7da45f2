"""The whole flow in one place: raw bytes → decoded → repaired → tagged → event.

Pure functions only (no Kafka, no I/O).  The Faust worker, ``qingliu process``/``repair`` and the
benchmarks all call :func:`process_message` or :func:`repair_text`, so they cannot drift apart.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from service import __version__, rules, spun
from service.edits import Edit, apply_edits, compose
from service.errors import InputError
from service.fixers import Fixer, homoglyphs, invisible, mojibake, radicals, widths
from service.fixers.decoding import Decoded, decode_bytes
from service.normalize import normalize
from service.tagging import Tags, tag

log = logging.getLogger(__name__)

CLEAN_SCHEMA = "qingliu.clean/1"
DLQ_SCHEMA = "qingliu.dlq/1"
DEFAULT_MAX_BYTES = 1 << 20
# A clean event is at most EVENT_BYTES_FACTOR × max_bytes + EVENT_BYTES_SLACK bytes serialized
# (text, original_text, normalized and the edits each hold about one copy of the post); a post
# whose event would still be larger after its edits are merged is dead-lettered as too_large.
EVENT_BYTES_FACTOR = 6
EVENT_BYTES_SLACK = 64 << 10
MAX_DEPTH = 64  # nesting of arrays/objects in a post; deeper values cannot be re-serialized safely
_INT_RANGE = (-(1 << 63), (1 << 64) - 1)  # what orjson (and most consumers) can represent

# Order matters: undo codec damage first (it garbles everything after it), then strip what hides
# words from filters, then fold look-alike characters, and restore spun wording last, on clean
# characters.
FIXERS = (mojibake, invisible, widths, radicals, homoglyphs, spun)
# The character-level stages alone (what ``qingliu bench repair`` compares with ftfy).
ENCODING_FIXERS = FIXERS[:-1]

PROCESSOR = {"name": "qingliu", "version": __version__}
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_OPTIONAL_STRINGS = ("source", "author", "lang")


@dataclass(frozen=True, slots=True)
class Repair:
    """A repaired text, the edits (offsets into ``original``) and the corruption verdict."""

    original: str
    text: str
    edits: list[Edit]
    score: float
    kinds: tuple[str, ...]

    @property
    def detected(self) -> bool:
        """Whether any corruption was found (even where nothing could be restored)."""
        return bool(self.kinds)

    def corruption(self) -> dict[str, Any]:
        """The ``corruption`` object of a clean event."""
        return {"detected": self.detected, "score": round(self.score, 4), "kinds": list(self.kinds)}


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a message came from: Kafka coordinates, or a file and line in batch mode."""

    topic: str = ""
    partition: int = -1
    offset: int = -1
    timestamp_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Limits:
    """Input limits; messages beyond them are dead-lettered as ``too_large``."""

    max_bytes: int = DEFAULT_MAX_BYTES

    @property
    def max_event_bytes(self) -> int:
        """The most a serialized clean event may take (see :data:`EVENT_BYTES_FACTOR`)."""
        return EVENT_BYTES_FACTOR * self.max_bytes + EVENT_BYTES_SLACK


@dataclass(frozen=True, slots=True)
class Outcome:
    """Exactly one per consumed message: a clean event or a dead-letter record."""

    kind: Literal["clean", "dlq"]
    key: bytes | None
    value: dict[str, Any]
    error_code: str | None = None
    edits: int = 0
    serialized: bytes | None = field(default=None, repr=False)

    def value_bytes(self) -> bytes:
        """The serialized value (JSON, UTF-8), serialized once."""
        return self.serialized if self.serialized is not None else orjson.dumps(self.value)


def repair_text(text: str, fixers: Sequence[Fixer] = FIXERS,
                rules: rules.RuleSet = rules.EMPTY) -> Repair:
    """Run ``fixers`` over ``text`` in order and compose their edits onto the input.

    ``rules``: operator rules (:mod:`service.rules`): protected phrases, extra restorations,
    disabled fixer kinds.
    """
    current = text
    edits: list[Edit] = []
    kinds: list[str] = []
    score = 0.0
    for fixer in rules.fixers(fixers):
        if not fixer.detect(current):
            continue
        result = fixer.fix(current)
        for kind in result.kinds:
            if kind not in kinds:
                kinds.append(kind)
        if result.edits:
            if fixer.KIND not in kinds:
                kinds.append(fixer.KIND)
            edits = compose(edits, result.edits, text)
            current = apply_edits(current, result.edits)
        score = max(score, result.score)
    return Repair(text, current, edits, score, tuple(kinds))


def post_key(value: bytes | None) -> bytes | None:
    """The message key for a raw post: its ``id`` (UTF-8) when the value parses, else none."""
    if not value:
        return None
    try:
        post = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    if isinstance(post, dict) and isinstance(post.get("id"), str) and post["id"]:
        return post["id"].encode("utf-8")
    return None


def _edit_bytes(edits: Sequence[Edit]) -> int:
    """About what ``edits`` take serialized (UTF-8 upper bound for the strings)."""
    return sum(80 + 3 * (len(edit.before) + len(edit.after)) for edit in edits)


def _joined_kind(edits: Sequence[Edit]) -> str:
    kinds: list[str] = []
    for edit in edits:
        for part in edit.kind.split("+"):
            if part not in kinds:
                kinds.append(part)
    return "+".join(kinds)


def _merged(original: str, run: Sequence[Edit]) -> Edit:
    """One edit doing what ``run`` (sorted, non-overlapping) does; the text between is kept."""
    first, last = run[0], run[-1]
    after: list[str] = []
    position = first.start
    for edit in run:
        after.append(original[position : edit.start])
        after.append(edit.after)
        position = edit.end
    return Edit(first.start, last.end, original[first.start : last.end], "".join(after),
                _joined_kind(run), min(edit.confidence for edit in run))


def merge_edits(original: str, edits: Sequence[Edit], budget: int) -> list[Edit]:
    """``edits`` made to fit about ``budget`` serialized bytes, still rebuilding the same text.

    Edits within budget are returned as they are.  Otherwise consecutive edits of the same kind
    at most ``gap`` characters apart become one edit spanning them (the unchanged text between
    them is in both ``before`` and ``after``), with ``gap`` growing from 16 characters until the
    edits fit, so that as little unchanged text as possible is repeated; edits that still do not
    fit become one.
    """
    merged = list(edits)
    gap = 16
    while _edit_bytes(merged) > budget and len(merged) > 1:
        if gap > len(original):
            return [_merged(original, merged)]
        merged = _merge_runs(original, merged, gap)
        gap *= 4
    return merged


def _merge_runs(original: str, edits: Sequence[Edit], gap: int) -> list[Edit]:
    """Each run of consecutive same-kind edits at most ``gap`` characters apart as one edit."""
    runs: list[list[Edit]] = []
    for edit in edits:
        if runs and runs[-1][-1].kind == edit.kind and edit.start - runs[-1][-1].end <= gap:
            runs[-1].append(edit)
        else:
            runs.append([edit])
    return [run[0] if len(run) == 1 else _merged(original, run) for run in runs]


def _kind_counts(edits: Sequence[Edit]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for edit in edits:
        counts[edit.kind] = counts.get(edit.kind, 0) + 1
    return counts


def _without_surrogates(value: Any) -> Any:
    """Replace lone surrogates (legal in JSON escapes, illegal in UTF-8) with U+FFFD."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value) if _LONE_SURROGATE.search(value) else value
    if isinstance(value, list):
        return [_without_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {_without_surrogates(k): _without_surrogates(v) for k, v in value.items()}
    return value


def _bounded_int(literal: str) -> int | float:
    """Integers beyond 64 bits become floats, as orjson parses them on the fast path."""
    number = int(literal)
    return number if _INT_RANGE[0] <= number <= _INT_RANGE[1] else float(literal)


def _nesting_depth(value: Any) -> int:
    """Depth of nested arrays/objects, computed without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            items = item.values()
        elif isinstance(item, list):
            items = item
        else:
            continue
        deepest = max(deepest, depth)
        if depth <= MAX_DEPTH:
            stack.extend((child, depth + 1) for child in items)
    return deepest


def parse_post(value: bytes | None, limits: Limits = Limits()) -> tuple[dict[str, Any], str]:
    """Decode and validate a raw post; returns the post and the codec its bytes were in.

    Raises :class:`InputError` with the dead-letter code when the message is unusable.
    """
    if value is None:
        raise InputError("not_json", "message has no value (tombstone)")
    if len(value) > limits.max_bytes:
        raise InputError(
            "too_large", f"value is {len(value)} bytes; the limit is {limits.max_bytes}"
        )
    decoded = decode_bytes(value)  # the one bytes → text path (BOMs, legacy codecs)
    text, encoding = decoded.text, decoded.encoding
    try:
        post = orjson.loads(text)
    except orjson.JSONDecodeError:
        try:  # the standard parser accepts escaped lone surrogates, which orjson rejects
            post = _without_surrogates(json.loads(text, parse_int=_bounded_int))
        except RecursionError:
            raise InputError("too_large", f"value is nested more than {MAX_DEPTH} levels deep") from None
        except ValueError as exc:
            raise InputError("not_json", f"value is not JSON: {exc}") from None
    depth = _nesting_depth(post)
    if depth > MAX_DEPTH:
        raise InputError("too_large", f"value is nested more than {MAX_DEPTH} levels deep")
    if not isinstance(post, dict):
        raise InputError("not_object", f"value is a JSON {type(post).__name__}, not an object")
    for name in ("id", "text"):
        if name not in post:
            raise InputError("missing_field", f"required field {name!r} is missing")
        if not isinstance(post[name], str):
            raise InputError(
                "wrong_type", f"field {name!r} must be a string, not {type(post[name]).__name__}"
            )
    if not post["id"]:
        raise InputError("missing_field", "field 'id' is empty")
    if not post["text"].strip():
        raise InputError("empty_text", "field 'text' is empty or only white space")
    for name in _OPTIONAL_STRINGS:
        if post.get(name) is not None and not isinstance(post[name], str):
            raise InputError("wrong_type", f"field {name!r} must be a string or null")
    ts = post.get("ts")
    if ts is not None and (isinstance(ts, bool) or not isinstance(ts, (str, int, float))):
        raise InputError("wrong_type", "field 'ts' must be a string, a number or null")
    if post.get("meta") is not None and not isinstance(post["meta"], dict):
        raise InputError("wrong_type", "field 'meta' must be an object or null")
    return post, encoding


def event_id(key: bytes | None, value: bytes) -> str:
    """A deterministic id for the outcome of one message (same message → same id)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(key or b"")
    digest.update(b"\0")
    digest.update(value)
    return digest.hexdigest()


def _repaired(text: str, encoding: str, limits: Limits,
              rules: rules.RuleSet = rules.EMPTY) -> tuple[dict[str, Any], Tags]:
    """The fields a clean event and :func:`explain` share, and the tags.

    Edits beyond about ``limits.max_bytes`` serialized are merged (:func:`merge_edits`); the
    fields then carry ``edits_merged: {count, by_kind}`` (the edits before merging).
    """
    repair = repair_text(text, rules=rules)
    tags = tag(repair.text)
    corruption = repair.corruption()
    if encoding not in ("utf-8", "ascii"):
        # The bytes were not UTF-8: certain byte-level damage, repaired before any text existed,
        # so it is reported by the ``encoding`` field and kind rather than as a text edit.
        corruption["kinds"] = ["encoding", *corruption["kinds"]]
        corruption["detected"] = True
        corruption["score"] = 1.0
    edits = merge_edits(repair.original, repair.edits, limits.max_bytes)
    fields: dict[str, Any] = {
        "text": repair.text,
        "original_text": repair.original,
        "normalized": normalize(repair.text).text,
        "encoding": encoding,
        "edits": [edit.to_dict() for edit in edits],
        "corruption": corruption,
        "tags": {"topics": tags.topics, "places": tags.places},
    }
    if len(edits) != len(repair.edits):
        fields["edits_merged"] = {"count": len(repair.edits),
                                  "by_kind": _kind_counts(repair.edits)}
    return fields, tags


def explain(data: bytes | Decoded | str, limits: Limits = Limits(),
            rules: rules.RuleSet = rules.EMPTY) -> dict[str, Any]:
    """What the pipeline makes of one text, with the evidence (``qingliu repair --explain``).

    ``data``: raw bytes (decoded as a post's bytes are, leniently: undecodable bytes give
    encoding ``"undecodable"``), an already decoded text, or a ``str`` (UTF-8).  The result has
    the clean event's fields ``text``, ``original_text``, ``normalized``, ``encoding``, ``edits``,
    ``corruption`` and ``tags`` (plus ``tags.evidence``), in the same shape.
    """
    if isinstance(data, bytes):
        data = decode_bytes(data, lenient=True)
    elif isinstance(data, str):
        data = Decoded(data, "utf-8")
    fields, tags = _repaired(data.text, data.encoding, limits, rules)
    fields["tags"]["evidence"] = tags.evidence
    return fields


def build_event(
    post: dict[str, Any], encoding: str, eid: str, limits: Limits = Limits(),
    rules: rules.RuleSet = rules.EMPTY,
) -> dict[str, Any]:
    """Repair and tag a validated post and assemble its clean event.

    Raises ``InputError('empty_text')`` when nothing but invisible characters was in the text.
    """
    fields, _ = _repaired(post["text"], encoding, limits, rules)
    if not fields["text"].strip():
        raise InputError("empty_text", "field 'text' holds only invisible or control characters")
    return {
        "schema": CLEAN_SCHEMA,
        "id": post["id"],
        "event_id": eid,
        **fields,
        "source": post.get("source"),
        "author": post.get("author"),
        "lang": post.get("lang"),
        "ts": post.get("ts"),
        "meta": post.get("meta") or {},
        "processed_at": _now_iso(),
        "processor": {**PROCESSOR, "rules": rules.version},  # the rules it was repaired under
    }


def dead_letter(
    code: str, message: str, value: bytes | None, key: bytes | None, origin: Origin, eid: str
) -> dict[str, Any]:
    """A dead-letter record keeping the original bytes."""
    return {
        "schema": DLQ_SCHEMA,
        "event_id": eid,
        "error": {"code": code, "message": message[:2000]},
        "raw_b64": base64.b64encode(value).decode("ascii") if value is not None else None,
        "raw_key_b64": base64.b64encode(key).decode("ascii") if key is not None else None,
        "topic": origin.topic,
        "partition": origin.partition,
        "offset": origin.offset,
        "ts": origin.timestamp_ms,
        "processed_at": _now_iso(),
        "processor": PROCESSOR,
    }


def process_message(
    value: bytes | None,
    key: bytes | None = None,
    origin: Origin = Origin(),
    limits: Limits = Limits(),
    rules: rules.RuleSet = rules.EMPTY,
) -> Outcome:
    """Turn one consumed message into exactly one outcome; never raises."""
    eid = event_id(key, value or b"")
    try:
        post, encoding = parse_post(value, limits)
        event = build_event(post, encoding, eid, limits, rules)
        data = orjson.dumps(event)  # inside the guard: an unserializable event is dead-lettered
        if len(data) > limits.max_event_bytes:
            raise InputError("too_large", f"its clean event would be {len(data)} bytes; the "
                             f"bound is {limits.max_event_bytes} ({EVENT_BYTES_FACTOR} × max_bytes"
                             f" + {EVENT_BYTES_SLACK})")
        key = post["id"].encode("utf-8")
        edits = event["edits_merged"]["count"] if "edits_merged" in event else len(event["edits"])
        return Outcome("clean", key, event, edits=edits, serialized=data)
    except InputError as exc:
        record = dead_letter(exc.code, exc.message, value, key, origin, eid)
        return Outcome("dlq", key, record, error_code=exc.code)
    except Exception as exc:  # a pipeline bug must not lose the message
        log.exception("pipeline failed on %s:%s@%s", origin.topic, origin.partition, origin.offset)
        message = f"{type(exc).__name__}: {exc}"
        record = dead_letter("internal_error", message, value, key, origin, eid)
        return Outcome("dlq", key, record, error_code="internal_error")


def warm_up() -> None:
    """Load every lexicon and model now, so that the first message is not the slow one.

    Workers call this before they consume (the tokenizer and the language model alone take
    about a second to load lazily); batch runs call it before timing anything.
    """
    from service import samples, tagging

    tagging.warm_up()
    for post in samples.demo_posts() + samples.make_posts(3):
        process_message(post)
    settle_heap()


# Collector thresholds once the heap is settled.  A repair keeps its memos (tens of thousands of
# tuples for a long spun post) alive until it returns, and with the default thresholds (700, 10,
# 10) the older generations walked them again and again: about 13% of a fully spun post's repair
# time, 4% of a mixed one's.  With a young collection every 50,000 container allocations (net)
# and older ones rarely, reference counting frees a repair's objects when it returns, before any
# collection sees them; reference cycles (rare here) wait a little longer.
GC_THRESHOLDS = (50_000, 50, 100)


def settle_heap() -> None:
    """Put everything allocated so far (the lexicons' and models' millions of objects) out of
    the garbage collector's reach: it no longer walks them at every full collection, which cost
    a fully spun post about a tenth of its repair time.  Loaded data lives as long as the process.
    Then raise the collector's thresholds (:data:`GC_THRESHOLDS`).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _now_iso() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
