"""A small plausibility model of text, shared by the decoder and the mojibake fixer.

The cost of a character is roughly ``-log10`` of how often it occurs in Chinese (or mixed
Chinese/Latin) posts: common hanzi cost ~2–4, rare hanzi 5–8, characters that almost only appear
in codec damage (C1 controls, private use, U+FFFD, box drawing) 8–12.  Comparing the summed cost of
two readings of the same bytes tells which reading is the more plausible text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "unicode"

UNKNOWN_CJK = 8.5
_CJK_PUNCT = set("，。、；：？！（）「」『』《》〈〉【】〔〕“”‘’…—～·　〃々〇")
_COMMON_PUNCT = set("‘’“”–—…•€™°±×÷·")


def _load_costs() -> dict[str, float]:
    costs: dict[str, float] = {}
    with (DATA / "char_cost.tsv").open(encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            ch, _, cost = line.rstrip("\n").partition("\t")
            costs[ch] = float(cost)
    return costs


CJK_COSTS = _load_costs()


def is_cjk(ch: str) -> bool:
    """A CJK unified or compatibility ideograph."""
    cp = ord(ch)
    return 0x3400 <= cp <= 0x9FFF or 0x20000 <= cp <= 0x3FFFF or 0xF900 <= cp <= 0xFAFF


@cache
def char_cost(ch: str) -> float:
    """The context-free cost of one character."""
    cost = CJK_COSTS.get(ch)
    if cost is not None:
        return cost
    cp = ord(ch)
    if cp < 0x80:
        return 1.0 if (0x20 <= cp < 0x7F or ch in "\t\n\r") else 10.0
    if ch in _CJK_PUNCT:
        return 2.0
    if ch in _COMMON_PUNCT:
        return 2.5
    if is_cjk(ch):  # not in the dictionary: rarer still outside the basic block
        return UNKNOWN_CJK if cp <= 0x9FFF and cp >= 0x4E00 else UNKNOWN_CJK + 1.5
    if cp == 0xFFFD:
        return 10.0
    category = unicodedata.category(ch)
    if category in ("Cc", "Co", "Cs", "Cn"):
        return 12.0 if category == "Cn" else 10.0
    if cp <= 0x24F:  # Latin-1 supplement and Latin extended A/B
        # Outside a Latin word (where callers make them cheap) accented letters are rare here.
        if category == "Ll":
            return 4.5 if cp <= 0xFF else 5.5
        if category == "Lu":
            return 5.0 if cp <= 0xFF else 6.0
        return 5.0
    if 0x1F000 <= cp <= 0x1FAFF:
        return 3.5  # emoji
    if 0x2600 <= cp <= 0x27BF:
        return 5.0  # symbols and dingbats
    if 0x0370 <= cp <= 0x052F:
        return 5.0  # Greek and Cyrillic
    if 0x3040 <= cp <= 0x30FF:
        return 5.5  # kana
    if 0xAC00 <= cp <= 0xD7A3:
        return 8.0  # Hangul: in this feed more often UTF-8 misread than Korean
    if 0xFF01 <= cp <= 0xFF5E:
        return 5.0
    if 0x2500 <= cp <= 0x25FF or 0xE000 <= cp <= 0xF8FF:
        return 7.0
    return 7.0


def text_cost(text: str) -> float:
    """The summed context-free cost of ``text``."""
    return sum(char_cost(ch) for ch in text)


_LATIN_WORD = re.compile("[A-Za-z\u00c0-\u024f]+")


def in_latin_words(text: str) -> set[int]:
    """Offsets of the non-ASCII Latin letters that sit in a word with two or more ASCII letters
    (``café``, ``Müßig``): there they are ordinary spelling, not codec damage."""
    found: set[int] = set()
    for match in _LATIN_WORD.finditer(text):
        word = match.group()
        if word.isascii() or sum(1 for ch in word if ch.isascii()) < 2:
            continue
        found.update(match.start() + k for k, ch in enumerate(word) if not ch.isascii())
    return found


def char_class(chars: str) -> str:
    """A regex character class for ``chars``, consecutive code points as ranges (fast to match)."""
    points = sorted({ord(ch) for ch in chars})
    parts: list[str] = []
    k = 0
    while k < len(points):
        end = k
        while end + 1 < len(points) and points[end + 1] == points[end] + 1:
            end += 1
        lo, hi = chr(points[k]), chr(points[end])
        parts.append(re.escape(lo) if k == end else f"{re.escape(lo)}-{re.escape(hi)}")
        k = end + 1
    return "[" + "".join(parts) + "]"

