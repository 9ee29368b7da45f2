"""Examples for each encoding/obfuscation fixer, the decoder, the matching form and the pipeline."""

from __future__ import annotations

import base64

import orjson
import pytest

from service.edits import apply_edits, validate_edits
from service.errors import InputError
from service.fixers import homoglyphs, invisible, mojibake, radicals, widths
from service.fixers.decoding import decode_bytes
from service.normalize import normalize
from service.pipeline import ENCODING_FIXERS, explain, process_message, repair_text


def _fixed(module, text: str) -> str:
    result = module.fix(text)
    validate_edits(text, result.edits)
    return apply_edits(text, result.edits)


def _repair(text: str) -> str:
    return repair_text(text, fixers=ENCODING_FIXERS).text


# --- mojibake -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("damaged", "clean"),
    [
        ("鍙戝睍", "发展"),  # UTF-8 read as GBK (ftfy leaves it)
        ("浣犲ソ锛屼笘鐣岋紒", "你好，世界！"),
        ("å\x8f\x91å±\x95", "发展"),  # UTF-8 read as latin-1
        ("ä½\xa0å¥½ï¼Œä¸–ç•Œ", "你好，世界"),  # UTF-8 read as cp1252
        ("cafÃ©", "café"),
        ("·¢Õ¹", "发展"),  # GBK read as latin-1
        ("今天鍙戝睍很好", "今天发展很好"),  # partial damage
        ("Ã¥Â\x8fâ€˜Ã¥Â±â€¢", "发展"),  # double
    ],
)
def test_mojibake_restored(damaged: str, clean: str) -> None:
    assert mojibake.detect(damaged)
    assert _fixed(mojibake, damaged) == clean
    assert _repair(damaged) == clean


@pytest.mark.parametrize(
    "text",
    ["发展很好，今天天气不错。", "茅台酒和猫", "玄酒瓠脯", "飓风啊", "café ©2024 Müßig", "Привет"],
)
def test_mojibake_leaves_real_text(text: str) -> None:
    assert _fixed(mojibake, text) == text


def test_unrecoverable_is_reported_not_invented() -> None:
    for text in ("锟斤拷锟斤拷，你好", "他说\ufffd\ufffd了"):
        result = mojibake.fix(text)
        assert "unrecoverable" in result.kinds
        assert apply_edits(text, result.edits) == text
        assert "unrecoverable" in repair_text(text, fixers=ENCODING_FIXERS).kinds


def test_replaced_bytes_lose_their_character_only() -> None:
    # "航班延误了" read as GBK with errors="replace": each U+FFFD stands for one lost byte.
    damaged = "航班延误了".encode().decode("gbk", "replace")
    assert damaged == "鑸\ufffd鐝\ufffd寤惰\ufffd\ufffd浜\ufffd"
    repair = repair_text(damaged, fixers=ENCODING_FIXERS)
    assert repair.text == "\ufffd\ufffd延\ufffd\ufffd"  # 延 survived; nothing is guessed
    assert {"mojibake", "unrecoverable"} <= set(repair.kinds)
    assert _repair("鍙戝睍銆\ufffd") == "发展\ufffd"


def test_mojibake_looks_through_zero_width() -> None:
    assert _repair("鍙\u200b戝睍") == "发展"


def test_mojibake_kind_and_offsets() -> None:
    text = "他说鍙戝睍。"
    repair = repair_text(text, fixers=ENCODING_FIXERS)
    assert repair.text == "他说发展。"
    assert [(e.start, e.end, e.before, e.after, e.kind) for e in repair.edits] == [
        (2, 5, "鍙戝睍", "发展", "mojibake")
    ]


def test_clean_chinese_is_not_even_examined() -> None:
    text = "国家统计局发布数据显示，前三季度国内生产总值同比增长。"
    assert not any(fixer.detect(text) for fixer in (mojibake, invisible, widths, radicals, homoglyphs))


# --- decoding -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "codec", "name"),
    [
        ("国家统计局发布数据", "gbk", "gbk"),
        ("表情😀和𠮷字", "gb18030", "gb18030"),
        ("臺灣的朋友說", "big5", "big5"),
        ("你好，世界", "utf-16", "utf-16"),
        ("prices in € — “quoted”", "cp1252", "cp1252"),
        ("crème brûlée", "latin-1", "latin-1"),
        ("你好", "utf-8", "utf-8"),
    ],
)
def test_decode_bytes(text: str, codec: str, name: str) -> None:
    decoded = decode_bytes(text.encode(codec))
    assert (decoded.text, decoded.encoding) == (text, name)
    assert 0 < decoded.confidence <= 1


def test_single_lines_decode() -> None:
    lines = "第一行\n第二行：发展\nthird line\n".encode("gbk").split(b"\n")
    assert [decode_bytes(line).text for line in lines] == ["第一行", "第二行：发展", "third line", ""]


@pytest.mark.parametrize("data", [b"\x00\x81\x8d\x9d\x01", b"\x81\x00\x9d\x8f\x90\x81"])
def test_undecodable(data: bytes) -> None:
    with pytest.raises(InputError) as info:
        decode_bytes(data)
    assert info.value.code == "undecodable"


def test_explain_reports_codec() -> None:
    record = explain("加\u200b微信ｖｘ８８８".encode("gb18030"))
    assert (record["text"], record["encoding"]) == ("加微信vx888", "gb18030")  # U+200B: not GBK


