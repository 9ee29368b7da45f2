"""Build the encoding test corpus ``tests/data/encoding/corpus.jsonl`` from the seed paragraphs.

Run as ``python -m service.build.unicode_corpus``.  Every case is generated deterministically
(fixed seed) from ``tests/data/encoding/seeds_zh.txt`` / ``seeds_other.txt`` by damaging a window
of a clean paragraph in one way; the line records the damaged input (text, or bytes as base64),
the clean text it must be restored to and, for bytes, the codec that must be reported.  Negative
classes (``clean-*``) must come back unchanged.
"""

from __future__ import annotations

import argparse
import base64
import codecs
import json
import random
import unicodedata
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "tests" / "data" / "encoding"
OUT = SEEDS / "corpus.jsonl"
PER_CLASS = 300

_UNDEFINED_1252 = (0x81, 0x8D, 0x8F, 0x90, 0x9D)


def sloppy_cp1252(data: bytes) -> str:
    """cp1252, passing its five undefined bytes through as U+0081… (what ftfy calls sloppy)."""
    return "".join(chr(b) if b in _UNDEFINED_1252 else bytes([b]).decode("cp1252") for b in data)


def _round_trip(codec: str) -> Callable[[str], str]:
    def damage(text: str) -> str:
        return text.encode("utf-8").decode(codec)

    return damage


MOJIBAKE: dict[str, Callable[[str], str]] = {
    "utf8-as-gbk": _round_trip("gbk"),
    "utf8-as-gb18030": _round_trip("gb18030"),
    "utf8-as-cp1252": _round_trip("cp1252"),
    "utf8-as-sloppy-cp1252": lambda t: sloppy_cp1252(t.encode("utf-8")),
    "utf8-as-latin1": _round_trip("latin-1"),
    "gbk-as-latin1": lambda t: t.encode("gbk").decode("latin-1"),
    "gbk-as-cp1252": lambda t: t.encode("gbk").decode("cp1252"),
    "double-utf8-as-gbk": lambda t: t.encode("utf-8").decode("gbk").encode("utf-8").decode("gbk"),
    "double-utf8-as-cp1252": lambda t: sloppy_cp1252(sloppy_cp1252(t.encode()).encode()),
    "utf8-as-gbk-then-cp1252": lambda t: sloppy_cp1252(t.encode().decode("gbk").encode()),
}

INVISIBLES = "\u200b\u200c\u200d\u2060\u00ad\ufeff\u200e\u200f\u202e\u2062\u180e\x07\x1b"
KEYWORDS = ["weixin", "vx123456", "qq88888", "www.example.com", "viagra", "casino", "telegram",
            "paypal", "bitcoin", "whatsapp"]
CLEAN_EXTRA = [
    "iPhone没电了，QQ群里说A股今天涨了。",
    "我买了一件T恤，花了99元。",
    "价格：100元，折扣100％以内，「限时」抢购！",
    "他的名字叫José，住在München。",
    "版权所有©2024，保留所有权利。",
    "家人👨\u200d👩\u200d👧\u200d👦一起去旅行✈\ufe0f，心情❤\ufe0f很好。",
    "按键1\ufe0f\u20e3和#\ufe0f\u20e3，国旗🇨🇳，英格兰🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f。",
    "第一章\u3000总则",
    "Привет, как дела? 你好！",
    "Αθήνα和北京都是历史名城。",
    "马克·吐温的小说很有趣。",
    "C++和Python都是编程语言，α粒子和β射线。",
    "温度是25°C，湿度60%。",
    "“引号”和‘单引号’——破折号……省略号",
]


def _windows(rng: random.Random, paragraphs: list[str], low: int, high: int) -> str:
    text = rng.choice(paragraphs)
    size = rng.randint(low, min(high, len(text)))
    start = rng.randint(0, len(text) - size)
    return text[start : start + size]


def _radical_sources() -> dict[str, list[str]]:
    from service.fixers import radicals

    reverse: dict[str, list[str]] = {}
    for src, dst in radicals.TABLE.items():
        reverse.setdefault(dst, []).append(src)
    return reverse


def _anchor_words() -> list[str]:
    """Real Chinese words that trip the mojibake anchor (they must stay untouched)."""
    import jieba

    from service.fixers import mojibake

    words = []
    with (Path(jieba.__file__).parent / "dict.txt").open(encoding="utf-8") as handle:
        for line in handle:
            word, freq = line.split()[:2]
            if int(freq) >= 200 and len(word) >= 2 and mojibake._ANCHOR.search(word):
                words.append(word)
    return words


