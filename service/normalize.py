"""The matching form of a text: what keyword filters match on, with a map back to the source.

``normalize(text)`` produces, character by character (so every output character knows the
source character it came from):

1. invisible characters (zero-width, soft hyphen, BOM, bidi controls …) removed;
2. compatibility variants folded (NFKC of one character: full-width, circled and mathematical
   letters, ligatures, Kangxi radicals, compatibility ideographs), radicals supplement mapped,
   other variant digits (``❶``, ``➀``) to ASCII digits;
3. lower case;
4. Traditional → Simplified (:func:`to_simplified`: OpenCC ``t2s`` one character for one);
5. separators, punctuation and symbols between two CJK characters removed
   (``加-微-信`` / ``加 微 信`` / ``加，微，信`` → ``加微信``).

``Normalized.source_span(start, end)`` maps a match in the normalized text back to the source.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from service.fixers import invisible, radicals

__all__ = ["Normalized", "normalize", "to_simplified"]


@dataclass(frozen=True, slots=True)
class Normalized:
    """The matching form of a text and, per character, its offset in the source text."""

    text: str
    offsets: list[int]

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """Map ``normalized[start:end]`` back to a span of the source text."""
        if start >= end:
            position = self.offsets[start] if start < len(self.offsets) else _end(self.offsets)
            return position, position
        return self.offsets[start], self.offsets[end - 1] + 1

    def find(self, needle: str, start: int = 0) -> tuple[int, int] | None:
        """The source span of the first match of (already normalized) ``needle``, or ``None``."""
        index = self.text.find(needle, start)
        if index < 0 or not needle:
            return None
        return self.source_span(index, index + len(needle))


def _end(offsets: list[int]) -> int:
    return offsets[-1] + 1 if offsets else 0


# Characters OpenCC maps although they are also ordinary Simplified characters (乾县, 於 as a name).
_KEEP_AS_IS = frozenset("乾於拚")


@cache
def _t2s_table() -> tuple[dict[int, str], frozenset[str]]:
    """OpenCC ``t2s`` as a one-character-for-one table over the basic CJK block, and its keys."""
    import opencc

    converter = opencc.OpenCC("t2s")
    chars = [chr(cp) for cp in range(0x4E00, 0xA000)]
    simplified = converter.convert("\n".join(chars)).split("\n")
    table = {
        ord(t): s
        for t, s in zip(chars, simplified, strict=True)
        if len(s) == 1 and s != t and t not in _KEEP_AS_IS
    }
    return table, frozenset(chr(cp) for cp in table)


def to_simplified(text: str) -> str:
    """``text`` with Traditional-only characters replaced by their Simplified form.

    The one Traditional → Simplified converter of the service (the matching form here and the
    tagger both use it).  One character for one, so offsets into ``text`` stay valid; characters
    that are also ordinary Simplified characters (乾, 於, 拚) are kept; ``text`` itself is
    returned when nothing changes.
    """
    table, traditional = _t2s_table()
    if traditional.isdisjoint(text):
        return text
    return text.translate(table)


_CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")


@cache
def _fold(ch: str) -> str:
    """Per-character fold: compatibility form, radical, variant digit, lower case."""
    if ch in radicals.TABLE:
        return radicals.TABLE[ch]
    cp = ord(ch)
    if cp >= 0x80:
        category = unicodedata.category(ch)
        if category in ("No", "Nd") and not _CJK.match(ch):
            value = unicodedata.numeric(ch, None)
            if value is not None and value == int(value) and 0 <= value <= 50:
                return str(int(value))
        if unicodedata.decomposition(ch).startswith("<"):
            folded = unicodedata.normalize("NFKC", ch)
            if folded.isprintable() or folded == " ":
                ch = folded
    lowered = ch.lower()
    return lowered if len(lowered) == len(ch) else ch


@cache
def _separator(ch: str) -> bool:
    """Punctuation, symbols and spaces that may be wedged between CJK characters."""
    return unicodedata.category(ch)[0] in "PSZ" or ch in "\t"


# Characters that fold to themselves (ASCII other than capitals and controls, common
# ideographs): copied in runs.  Everything else goes through :func:`_fold` one by one.
_OTHER = re.compile("[^\x20-\x40\x5b-\x7e\n\u3400-\u9fff]")
_CJK_CLASS = "\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
_BETWEEN_CJK = re.compile(f"(?<=[{_CJK_CLASS}])[^{_CJK_CLASS}\\w]+(?=[{_CJK_CLASS}])")


def normalize(text: str) -> Normalized:
    """The matching form of ``text`` (see the module docstring)."""
    drop = set(invisible.removable(text)) if invisible.detect(text) else set()
    pieces: list[str] = []
    offsets: list[int] = []
    position = 0
    for match in _OTHER.finditer(text):
        index = match.start()
        if index > position:
            pieces.append(text[position:index])
            offsets.extend(range(position, index))
        position = index + 1
        if index in drop:
            continue
        folded = _fold(match.group())
        pieces.append(folded)
        offsets.extend([index] * len(folded))
    if position < len(text):
        pieces.append(text[position:])
        offsets.extend(range(position, len(text)))
    folded_text = "".join(pieces)
    folded_text = to_simplified(folded_text)  # one for one: the alignment is kept
    # Drop separators between two CJK characters.
    gaps = [
        match.span()
        for match in _BETWEEN_CJK.finditer(folded_text)
        if all(_separator(ch) for ch in match.group())
    ]
    if gaps:
        kept_text: list[str] = []
        kept_offsets: list[int] = []
        position = 0
        for lo, hi in gaps:
            kept_text.append(folded_text[position:lo])
            kept_offsets.extend(offsets[position:lo])
            position = hi
        kept_text.append(folded_text[position:])
        kept_offsets.extend(offsets[position:])
        folded_text, offsets = "".join(kept_text), kept_offsets
    return Normalized(folded_text, offsets)
