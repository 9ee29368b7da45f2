"""The independent hand-written held-out set (tests/data/spun_heldout): generalisation floor.

The set was written without looking at the lexicon; its substitutions are mostly not in seed-dev.
The whole file is restored as one post (six spun articles and two clean control articles).
"""

from __future__ import annotations

from pathlib import Path

from service import spun
from service.spun.evaluate import evaluate

HELDOUT = Path(__file__).resolve().parents[1] / "data" / "spun_heldout"
CONTROL = set(range(37, 45)) | set(range(54, 63))  # 1-based lines with orig == spun


def _lines(name: str) -> list[str]:
    return (HELDOUT / name).read_text("utf-8").rstrip("\n").split("\n")


def test_heldout_errors_removed_floor():
    figures = evaluate(_lines("spun.txt"), _lines("orig.txt"))
    assert figures["errors_before"] > 550
    # Reached 0.786 (round 2); the floor is a little below so that regressions fail.
    assert figures["errors_removed"] >= 0.76, figures
    assert figures["edits_on_correct_text"] <= 9, figures


def test_heldout_control_lines_get_no_edits_in_the_whole_post():
    text = "\n".join(_lines("spun.txt"))
    starts = [0]
    for line in text.split("\n"):
        starts.append(starts[-1] + len(line) + 1)
    edits = spun.fix(text).edits
    assert edits
    on_control = [e for e in edits for n in CONTROL if starts[n - 1] <= e.start < starts[n]]
    assert on_control == []


def test_heldout_control_articles_alone_are_untouched():
    lines = _lines("orig.txt")
    for lo, hi in ((37, 44), (54, 62)):
        article = "\n".join(lines[lo - 1 : hi])
        assert spun.fix(article).edits == []


def test_antonym_swaps_need_strong_evidence_and_lm_preference():
    from service.edits import apply_edits

    spun_line = "取此同时，住民支出稳步进步，城镇查询拜访失业率较上月降落零点一个百分点。"
    out = apply_edits(spun_line, spun.fix(spun_line).edits)
    assert "居民收入" in out  # 收入→支出 undone in a clearly spun line …
    assert "失业率" in out  # … but the genuine 失业率 is kept
    genuine = "专家暗示，以后外部情况仍然复杂，部份行业的规复依然须要工夫。"
    assert "复杂" in apply_edits(genuine, spun.fix(genuine).edits)  # not 简单
    clean = "公司本年的支出增加较快，主要用于研发和市场推广。"
    assert spun.fix(clean).edits == []
