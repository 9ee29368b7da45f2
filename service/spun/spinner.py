"""A synthetic spinner: applies the lexicon forward (original → spun form) like 伪原创 tools.

Like the real tools it works on one post at a time with a fixed table: every word (longest match
first) or, outside matched words, every character that has a spun form is replaced, each
occurrence with probability ``rate``.  Which spun form an original gets (when the table offers
several) is drawn once per original from ``seed``, so a post is spun consistently.
"""

from __future__ import annotations

import random
import re
import zlib
from functools import lru_cache
from pathlib import Path

from service.spun.lexicon import FORWARD_SOURCES, entries

__all__ = ["read_table", "spin", "spin_with_table", "table"]


@lru_cache(maxsize=4)
def table(variant: str = "news") -> tuple[dict[str, tuple[str, ...]], re.Pattern[str]]:
    """Forward table ``original → spun forms`` for ``variant`` and a longest-match pattern."""
    if variant not in ("news", "tech"):
        raise ValueError(f"unknown variant {variant!r}")
    forward: dict[str, list[str]] = {}
    for e in entries():
        if e.sources[0] not in FORWARD_SOURCES:
            continue
        if e.variant not in (variant, "both") and not (variant == "tech" and e.variant == "news"):
            continue
        forward.setdefault(e.original, []).append(e.spun)
    keys = sorted(forward, key=lambda k: (-len(k), k))
    pattern = re.compile("|".join(map(re.escape, keys)))
    return {k: tuple(sorted(v)) for k, v in forward.items()}, pattern


def spin(text: str, *, seed: int = 0, rate: float = 1.0, variant: str = "news") -> str:
    """Spin ``text``: replace originals by spun forms (each occurrence with probability ``rate``)."""
    forward, pattern = table(variant)
    rng = random.Random(seed)

    def choose(original: str) -> str:
        forms = forward[original]
        if len(forms) == 1:
            return forms[0]
        pick = random.Random(seed * 1_000_003 + zlib.crc32(original.encode("utf-8")))
        return forms[pick.randrange(len(forms))]

    def replace(match: re.Match[str]) -> str:
        original = match.group(0)
        if rate < 1.0 and rng.random() >= rate:
            return original
        return choose(original)

    return pattern.sub(replace, text)


def read_table(path: str | Path) -> dict[str, str]:
    """A development spinner table: ``original<TAB>spun`` rows, ``#`` comments."""
    table: dict[str, str] = {}
    for line in Path(path).read_text("utf-8").splitlines():
        if line and not line.startswith("#"):
            original, spun_form = line.split("\t")[:2]
            table[original] = spun_form
    return table


def spin_with_table(text: str, table: dict[str, str], *, seed: int = 0, rate: float = 0.8) -> str:
    """Spin ``text`` with another spinner's ``table`` (for measuring generalisation).

    Words of the table replace whole jieba tokens; single-character rules replace characters
    inside multi-character tokens (增加 → 删加), each with probability ``rate``.
    """
    import jieba

    rng = random.Random(seed)
    out: list[str] = []
    for token in jieba.lcut(text, HMM=False):
        if token in table and len(token) > 1:
            out.append(table[token] if rng.random() < rate else token)
        elif len(token) > 1:
            out.append(
                "".join(
                    table[c] if c in table and len(table[c]) == 1 and rng.random() < rate else c
                    for c in token
                )
            )
        else:
            out.append(token)
    return "".join(out)
