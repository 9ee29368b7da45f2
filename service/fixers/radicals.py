"""Radicals and compatibility ideographs used in place of ordinary hanzi (``⻓城`` → ``长城``).

Maps Kangxi radicals (U+2F00–U+2FD5), CJK Radicals Supplement (U+2E80–U+2EF3) and CJK
compatibility ideographs (U+F900–, U+2F800–) to the unified ideograph they stand for; table
``service/data/unicode/radicals.tsv`` (Unicode EquivalentUnifiedIdeograph.txt and NFC).
"""

from __future__ import annotations

import re
from pathlib import Path

from service.edits import Edit
from service.fixers import FixResult
from service.fixers.textmodel import char_class

KIND = "radical"
DATA = Path(__file__).resolve().parent.parent / "data" / "unicode"


def _load() -> dict[str, str]:
    table = {}
    for line in (DATA / "radicals.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            src, dst = line.split("\t")[:2]
            table[src] = dst
    return table


TABLE = _load()
_DETECT = re.compile(char_class("".join(TABLE)))


def detect(text: str) -> bool:
    """Any radical or compatibility ideograph?"""
    return _DETECT.search(text) is not None


def fix(text: str) -> FixResult:
    """Replace each radical/compatibility ideograph by its unified ideograph."""
    edits = [
        Edit(m.start(), m.end(), m.group(), TABLE[m.group()], KIND) for m in _DETECT.finditer(text)
    ]
    score = min(1.0, 0.5 + 0.1 * len(edits)) if edits else 0.0
    return FixResult(edits, score, (KIND,) if edits else ())
