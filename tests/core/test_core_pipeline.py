"""The shared pipeline: one outcome per message, typed dead-letter codes, faithful events."""

from __future__ import annotations

import base64

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.edits import Edit, apply_edits, validate_edits
from service.pipeline import (
    CLEAN_SCHEMA,
    DLQ_SCHEMA,
    Limits,
    Origin,
    process_message,
    repair_text,
)


def post(**fields: object) -> bytes:
    return orjson.dumps({"id": "p1", "text": "肇庆市正在推进产业项目建设。", **fields})


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (b"{not json", "not_json"),
        (None, "not_json"),
        (b"[1, 2]", "not_object"),
        (b'"text"', "not_object"),
        (orjson.dumps({"text": "x"}), "missing_field"),
        (orjson.dumps({"id": "1"}), "missing_field"),
        (orjson.dumps({"id": 1, "text": "x"}), "wrong_type"),
        (orjson.dumps({"id": "1", "text": ["x"]}), "wrong_type"),
        (orjson.dumps({"id": "1", "text": "x", "meta": [1]}), "wrong_type"),
        (orjson.dumps({"id": "1", "text": "x", "author": 5}), "wrong_type"),
        (orjson.dumps({"id": "1", "text": " \n\t"}), "empty_text"),
        (orjson.dumps({"id": "1", "text": "x" * 100}), "too_large"),
    ],
)
def test_bad_input_is_dead_lettered_with_its_code(value: bytes | None, code: str) -> None:
    origin = Origin("posts.raw", 3, 42, 1_700_000_000_000)
    outcome = process_message(value, b"k", origin, Limits(max_bytes=64))
    assert outcome.kind == "dlq"
    assert outcome.error_code == code
    record = outcome.value
    assert record["schema"] == DLQ_SCHEMA
    assert record["error"]["code"] == code and record["error"]["message"]
    assert (record["topic"], record["partition"], record["offset"]) == ("posts.raw", 3, 42)
    expected = None if value is None else base64.b64encode(value).decode()
    assert record["raw_b64"] == expected
    assert base64.b64decode(record["raw_key_b64"]) == b"k"


def test_clean_event_carries_the_contract_fields() -> None:
    meta = {"nested": {"a": [1, 2]}}
    outcome = process_message(post(source="weibo", author="u1", lang="zh", ts=17, meta=meta), b"p1")
    assert outcome.kind == "clean"
    assert outcome.key == b"p1"
    event = outcome.value
    assert event["schema"] == CLEAN_SCHEMA
    assert event["id"] == "p1"
    assert event["original_text"] == "肇庆市正在推进产业项目建设。"
    assert (event["source"], event["author"], event["lang"], event["ts"]) == (
        "weibo",
        "u1",
        "zh",
        17,
    )
    assert event["meta"] == meta
    assert set(event["corruption"]) == {"detected", "score", "kinds"}
    assert set(event["tags"]) == {"topics", "places"}
    assert event["processor"]["version"]


def test_event_ids_are_deterministic() -> None:
    first = process_message(post(), b"p1").value["event_id"]
    assert process_message(post(), b"p1").value["event_id"] == first
    assert process_message(post(author="x"), b"p1").value["event_id"] != first


def test_escaped_lone_surrogates_become_replacement_characters() -> None:
    outcome = process_message(b'{"id": "s", "text": "a\\ud800b", "meta": {"k": "\\udfff"}}')
    assert outcome.kind == "clean"
    assert "\ufffd" in outcome.value["original_text"]
    assert outcome.value["meta"] == {"k": "\ufffd"}
    orjson.dumps(outcome.value)


def test_a_fixer_bug_becomes_an_internal_error_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    import service.pipeline as pipeline

    def broken(text: str) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "tag", broken)
    outcome = process_message(post(), b"p1", Origin("posts.raw", 0, 7))
    assert outcome.kind == "dlq"
    assert outcome.error_code == "internal_error"
    assert "boom" in outcome.value["error"]["message"]


def test_repair_text_composes_stage_edits_onto_the_input() -> None:
    class Upper:
        KIND = "upper"

        @staticmethod
        def detect(text: str) -> bool:
            return "a" in text

        @staticmethod
        def fix(text: str):
            from service.fixers import FixResult

            return FixResult(
                [Edit(i, i + 1, "a", "A", "upper") for i, c in enumerate(text) if c == "a"]
            )

    class Drop:
        KIND = "drop"

        @staticmethod
        def detect(text: str) -> bool:
            return "-" in text

        @staticmethod
        def fix(text: str):
            from service.fixers import FixResult

            return FixResult(
                [Edit(i, i + 1, "-", "", "drop") for i, c in enumerate(text) if c == "-"], 0.3
            )

    repair = repair_text("a-b-a", fixers=(Drop, Upper))
    assert repair.text == "AbA"
    assert repair.kinds == ("drop", "upper")
    assert repair.score == 0.3
    validate_edits(repair.original, repair.edits)
    assert apply_edits(repair.original, repair.edits) == repair.text


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_yield_exactly_one_outcome(value: bytes) -> None:
    outcome = process_message(value, None, Origin("posts.raw", 0, 1))
    assert outcome.kind in ("clean", "dlq")
    orjson.dumps(outcome.value)
    if outcome.kind == "dlq":
        assert base64.b64decode(outcome.value["raw_b64"]) == value


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_posts_produce_reconstructible_events(text: str) -> None:
    outcome = process_message(orjson.dumps({"id": "x", "text": text}))
    if outcome.kind == "dlq":
        assert outcome.error_code == "empty_text"
        return
    event = outcome.value
    edits = [Edit(**e) for e in event["edits"]]
    validate_edits(event["original_text"], edits)
    assert apply_edits(event["original_text"], edits) == event["text"]


def test_settling_the_heap_freezes_it_and_raises_the_collector_thresholds() -> None:
    import gc

    from service import pipeline

    before = gc.get_threshold()
    try:
        pipeline.settle_heap()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == pipeline.GC_THRESHOLDS
        assert pipeline.GC_THRESHOLDS[0] > before[0]
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