@pytest.mark.parametrize(
    "text",
    ["こんにちは、世界", "日本語のテキストです。", "今日は良い天気ですね。散歩に行きましょう。",
     "カタカナ", "ラーメン"],
)
def test_shift_jis_is_detected(text: str) -> None:
    decoded = decode_bytes(text.encode("shift_jis"))
    assert (decoded.text, decoded.encoding) == (text, "shift_jis")


def test_utf8_bom_is_dropped() -> None:
    decoded = decode_bytes(b"\xef\xbb\xbf" + "你好".encode())
    assert (decoded.text, decoded.encoding) == ("你好", "utf-8")


def test_lenient_decoding_keeps_the_line() -> None:
    decoded = decode_bytes(b"\x00\x81\x8d\x9d\x01", lenient=True)
    assert (decoded.encoding, decoded.confidence) == ("undecodable", 0.0)
    assert "\ufffd" in decoded.text


def test_pipeline_event_and_dead_letter() -> None:
    value = '{"id": "7", "text": "国家统计局发布数据"}'.encode("gbk")
    outcome = process_message(value)
    assert outcome.kind == "clean"
    assert outcome.value["encoding"] == "gbk"
    assert outcome.value["text"] == "国家统计局发布数据"
    assert "encoding" in outcome.value["corruption"]["kinds"]
    raw = b'{"id": "8", "text": "\x81\x00\x9d\x8f"}'
    outcome = process_message(raw)
    assert (outcome.kind, outcome.error_code) == ("dlq", "undecodable")
    assert base64.b64decode(outcome.value["raw_b64"]) == raw
    orjson.dumps(outcome.value)


# --- obfuscation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("加\u200b微\u200c信", "加微信"),
        ("vi\u00adagra\u2060", "viagra"),
        ("\ufeff开头\u202e反转\x07", "开头反转"),
        ("家人👨\u200d👩\u200d👧", "家人👨\u200d👩\u200d👧"),  # emoji ZWJ sequence kept
        ("心❤\ufe0f和1\ufe0f\u20e3", "心❤\ufe0f和1\ufe0f\u20e3"),  # variation selectors kept
        ("a\ufe0fb\u200dc", "abc"),  # ... but not after a Latin letter
        ("🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"),
    ],
)
def test_invisible(text: str, clean: str) -> None:
    assert _fixed(invisible, text) == clean


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("加ｖｘ：ｗｅｉｘｉｎ１２３", "加vx：weixin123"),
        ("ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ", "www.example.com"),
        ("１，０００元，１２：３０见", "1,000元，12:30见"),
        ("你好，世界！（测试）\u3000「引号」", "你好，世界！（测试）\u3000「引号」"),
        ("价格：100元，折扣100％", "价格：100元，折扣100％"),
        ("１００％", "100%"),
    ],
)
def test_widths(text: str, clean: str) -> None:
    assert _fixed(widths, text) == clean


@pytest.mark.parametrize(
    ("text", "clean"),
    [("⻓城", "长城"), ("⼈民", "人民"), ("\u2e9f亲", "母亲"), ("\uf900子", "豈子"), ("长城", "长城")],
)
def test_radicals(text: str, clean: str) -> None:
    assert _fixed(radicals, text) == clean


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("buy vіagra now", "buy viagra now"),  # Cyrillic і
        ("pаypаl账号", "paypal账号"),  # Cyrillic а
        ("cαsinο", "casino"),  # Greek α, ο
        ("Привет, как дела?", "Привет, как дела?"),
        ("Καλημέρα κόσμε", "Καλημέρα κόσμε"),
        ("α粒子和β射线", "α粒子和β射线"),
        ("vіаgrд", "vіаgrд"),  # д has no Latin look-alike: not a disguised Latin word
    ],
)
def test_homoglyphs(text: str, clean: str) -> None:
    assert _fixed(homoglyphs, text) == clean


def test_kinds_name_the_fixers() -> None:
    repair = repair_text("加\u200bｖｘ⻓城vіagra", fixers=ENCODING_FIXERS)
    assert repair.text == "加vx长城viagra"
    assert set(repair.kinds) == {"invisible", "fullwidth", "radical", "homoglyph"}
    assert apply_edits(repair.original, repair.edits) == repair.text


# --- normalized -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "matching"),
    [
        ("加-微-信", "加微信"),
        ("加 微 信，ok", "加微信,ok"),
        ("加.微.信", "加微信"),
        ("臺灣發展", "台湾发展"),
        ("VX①②③", "vx123"),
        ("❶❷号", "12号"),
        ("ⓥⓘⓐ𝐠𝐫𝐚", "viagra"),
        ("你好，世界", "你好世界"),
        ("Hello World", "hello world"),
        ("加\u200b微信", "加微信"),
    ],
)
def test_normalize(text: str, matching: str) -> None:
    assert normalize(text).text == matching


def test_normalized_match_maps_back() -> None:
    text = "请加-微-信：abc123"
    normalized = normalize(text)
    start = normalized.text.index("加微信")
    assert normalized.source_span(start, start + 3) == (1, 6)
    assert text[slice(*normalized.find("加微信"))] == "加-微-信"
    assert normalized.find("没有") is None
    event = process_message(orjson.dumps({"id": "1", "text": "臺灣加-微-信"}))
    assert event.value["normalized"] == "台湾加微信"