def build(rng: random.Random) -> list[dict]:
    zh = [line.strip() for line in (SEEDS / "seeds_zh.txt").read_text("utf-8").splitlines() if line.strip()]
    other = [line.strip() for line in (SEEDS / "seeds_other.txt").read_text("utf-8").splitlines() if line.strip()]
    cases: list[dict] = []
    import opencc

    s2tw = opencc.OpenCC("s2tw")
    codec_of: dict[str, Callable[[bytes], str]] = {}
    nobom: dict[bytes, str] = {}

    def add(cls: str, make: Callable[[], tuple[object, str] | None]) -> None:
        seen: set[str] = set()
        attempts = 0
        while len(seen) < PER_CLASS and attempts < PER_CLASS * 40:
            attempts += 1
            made = make()
            if made is None:
                continue
            damaged, expected = made
            case: dict = {"class": cls, "expected": expected}
            if isinstance(damaged, bytes):
                case["input_b64"] = base64.b64encode(damaged).decode("ascii")
                case["encoding"] = codec_of[cls](damaged)
                key = case["input_b64"]
            else:
                case["input"] = damaged
                key = damaged
            if key in seen:
                continue
            seen.add(key)
            cases.append(case)

    for name, damage in MOJIBAKE.items():
        pool = zh if "gbk" in name or "gb18030" in name else other + zh

        def make(damage=damage, pool=pool, name=name) -> tuple[str, str] | None:
            clean = _windows(rng, pool, 4, 40)
            if name.startswith("utf8-as-gbk") or "double-utf8-as-gbk" in name or "gb18030" in name:
                if not any(ord(ch) > 0x2FFF for ch in clean):
                    return None  # Latin through GBK is ambiguous with real hanzi (see README)
            try:
                damaged = damage(clean)
            except (UnicodeDecodeError, UnicodeEncodeError):
                return None
            return (damaged, clean) if damaged != clean else None

        add(name, make)

    def replaced() -> tuple[str, str] | None:
        """UTF-8 read as GBK with errors="replace": each lost character restored as U+FFFD."""
        clean = _windows(rng, zh, 4, 40)
        data = clean.encode("utf-8")
        lost_bytes: list[int] = []

        def record(exc: UnicodeError) -> tuple[str, int]:
            assert isinstance(exc, UnicodeDecodeError)
            lost_bytes.extend(range(exc.start, exc.end))
            return "\ufffd", exc.end

        codecs.register_error("qingliu-corpus-record", record)
        damaged = data.decode("gbk", "qingliu-corpus-record")
        if not lost_bytes:
            return None
        starts = []
        position = 0
        for ch in clean:
            starts.append(position)
            position += len(ch.encode("utf-8"))
        owner = {b: k for k, at in enumerate(starts) for b in range(at, at + len(clean[k].encode()))}
        gone = {owner[b] for b in lost_bytes}
        expected = "".join("\ufffd" if k in gone else ch for k, ch in enumerate(clean))
        return damaged, expected

    add("utf8-as-gbk-replaced", replaced)

    def partial() -> tuple[str, str] | None:
        text = rng.choice(zh)
        if len(text) < 12:
            return None
        a = rng.randint(0, len(text) - 8)
        b = rng.randint(a + 4, min(len(text), a + 20))
        name = rng.choice(list(MOJIBAKE))
        try:
            middle = MOJIBAKE[name](text[a:b])
        except (UnicodeDecodeError, UnicodeEncodeError):
            return None
        return text[:a] + middle + text[b:], text

    add("partial-line", partial)

    for cls, codec, pool in (
        ("raw-gbk", "gbk", zh),
        ("raw-gb18030", "gb18030", zh),
        ("raw-big5", "big5", zh),
        ("raw-utf16", "utf-16", zh + other),
        ("raw-utf16-nobom", "utf-16", zh + other),
        ("raw-cp1252", "cp1252", other[:4] + other[6:]),
        ("raw-latin1", "latin-1", other[:2] + other[3:4] + other[6:7]),
    ):

        def make_raw(codec=codec, pool=pool, cls=cls) -> tuple[bytes, str] | None:
            clean = _windows(rng, pool, 6, 60)
            if cls == "raw-gb18030":
                clean = clean[: len(clean) // 2] + rng.choice("𠮷😀€䶮") + clean[len(clean) // 2 :]
            if cls == "raw-big5":
                clean = s2tw.convert(clean)
            if cls.startswith("raw-utf16"):
                little = rng.random() < 0.5
                bom = b"\xff\xfe" if little else b"\xfe\xff"
                data = clean.encode("utf-16-le" if little else "utf-16-be")
                if cls == "raw-utf16":
                    data = bom + data
                else:
                    nobom[data] = "utf-16le" if little else "utf-16be"
            else:
                try:
                    data = clean.encode(codec)
                except UnicodeEncodeError:
                    return None
            try:
                data.decode("utf-8")
                return None  # plain ASCII: nothing to detect
            except UnicodeDecodeError:
                return data, clean

        def expected_codec(data: bytes, cls: str = cls) -> str:
            if cls == "raw-gb18030":
                try:
                    data.decode("gbk")
                    return "gbk"
                except UnicodeDecodeError:
                    return "gb18030"
            if cls in ("raw-cp1252", "raw-latin1"):
                return "cp1252" if any(0x80 <= b < 0xA0 for b in data) else "latin-1"
            if cls == "raw-utf16-nobom":
                return nobom[data]
            return {"raw-gbk": "gbk", "raw-big5": "big5", "raw-utf16": "utf-16"}[cls]

        codec_of[cls] = expected_codec

        add(cls, make_raw)

    def invisible() -> tuple[str, str]:
        clean = _windows(rng, zh, 4, 40)
        chars = list(clean)
        for _ in range(rng.randint(1, 4)):
            at = rng.randint(1, len(chars) - 1) if len(chars) > 1 else 0
            chars.insert(at, rng.choice(INVISIBLES))
        return "".join(chars), clean

    add("invisible", invisible)

    def fullwidth() -> tuple[str, str]:
        word = rng.choice(KEYWORDS)
        wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in word)
        text = _windows(rng, zh, 4, 20)
        at = rng.randint(0, len(text))
        return text[:at] + wide + text[at:], text[:at] + word + text[at:]

    add("fullwidth", fullwidth)

    reverse = _radical_sources()

    def radical() -> tuple[str, str] | None:
        clean = _windows(rng, zh, 4, 40)
        spots = [i for i, ch in enumerate(clean) if ch in reverse]
        if not spots:
            return None
        chars = list(clean)
        for i in rng.sample(spots, min(len(spots), rng.randint(1, 3))):
            chars[i] = rng.choice(reverse[clean[i]])
        return "".join(chars), clean

    add("radical", radical)

    from service.fixers import homoglyphs

    reverse_glyphs: dict[str, list[str]] = {}
    for src, dst in homoglyphs.TABLE.items():
        reverse_glyphs.setdefault(dst, []).append(src)

    def homoglyph() -> tuple[str, str] | None:
        word = rng.choice([w for w in KEYWORDS if w.isalpha()])
        spots = [i for i, ch in enumerate(word) if ch in reverse_glyphs]
        if len(spots) < 2:
            return None
        chars = list(word)
        for i in rng.sample(spots, rng.randint(1, len(spots) - 1)):
            chars[i] = rng.choice(reverse_glyphs[word[i]])
        text = _windows(rng, zh, 4, 20)
        at = rng.randint(0, len(text))
        sep = rng.choice(["", " "])
        return text[:at] + sep + "".join(chars) + sep + text[at:], text[:at] + sep + word + sep + text[at:]

    add("homoglyph", homoglyph)

    def clean_zh() -> tuple[str, str]:
        text = _windows(rng, zh, 2, 80)
        return text, text

    add("clean-chinese", clean_zh)

    def clean_other() -> tuple[str, str]:
        if rng.random() < 0.5:  # whole lines: a window could cut an emoji sequence
            text = rng.choice(CLEAN_EXTRA)
            cut = rng.randint(0, len(text) // 2)
            while cut and not text[cut - 1].isascii() and unicodedata.category(text[cut - 1]) != "Lo":
                cut -= 1
            text = text[cut:] if unicodedata.category(text[cut : cut + 1] or "a") == "Lo" else text
        else:
            text = _windows(rng, other, 2, 80)
        return text, text

    add("clean-mixed", clean_other)
    anchors = _anchor_words()

    def clean_lookalike() -> tuple[str, str]:
        text = _windows(rng, zh, 2, 30)
        at = rng.randint(0, len(text))
        words = "".join(rng.sample(anchors, rng.randint(1, 2)))
        text = text[:at] + words + text[at:]
        return text, text

    add("clean-mojibake-lookalike", clean_lookalike)
    return cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--seed", type=int, default=20261127)
    args = parser.parse_args(argv)
    cases = build(random.Random(args.seed))
    with args.out.open("w", encoding="utf-8") as handle:
        for case in cases:
            handle.write(json.dumps(case, ensure_ascii=False) + "\n")
    counts: dict[str, int] = {}
    for case in cases:
        counts[case["class"]] = counts.get(case["class"], 0) + 1
    print(f"wrote {len(cases)} cases to {args.out}")
    for name, count in counts.items():
        print(f"  {name:28} {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
