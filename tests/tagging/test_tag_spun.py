"""Tags survive spinning: spin each labelled paragraph, restore it with the pipeline, compare.

"The same tags" = the same set of reported topic ids and the same set of place adcodes
(:func:`service.tagging.evaluate.signature`).  The spinner is the project's own
(``service.spun.spinner.spin``); restoration is ``service.pipeline.repair_text``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from service.tagging import tag
from service.tagging.evaluate import load, restorer, robustness, signature, spinner

FILES = sorted((Path(__file__).resolve().parents[1] / "data").glob("labelled_paragraphs_*.jsonl"))

needs_spinner = pytest.mark.skipif(
    importlib.util.find_spec("service.spun.spinner") is None, reason="spinner not landed yet"
)


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    if not FILES:
        pytest.skip("labelled paragraphs not present")
    return load(FILES)


@needs_spinner
def test_the_spinner_really_spins(rows):
    spin = spinner()
    changed = sum(spin(row["text"], n) != row["text"] for n, row in enumerate(rows[:40]))
    assert changed >= 30  # otherwise the robustness figure below would be vacuous


@needs_spinner
def test_tags_of_restored_spun_paragraphs_equal_the_clean_tags(rows):
    result = robustness(rows, spinner(), restorer())
    assert result.changed_text >= 0.75 * result.rows
    assert result.rate >= 0.95, result.line() + "\n" + "\n".join(result.errors)


def test_identity_restoration_is_the_baseline(rows):
    """Sanity of the comparison itself: no spinning, no restoration → every row equal."""
    result = robustness(rows[:30], lambda text, seed: text, lambda text: text)
    assert result.rate == 1.0
    assert signature(tag(rows[0]["text"])) == signature(tag(rows[0]["text"]))
