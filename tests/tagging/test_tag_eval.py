"""Accuracy on the team's labelled paragraphs (tests/data/labelled_paragraphs_*.jsonl).

Term weights and thresholds were tuned on the *dev* half only (even id hash); the *held-out* half
is checked separately so that a regression there cannot hide behind the tuned half.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from service.tagging import places
from service.tagging.evaluate import evaluate, half, load

DATA = Path(__file__).resolve().parents[1] / "data"
FILES = sorted(DATA.glob("labelled_paragraphs_*.jsonl"))


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    assert FILES, "tests/data/labelled_paragraphs_*.jsonl are part of the repository"
    return load(FILES)


def test_labelled_set_is_broad_enough(rows):
    assert len(rows) >= 150
    assert {r["register"] for r in rows} == {"news", "social", "tech", "review"}
    assert len({r["topics"][0] for r in rows}) == 18


def test_labels_name_real_divisions(rows):
    """Every labelled adcode is in the shipped table with the labelled name and level."""
    divisions = places._index().divisions
    for row in rows:
        for place in row["places"]:
            division = divisions[place["adcode"]]
            assert (division.name, division.level) == (place["name"], place["level"]), row["id"]


@pytest.mark.parametrize("part", ["dev", "heldout", "all"])
def test_top1_accuracy_and_place_precision_recall(rows, part):
    chosen = rows if part == "all" else [r for r in rows if half(r["id"]) == part]
    score = evaluate(chosen)
    report = "\n".join(score.errors)
    assert score.accuracy >= 0.85, report
    assert score.precision >= 0.95, report
    assert score.recall >= 0.95, report


def test_split_is_stable_and_roughly_even(rows):
    ids = [r["id"] for r in rows]
    halves = [half(i) for i in ids]
    assert set(halves) == {"dev", "heldout"}
    assert 0.35 < halves.count("dev") / len(halves) < 0.65
    # Fixed by the id alone: a pinned case, and the same halves in another order.
    assert (half("a001"), half("a002"), half("a003")) == ("dev", "heldout", "heldout")
    assert [half(i) for i in reversed(ids)] == halves[::-1]
    dev = {i for i, h in zip(ids, halves, strict=True) if h == "dev"}
    heldout = {i for i, h in zip(ids, halves, strict=True) if h == "heldout"}
    assert dev and heldout and dev.isdisjoint(heldout) and dev | heldout == set(ids)
