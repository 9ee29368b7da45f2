"""Build ``service/data/spun/homophones.tsv``: characters with a far more frequent homophone.

Run: ``python -m service.build.spun_homophones`` (needs the build extra, ``pip install -e
".[build]"``, for ``pypinyin``).  Readings come from the ``pypinyin`` wheel (PyPI, MIT; its
character table is the ``pinyin-data`` project's, MIT), frequencies from the shipped character LM
(``char5.bin``); sources and licences in ``service/data/spun/PROVENANCE.md``.  Nothing is
downloaded.

A spinner of the 年夜 kind also swaps characters for homophones (的 → 迪, 说 → 硕, 来 → 涞, 多 → 哆):
the text reads the same aloud and evades a table of words.  The spun character is almost always
the rarer one.  For every Han character of the basic block that the LM has seen at least
``MIN_LOG10 - RATIO_LOG10`` (log10 unigram probability), the row lists the characters sharing a
toneless reading (any of its readings) that are at least ``RATIO_LOG10`` more probable and at
least ``MIN_LOG10`` themselves, most probable first, at most ``KEEP``.  Characters without one get
no row.
"""

from __future__ import annotations

import sys

from service.build import write_tsv
from service.spun import lm
from service.spun import resources as R

RATIO_LOG10 = 1.0  # a listed homophone is at least ten times as probable as the character
MIN_LOG10 = -5.5  # … and at least this probable as a unigram of the character LM
KEEP = 6  # homophones kept per character
BLOCK = range(0x4E00, 0xA000)  # CJK Unified Ideographs (the basic block)


def homophones() -> dict[str, str]:
    from pypinyin import Style, pinyin

    model = lm.model()
    prob = {}
    for point in BLOCK:
        char = chr(point)
        value = model.score(char, False, False)
        if value >= MIN_LOG10 - RATIO_LOG10:
            prob[char] = value
    readings: dict[str, set[str]] = {}
    by_reading: dict[str, list[str]] = {}
    for char in prob:
        result = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
        found = set(result[0]) if result else set()
        readings[char] = found
        for reading in found:
            by_reading.setdefault(reading, []).append(char)
    out: dict[str, str] = {}
    for char, value in prob.items():
        floor = max(value + RATIO_LOG10, MIN_LOG10)
        better = {
            other
            for reading in readings[char]
            for other in by_reading[reading]
            if other != char and prob[other] >= floor
        }
        if better:
            out[char] = "".join(sorted(better, key=lambda c: (-prob[c], c))[:KEEP])
    return out


def main(argv: list[str]) -> int:
    write_tsv(R.HOMOPHONES_PATH, R.HOMOPHONE_COLUMNS, homophones(), "characters")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
