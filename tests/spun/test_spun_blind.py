"""Floors on the blind evaluation sets (tests/data/blind/round*/): aggregate figures only.

The sets were written by someone who does not tune the engine; their texts are never read here or
while tuning.  The floors sit a little below the figures measured when they were set, so that a
regression fails; the clean sets' floors are what the engine must not get worse at: no clean post
of any round is changed.

Rounds 1–8 are development data now: the table-free swap judge (``service/data/spun/swapper.json``)
is trained on them, so their figures are in-sample.  Later rounds are not read by any build.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from service.spun.evaluate import evaluate_manifest

BLIND = Path(__file__).resolve().parents[1] / "data" / "blind"

# round → family → least share of character errors removed (measured: see the comments).
FLOORS = {
    "round1": {
        "spun:nianye_r1": 0.28,  # 0.295 with the swap judge (0.282 before it)
        "spun:thesaurus_r1": 0.10,  # 0.115 (0.087 before the swap judge)
        "spun:synonym_r1": 0.08,  # 0.098 (0.034 before the swap judge)
        "spun:nianye_r1+thesaurus_r1": 0.23,  # 0.244
        "spun:nianye_r1+synonym_r1": 0.0,  # 0.0: no post of this light mix is detected yet
    },
    "round2": {
        "spun:charswap_r2": 0.18,  # 0.198 with the swap judge (0.153 before it)
        "spun:roundtrip_r2": 0.05,  # 0.060 (0.039 before the swap judge)
        "spun:homophone_r2": 0.0,  # 0.0: homophone swaps are not modelled yet
        "spun:charswap_r2+roundtrip_r2": 0.15,  # 0.164 (0.135 before the swap judge)
        "spun:charswap_r2+homophone_r2": 0.0,  # 0.0
    },
    # Round 3: first measured 0.016 of errors removed, AUROC 0.46 (the engine before non-word
    # fragments and the other-table reading); the floors sit below the figures measured after.
    "round3": {
        "spun:flipchar_r3": 0.13,  # 0.143 with the swap judge (0.100 before it)
        "spun:backtrans_r3": 0.015,  # 0.024 (0.002 before the swap judge)
        "spun:classical_r3": 0.045,  # 0.058 (0.036 before the swap judge)
        "spun:flipchar_r3+backtrans_r3": 0.0,  # 0.006
        "spun:flipchar_r3+classical_r3": 0.0,  # 0.0
    },
    # Round 4 (read for its scores only, and to choose the swap judge's gates): first measured
    # 0.043 of errors removed, AUROC 0.73, no clean post changed.
    "round4": {
        "spun:newsflip_r4": 0.115,  # 0.129 with the swap judge (0.100 before it; first 0.061)
        "spun:mtexpand_r4": 0.06,  # 0.073 (0.067 before the swap judge; first 0.060)
        "spun:negation_r4": -0.005,  # -0.003: antonym and negation swaps are not undone; one slip
        "spun:newsflip_r4+mtexpand_r4": 0.06,  # 0.072 (0.032 before the swap judge; first 0.028)
        "spun:newsflip_r4+negation_r4": 0.0,  # 0.0
    },
    # Round 5 (fresh for the swap judge; only its aggregate scores were read: at the start, after
    # the judge, and when choosing between the judge and a variant trained on rounds 1–4 with
    # segmentation features, which scored 0.055 here and 0.044 on round 6): first measured 0.034
    # of errors removed, AUROC 0.70, no clean post changed (the engine before the judge).
    "round5": {
        "spun:pressfarm_r5": 0.14,  # 0.153 (first 0.096)
        "spun:thesaurus_r5": 0.03,  # 0.040 (first 0.009)
        "spun:seo_r5": -0.005,  # -0.002 (first -0.002): marketing synonyms are not undone
        "spun:pressfarm_r5+thesaurus_r5": 0.045,  # 0.055 (first 0.016)
        "spun:pressfarm_r5+seo_r5": 0.0,  # 0.0: no light post is detected
    },
    # Round 6 (fresh, written while the judge was tuned; read at the start, for the choice above,
    # and at the end): first measured 0.030 of errors removed, AUROC 0.78, with the engine before
    # the judge; 0.047 with it, 0.048 with its Poisson evidence.  One short clean post was changed
    # until forms inside longer real words stopped counting (年夜饭: see test_spun_decisions).
    "round6": {
        "spun:wirefarm_r6": 0.07,  # 0.082 (0.071 before the judge)
        "spun:docsyn_r6": 0.02,  # 0.032 (0.003 before the judge)
        "spun:health_r6": 0.0,  # 0.007 (0.001 before the judge)
        "spun:wirefarm_r6+docsyn_r6": 0.07,  # 0.087 (0.057 before the judge)
        "spun:wirefarm_r6+health_r6": 0.0,  # 0.0: no light post is detected
    },
    # Round 7 (fresh, written after the judge and its gates were chosen; read only to record the
    # first and the final figures): first measured 0.045 of errors removed, AUROC 0.82, with the
    # judge before its Poisson evidence (0.032 and 0.82 with the engine before the judge).
    "round7": {
        "spun:newsmill_r7": 0.07,  # 0.081 (first 0.079; 0.066 before the judge)
        "spun:manual_r7": 0.04,  # 0.052 (first 0.052; 0.030 before the judge)
        "spun:sports_r7": 0.0,  # 0.007 (first 0.0)
        "spun:newsmill_r7+manual_r7": 0.02,  # 0.029 (first 0.029)
        "spun:newsmill_r7+sports_r7": 0.0,  # 0.0: no light post is detected
    },
    # Round 8 (fresh, written after the judge's Poisson evidence was chosen; read only to record
    # the first and the final figures): first 0.035 of errors removed, AUROC 0.74; final the same
    # (0.031 and 0.72 with the engine before the judge).
    "round8": {
        "spun:presswash_r8": 0.03,  # 0.037 (0.031 before the judge)
        "spun:devdoc_r8": 0.045,  # 0.055 (0.047 before the judge)
        "spun:realty_r8": 0.0,  # 0.005
        "spun:presswash_r8+devdoc_r8": 0.02,  # 0.027 (0.031 before the judge)
        "spun:presswash_r8+realty_r8": 0.0,  # 0.0: no light post is detected
    },
}

# round → least AUROC of the post score, spun posts against clean ones (measured in comments).
AUROC = {
    "round1": 0.80,  # 0.836 (0.824 before the swap judge)
    "round2": 0.70,  # 0.731 (0.718)
    "round3": 0.72,  # 0.753 (0.736)
    "round4": 0.76,  # 0.795 (first 0.735)
    "round5": 0.69,  # 0.718 (first 0.703)
    "round6": 0.77,  # 0.795 (first 0.782)
    "round7": 0.82,  # 0.838 (first 0.822)
    "round8": 0.73,  # 0.743 (first 0.743)
}
# Families whose posts the score must rank almost perfectly (the 年夜 kind the lexicon knows).
FAMILY_AUROC = {
    ("round1", "spun:nianye_r1"): 0.95,  # 0.984
    ("round2", "spun:charswap_r2"): 0.94,  # 0.997
}

_cache: dict[str, dict] = {}


def _round(name: str) -> dict:
    """The round's figures, evaluated once per test process."""
    if name not in _cache:
        manifest = BLIND / name / "manifest.json"
        if not manifest.exists():
            pytest.skip(f"blind set {name} is not in this checkout")
        _cache[name] = evaluate_manifest(manifest)
    return _cache[name]


