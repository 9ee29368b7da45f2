"""Evaluation targets: seed-dev errors removed, clean-text false positives, post-level AUROC."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service import spun
from service.spun.evaluate import distance, evaluate
from service.spun.spinner import spin

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / ".." / "shared" / "data" / "seed-dev"
HELDOUT = REPO / "service" / "data" / "spun" / "heldout_clean.txt"
LABELLED = sorted((REPO / "tests" / "data").glob("labelled_paragraphs_*.jsonl"))


def _lines(path: Path) -> list[str]:
    return path.read_text("utf-8").rstrip("\n").split("\n")


def _held(limit: int) -> list[str]:
    return [line for line in _lines(HELDOUT) if line.strip()][:limit]


def test_seed_dev_at_least_90_percent_of_errors_removed():
    if not (SEED / "spun.txt").exists():
        pytest.skip(f"seed-dev not found at {SEED.resolve()} (shared data not mounted)")
    figures = evaluate(_lines(SEED / "spun.txt"), _lines(SEED / "orig.txt"))
    assert figures["errors_before"] > 200
    assert figures["errors_removed"] >= 0.90, figures
    assert figures["edits_on_correct_text"] <= 3, figures


def _clean_paragraphs() -> list[str]:
    paras = _held(1500)
    for path in LABELLED:
        paras += [json.loads(line)["text"] for line in path.read_text("utf-8").splitlines() if line]
    return paras


def test_clean_text_at_most_half_a_changed_character_per_10000():
    changed = total = 0
    for para in _clean_paragraphs():
        result = spun.fix(para)
        total += len(para)
        changed += sum(max(e.end - e.start, len(e.after)) for e in result.edits)
    assert total > 100_000
    # measured 2 changed characters in 173,630 (6 with the fragment evidence capped at 8)
    assert changed * 20_000 <= total, f"{changed} changed characters in {total}"


def test_held_out_text_as_long_posts_is_untouched():
    paras = _held(600)
    for i in range(0, len(paras), 20):
        post = "\n".join(paras[i : i + 20])
        assert spun.fix(post).edits == []


def _auroc(positive: list[float], negative: list[float]) -> float:
    wins = sum((p > n) + 0.5 * (p == n) for p in positive for n in negative)
    return wins / (len(positive) * len(negative))


def test_post_level_score_separates_spun_from_clean():
    clean = _clean_paragraphs()[::3]
    spun_scores, clean_scores = [], []
    for i, para in enumerate(clean):
        clean_scores.append(spun.score(para))
        spun_text = spin(para, seed=i, variant="tech" if i % 2 else "news")
        if spun_text != para:
            spun_scores.append(spun.score(spun_text))
    assert _auroc(spun_scores, clean_scores) >= 0.99


def test_synthetic_spun_held_out_text_is_mostly_restored():
    paras = _held(150)
    before = after = 0
    for i, para in enumerate(paras):
        spun_text = spin(para, seed=i)
        result = spun.fix(spun_text)
        from service.edits import apply_edits

        before += distance(spun_text, para)[0]
        after += distance(apply_edits(spun_text, result.edits), para)[0]
    assert before > 500
    assert after <= 0.2 * before


def test_every_paragraph_with_three_unambiguous_artifacts_is_detected():
    """Three distinct telltale forms that are no words at all (举措措施, 体式格局, 不雅众 …) put
    into a clean paragraph in place of their originals make it spun, whatever the rest says."""
    from service.spun.engine import engine

    eng = engine()
    spun_form: dict[str, str] = {}  # original → a non-word form the lexicon restores to it
    for form in sorted(eng.nonword_forms):
        if len(form) >= 2 and eng.evidence_weight.get(form, 0.0) > 0.0:
            for cand in eng.cands.get(form, []):
                if len(cand.original) >= 2:
                    spun_form.setdefault(cand.original, form)
    tried = 0
    for para in _held(1500):
        chosen: list[str] = []
        spans: list[tuple[int, int]] = []
        for original in sorted({o for o in spun_form if o in para}, key=para.index):
            start = para.index(original)
            end = start + len(original)
            if all(end <= a or start >= b for a, b in spans):
                spans.append((start, end))
                chosen.append(original)
        if len(chosen) < 3:
            continue
        text = para
        for original in chosen[:3]:
            text = text.replace(original, spun_form[original], 1)
        tried += 1
        assert spun.score(text) >= spun.SPUN_THRESHOLD, (chosen[:3], text)
    assert tried >= 100  # measured 146 paragraphs
