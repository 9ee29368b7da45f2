"""The reverse substitution lexicon (spun form → candidate originals), loaded once per process."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

LEXICON_PATH = Path(__file__).resolve().parents[1] / "data" / "spun" / "lexicon.tsv"
COLUMNS = (
    "spun",
    "original",
    "level",
    "variant",
    "prior",
    "source",
    "f_spun",
    "f_orig",
    "jieba_spun",
)
SOURCES = ("seed-dev", "spinner", "mined", "antonym", "thesaurus")
LEVELS = ("char", "word")
VARIANTS = ("news", "tech", "both")
# Sources whose entries a spinner of this family applies forward (the synthetic spinner's table).
FORWARD_SOURCES = ("seed-dev", "spinner", "antonym")


@dataclass(frozen=True, slots=True)
class Entry:
    """One substitution: a spinner turned ``original`` into ``spun``."""

    spun: str
    original: str
    level: str
    variant: str
    prior: float
    source: str
    f_spun: float  # occurrences per million characters of clean text
    f_orig: float
    jieba_spun: int  # jieba dictionary frequency of the spun form (0: not a word)

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(self.source.split("+"))


def parse(text: str) -> list[Entry]:
    """Parse the TSV text; raises ``ValueError`` on a malformed row."""
    lines = text.splitlines()
    if not lines or tuple(lines[0].split("\t")) != COLUMNS:
        raise ValueError("lexicon header does not match the schema")
    entries = []
    for number, line in enumerate(lines[1:], start=2):
        if not line:
            continue
        cols = line.split("\t")
        if len(cols) != len(COLUMNS):
            raise ValueError(f"line {number}: {len(cols)} columns")
        spun, orig, level, variant, prior, source, f_spun, f_orig, jieba_spun = cols
        if not spun or not orig or spun == orig:
            raise ValueError(f"line {number}: empty or identical forms")
        if level not in LEVELS or variant not in VARIANTS:
            raise ValueError(f"line {number}: bad level/variant")
        if not all(s in SOURCES for s in source.split("+")):
            raise ValueError(f"line {number}: unknown source {source!r}")
        p = float(prior)
        if not 0.0 < p <= 1.0:
            raise ValueError(f"line {number}: prior out of range")
        entries.append(
            Entry(
                spun, orig, level, variant, p, source, float(f_spun), float(f_orig), int(jieba_spun)
            )
        )
    return entries


_lock = threading.Lock()
_entries: list[Entry] | None = None


def entries() -> list[Entry]:
    """All lexicon entries (cached)."""
    global _entries
    if _entries is None:
        with _lock:
            if _entries is None:
                _entries = parse(LEXICON_PATH.read_text("utf-8"))
    return _entries
