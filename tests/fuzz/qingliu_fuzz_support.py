"""Shared by the fuzz tests and the atheris harness: hostile-input strategies and the outcome check.

:func:`check_outcome` is the whole contract of :func:`service.pipeline.process_message` on one
input: exactly one outcome, never ``internal_error`` (that code means an exception was raised
inside the pipeline and caught by its last-resort guard), a value that serializes to UTF-8 JSON
and validates against its topic's schema, edits that rebuild ``text`` from ``original_text``,
and a dead letter that keeps the original bytes.
"""

from __future__ import annotations

import base64
import codecs
import encodings
import json
import os
import pkgutil
from functools import cache
from typing import Any

import orjson
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from service.edits import Edit, apply_edits, validate_edits
from service.errors import ERROR_CODES
from service.pipeline import Limits, Outcome, event_id

#: Examples per property test: small in CI, large with ``QINGLIU_FUZZ_EXAMPLES=20000``.
EXAMPLES = int(os.environ.get("QINGLIU_FUZZ_EXAMPLES", "120"))

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much],
    database=None,
    derandomize=os.environ.get("QINGLIU_FUZZ_RANDOM") != "1",
)


@cache
def validators() -> dict[str, Any]:
    """jsonschema validators of the clean and dead-letter topics (``topics/schemas``)."""
    from service.contracts import validator

    return {"clean": validator("clean"), "dlq": validator("dlq")}


def check_outcome(
    outcome: Any, value: bytes | None, key: bytes | None, *, allow_internal: bool = False
) -> dict[str, Any]:
    """Assert everything :func:`process_message` promises about one input; return the value."""
    assert isinstance(outcome, Outcome), type(outcome)
    assert outcome.kind in ("clean", "dlq"), outcome.kind
    if not allow_internal:
        assert outcome.error_code != "internal_error", (
            "an exception escaped into the pipeline's last-resort guard: "
            + outcome.value["error"]["message"]
        )
    data = outcome.value_bytes()
    data.decode("utf-8")  # strict: no lone surrogates on the wire
    wire = orjson.loads(data)
    errors = sorted(validators()[outcome.kind].iter_errors(wire), key=str)
    assert not errors, f"{outcome.kind} value violates its schema: {errors[0].message}"
    assert wire["event_id"] == event_id(key, value or b"")
    if outcome.kind == "clean":
        assert outcome.error_code is None
        assert outcome.key == wire["id"].encode("utf-8")
        edits = [Edit(**e) for e in wire["edits"]]
        validate_edits(wire["original_text"], edits)
        assert apply_edits(wire["original_text"], edits) == wire["text"]
        assert outcome.edits == len(edits)
    else:
        assert outcome.error_code in ERROR_CODES
        assert wire["error"]["code"] == outcome.error_code
        raw = None if wire["raw_b64"] is None else base64.b64decode(wire["raw_b64"])
        assert raw == value
        raw_key = None if wire["raw_key_b64"] is None else base64.b64decode(wire["raw_key_b64"])
        assert raw_key == key
        assert outcome.key == key
    return wire


def check_repair(repair: Any, text: str) -> None:
    """A :class:`service.pipeline.Repair` must rebuild its text from the input by its edits."""
    assert repair.original == text
    validate_edits(text, repair.edits)
    assert apply_edits(text, repair.edits) == repair.text
    assert 0.0 <= repair.score
    assert all(isinstance(kind, str) and kind for kind in repair.kinds)


@cache
def legacy_codecs() -> tuple[str, ...]:
    """Every text codec in this Python (the stdlib ``encodings`` package), bar UTF-8 and mbcs."""
    names = set()
    for module in pkgutil.iter_modules(encodings.__path__):
        try:
            info = codecs.lookup(module.name)
        except LookupError:
            continue
        if not getattr(info, "_is_text_encoding", True) or info.name in ("utf-8", "mbcs", "oem"):
            continue
        if info.name in ("undefined", "rot-13", "punycode", "idna", "raw-unicode-escape",
                         "unicode-escape", "charmap", "utf-8-sig") or info.name.startswith("cp65"):
            continue
        names.add(info.name)
    return tuple(sorted(names))


# -- strategies ------------------------------------------------------------------------------

SAMPLES = (
    "肇庆市正在推进产业项目建设。",
    "今天北京的天气很好，我们去天安门广场看升旗。",
    "网络谣言：某地发生重大事故，官方已辟谣。",
    "习近平在人民大会堂会见外宾",
    "香港、澳门和台湾的朋友们新年快乐",
    "广东省深圳市南山区科技园",
)

