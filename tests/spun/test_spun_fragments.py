"""Detection and repair of spinners the lexicon does not know: non-word fragments, the other-table
reading of the lexical evidence, and dictionary-neighbour repairs around fragments."""

from __future__ import annotations

from pathlib import Path

from service import spun
from service.edits import apply_edits
from service.spun.engine import engine
from service.spun.evaluate import distance
from service.spun.neighbours import Neighbours
from service.spun.spinner import read_table, spin_with_table

DATA = Path(__file__).resolve().parents[1] / "data" / "spun"
HELDOUT = Path(__file__).resolve().parents[2] / "service" / "data" / "spun" / "heldout_clean.txt"
FREQ = {"农民": -3.5, "增加": -3.4, "收入": -3.5, "的": -1.2}


def _toy() -> Neighbours:
    return Neighbours(lambda ch: (), lambda w: FREQ.get(w, -99.0))


def test_fragments_are_rare_characters_that_no_word_covers():
    assert _toy().fragments("农民增加收入") == (0, 6)
    assert _toy().fragments("农民删加收入") == (2, 6)  # 删加 is no word: both are fragments
    assert _toy().fragment_positions("农民删加的收入") == [2, 3]  # 的 is a word on its own
    assert _toy().fragments("abc，。") == (0, 0)


def _paragraphs(limit: int) -> list[str]:
    lines = HELDOUT.read_text("utf-8").splitlines()
    return [line for line in lines[400:] if len(line) >= 30][:limit]


def _charswap(paras: list[str]) -> list[str]:
    table = read_table(DATA / "dev_charswap.tsv")
    return [spin_with_table(p, table, seed=i, rate=0.5) for i, p in enumerate(paras)]


def test_heavy_unseen_character_swaps_are_detected_and_clean_sources_are_not():
    paras = _paragraphs(60)
    spun_paras = _charswap(paras)
    detected = sum(spun.score(s) >= spun.SPUN_THRESHOLD for s in spun_paras)
    false_alarms = sum(spun.score(p) >= spun.SPUN_THRESHOLD for p in paras)
    assert detected >= 0.75 * len(paras), detected  # measured 49 of 60
    assert false_alarms <= 0.05 * len(paras), false_alarms


def test_unseen_character_swaps_are_partly_repaired_and_sources_untouched():
    paras = _paragraphs(60)
    before = after = 0
    for para, spun_text in zip(paras, _charswap(paras), strict=True):
        result = spun.fix(spun_text)
        restored = apply_edits(spun_text, result.edits) if result.edits else spun_text
        before += distance(spun_text, para)[0]
        after += distance(restored, para)[0]
        assert not spun.fix(para).edits, para
    assert (before - after) / before >= 0.055, (before, after)  # measured 0.065


def test_surviving_originals_do_not_clear_a_post_spun_with_another_table():
    eng = engine()
    texts = _charswap(_paragraphs(20))
    # Under this lexicon's reading the surviving originals would outweigh everything; the
    # other-table reading caps them, so it is the higher one for most such posts.
    lower = sum(eng.strict_shift(t) < 0.0 for t in texts)
    assert lower >= 15, lower  # measured 20 of 20
    assert all(eng.strict_shift(t) <= 0.0 for t in texts)
