"""``qingliu eval spun``: character error rate of spun-text restoration against a reference.

Lines of ``--spun`` and ``--orig`` correspond one to one.  Spans ``⟦…⟧`` in the reference accept
any text.  Reported: CER before and after restoration, the share of character errors removed,
edits made on correct text (input characters that already matched the reference) and changed
characters per 10,000 on correct text.  ``--orig`` may be omitted for clean text (reference =
input).  Run: ``python -m service.spun.evaluate --spun A [--orig B] [--json]``.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
import time
from pathlib import Path

_SPAN = re.compile(r"⟦([^⟧]*)⟧")


def _tokens(reference: str) -> list[str | None]:
    """Reference characters; ``None`` stands for a ⟦…⟧ span (matches any text)."""
    out: list[str | None] = []
    pos = 0
    for m in _SPAN.finditer(reference):
        out.extend(reference[pos : m.start()])
        out.append(None)
        pos = m.end()
    out.extend(reference[pos:])
    return out


def distance(hyp: str, reference: str) -> tuple[int, int]:
    """(edit distance, reference length) with wildcard spans; common affixes stripped first."""
    ref = _tokens(reference)
    length = sum(1 for t in ref if t is not None)
    i = 0
    while i < len(hyp) and i < len(ref) and ref[i] == hyp[i]:
        i += 1
    hyp, ref = hyp[i:], ref[i:]
    while hyp and ref and ref[-1] == hyp[-1]:
        hyp, ref = hyp[:-1], ref[:-1]
    if not ref:
        return len(hyp), length
    prev = list(range(len(hyp) + 1))
    for tok in ref:
        if tok is None:  # a wildcard consumes any run of hyp characters at no cost
            cur = prev[:]
            for j in range(1, len(hyp) + 1):
                cur[j] = min(cur[j], cur[j - 1])
        else:
            cur = [prev[0] + 1]
            for j, ch in enumerate(hyp, 1):
                cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ch != tok)))
        prev = cur
    return prev[-1], length


def _plain(reference: str) -> str:
    return _SPAN.sub(lambda m: m.group(1), reference)


def correct_mask(spun: str, reference: str) -> list[bool | None]:
    """Per input character: whether it already matched the reference (None: inside ⟦…⟧)."""
    plain = _plain(reference)
    wild = set()
    pos = 0
    for part in re.split(r"(⟦[^⟧]*⟧)", reference):
        n = len(part) - 2 if part.startswith("⟦") else len(part)
        if part.startswith("⟦"):
            wild.update(range(pos, pos + n))
        pos += n
    mask: list[bool | None] = [False] * len(spun)
    for tag, i1, i2, j1, _ in difflib.SequenceMatcher(
        a=spun, b=plain, autojunk=False
    ).get_opcodes():
        if tag == "equal":
            mask[i1:i2] = [True] * (i2 - i1)
        elif tag == "replace" and all(j in wild for j in range(j1, j1 + (i2 - i1))):
            mask[i1:i2] = [None] * (i2 - i1)
    return mask


def evaluate(spun_lines: list[str], ref_lines: list[str]) -> dict:
    """Restore every line and score it against the reference lines."""
    from service import spun

    text = "\n".join(spun_lines)
    spun.fix("年夜")  # load the lexicon and LM outside the timing
    started = time.perf_counter()
    result = spun.fix(text)
    elapsed = time.perf_counter() - started
    from service.edits import apply_edits

    restored = apply_edits(text, result.edits).split("\n")
    before = after = length = 0
    for s, h, r in zip(spun_lines, restored, ref_lines, strict=True):
        b, n = distance(s, r)
        a, _ = distance(h, r)
        before, after, length = before + b, after + a, length + n
    # Edits on correct text (input characters that already matched the reference).
    masks: list[bool | None] = []
    for s, r in zip(spun_lines, ref_lines, strict=True):
        masks.extend(correct_mask(s, r))
        masks.append(True)  # the newline
    correct_chars = sum(1 for m in masks if m)
    wrong_edits = 0
    wrong_chars = 0
    for e in result.edits:
        span = masks[e.start : e.end]
        if span and all(m is True for m in span):
            wrong_edits += 1
            wrong_chars += max(e.end - e.start, len(e.after))
    return {
        "chars": length,
        "cer_before": before / max(length, 1),
        "cer_after": after / max(length, 1),
        "errors_before": before,
        "errors_after": after,
        "errors_removed": (before - after) / before if before else None,
        "edits": len(result.edits),
        "edits_on_correct_text": wrong_edits,
        "changed_per_10k_correct": 1e4 * wrong_chars / max(correct_chars, 1),
        "spun_score": round(result.score, 4),
        "chars_per_second": len(text) / elapsed if elapsed else None,
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``qingliu eval spun``."""
    parser.add_argument("--spun", type=Path, required=True, help="spun (input) text, UTF-8")
    parser.add_argument(
        "--orig", type=Path, help="reference, line by line (⟦…⟧ accepts anything); default: input"
    )
    parser.add_argument(
        "--per-paragraph", action="store_true", help="restore each line as its own post"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")


def run(args: argparse.Namespace) -> int:
    """Evaluate and print; returns 0."""
    spun_lines = args.spun.read_text("utf-8").rstrip("\n").split("\n")
    ref_lines = (
        args.orig.read_text("utf-8").rstrip("\n").split("\n") if args.orig else list(spun_lines)
    )
    if len(spun_lines) != len(ref_lines):
        print(f"line counts differ: {len(spun_lines)} vs {len(ref_lines)}", file=sys.stderr)
        return 2
    if args.per_paragraph:
        totals: dict = {}
        for s, r in zip(spun_lines, ref_lines, strict=True):
            for k, v in evaluate([s], [r]).items():
                if isinstance(v, (int, float)) and k in (
                    "chars",
                    "errors_before",
                    "errors_after",
                    "edits",
                    "edits_on_correct_text",
                ):
                    totals[k] = totals.get(k, 0) + v
        n = max(totals.get("chars", 0), 1)
        eb, ea = totals.get("errors_before", 0), totals.get("errors_after", 0)
        figures = {
            **totals,
            "cer_before": eb / n,
            "cer_after": ea / n,
            "errors_removed": (eb - ea) / eb if eb else None,
        }
    else:
        figures = evaluate(spun_lines, ref_lines)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:26} {value:.4f}" if isinstance(value, float) else f"{key:26} {value}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="qingliu eval spun", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