@pytest.mark.parametrize(
    ("name", "family", "floor"),
    [(name, family, floor) for name, floors in FLOORS.items() for family, floor in floors.items()],
)
def test_errors_removed_floor(name, family, floor):
    figures = _round(name)["families"][family]
    assert figures["errors_before"] > 0
    assert figures["errors_removed"] >= floor, figures


@pytest.mark.parametrize(("name", "floor"), sorted(AUROC.items()))
def test_spun_posts_rank_above_clean_posts(name, floor):
    figures = _round(name)["kinds"]["spun"]
    assert figures["auroc"] >= floor, figures


@pytest.mark.parametrize(("key", "floor"), sorted(FAMILY_AUROC.items()))
def test_family_posts_rank_above_clean_posts(key, floor):
    name, family = key
    assert _round(name)["families"][family]["auroc"] >= floor


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_clean_posts_are_untouched(name):
    figures = _round(name)
    assert figures["sets"]["clean_long"]["posts_touched"] == 0
    assert figures["sets"]["clean_short"]["posts_touched"] == 0, figures["sets"]["clean_short"]
    assert figures["kinds"]["clean"]["changed_per_10k_correct"] == 0.0


def test_every_round_on_disk_has_floors():
    """A new blind round gets its floors here when its first figures are recorded."""
    on_disk = {p.parent.name for p in BLIND.glob("round*/manifest.json")}
    assert on_disk <= set(FLOORS), sorted(on_disk - set(FLOORS))
