"""Measure the LM options for the spun engine (kept for the record; not part of the build).

Run: ``python -m service.build.spun_lm_compare [WORD_LM]``.  For seed-dev line pairs and 300
held-out paragraphs spun by ``service.spun.spinner``, counts how often each model scores the
original sentence above the spun one, and the scoring speed.  The word model is Debian's
``libime-data-language-model`` (``zh_CN.lm``, KenLM word 3-gram), segmented by longest match over
its vocabulary; the character model is ``service/data/spun/char5.bin``.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import kenlm

from service.spun.lm import model, tokens
from service.spun.spinner import spin

REPO = Path(__file__).resolve().parents[2]
WORD_LM = "/usr/lib/x86_64-linux-gnu/libime/zh_CN.lm"


def main(argv: list[str]) -> int:
    word = kenlm.Model(argv[0] if argv else WORD_LM)
    char = model()
    seed = REPO.parent / "shared" / "data" / "seed-dev"
    spun = (seed / "spun.txt").read_text("utf-8").splitlines()
    orig = [re.sub("⟦|⟧", "", line) for line in (seed / "orig.txt").read_text("utf-8").splitlines()]
    held_path = REPO / "service" / "data" / "spun" / "heldout_clean.txt"
    held = [p for p in held_path.read_text("utf-8").splitlines() if p.strip()][:300]
    pairs = list(zip(spun, orig, strict=False)) + [(spin(p, seed=i), p) for i, p in enumerate(held)]
    pairs = [(s, o) for s, o in pairs if s != o]

    def segment(text: str) -> str:
        out, i = [], 0
        while i < len(text):
            for n in range(min(6, len(text) - i), 0, -1):
                if n == 1 or text[i : i + n] in word:
                    out.append(text[i : i + n])
                    i += n
                    break
        return " ".join(out)

    scorers = {
        "char 5-gram (char5.bin)": lambda t: char.score(tokens(t), True, True),
        "word 3-gram (libime zh_CN.lm)": lambda t: word.score(segment(t), True, True),
    }
    chars = sum(len(s) + len(o) for s, o in pairs)
    for name, score in scorers.items():
        started = time.perf_counter()
        wins = sum(score(o) > score(s) for s, o in pairs)
        elapsed = time.perf_counter() - started
        print(f"{name}: original preferred in {wins}/{len(pairs)}; {chars / elapsed:,.0f} chars/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
