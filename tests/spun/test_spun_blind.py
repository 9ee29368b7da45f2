"""Floors on the blind evaluation sets (tests/data/blind/round*/): aggregate figures only.

The sets were written by someone who does not tune the engine; their texts are never read here or
while tuning.  The floors sit a little below the figures measured when they were set, so that a
regression fails; the clean sets' floors are what the engine must not get worse at.

Rounds 1–3 are development data now: the table-free swap judge (``service/data/spun/swapper.json``)
is trained on them, so their figures are in-sample.  Rounds 4 and 5 are not read by any build.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from service.spun.evaluate import evaluate_manifest

BLIND = Path(__file__).resolve().parents[1] / "data" / "blind"

# family → least share of character errors removed (measured: see the comments).
ROUND1_FLOORS = {
    "spun:nianye_r1": 0.28,  # 0.295 with the swap judge (0.282 before it)
    "spun:thesaurus_r1": 0.10,  # 0.115 (0.087 before the swap judge)
    "spun:synonym_r1": 0.08,  # 0.098 (0.034 before the swap judge)
    "spun:nianye_r1+thesaurus_r1": 0.23,  # 0.244
    "spun:nianye_r1+synonym_r1": 0.0,  # 0.0: no post of this light mix is detected yet
}


def _round(name: str) -> dict:
    manifest = BLIND / name / "manifest.json"
    if not manifest.exists():
        pytest.skip(f"blind set {name} is not in this checkout")
    return evaluate_manifest(manifest)


@pytest.fixture(scope="module")
def round1() -> dict:
    return _round("round1")


@pytest.mark.parametrize(("family", "floor"), sorted(ROUND1_FLOORS.items()))
def test_round1_errors_removed_floor(round1, family, floor):
    figures = round1["families"][family]
    assert figures["errors_before"] > 0
    assert figures["errors_removed"] >= floor, figures


def test_round1_spun_posts_rank_above_clean_posts(round1):
    assert round1["kinds"]["spun"]["auroc"] >= 0.80, round1["kinds"]["spun"]  # 0.824
    assert round1["families"]["spun:nianye_r1"]["auroc"] >= 0.95  # 0.983


def test_round1_clean_posts(round1):
    assert round1["sets"]["clean_long"]["posts_touched"] == 0
    # No short post is changed (two were before short posts needed a clear spinner).
    assert round1["sets"]["clean_short"]["posts_touched"] == 0, round1["sets"]["clean_short"]
    assert round1["kinds"]["clean"]["changed_per_10k_correct"] == 0.0


ROUND2_FLOORS = {
    "spun:charswap_r2": 0.18,  # 0.198 with the swap judge (0.153 before it)
    "spun:roundtrip_r2": 0.05,  # 0.060 (0.039 before the swap judge)
    "spun:homophone_r2": 0.0,  # 0.0: homophone swaps are not modelled yet
    "spun:charswap_r2+roundtrip_r2": 0.15,  # 0.164 (0.135 before the swap judge)
    "spun:charswap_r2+homophone_r2": 0.0,  # 0.0
}


@pytest.fixture(scope="module")
def round2() -> dict:
    return _round("round2")


@pytest.mark.parametrize(("family", "floor"), sorted(ROUND2_FLOORS.items()))
def test_round2_errors_removed_floor(round2, family, floor):
    figures = round2["families"][family]
    assert figures["errors_before"] > 0
    assert figures["errors_removed"] >= floor, figures


def test_round2_clean_posts(round2):
    assert round2["sets"]["clean_long"]["posts_touched"] == 0
    # No short post is changed (three were before short posts needed a clear spinner).
    assert round2["sets"]["clean_short"]["posts_touched"] == 0, round2["sets"]["clean_short"]
    assert round2["kinds"]["clean"]["changed_per_10k_correct"] == 0.0


def test_round2_spun_posts_rank_above_clean_posts(round2):
    assert round2["kinds"]["spun"]["auroc"] >= 0.70, round2["kinds"]["spun"]  # 0.718
    assert round2["families"]["spun:charswap_r2"]["auroc"] >= 0.94  # 0.968


# Round 3: first measured 0.016 of errors removed, AUROC 0.46 (the engine before non-word
# fragments and the other-table reading); the floors sit below the figures measured after.
ROUND3_FLOORS = {
    "spun:flipchar_r3": 0.13,  # 0.143 with the swap judge (0.100 before it)
    "spun:backtrans_r3": 0.015,  # 0.024 (0.002 before the swap judge)
    "spun:classical_r3": 0.045,  # 0.058 (0.036 before the swap judge)
    "spun:flipchar_r3+backtrans_r3": 0.0,  # 0.006
    "spun:flipchar_r3+classical_r3": 0.0,  # 0.0
}


@pytest.fixture(scope="module")
def round3() -> dict:
    return _round("round3")


@pytest.mark.parametrize(("family", "floor"), sorted(ROUND3_FLOORS.items()))
def test_round3_errors_removed_floor(round3, family, floor):
    figures = round3["families"][family]
    assert figures["errors_before"] > 0
    assert figures["errors_removed"] >= floor, figures


def test_round3_spun_posts_rank_above_clean_posts(round3):
    assert round3["kinds"]["spun"]["auroc"] >= 0.72, round3["kinds"]["spun"]  # 0.736


def test_round3_clean_posts(round3):
    assert round3["sets"]["clean_long"]["posts_touched"] == 0
    # No short post is changed (two were before short posts needed a clear spinner).
    assert round3["sets"]["clean_short"]["posts_touched"] == 0, round3["sets"]["clean_short"]
    assert round3["kinds"]["clean"]["changed_per_10k_correct"] == 0.0


# Round 4 (read for its scores only, and to choose the swap judge's gates): first measured 0.043
# of errors removed, AUROC 0.73, no clean post changed; the floors sit below the final figures.
ROUND4_FLOORS = {
    "spun:newsflip_r4": 0.115,  # 0.129 with the swap judge (0.100 before it; first 0.061)
    "spun:mtexpand_r4": 0.06,  # 0.073 (0.067 before the swap judge; first 0.060)
    "spun:negation_r4": -0.005,  # -0.003: antonym and negation swaps are not undone; one slip
    "spun:newsflip_r4+mtexpand_r4": 0.06,  # 0.072 (0.032 before the swap judge; first 0.028)
    "spun:newsflip_r4+negation_r4": 0.0,  # 0.0
}


@pytest.fixture(scope="module")
def round4() -> dict:
    return _round("round4")


@pytest.mark.parametrize(("family", "floor"), sorted(ROUND4_FLOORS.items()))
def test_round4_errors_removed_floor(round4, family, floor):
    figures = round4["families"][family]
    assert figures["errors_before"] > 0
    assert figures["errors_removed"] >= floor, figures


def test_round4_spun_posts_rank_above_clean_posts(round4):
    assert round4["kinds"]["spun"]["auroc"] >= 0.76, round4["kinds"]["spun"]  # 0.778 (first 0.735)


def test_round4_clean_posts(round4):
    assert round4["sets"]["clean_long"]["posts_touched"] == 0
    assert round4["sets"]["clean_short"]["posts_touched"] == 0, round4["sets"]["clean_short"]
    assert round4["kinds"]["clean"]["changed_per_10k_correct"] == 0.0


# Round 5 (fresh for the swap judge; only its aggregate scores were read: at the start, after the
# judge, and when choosing between the judge and a variant trained on rounds 1–4 with segmentation
# features, which scored 0.055 here and 0.044 on round 6): first measured 0.034 of errors removed,
# AUROC 0.70, no clean post changed (the engine before the judge).
ROUND5_FLOORS = {
    "spun:pressfarm_r5": 0.14,  # 0.153 (first 0.096)
    "spun:thesaurus_r5": 0.03,  # 0.040 (first 0.009)
    "spun:seo_r5": -0.005,  # -0.002 (first -0.002): marketing synonyms are not undone
    "spun:pressfarm_r5+thesaurus_r5": 0.045,  # 0.055 (first 0.016)
    "spun:pressfarm_r5+seo_r5": 0.0,  # 0.0: no light post is detected
}


@pytest.fixture(scope="module")
def round5() -> dict:
    return _round("round5")


@pytest.mark.parametrize(("family", "floor"), sorted(ROUND5_FLOORS.items()))
def test_round5_errors_removed_floor(round5, family, floor):
    figures = round5["families"][family]
    assert figures["errors_before"] > 0
    assert figures["errors_removed"] >= floor, figures


def test_round5_spun_posts_rank_above_clean_posts(round5):
    assert round5["kinds"]["spun"]["auroc"] >= 0.69, round5["kinds"]["spun"]  # 0.708 (first 0.703)


def test_round5_clean_posts(round5):
    assert round5["sets"]["clean_long"]["posts_touched"] == 0
    assert round5["sets"]["clean_short"]["posts_touched"] == 0, round5["sets"]["clean_short"]
    assert round5["kinds"]["clean"]["changed_per_10k_correct"] == 0.0


# Round 6 (fresh, written while the judge was tuned; read at the start, for the choice above, and at
# the end): first measured 0.030 of errors removed, AUROC 0.78, with the engine before the judge;
# 0.047 with it, 0.048 with its Poisson evidence.
ROUND6_FLOORS = {
    "spun:wirefarm_r6": 0.07,  # 0.082 (0.071 before the judge)
    "spun:docsyn_r6": 0.02,  # 0.032 (0.003 before the judge)
    "spun:health_r6": 0.0,  # 0.007 (0.001 before the judge)
    "spun:wirefarm_r6+docsyn_r6": 0.07,  # 0.087 (0.057 before the judge)
    "spun:wirefarm_r6+health_r6": 0.0,  # 0.0: no light post is detected
}


@pytest.fixture(scope="module")
def round6() -> dict:
    return _round("round6")


@pytest.mark.parametrize(("family", "floor"), sorted(ROUND6_FLOORS.items()))
def test_round6_errors_removed_floor(round6, family, floor):
    figures = round6["families"][family]
    assert figures["errors_before"] > 0
    assert figures["errors_removed"] >= floor, figures


def test_round6_spun_posts_rank_above_clean_posts(round6):
    assert round6["kinds"]["spun"]["auroc"] >= 0.77, round6["kinds"]["spun"]  # 0.786 (first 0.782)


def test_round6_clean_posts(round6):
    assert round6["sets"]["clean_long"]["posts_touched"] == 0
    # One of 393 short posts was changed before forms inside longer real words stopped counting
    # (年夜饭: see test_spun_decisions).
    assert round6["sets"]["clean_short"]["posts_touched"] == 0, round6["sets"]["clean_short"]
    assert round6["kinds"]["clean"]["changed_per_10k_correct"] == 0.0


# Round 7 (fresh, written after the judge and its gates were chosen; read only to record the first
# and the final figures): first measured 0.045 of errors removed, AUROC 0.82, with the judge before
# its Poisson evidence (0.032 and 0.82 with the engine before the judge); no clean post changed.
ROUND7_FLOORS = {
    "spun:newsmill_r7": 0.07,  # 0.081 (first 0.079; 0.066 before the judge)
    "spun:manual_r7": 0.04,  # 0.052 (first 0.052; 0.030 before the judge)
    "spun:sports_r7": 0.0,  # 0.007 (first 0.0)
    "spun:newsmill_r7+manual_r7": 0.02,  # 0.029 (first 0.029)
    "spun:newsmill_r7+sports_r7": 0.0,  # 0.0: no light post is detected
}


@pytest.fixture(scope="module")
def round7() -> dict:
    return _round("round7")


@pytest.mark.parametrize(("family", "floor"), sorted(ROUND7_FLOORS.items()))
def test_round7_errors_removed_floor(round7, family, floor):
    figures = round7["families"][family]
    assert figures["errors_before"] > 0
    assert figures["errors_removed"] >= floor, figures


def test_round7_spun_posts_rank_above_clean_posts(round7):
    assert round7["kinds"]["spun"]["auroc"] >= 0.82, round7["kinds"]["spun"]  # 0.838 (first 0.822)


def test_round7_clean_posts(round7):
    assert round7["sets"]["clean_long"]["posts_touched"] == 0
    assert round7["sets"]["clean_short"]["posts_touched"] == 0, round7["sets"]["clean_short"]
    assert round7["kinds"]["clean"]["changed_per_10k_correct"] == 0.0


# Round 8 (fresh, written after the judge's Poisson evidence was chosen; read only to record the
# first and the final figures): first 0.035 of errors removed, AUROC 0.74, no clean post changed;
# final the same (0.031 and 0.72 with the engine before the judge).
ROUND8_FLOORS = {
    "spun:presswash_r8": 0.03,  # 0.037 (0.031 before the judge)
    "spun:devdoc_r8": 0.045,  # 0.055 (0.047 before the judge)
    "spun:realty_r8": 0.0,  # 0.005
    "spun:presswash_r8+devdoc_r8": 0.02,  # 0.027 (0.031 before the judge)
    "spun:presswash_r8+realty_r8": 0.0,  # 0.0: no light post is detected
}


@pytest.fixture(scope="module")
def round8() -> dict:
    return _round("round8")


@pytest.mark.parametrize(("family", "floor"), sorted(ROUND8_FLOORS.items()))
def test_round8_errors_removed_floor(round8, family, floor):
    figures = round8["families"][family]
    assert figures["errors_before"] > 0
    assert figures["errors_removed"] >= floor, figures


def test_round8_spun_posts_rank_above_clean_posts(round8):
    assert round8["kinds"]["spun"]["auroc"] >= 0.73, round8["kinds"]["spun"]  # 0.743 (first 0.743)


def test_round8_clean_posts(round8):
    assert round8["sets"]["clean_long"]["posts_touched"] == 0
    assert round8["sets"]["clean_short"]["posts_touched"] == 0, round8["sets"]["clean_short"]
    assert round8["kinds"]["clean"]["changed_per_10k_correct"] == 0.0
