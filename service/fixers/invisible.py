"""Invisible characters that hide words from keyword filters.

Removed: zero-width space/non-joiner/joiner, word joiner and invisible operators, soft hyphen,
BOM/ZWNBSP, bidirectional controls, Hangul fillers, other Default_Ignorable code points, and C0/C1
control characters other than tab, line feed and carriage return.  Kept: ZWJ inside an emoji ZWJ
sequence, variation selectors after a base they can belong to (an emoji or symbol, an ideograph,
a keycap digit, a Mongolian letter), emoji tag sequences, and ZWNJ between letters of scripts
that use it (Arabic, Persian, Indic).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

from service.edits import Edit
from service.fixers import FixResult

KIND = "invisible"
DATA = Path(__file__).resolve().parent.parent / "data" / "unicode"

ZWJ = "\u200d"
ZWNJ = "\u200c"
KEYCAP = "\u20e3"


def _ranges(name: str) -> list[tuple[int, int]]:
    out = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            lo, hi = line.split("\t")
            out.append((int(lo, 16), int(hi, 16)))
    return out


def _class(ranges: list[tuple[int, int]]) -> str:
    return "".join(
        re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}"
        for lo, hi in ranges
    )


_IGNORABLE = _ranges("default_ignorable.tsv")
_PICTOGRAPHIC = _ranges("pictographic.tsv")
SUSPECT = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e" + _class(_IGNORABLE) + "]"
)
# The same class without its code points beyond the BMP, for text that has none (most text): a
# class of BMP characters alone is a bitmap test per character, several times faster to scan.
SUSPECT_BMP = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e"
    + _class([(lo, min(hi, 0xFFFF)) for lo, hi in _IGNORABLE if lo <= 0xFFFF])
    + "]"
)
ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_PICTO = re.compile(
    "[" + _class(_PICTOGRAPHIC) + "\U0001f1e6-\U0001f1ff\U0001f3fb-\U0001f3ff\u20e3]"
)


def detect(text: str) -> bool:
    """Any control, format or default-ignorable character?  One regex search (two for text
    with characters beyond the BMP)."""
    return _suspect(text).search(text) is not None


def _suspect(text: str) -> re.Pattern[str]:
    """:data:`SUSPECT`, or its BMP part where ``text`` has no character beyond the BMP."""
    return SUSPECT if ASTRAL.search(text) is not None else SUSPECT_BMP


@cache
def _is_picto(ch: str) -> bool:
    return _PICTO.match(ch) is not None


def _emoji_before(text: str, index: int) -> bool:
    """Is the character before ``index`` (skipping modifiers and VS) part of an emoji?"""
    j = index - 1
    while j >= 0 and (text[j] in "\ufe0f\ufe0e" or "\U0001f3fb" <= text[j] <= "\U0001f3ff"):
        j -= 1
    return j >= 0 and _is_picto(text[j])


def _joining_script(ch: str) -> bool:
    cp = ord(ch)
    return ch.isalpha() and (0x0600 <= cp <= 0x08FF or 0x0900 <= cp <= 0x0DFF)


def _keep(text: str, index: int) -> bool:
    ch = text[index]
    cp = ord(ch)
    prev = text[index - 1] if index else ""
    nxt = text[index + 1] if index + 1 < len(text) else ""
    if ch == ZWJ:
        return _emoji_before(text, index) and bool(nxt) and _is_picto(nxt)
    if ch == ZWNJ:
        return bool(prev) and bool(nxt) and _joining_script(prev) and _joining_script(nxt)
    if 0xFE00 <= cp <= 0xFE0F:  # VS1–VS16
        if not prev or prev in "\ufe0e\ufe0f":
            return False
        if _is_picto(prev) or nxt == KEYCAP:
            return True
        category = unicodedata.category(prev)
        return unicodedata.east_asian_width(prev) in ("W", "F") or category in ("So", "Sm")
    if 0xE0100 <= cp <= 0xE01EF:  # ideographic variation selectors
        return bool(prev) and unicodedata.name(prev, "").startswith("CJK")
    if 0x180B <= cp <= 0x180F:  # Mongolian free variation selectors
        return bool(prev) and 0x1800 <= ord(prev) <= 0x18AF
    if 0xE0020 <= cp <= 0xE007F:  # emoji tag sequence (subdivision flags)
        j = index - 1
        while j >= 0 and 0xE0020 <= ord(text[j]) <= 0xE007E:
            j -= 1
        return j >= 0 and text[j] == "\U0001f3f4"
    return False


def removable(text: str) -> list[int]:
    """Offsets of the characters :func:`fix` deletes."""
    return [m.start() for m in _suspect(text).finditer(text) if not _keep(text, m.start())]


def fix(text: str) -> FixResult:
    """Delete every invisible character that is not part of a sequence it belongs to."""
    edits: list[Edit] = []
    for index in removable(text):
        if edits and edits[-1].end == index:
            last = edits[-1]
            edits[-1] = Edit(last.start, index + 1, last.before + text[index], "", KIND)
        else:
            edits.append(Edit(index, index + 1, text[index], "", KIND))
    score = min(1.0, 0.5 + 0.1 * len(edits)) if edits else 0.0
    return FixResult(edits, score, (KIND,) if edits else ())
