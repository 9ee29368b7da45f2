"""Tags survive spinning: spin each labelled paragraph, restore it with the pipeline, compare.

"The same tags" = the same set of reported topic ids and the same set of place adcodes
(:func:`service.tagging.evaluate.signature`).  The spinner is the project's own
(``service.spun.spinner.spin``); restoration is ``service.pipeline.repair_text``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from service.tagging import tag
from service.tagging.evaluate import load, restorer, robustness, signature, spinner

FILES = sorted((Path(__file__).resolve().parents[1] / "data").glob("labelled_paragraphs_*.jsonl"))


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    assert FILES, "tests/data/labelled_paragraphs_*.jsonl are part of the repository"
    return load(FILES)


def test_the_spinner_really_spins(rows):
    spin = spinner()
    changed = sum(spin(row["text"], n) != row["text"] for n, row in enumerate(rows[:40]))
    assert changed >= 30  # otherwise the robustness figure below would be vacuous


def test_tags_of_restored_spun_paragraphs_equal_the_clean_tags(rows):
    result = robustness(rows, spinner(), restorer())
    assert result.changed_text >= 0.75 * result.rows
    assert result.rate >= 0.95, result.line() + "\n" + "\n".join(result.errors)


def test_identity_restoration_is_the_baseline(rows):
    """Sanity of the comparison itself: no spinning, no restoration → every row equal."""
    result = robustness(rows[:30], lambda text, seed: text, lambda text: text)
    assert result.rate == 1.0 and result.changed_text == 0 and not result.errors


def test_the_comparison_notices_lost_tags(rows):
    """A "restoration" that loses the text must lower the rate, or the figure above is vacuous."""
    tagged = [row for row in rows[:30] if any(signature(tag(row["text"])))]
    assert len(tagged) >= 20
    result = robustness(tagged, lambda text, seed: text, lambda text: "")
    assert result.rate == 0.0 and len(result.errors) == len(tagged)
