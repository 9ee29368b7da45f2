"""Measure the tagger on labelled paragraphs (JSON lines: id, text, register, topics, places).

``python -m service.tagging.evaluate tests/data/labelled_paragraphs_*.jsonl [--errors] [--spun]``

Rows are split by a hash of their id into a *dev* half (even; the one term weights may be tuned
on) and a *held-out* half (odd); both are reported.  Top-1 accuracy: the best topic equals the
labelled primary topic.  Places: precision/recall of adcodes at the labelled granularity (each
labelled division, whatever its level, must be found; every found division must be labelled).
``--spun``: spin each paragraph with ``service.spun.spinner.spin`` (seed = row number), restore it
with ``service.pipeline.repair_text`` and count how often the tags (topic set and place set) equal
those of the clean paragraph.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from service.tagging import Tags, tag


def half(row_id: str) -> str:
    """``dev`` or ``heldout``, from a stable hash of the id."""
    return (
        "dev" if hashlib.blake2b(row_id.encode(), digest_size=2).digest()[0] % 2 == 0 else "heldout"
    )


def load(paths: Iterable[str | Path]) -> list[dict]:
    """Rows of the given JSON-lines files."""
    rows = []
    for path in paths:
        for line in Path(path).read_text("utf-8").splitlines():
            if line.strip():
                rows.append(json.loads(line))
    return rows


@dataclass
class Score:
    """Counts behind the reported figures."""

    rows: int = 0
    top1: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.top1 / self.rows if self.rows else 0.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def line(self, name: str) -> str:
        return (
            f"{name:8s} n={self.rows:4d}  top-1 {self.accuracy:6.1%}  place P {self.precision:6.1%}"
            f"  R {self.recall:6.1%}  (tp {self.tp} fp {self.fp} fn {self.fn})"
        )


def evaluate(rows: list[dict], tagger: Callable[[str], Tags] = tag) -> Score:
    """Score ``tagger`` on ``rows``."""
    score = Score()
    for row in rows:
        tags = tagger(row["text"])
        score.rows += 1
        predicted = tags.topics[0]["id"] if tags.topics else None
        if predicted == row["topics"][0]:
            score.top1 += 1
        else:
            score.errors.append(
                f"{row['id']} topic {predicted} != {row['topics']}: {row['text'][:60]}"
            )
        want = {p["adcode"] for p in row["places"]}
        got = {p["adcode"]: p["name"] for p in tags.places}
        score.tp += len(want & got.keys())
        score.fp += len(got.keys() - want)
        score.fn += len(want - got.keys())
        if want != got.keys():
            extra = [got[c] for c in got.keys() - want]
            missing = [p["name"] for p in row["places"] if p["adcode"] not in got]
            score.errors.append(f"{row['id']} places +{extra} -{missing}: {row['text'][:60]}")
    return score


def signature(tags: Tags) -> tuple[frozenset[str], frozenset[str]]:
    """What "the same tags" means: the same reported topic ids and the same place adcodes."""
    return frozenset(t["id"] for t in tags.topics), frozenset(p["adcode"] for p in tags.places)


@dataclass
class Robustness:
    """How often tags survive spinning followed by restoration."""

    rows: int = 0
    same: int = 0  # identical topic set and place set
    same_primary: int = 0  # same best topic and same place set
    changed_text: int = 0  # spins that changed the text at all
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.same / self.rows if self.rows else 0.0

    def line(self) -> str:
        primary = self.same_primary / self.rows if self.rows else 0.0
        return (
            f"spun→restored n={self.rows} tags equal {self.rate:6.1%}  primary+places equal "
            f"{primary:6.1%}  (spinner changed {self.changed_text} texts)"
        )


def robustness(
    rows: list[dict],
    spin: Callable[[str, int], str],
    restore: Callable[[str], str],
    tagger: Callable[[str], Tags] = tag,
) -> Robustness:
    """Tag each row's text and its spun-then-restored version and compare the signatures."""
    result = Robustness()
    for number, row in enumerate(rows):
        clean = tagger(row["text"])
        spun = spin(row["text"], number)
        restored = tagger(restore(spun))
        result.rows += 1
        result.changed_text += spun != row["text"]
        if signature(clean) == signature(restored):
            result.same += 1
        else:
            result.errors.append(
                f"{row['id']} {sorted(signature(clean)[0])}/{sorted(signature(clean)[1])}"
                f" → {sorted(signature(restored)[0])}/{sorted(signature(restored)[1])}"
            )
        best = (clean.topics[:1] or [{}])[0].get("id"), (restored.topics[:1] or [{}])[0].get("id")
        if best[0] == best[1] and signature(clean)[1] == signature(restored)[1]:
            result.same_primary += 1
    return result


def spinner() -> Callable[[str, int], str]:
    """The project's spinner (service.spun.spinner.spin) as ``(text, seed) -> spun text``."""
    from service.spun.spinner import spin

    def run(text: str, seed: int) -> str:
        out = spin(text, seed=seed)
        return out if isinstance(out, str) else out.text

    return run


def restorer() -> Callable[[str], str]:
    """The spun-text restoration (:mod:`service.spun`, the pipeline's stage for spun text).

    The engine itself rather than the pipeline: a module of the tagging package must not reach
    up into the pipeline that imports the tagger, and spinning damages nothing but wording.
    """
    from service import spun
    from service.edits import apply_edits

    def run(text: str) -> str:
        return apply_edits(text, spun.fix(text).edits) if spun.detect(text) else text

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--errors", action="store_true", help="list the misses")
    parser.add_argument(
        "--spun",
        action="store_true",
        help="also spin every paragraph, restore it and compare the tags",
    )
    args = parser.parse_args(argv)
    rows = load(args.files)
    for register in sorted({r.get("register", "?") for r in rows}):
        part = [r for r in rows if r.get("register", "?") == register]
        print(evaluate(part).line(register))
    for name in ("dev", "heldout", "all"):
        part = rows if name == "all" else [r for r in rows if half(r["id"]) == name]
        score = evaluate(part)
        print(score.line(name))
        if args.errors and name != "all":
            for error in score.errors:
                print("   ", error)
    if args.spun:
        result = robustness(rows, spinner(), restorer())
        print(result.line())
        if args.errors:
            for error in result.errors:
                print("   ", error)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