_RANGES = (
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0x3400, 0x4DBF),  # extension A
    (0x20000, 0x2A6DF),  # extension B (astral)
    (0x2E80, 0x2EF3),  # CJK radicals supplement
    (0x2F00, 0x2FD5),  # Kangxi radicals
    (0xFF01, 0xFF5E),  # full-width ASCII
    (0x3000, 0x303F),  # CJK punctuation
    (0x0300, 0x036F),  # combining diacritics
    (0x20D0, 0x20FF),  # combining marks for symbols
    (0x200B, 0x200F),  # zero-width and direction marks
    (0x202A, 0x202E),  # bidi embedding / override
    (0x2060, 0x2064),  # word joiner, invisible operators
    (0xFE00, 0xFE0F),  # variation selectors
    (0xE0100, 0xE01EF),  # variation selectors supplement
    (0xE0020, 0xE007F),  # tag characters
    (0x0400, 0x04FF),  # Cyrillic (homoglyphs)
    (0x0370, 0x03FF),  # Greek (homoglyphs)
    (0xE000, 0xF8FF),  # private use
    (0x0000, 0x001F),  # C0 controls, NUL included
    (0x0080, 0x00FF),  # Latin-1 (mojibake alphabet)
    (0xFFF0, 0xFFFF),  # specials, noncharacters
)

hostile_chars = st.one_of(
    *(st.integers(lo, hi).map(chr) for lo, hi in _RANGES),
    st.characters(exclude_categories=("Cs",)),
)
hostile_text = st.one_of(
    st.text(hostile_chars, max_size=200),
    st.text(max_size=200),
    st.sampled_from(SAMPLES),
    st.tuples(st.sampled_from(SAMPLES), st.text(hostile_chars, max_size=20),
              st.integers(0, 40)).map(lambda t: t[0][: t[2]] + t[1] + t[0][t[2]:]),
)


@st.composite
def mojibake_text(draw: st.DrawFn) -> str:
    """Chinese text pushed through a wrong decode (the classic UTF-8-read-as-GBK/Latin-1)."""
    text = draw(st.one_of(st.sampled_from(SAMPLES), hostile_text))
    enc = draw(st.sampled_from(("utf-8", "gbk", "gb18030", "big5")))
    dec = draw(st.sampled_from(("latin-1", "cp1252", "gbk", "big5", "shift_jis", "utf-8")))
    rounds = draw(st.integers(1, 2))
    for _ in range(rounds):
        text = text.encode(enc, errors="replace").decode(dec, errors="replace")
    return text


any_text = st.one_of(hostile_text, mojibake_text())

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False), hostile_text,
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(hostile_text, children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def post_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """Posts: mostly well-formed, with wrong types, missing fields and hostile text mixed in."""
    post: dict[str, Any] = {}
    if draw(st.integers(0, 20)):
        post["id"] = draw(st.one_of(st.text(min_size=1, max_size=20), json_values))
    if draw(st.integers(0, 20)):
        post["text"] = draw(st.one_of(any_text, any_text, json_values))
    for name in ("source", "author", "lang"):
        if draw(st.booleans()):
            post[name] = draw(st.one_of(st.none(), hostile_text, json_scalars))
    if draw(st.booleans()):
        post["ts"] = draw(json_scalars)
    if draw(st.booleans()):
        post["meta"] = draw(st.one_of(st.dictionaries(hostile_text, json_values, max_size=5),
                                      json_values))
    return post


def _dumps(post: dict[str, Any], ensure_ascii: bool) -> bytes:
    return json.dumps(post, ensure_ascii=ensure_ascii).encode("utf-8", "surrogatepass")


@st.composite
def raw_values(draw: st.DrawFn) -> bytes | None:
    """Kafka message values as a hostile producer would send them."""
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return draw(st.one_of(st.none(), st.binary(max_size=300)))
    post = draw(post_dicts())
    data = _dumps(post, ensure_ascii=draw(st.booleans()))
    if choice == 1:  # the whole message in a legacy codec
        codec = draw(st.sampled_from(legacy_codecs()))
        return json.dumps(post, ensure_ascii=False).encode(codec, errors="replace")
    if choice == 2 and data:  # truncated or bit-flipped
        if draw(st.booleans()):
            return data[: draw(st.integers(0, len(data)))]
        flipped = bytearray(data)
        flipped[draw(st.integers(0, len(data) - 1))] ^= draw(st.integers(1, 255))
        return bytes(flipped)
    if choice == 3:  # lone surrogates escaped in JSON (legal JSON, illegal UTF-8)
        surrogate = draw(st.integers(0xD800, 0xDFFF))
        text = post.get("text") if isinstance(post.get("text"), str) else "x"
        post["text"] = text + chr(surrogate)
        if draw(st.booleans()):
            post["id"] = "id" + chr(draw(st.integers(0xD800, 0xDFFF)))
        return json.dumps(post, ensure_ascii=True).encode("ascii")
    return data


keys = st.one_of(st.none(), st.binary(max_size=40), st.text(max_size=20).map(str.encode))
limits = st.sampled_from((Limits(), Limits(max_bytes=64), Limits(max_bytes=4096)))
