"""Build ``service/data/spun/upgrades.tsv``: words with a far more frequent synonym.

Run: ``python -m service.build.spun_upgrades`` (after ``service.build.spun_resources``).  Derived
from the shipped tables only (``cilin.tsv``, ``cedict_synonyms.tsv``, ``wordfreq.tsv.gz``; sources
and licences in ``service/data/spun/PROVENANCE.md``); nothing is downloaded.

A spinner replaces words by rarer synonyms; clean text mostly uses the common word.  For every
word of two or more Han characters that is on a Cilin synonym line or has CC-CEDICT shared-gloss
partners, the row lists the synonyms (Cilin ∪ CC-CEDICT, :func:`service.spun.resources.synonyms`)
at least ``RATIO`` times as frequent (:func:`service.spun.resources.word_freq`), most frequent
first, at most ``KEEP``.  Words without such a synonym get no row.
"""

from __future__ import annotations

import math
import sys

from service.build import write_tsv
from service.spun import resources as R

RATIO = 10.0  # a listed synonym is at least this many times as frequent as the word
KEEP = 6  # synonyms kept per word


def upgrades() -> dict[str, list[str]]:
    lines, index = R._cilin()
    vocabulary = set(index) | set(R._cedict())
    step = math.log10(RATIO)
    out: dict[str, list[str]] = {}
    for word in sorted(vocabulary):
        if len(word) < 2:
            continue
        floor = R.word_freq(word) + step
        better = [o for o in R.synonyms(word) if R.word_freq(o) >= floor][:KEEP]
        if better:
            out[word] = better
    return out


def main(argv: list[str]) -> int:
    rows = {word: " ".join(synonyms) for word, synonyms in upgrades().items()}
    write_tsv(R.UPGRADES_PATH, R.UPGRADE_COLUMNS, rows, "words")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
