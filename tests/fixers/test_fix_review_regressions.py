"""Regressions from review: runs of full-width symbols, almost-valid UTF-8, junk after a UTF-16 BOM."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.edits import apply_edits, validate_edits
from service.errors import InputError
from service.fixers import widths
from service.fixers.decoding import decode_bytes
from service.pipeline import ENCODING_FIXERS, process_message, repair_text

SEEDS = Path(__file__).resolve().parents[1] / "data" / "encoding" / "seeds_zh.txt"
LINES = [line for line in SEEDS.read_text("utf-8").splitlines() if len(line) >= 12]


def _wide(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _widths(text: str) -> str:
    result = widths.fix(text)
    validate_edits(text, result.edits)
    return apply_edits(text, result.edits)


# --- 1. runs of full-width symbols ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("ｈｔｔｐ：／／ｅｘａｍｐｌｅ．ｃｏｍ", "http://example.com"),
        ("Ｃ＋＋和Ｃ＃", "C++和C#"),
        ("ｈｔｔｐｓ：／／ｗｗｗ．ｘ．ｃｏｍ／ｐａｔｈ", "https://www.x.com/path"),
        ("http：／／example.com", "http://example.com"),
        ("学习Ｃ＋＋（入门）", "学习C++（入门）"),  # the bracket is not part of the run
        ("１００％，好", "100%，好"),
        # Chinese punctuation in Chinese text stays.
        ("你好，世界！", "你好，世界！"),
        ("（注：见下文）", "（注：见下文）"),
        ("前\u3000后", "前\u3000后"),
        ("100％", "100％"),
        ("加ｖｘ：ｗｅｉｘｉｎ", "加vx：weixin"),
        ("ＡＢＣ），然后", "ABC），然后"),
    ],
)
def test_symbol_runs_fold(text: str, clean: str) -> None:
    assert _widths(text) == clean
    assert repair_text(text, fixers=ENCODING_FIXERS).text == clean


def test_reviewer_examples_end_to_end() -> None:
    assert repair_text("ｈｔｔｐ：／／ｅｘａｍｐｌｅ．ｃｏｍ").text == "http://example.com"
    assert repair_text("Ｃ＋＋和Ｃ＃").text == "C++和C#"


_WORD = st.text(alphabet="abcxyzABC0129", min_size=1, max_size=5)
_SEP = st.sampled_from(
    ["/", ".", "+", "#", "@", "=", "-", "_", "://", "++", "%", "&", "~", "*", "/?"]
)
_IDENT = st.tuples(
    _WORD, st.lists(st.tuples(_SEP, _WORD), max_size=5), st.sampled_from(["", "++", "#", "%"])
).map(lambda t: t[0] + "".join(sep + word for sep, word in t[1]) + t[2])


@given(ident=_IDENT, before=st.sampled_from(LINES), after=st.sampled_from(LINES))
def test_wide_identifier_in_chinese_text_folds_whole(ident: str, before: str, after: str) -> None:
    text = before + _wide(ident) + "，" + after
    assert _widths(text) == before + ident + "，" + after


# --- 2. almost-valid UTF-8 --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"\xe4\xb8\xad\xe6\x96\x87\xe5", "中文\ufffd"),  # cut off at the end
        (b"\xe4\xb8\xad\xe6\x96\x87\xe5\xb8", "中文\ufffd"),
        ("肇庆市正在推进".encode() + b"\xff", "肇庆市正在推进\ufffd"),
        ("肇庆市正在".encode() + b"\x80" + "推进工作".encode(), "肇庆市正在\ufffd推进工作"),
    ],
)
def test_almost_utf8_is_utf8_with_replacement(data: bytes, text: str) -> None:
    decoded = decode_bytes(data)
    assert (decoded.text, decoded.encoding) == (text, "utf-8")
    assert 0 < decoded.confidence < 1


def test_almost_utf8_post_is_not_cp1252() -> None:
    value = b'{"id": "9", "text": "' + "肇庆市正在推进".encode() + b'\xff"}'
    outcome = process_message(value)
    assert outcome.kind == "clean"
    assert outcome.value["encoding"] == "utf-8"
    assert outcome.value["original_text"] == "肇庆市正在推进\ufffd"
    assert outcome.value["text"].startswith("肇庆市正在推进")


@given(line=st.sampled_from(LINES), data=st.data())
def test_stray_byte_in_utf8_post_is_replaced(line: str, data: st.DataObject) -> None:
    at = data.draw(st.integers(0, len(line)))
    stray = data.draw(st.integers(0x80, 0xFF))
    raw = line[:at].encode() + bytes([stray]) + line[at:].encode()
    decoded = decode_bytes(raw)
    assert (decoded.text, decoded.encoding) == (raw.decode("utf-8", "replace"), "utf-8")


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        ("加快。", "gbk"),
        ("加班到", "gbk"),
        ("的规定", "gbk"),
        ("警方提", "big5"),
        ("友反映", "big5"),
    ],
)
def test_legacy_bytes_one_byte_short_of_utf8_stay_legacy(text: str, codec: str) -> None:
    # Each is valid UTF-8 but for one byte; too little UTF-8 to outvote the legacy reading.
    raw = text.encode(codec)
    assert (
        sum(1 for ch in raw.decode("utf-8", "surrogateescape") if "\udc80" <= ch <= "\udcff") == 1
    )
    decoded = decode_bytes(raw)
    assert (decoded.text, decoded.encoding) == (text, codec)


# --- 3. UTF-16 BOM followed by junk -----------------------------------------------------------


@pytest.mark.parametrize(
    "data", [b"\xff\xfe\xfd\x80", b"\xfe\xff\x80\xfd", b"\xff\xfe\x01\xd8\x00\x00"]
)
def test_junk_after_bom_is_not_utf16(data: bytes) -> None:
    try:
        decoded = decode_bytes(data)
    except InputError as exc:
        assert exc.code == "undecodable"
        return
    assert not decoded.encoding.startswith("utf-16")
    assert "能" not in decoded.text


@given(
    payload=st.binary(min_size=2, max_size=2),
    bom=st.sampled_from([codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE]),
)
def test_one_unit_after_bom_is_too_little_evidence(payload: bytes, bom: bytes) -> None:
    try:
        decoded = decode_bytes(bom + payload)
    except InputError:
        return
    assert not decoded.encoding.startswith("utf-16")


@pytest.mark.parametrize("text", ["你好", "ok", "今天天气不错。", "表情😀好"])
def test_plausible_utf16_still_decodes(text: str) -> None:
    decoded = decode_bytes(text.encode("utf-16"))
    assert (decoded.text, decoded.encoding) == (text, "utf-16")
