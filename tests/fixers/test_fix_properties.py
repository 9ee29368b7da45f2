"""Property tests of the encoding stages: restoration, robustness, idempotence, edit validity."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from service.build.unicode_corpus import MOJIBAKE
from service.edits import apply_edits, validate_edits
from service.errors import InputError
from service.fixers.decoding import decode_bytes
from service.normalize import normalize
from service.pipeline import ENCODING_FIXERS, repair_text

SEEDS = Path(__file__).resolve().parents[1] / "data" / "encoding" / "seeds_zh.txt"
_CLAUSE = re.compile(r"[^，。！？：；、]+[，。！？：；、]?")
CLAUSES = sorted(
    {m.group() for line in SEEDS.read_text("utf-8").splitlines() for m in _CLAUSE.finditer(line)}
)
ASCII_TOKENS = ["QQ", "App", "2023", " ", "OK", "iPhone", "100", "A", "-", "v2"]
# Realistic Chinese posts: clauses of the seed paragraphs mixed with ASCII tokens.
posts = st.lists(
    st.one_of(st.sampled_from(CLAUSES), st.sampled_from(ASCII_TOKENS)), min_size=1, max_size=6
).map("".join)


def _repair(text: str) -> str:
    return repair_text(text, fixers=ENCODING_FIXERS).text


def _damage(pair: str, text: str) -> tuple[str, str] | None:
    """``(clean, damaged)`` for ``text`` or ``text`` plus a short tail that makes the wrong
    decoding round-trip (a GBK misreading needs whole byte pairs); ``None`` if none does."""
    for tail in ("", "A", "了", "AA", "，A", "的", "AAA", "了A", "的了", "A了A"):
        clean = text + tail
        try:
            damaged = MOJIBAKE[pair](clean)
        except (UnicodeDecodeError, UnicodeEncodeError):
            continue
        if damaged != clean:
            return clean, damaged
    return None


@pytest.mark.parametrize("pair", sorted(MOJIBAKE))
@settings(max_examples=60, suppress_health_check=[HealthCheck.filter_too_much])
@given(text=posts)
def test_mojibake_of_a_post_is_restored(pair: str, text: str) -> None:
    assume(any(ord(ch) > 0x2FFF for ch in text))
    made = _damage(pair, text)
    assume(made is not None)
    clean, damaged = made
    assert _repair(damaged) == clean


@settings(suppress_health_check=[HealthCheck.filter_too_much])
@given(text=posts, data=st.data())
def test_partial_damage_is_restored(text: str, data: st.DataObject) -> None:
    middle = data.draw(st.sampled_from(CLAUSES))
    pair = data.draw(st.sampled_from(sorted(MOJIBAKE)))
    made = _damage(pair, middle)
    assume(made is not None)
    clean, damaged = made
    assert _repair(text + damaged + text) == text + clean + text


@given(text=st.text())
def test_repair_of_any_text_is_valid_and_idempotent(text: str) -> None:
    repair = repair_text(text, fixers=ENCODING_FIXERS)
    validate_edits(text, repair.edits)
    assert apply_edits(text, repair.edits) == repair.text
    assert _repair(repair.text) == repair.text


@given(text=posts, pair=st.sampled_from(sorted(MOJIBAKE)))
def test_repair_of_damaged_text_is_idempotent(text: str, pair: str) -> None:
    try:
        damaged = MOJIBAKE[pair](text)
    except (UnicodeDecodeError, UnicodeEncodeError):
        damaged = text
    once = _repair(damaged)
    assert _repair(once) == once


@given(data=st.binary(max_size=200))
def test_bytes_never_raise_but_undecodable(data: bytes) -> None:
    try:
        decoded = decode_bytes(data)
    except InputError as exc:
        assert exc.code == "undecodable"
        return
    assert decoded.encoding in {
        "utf-8", "gbk", "gb18030", "big5", "shift_jis", "utf-16", "utf-16le", "utf-16be",
        "cp1252", "latin-1",
    }
    repair = repair_text(decoded.text)
    assert isinstance(repair.text, str)


@given(text=posts, codec=st.sampled_from(["gbk", "gb18030", "big5", "utf-16"]))
def test_legacy_bytes_of_a_post_decode(text: str, codec: str) -> None:
    assume(sum(1 for ch in text if ord(ch) > 0x2FFF) >= 2)
    try:
        data = text.encode(codec)
    except UnicodeEncodeError:
        assume(False)
    assert decode_bytes(data).text == text


@given(text=st.text())
def test_normalized_offsets_map_back(text: str) -> None:
    normalized = normalize(text)
    assert len(normalized.offsets) == len(normalized.text)
    assert normalized.offsets == sorted(normalized.offsets)
    assert all(0 <= offset < len(text) for offset in normalized.offsets)
    for start in range(len(normalized.text)):
        lo, hi = normalized.source_span(start, start + 1)
        assert 0 <= lo < hi <= len(text)
