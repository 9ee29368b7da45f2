"""Hostile input through the whole decode → repair → tag → event path.

Property tests (hypothesis; ``QINGLIU_FUZZ_EXAMPLES`` sets the example count, 120 by default so CI
stays within a minute) and explicit pathological inputs: huge posts, one spun form a million
times, only combining marks, escaped lone surrogates, deep ``meta``, NUL bytes, every legacy codec.
Every input must give exactly one outcome that validates against its topic's schema, and no input
may reach the pipeline's last-resort ``internal_error`` guard.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import orjson
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from service.pipeline import Limits, Origin, process_message, repair_text


def _support():
    name = "qingliu_fuzz_support"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


fz = _support()
ORIGIN = Origin("posts.raw", 2, 12345, 1_700_000_000_000)
BIG = Limits(max_bytes=32 << 20)


def post(text: str, **fields: object) -> bytes:
    return orjson.dumps({"id": "p1", "text": text, **fields})


# -- properties --------------------------------------------------------------------------------


@fz.FUZZ
@given(value=fz.raw_values(), key=fz.keys, limits=fz.limits)
def test_fuzz_any_message_gives_one_valid_outcome(value, key, limits) -> None:
    fz.check_outcome(process_message(value, key, ORIGIN, limits), value, key)


@fz.FUZZ
@given(value=st.binary(max_size=2000), key=fz.keys)
def test_fuzz_arbitrary_bytes(value: bytes, key: bytes | None) -> None:
    fz.check_outcome(process_message(value, key, ORIGIN), value, key)


@fz.FUZZ
@given(text=fz.any_text)
def test_fuzz_repair_rebuilds_text_from_edits(text: str) -> None:
    fz.check_repair(repair_text(text), text)


@fz.FUZZ
@given(text=fz.any_text.filter(lambda t: t.strip()), ident=st.text(min_size=1, max_size=30))
def test_fuzz_well_formed_posts_become_clean_events(text: str, ident: str) -> None:
    assume(repair_text(text).text.strip())  # invisible-only text is dead-lettered empty_text
    value = orjson.dumps({"id": ident, "text": text, "meta": {"k": [1, "二"]}})
    wire = fz.check_outcome(process_message(value, None, ORIGIN), value, None)
    assert wire["schema"] == "qingliu.clean/1", wire.get("error")
    assert wire["original_text"] == text
    assert wire["id"] == ident


# -- pathological inputs -----------------------------------------------------------------------


@pytest.mark.parametrize("codec", fz.legacy_codecs())
def test_every_legacy_codec_gives_one_valid_outcome(codec: str) -> None:
    text = "".join(fz.SAMPLES)
    doc = json.dumps({"id": "p-" + codec, "text": text, "source": "论坛"}, ensure_ascii=False)
    value = doc.encode(codec, errors="replace")
    fz.check_outcome(process_message(value, b"k", ORIGIN), value, b"k")


@pytest.mark.parametrize(
    "value",
    [
        b'{"id":"x","text":"\\ud800"}',
        b'{"id":"x","text":"\\udfff\\ud800\\udc00\\ud83d"}',
        b'{"id":"\\ud800","text":"abc"}',
        b'{"id":"x","text":"abc","author":"\\udc80"}',
        b'{"id":"x","text":"abc","meta":{"\\ud800":"\\udbff"}}',
        b'{"id":"x","text":"abc","meta":{"a":["\\ud800",{"b":"\\udfff"}]}}',
        b'{"id":"x","text":"\\ud800"' + b" " * 10 + b"}",
    ],
)
def test_escaped_lone_surrogates(value: bytes) -> None:
    wire = fz.check_outcome(process_message(value, None, ORIGIN), value, None)
    assert wire["schema"] == "qingliu.clean/1"


@pytest.mark.parametrize(
    "value",
    [
        b"\x00",
        b'{"id":"x","text":"a\x00b"}',
        b'{"id":"x","text":"a\\u0000b"}',
        b'{"id":"\\u0000","text":"\\u0000\\u0000\\u4e2d"}',
        b'{"id":"x","text":"\\u0000"}',
        b'\x00{"id":"x","text":"abc"}',
        b'{"id":"x","text":"abc"}\x00',
        "中".encode("utf-16") + b"\x00" * 8,
    ],
)
def test_nul_bytes(value: bytes) -> None:
    fz.check_outcome(process_message(value, b"\x00", ORIGIN), value, b"\x00")


@pytest.mark.parametrize(
    "text",
    [
        "\u0301" * 100_000,
        "".join(chr(c) for c in range(0x0300, 0x0370)) * 500,
        "\u20dd\u20de\u20df" * 20_000,
        "\u3099\u309a" * 30_000,  # kana voicing marks
        "\ufe0f\U000e0101" * 20_000,  # variation selectors
        "中" + "\u0301" * 50_000,
    ],
)
def test_only_combining_marks(text: str) -> None:
    value = post(text)
    fz.check_outcome(process_message(value, None, ORIGIN, BIG), value, None)


def _nested(depth: int) -> bytes:
    return b'{"id":"x","text":"\xe4\xb8\xad","meta":' + b'{"a":' * depth + b"1" + b"}" * (depth + 1)


@pytest.mark.parametrize("depth", [1, 32, 128, 250, 100_000])
def test_deeply_nested_meta(depth: int) -> None:
    value = _nested(depth)
    fz.check_outcome(process_message(value, None, ORIGIN, BIG), value, None)


@pytest.mark.parametrize("depth", [256, 300, 900])
def test_meta_deeper_than_orjson_can_write(depth: int) -> None:
    value = _nested(depth)
    wire = fz.check_outcome(process_message(value, None, ORIGIN, BIG), value, None)
    assert wire["error"]["code"] == "too_large"


def test_big_integer_on_the_surrogate_path() -> None:
    value = b'{"id":"\\ud800","text":"t","meta":{"n":99999999999999999999}}'
    wire = fz.check_outcome(process_message(value, None, ORIGIN), value, None)
    assert wire["meta"] == {"n": 1e20}  # as orjson parses it on the fast path


def test_ten_mib_post_is_dead_lettered_at_the_default_limit() -> None:
    value = post("中文内容" * (10 * 1024 * 1024 // 12 + 1))
    assert len(value) > 10 * 1024 * 1024
    wire = fz.check_outcome(process_message(value, b"big", ORIGIN), value, b"big")
    assert wire["error"]["code"] == "too_large"


@pytest.mark.slow
def test_ten_mib_post_is_processed_when_allowed() -> None:
    sentence = "".join(fz.SAMPLES) + "ｆｕｌｌ\u200bｗｉｄｔｈ⻓⾔"
    value = post(sentence * (10 * 1024 * 1024 // len(sentence.encode()) + 1))
    assert len(value) > 10 * 1024 * 1024
    fz.check_outcome(process_message(value, None, ORIGIN, BIG), value, None)


SPUN_FORM = "一切"  # a spinner form in service/data/spun/lexicon.tsv (original: 所有)


@pytest.mark.slow
def test_one_spun_form_a_million_times() -> None:
    value = post(SPUN_FORM * 1_000_000)
    fz.check_outcome(process_message(value, None, ORIGIN, BIG), value, None)
