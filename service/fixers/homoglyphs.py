"""Cyrillic and Greek look-alikes inside Latin words (``vіagra`` with a Cyrillic і → ``viagra``).

A word (a run of Latin, Greek and Cyrillic letters and combining marks) is folded only when it has
at least one Latin letter and every Greek or Cyrillic letter in it has a Latin look-alike
(table ``service/data/unicode/homoglyphs.tsv``, from Unicode's confusables).  Words with no Latin
letter — genuine Russian or Greek — are never touched.
"""

from __future__ import annotations

import re
from pathlib import Path

from service.edits import Edit
from service.fixers import FixResult

KIND = "homoglyph"
DATA = Path(__file__).resolve().parent.parent / "data" / "unicode"


def _load() -> dict[str, str]:
    table = {}
    for line in (DATA / "homoglyphs.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            src, dst = line.split("\t")[:2]
            table[src] = dst
    return table


TABLE = _load()
_LETTER = "A-Za-z\u00c0-\u024f\u0300-\u036f\u0370-\u03ff\u0400-\u052f\u1d00-\u1dbf\u1f00-\u1fff\ua640-\ua69f"
# A Cyrillic/Greek letter touching a Latin one, in either order: the cheap pre-check.  Written to
# begin with the Cyrillic/Greek class (the Latin letter after it, or before it by a lookbehind), so
# that the search skips to those letters, which are rare, instead of trying two branches at every
# character.
_LATIN_LETTER = "[A-Za-z\u00c0-\u024f]"
_FOREIGN_LETTER = "[\u0370-\u052f\u1d00-\u1dbf\u1f00-\u1fff\ua640-\ua69f]"
_DETECT = re.compile(
    _FOREIGN_LETTER + "(?:(?<=" + _LATIN_LETTER + _FOREIGN_LETTER + ")|(?=" + _LATIN_LETTER + "))"
)
_WORD = re.compile(f"[{_LETTER}]+")


def detect(text: str) -> bool:
    """A Greek or Cyrillic letter next to a Latin one?"""
    return _DETECT.search(text) is not None


def _latin(ch: str) -> bool:
    return ch.isascii() or 0xC0 <= ord(ch) <= 0x24F


def fix(text: str) -> FixResult:
    """Fold look-alikes in mixed-script words whose other letters are Latin."""
    edits: list[Edit] = []
    for match in _WORD.finditer(text):
        word = match.group()
        if not any(_latin(ch) and ch.isalpha() for ch in word):
            continue
        foreign = [
            k for k, ch in enumerate(word) if ch.isalpha() and not _latin(ch)
        ]
        if not foreign or any(word[k] not in TABLE for k in foreign):
            continue
        for k in foreign:
            at = match.start() + k
            edits.append(Edit(at, at + 1, word[k], TABLE[word[k]], KIND))
    score = min(1.0, 0.5 + 0.1 * len(edits)) if edits else 0.0
    return FixResult(edits, score, (KIND,) if edits else ())
