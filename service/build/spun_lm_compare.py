"""Compare character LMs for the spun engine on development data (kept for the record).

Run: ``python -m service.build.spun_lm_compare [--corpus DIR] [--word-lm PATH] MODEL ...``.

Development data only (never ``tests/data/blind``):

- spun/original line pairs: seed-dev (``../shared/data/seed-dev``), ``tests/data/spun_heldout``
  (news lines 1–36, tech-blog lines 45–53 and 63–71), ``tests/data/spun/synth_*_r1.0``, and
  synthetic pairs made here by ``service.spun.spinner.spin`` from held-out technical and review
  text (``DIR/{tech,reviews}_held.txt`` of ``service.build.spun_lm_text``; never trained on);
- clean held-out text per register (``DIR/{news,reviews,tech}_held.txt``).

Metrics: **per-edit** — for each differing block between a spun line and its original, does
undoing that one block raise the model's score of the line?  **lines** — is the original line
scored above the spun one?  **ppl** — per-character perplexity of clean held-out text (first 1,500
lines of each register).  ``--word-lm``: also score with a KenLM word model (e.g. Debian
``libime-data-language-model``'s ``zh_CN.lm``) over a longest-match segmentation of its
vocabulary, alone and added at weight 0.5 to the first character model.
"""

from __future__ import annotations

import argparse
import difflib
import math
import re
import sys
from collections.abc import Callable
from pathlib import Path

import kenlm

from service.spun.lm import tokens
from service.spun.spinner import spin

REPO = Path(__file__).resolve().parents[2]
SEED = REPO.parent / "shared" / "data" / "seed-dev"
Pair = tuple[str, str]


def _read(path: Path) -> list[str]:
    return [re.sub("⟦|⟧", "", line) for line in path.read_text("utf-8").splitlines()]


def pair_sets(corpus: Path) -> dict[str, list[Pair]]:
    """Named lists of (spun, original) line pairs that differ."""
    sets: dict[str, list[Pair]] = {}
    sets["seed-dev"] = list(zip(_read(SEED / "spun.txt"), _read(SEED / "orig.txt"), strict=False))
    held = REPO / "tests" / "data" / "spun_heldout"
    pairs = list(zip(_read(held / "spun.txt"), _read(held / "orig.txt"), strict=True))
    sets["heldout-news"] = pairs[0:36]
    sets["heldout-tech"] = pairs[44:53] + pairs[62:71]
    for variant in ("news", "tech"):
        stem = REPO / "tests" / "data" / "spun" / f"synth_{variant}_r1.0"
        spun, orig = _read(Path(f"{stem}_spun.txt")), _read(Path(f"{stem}_orig.txt"))
        sets[f"synth-{variant}"] = list(zip(spun, orig, strict=True))
    for register in ("tech", "reviews"):
        lines = [x for x in _read(corpus / f"{register}_held.txt") if len(x) >= 12][:600]
        sets[f"spun-{register}-text"] = [
            (spin(x, seed=i, variant="tech" if register == "tech" else "news"), x)
            for i, x in enumerate(lines)
        ]
    return {name: [(s, o) for s, o in pairs if s != o] for name, pairs in sets.items()}


def edits(spun: str, orig: str) -> list[str]:
    """The spun line with one differing block undone, for each block."""
    matcher = difflib.SequenceMatcher(a=spun, b=orig, autojunk=False)
    out = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            out.append(spun[:i1] + orig[j1:j2] + spun[i2:])
    return out


def evaluate(score: Callable[[str], float], sets: dict[str, list[Pair]]) -> dict[str, tuple]:
    """Per set: (edits improved, edits, lines preferred, lines)."""
    out = {}
    for name, pairs in sets.items():
        good = total = lines = 0
        for spun, orig in pairs:
            base = score(spun)
            lines += score(orig) > base
            for fixed in edits(spun, orig):
                total += 1
                good += score(fixed) > base
        out[name] = (good, total, lines, len(pairs))
    return out


def perplexity(model: kenlm.Model, path: Path, limit: int = 1500) -> float:
    """Per-character perplexity of the first ``limit`` lines (sentence ends included)."""
    lines = [x for x in path.read_text("utf-8").splitlines() if x.strip()][:limit]
    log10, n = 0.0, 0
    for line in lines:
        log10 += model.score(tokens(line), True, True)
        n += len(line) + 1
    return math.pow(10, -log10 / n)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("/tmp/spun_corpus"))
    parser.add_argument("--word-lm", type=Path)
    parser.add_argument("models", nargs="+", type=Path)
    args = parser.parse_args(argv)
    sets = pair_sets(args.corpus)
    print("sets:", ", ".join(f"{k} {len(v)}" for k, v in sets.items()))
    scorers: dict[str, Callable[[str], float]] = {}
    models = {}
    for path in args.models:
        model = models[path.name] = kenlm.Model(str(path))
        scorers[path.name] = lambda t, m=model: m.score(tokens(t), True, True)
    if args.word_lm:
        word = kenlm.Model(str(args.word_lm))

        def segment(text: str) -> str:
            out, i = [], 0
            while i < len(text):
                for n in range(min(6, len(text) - i), 0, -1):
                    if n == 1 or text[i : i + n] in word:
                        out.append(text[i : i + n])
                        i += n
                        break
            return " ".join(out)

        first = scorers[args.models[0].name]
        scorers["word3"] = lambda t: word.score(segment(t), True, True)
        scorers[f"{args.models[0].name}+0.5word3"] = lambda t: (
            first(t) + 0.5 * word.score(segment(t), True, True)
        )
    names = list(sets)
    print(
        "| model | size MB | "
        + " | ".join(names)
        + " | per-edit all | ppl news | ppl reviews | ppl tech |"
    )
    print("|" + "---|" * (len(names) + 6))
    for name, score in scorers.items():
        result = evaluate(score, sets)
        good = sum(r[0] for r in result.values())
        total = sum(r[1] for r in result.values())
        cells = [
            f"{r[0]}/{r[1]} ({r[0] / max(r[1], 1):.1%}); lines {r[2]}/{r[3]}"
            for r in result.values()
        ]
        path = next((p for p in args.models if p.name == name), None)
        size = f"{path.stat().st_size / 1e6:.1f}" if path else "—"
        model = models.get(name)
        ppl = [
            f"{perplexity(model, args.corpus / f'{r}_held.txt'):.1f}" if model else "—"
            for r in ("news", "reviews", "tech")
        ]
        print(
            f"| {name} | {size} | "
            + " | ".join(cells)
            + f" | {good / total:.2%} | "
            + " | ".join(ppl)
            + " |"
        )
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
