"""``qingliu eval spun``: character error rate of spun-text restoration against a reference.

Lines of ``--spun`` and ``--orig`` correspond one to one.  Spans ``⟦…⟧`` in the reference accept
any text.  Reported: CER before and after restoration, the share of character errors removed,
edits made on correct text (input characters that already matched the reference) and changed
characters per 10,000 on correct text.  ``--orig`` may be omitted for clean text (reference =
input).  Run: ``python -m service.spun.evaluate --spun A [--orig B] [--json]``.

``--manifest M`` scores a whole evaluation collection instead: ``M`` is a JSON file listing sets
``{name, kind: spun|clean, family, register, spun, orig, light?}`` (paths relative to ``M``; clean
sets have only ``orig`` and must come through unchanged).  Every line is restored as its own post.
Only aggregate figures are printed, per set and per family: share of character errors removed,
changed characters per 10k on correct text, posts touched, posts detected (score ≥ 0.5), the
AUROC of the post score (the set's spun lines against every clean line of the manifest), and how
many of the posts with at least ``MARKED_MIN`` unambiguous artifacts (:func:`artifacts`) were
detected: such a post must never pass as clean.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

_SPAN = re.compile(r"⟦([^⟧]*)⟧")
MARKED_MIN = 3  # unambiguous artifacts that make a post one that must be detected


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


def _aligned(
    spun: str, reference: str
) -> tuple[str, list[tuple[str, int, int, int, int]], set[int]]:
    """The reference without ``⟦⟧`` marks, the opcodes aligning ``spun`` with it, and the
    reference positions inside ``⟦…⟧`` spans."""
    plain = _plain(reference)
    wild = set()
    pos = 0
    for part in re.split(r"(⟦[^⟧]*⟧)", reference):
        n = len(part) - 2 if part.startswith("⟦") else len(part)
        if part.startswith("⟦"):
            wild.update(range(pos, pos + n))
        pos += n
    opcodes = difflib.SequenceMatcher(a=spun, b=plain, autojunk=False).get_opcodes()
    return plain, opcodes, wild


def _wildcard(tag: str, i1: int, i2: int, j1: int, wild: set[int]) -> bool:
    """Whether an opcode replaces text inside ``⟦…⟧`` (any text matches there)."""
    return tag == "replace" and all(j in wild for j in range(j1, j1 + (i2 - i1)))


def correct_mask(spun: str, reference: str) -> list[bool | None]:
    """Per input character: whether it already matched the reference (None: inside ⟦…⟧)."""
    _, opcodes, wild = _aligned(spun, reference)
    mask: list[bool | None] = [False] * len(spun)
    for tag, i1, i2, j1, _ in opcodes:
        if tag == "equal":
            mask[i1:i2] = [True] * (i2 - i1)
        elif _wildcard(tag, i1, i2, j1, wild):
            mask[i1:i2] = [None] * (i2 - i1)
    return mask


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def artifacts(spun: str, reference: str) -> tuple[int, int]:
    """(spun substitutions, unambiguous ones) of a spun line against its reference.

    A substitution is a differing stretch of the alignment.  It is unambiguous when the words of
    the reference it touches (its most probable split into dictionary words) read, with the spun
    text in place, as a non-word that the dictionary cannot split into words of two characters or
    more: 基地 → 基天 and 大会 → 年夜会 are unambiguous; 服务 → 效劳 and 在 → 正在 (real words)
    are not, nor are phrases of real words (考古 → 考察古迹), nor 通过 → 经由过程 (经由 过程),
    which makes the count a lower bound.  Stretches inside ``⟦…⟧`` do not count.
    """
    from service.spun import resources as res

    plain, opcodes, wild = _aligned(spun, reference)
    bounds: list[tuple[int, int]] = []  # reference word spans
    at = 0
    for token in res.segment(plain):
        bounds.append((at, at + len(token)))
        at += len(token)
    words = res.words()

    def nonword(start: int, end: int) -> bool:
        form = spun[max(0, start) : end]
        if len(form) < 2 or form in words or not all(map(_is_han, form)):
            return False
        # a phrase of real words (考察古迹 for 考古) is not unambiguous, though it is spun
        return not all(len(t) > 1 and t in words for t in res.segment(form))

    found: list[list] = []  # [spun start, spun end, unambiguous] of each artifact
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal" or _wildcard(tag, i1, i2, j1, wild):
            continue
        if j1 < j2:  # the words of the reference the stretch overlaps
            spans = [[(a, b) for a, b in bounds if a < j2 and b > j1]]
        else:  # an insertion: the word it sits in, or either neighbour
            inside = [(a, b) for a, b in bounds if a < j1 < b]
            spans = [inside] if inside else [[(a, b)] for a, b in bounds if j1 in (a, b)]
        readings = []
        for touched in spans or [[]]:
            lo = min([j1, *(a for a, _ in touched)])
            hi = max([j2, *(b for _, b in touched)])
            readings.append((i1 - (j1 - lo), i2 + (hi - j2)))
        start, end = min(r[0] for r in readings), max(r[1] for r in readings)
        if j1 == j2 and len(spans) != 1:  # … or with the next or previous character (正在)
            readings += [(i1 - 1, i2), (i1, i2 + 1)]
        clear = all(nonword(lo, hi) for lo, hi in readings)
        if found and start <= found[-1][1]:  # one artifact in several stretches (经由过程)
            found[-1][1] = max(found[-1][1], end)
            found[-1][2] = found[-1][2] or clear
        else:
            found.append([start, end, clear])
    # (the whole artifact must read as a non-word too: 考察古迹 is not, though 考察古 is)
    return len(found), sum(1 for lo, hi, clear in found if clear and nonword(lo, hi))


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


def auroc(positive: list[float], negative: list[float]) -> float | None:
    """Probability that a positive scores above a negative (ties count half)."""
    if not positive or not negative:
        return None
    ranked = sorted([(v, 1) for v in positive] + [(v, 0) for v in negative])
    rank_sum = 0.0
    i = 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mid = (i + j + 1) / 2  # 1-based average rank of the tie group
        rank_sum += mid * sum(1 for k in range(i, j) if ranked[k][1])
        i = j
    n_pos, n_neg = len(positive), len(negative)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


@dataclass
class SetScore:
    """Aggregate figures of one set (or of several, summed)."""

    posts: int = 0
    chars: int = 0
    errors_before: int = 0
    errors_after: int = 0
    correct_chars: int = 0
    changed_correct: int = 0
    touched: int = 0
    detected: int = 0
    marked: int = 0  # posts with at least MARKED_MIN unambiguous artifacts …
    marked_detected: int = 0  # … and those of them detected
    scores: list[float] = field(default_factory=list)

    def add(self, other: SetScore) -> None:
        for name in (
            "posts",
            "chars",
            "errors_before",
            "errors_after",
            "correct_chars",
            "changed_correct",
            "touched",
            "detected",
            "marked",
            "marked_detected",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.scores += other.scores

    def figures(self, clean_scores: list[float] | None, kind: str) -> dict:
        eb, ea = self.errors_before, self.errors_after
        out = {
            "posts": self.posts,
            "chars": self.chars,
            "errors_before": eb,
            "errors_after": ea,
            "errors_removed": round((eb - ea) / eb, 4) if eb else None,
            "changed_per_10k_correct": round(
                1e4 * self.changed_correct / max(self.correct_chars, 1), 3
            ),
            "posts_touched": self.touched,
            "posts_detected": self.detected,
        }
        if kind == "spun":
            out["marked_posts"] = self.marked
            out["marked_detected"] = self.marked_detected
        if kind == "spun" and clean_scores is not None:
            value = auroc(self.scores, clean_scores)
            out["auroc"] = None if value is None else round(value, 4)
        return out


def score_posts(spun_lines: list[str], ref_lines: list[str]) -> SetScore:
    """Restore every line as its own post and sum the figures."""
    from service import spun
    from service.edits import apply_edits

    total = SetScore()
    for s, r in zip(spun_lines, ref_lines, strict=True):
        result = spun.fix(s)
        restored = apply_edits(s, result.edits) if result.edits else s
        before, length = distance(s, r)
        after, _ = distance(restored, r)
        mask = correct_mask(s, r)
        changed = 0
        for e in result.edits:
            span = mask[e.start : e.end]
            if span and all(m is True for m in span):
                changed += max(e.end - e.start, len(e.after))
        total.posts += 1
        total.chars += length
        total.errors_before += before
        total.errors_after += after
        total.correct_chars += sum(1 for m in mask if m)
        total.changed_correct += changed
        total.touched += bool(result.edits)
        total.detected += result.score >= 0.5
        if s != r and artifacts(s, r)[1] >= MARKED_MIN:
            total.marked += 1
            total.marked_detected += result.score >= 0.5
        total.scores.append(result.score)
    return total


def evaluate_manifest(path: Path) -> dict:
    """Per-set and per-family aggregate figures of the collection described by ``path``."""
    manifest = json.loads(path.read_text("utf-8"))
    sets = manifest["sets"] if isinstance(manifest, dict) else manifest
    base = path.parent
    scored: list[tuple[dict, SetScore]] = []
    for item in sets:
        orig = (base / item["orig"]).read_text("utf-8").rstrip("\n").split("\n")
        if item.get("kind", "spun") == "spun":
            spun_lines = (base / item["spun"]).read_text("utf-8").rstrip("\n").split("\n")
            if len(spun_lines) != len(orig):
                raise ValueError(f"set {item.get('name')}: line counts differ")
        else:
            spun_lines = orig
        scored.append((item, score_posts(spun_lines, orig)))
    clean_scores = [v for item, sc in scored if item.get("kind") == "clean" for v in sc.scores]
    result: dict = {"sets": {}, "families": {}, "kinds": {}}
    families: dict[str, tuple[str, SetScore]] = {}
    kinds: dict[str, SetScore] = {}
    for item, sc in scored:
        kind = item.get("kind", "spun")
        entry = sc.figures(clean_scores, kind)
        entry.update({k: item[k] for k in ("kind", "family", "register", "light") if k in item})
        result["sets"][item.get("name", item["orig"])] = entry
        family = f"{kind}:{item.get('family') or item.get('register') or '-'}"
        families.setdefault(family, (kind, SetScore()))[1].add(sc)
        kinds.setdefault(kind, SetScore()).add(sc)
    for family, (kind, sc) in families.items():
        result["families"][family] = sc.figures(clean_scores, kind)
    for kind, sc in kinds.items():
        result["kinds"][kind] = sc.figures(clean_scores, kind)
    return result


def _print_manifest(result: dict) -> None:
    columns = (
        ("posts", "posts"),
        ("errors_removed", "removed"),
        ("changed_per_10k_correct", "chg/10k"),
        ("posts_touched", "touched"),
        ("posts_detected", "detected"),
        ("marked", f"{MARKED_MIN}+ det"),
        ("auroc", "auroc"),
    )
    header = f"{'':34}" + "".join(f"{title:>10}" for _, title in columns)
    for section in ("sets", "families", "kinds"):
        print(section)
        print(header)
        for name, figures in result[section].items():
            cells = []
            for key, _ in columns:
                value = figures.get(key)
                if key == "marked" and "marked_posts" in figures:
                    value = f"{figures['marked_detected']}/{figures['marked_posts']}"
                if value is None:
                    cells.append(f"{'-':>10}")
                elif isinstance(value, float):
                    cells.append(
                        f"{value:>10.4f}" if key != "changed_per_10k_correct" else f"{value:>10.2f}"
                    )
                else:
                    cells.append(f"{value:>10}")
            print(f"  {name[:32]:32}" + "".join(cells))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``qingliu eval spun``."""
    parser.add_argument("--spun", type=Path, help="spun (input) text, UTF-8")
    parser.add_argument(
        "--manifest",
        type=Path,
        help="JSON list of sets (spun/clean, family, register); prints aggregate figures only",
    )
    parser.add_argument(
        "--orig", type=Path, help="reference, line by line (⟦…⟧ accepts anything); default: input"
    )
    parser.add_argument(
        "--per-paragraph", action="store_true", help="restore each line as its own post"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")


def run(args: argparse.Namespace) -> int:
    """Evaluate and print; returns 0."""
    if getattr(args, "manifest", None) is not None:
        result = evaluate_manifest(args.manifest)
        if args.json:
            print(json.dumps(result, ensure_ascii=False, indent=2))
        else:
            _print_manifest(result)
        return 0
    if args.spun is None:
        print("--spun or --manifest is required", file=sys.stderr)
        return 2
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
