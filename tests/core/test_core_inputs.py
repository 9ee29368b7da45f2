"""Input edge cases of the pipeline: byte-order marks, invisible-only texts, Japanese codecs,
huge posts whose clean events must still fit, and ``explain`` speaking the clean event's shape."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service import contracts
from service.edits import Edit, apply_edits, validate_edits
from service.pipeline import (
    EVENT_BYTES_FACTOR,
    EVENT_BYTES_SLACK,
    Limits,
    explain,
    merge_edits,
    post_key,
    process_message,
)


def _rebuilt(event: dict) -> str:
    edits = [Edit(**edit) for edit in event["edits"]]
    validate_edits(event["original_text"], edits)
    return apply_edits(event["original_text"], edits)


def test_json_with_a_utf8_bom_is_accepted() -> None:
    outcome = process_message(b"\xef\xbb\xbf" + orjson.dumps({"id": "b", "text": "你好"}))
    assert outcome.kind == "clean", outcome.value
    assert (outcome.value["text"], outcome.value["encoding"]) == ("你好", "utf-8")


def test_json_in_utf16_with_a_bom_is_accepted() -> None:
    outcome = process_message('{"id": "b", "text": "你好，世界"}'.encode("utf-16"))
    assert outcome.kind == "clean", outcome.value
    assert outcome.value["text"] == "你好，世界"


@pytest.mark.parametrize("text", ["\x00", "\x00\x00\x00", "\u200b\u200d\ufeff", "\u200b \x00"])
def test_invisible_only_text_is_dead_lettered_empty_text(text: str) -> None:
    outcome = process_message(orjson.dumps({"id": "e", "text": text}))
    assert (outcome.kind, outcome.error_code) == ("dlq", "empty_text")


def test_shift_jis_post_is_decoded_as_shift_jis() -> None:
    value = '{"id": "j", "text": "今日は良い天気ですね。"}'.encode("shift_jis")
    outcome = process_message(value)
    assert outcome.kind == "clean", outcome.value
    assert outcome.value["encoding"] == "shift_jis"
    assert outcome.value["text"] == "今日は良い天気ですね。"


def test_a_huge_valid_post_yields_an_event_within_the_bound() -> None:
    value = orjson.dumps({"id": "p", "text": "ａb" * 262000})
    limits = Limits()
    assert len(value) <= limits.max_bytes
    outcome = process_message(value, limits=limits)
    assert outcome.kind == "clean", outcome.value
    assert len(outcome.value_bytes()) <= limits.max_event_bytes
    event = outcome.value
    assert _rebuilt(event) == event["text"] == "ab" * 262000
    assert event["edits_merged"] == {"count": 262000, "by_kind": {"fullwidth": 262000}}
    assert outcome.edits == 262000  # the metric still counts the repairs
    contracts.validator("clean").validate(event)


def test_the_bound_is_what_the_schema_documents() -> None:
    described = contracts.schema("clean")["description"]
    assert f"{EVENT_BYTES_FACTOR} × QINGLIU_MAX_BYTES + {EVENT_BYTES_SLACK}" in described
    assert Limits(max_bytes=1000).max_event_bytes == EVENT_BYTES_FACTOR * 1000 + EVENT_BYTES_SLACK


# Characters that each cost an edit: full-width forms, invisible ones, radicals, Traditional.
_NOISY = st.text(alphabet=st.sampled_from("ａｂ１\u200bb⻓城。你x\u3000Ｗ\u00ad臺"), max_size=1500)


@settings(max_examples=60, deadline=None)
@given(text=_NOISY, max_bytes=st.integers(min_value=64, max_value=4096))
def test_events_of_posts_under_max_bytes_fit_the_bound_and_rebuild(text: str,
                                                                  max_bytes: int) -> None:
    value = orjson.dumps({"id": "h", "text": text})
    limits = Limits(max_bytes=max_bytes)
    outcome = process_message(value, limits=limits)
    if len(value) > max_bytes:
        assert outcome.error_code == "too_large"
        return
    if outcome.kind == "dlq":
        assert outcome.error_code == "empty_text"
        return
    assert len(outcome.value_bytes()) <= limits.max_event_bytes
    event = outcome.value
    assert _rebuilt(event) == event["text"]
    edits_size = len(orjson.dumps(event["edits"]))
    assert edits_size <= 3 * max_bytes + 512 or len(event["edits"]) == 1
    contracts.validator("clean").validate(event)


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), st.sampled_from("abc")),
                max_size=40), st.integers(0, 400))
def test_merged_edits_rebuild_the_same_text(spec: list[tuple[int, int, str]], budget: int) -> None:
    original = "0123456789" * 30
    edits = []
    position = 0
    for gap, width, kind in spec:
        start = position + gap
        end = min(len(original), start + width)
        if start > len(original):
            break
        edits.append(Edit(start, end, original[start:end], kind.upper() * 2, kind, 0.5))
        position = end
    merged = merge_edits(original, edits, budget)
    validate_edits(original, merged)
    assert apply_edits(original, merged) == apply_edits(original, edits)
    assert len(merged) <= len(edits)


def test_explain_speaks_the_clean_event_shape() -> None:
    value = '{"id": "x", "text": "加\u200b微信：肇庆市端州区招商引资项目"}'.encode("gb18030")
    event = process_message(value).value
    record = explain("加\u200b微信：肇庆市端州区招商引资项目".encode("gb18030"))
    for name in ("text", "original_text", "normalized", "encoding", "edits", "corruption"):
        assert record[name] == event[name], name
    assert {k: v for k, v in record["tags"].items() if k != "evidence"} == event["tags"]
    assert set(record["tags"]["evidence"]) == {"topics", "places"}
    assert record["encoding"] == "gb18030"


def test_explain_never_raises_on_undecodable_bytes() -> None:
    record = explain(b"\x00\x81\x8d\x9d\x01")
    assert record["encoding"] == "undecodable"
    assert "\ufffd" in record["original_text"]


@pytest.mark.parametrize(
    ("value", "key"),
    [(b'{"id": "a1", "text": "x"}', b"a1"), (b"[1]", None), (b"{", None), (None, None),
     (b'{"id": 3}', None), (b'{"id": ""}', None)],
)
def test_post_key(value: bytes | None, key: bytes | None) -> None:
    assert post_key(value) == key
