"""Dictionary-neighbour candidates and the development spinner."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from service.spun import lm
from service.spun.neighbours import (
    Neighbours,
    classical_register,
    in_a_word,
    neighbours,
    written_cantonese,
)
from service.spun.spinner import read_table, spin_with_table

FREQ = {"增加": -3.4, "加强": -3.6, "收入": -3.5, "删除": -4.2}
PARTNERS = {"删": ("除", "减", "增"), "加": ("增", "参"), "收": ("支",)}


def _neighbours() -> Neighbours:
    return Neighbours(lambda ch: PARTNERS.get(ch, ()), lambda w: FREQ.get(w, -99.0))


def test_a_partner_swap_that_makes_a_frequent_word_is_a_candidate():
    assert _neighbours().candidates("删加") == ("增加",)
    assert _neighbours().candidates("收删") == ()  # no swap makes a word


def test_a_pair_that_is_a_word_gets_no_candidates():
    assert _neighbours().candidates("删除") == ()


def test_suspects_are_unseen_han_bigrams():
    text = "农民删加收入。"
    suspects = _neighbours().suspects(lm.normalize_char(text), 0, len(text), lm.model())
    assert 2 in suspects  # 删加
    assert all(0 <= j < len(text) - 1 for j in suspects)


def test_development_spinner_swaps_characters_inside_words_and_whole_words(tmp_path: Path):
    path = tmp_path / "table.tsv"
    path.write_text("# comment\n增\t删\n问题\t成绩\n", "utf-8")
    table = read_table(path)
    assert table == {"增": "删", "问题": "成绩"}
    out = spin_with_table("收入增加了，问题解决了。", table, rate=1.0)
    assert "删加" in out and "成绩" in out
    assert spin_with_table("增加", table, rate=0.0) == "增加"


def test_a_single_character_synonym_swap_that_makes_a_frequent_word_is_a_candidate():
    """城 for 市 (a Cilin synonym, not a word-mate): 全城 is no dictionary word here, 全市 is."""
    freq = {"全市": -3.8, "城市": -3.5}
    synonyms = {"城": ("市",), "市": ("城",)}
    gen = Neighbours(
        lambda ch: (), lambda w: freq.get(w, -99.0), synonyms=lambda ch: synonyms.get(ch, ())
    )
    assert gen.confusable("城") == ("市",)
    assert gen.candidates("全城") == ("全市",)
    assert gen.candidates("城市") == ()  # a frequent word itself: left alone
    plain = Neighbours(lambda ch: (), lambda w: freq.get(w, -99.0))
    assert plain.candidates("全城") == ()  # without synonyms, no partner makes a word


def test_a_fragment_gets_its_far_more_frequent_single_character_synonyms():
    """之 (for 的) and 颇 (for 很) as fragments; 葳, a name's character, is too rare for a swap."""
    freq = {"之": -4.0, "的": -1.5, "此": -3.5, "颇": -4.2, "很": -2.5, "葳": -7.1, "丰": -4.0}
    synonyms = {"之": ("的", "此"), "颇": ("很",), "葳": ("丰",)}
    gen = Neighbours(
        lambda ch: (), lambda w: freq.get(w, -99.0), synonyms=lambda ch: synonyms.get(ch, ())
    )
    assert gen.single("之") == ("的",)  # 此 is not ten times as frequent
    assert gen.single("颇") == ("很",)
    assert gen.single("葳") == ()
    assert Neighbours(lambda ch: (), lambda w: freq.get(w, -99.0)).single("之") == ()


def test_written_cantonese_has_no_fragments():
    """Written Cantonese uses words the Mandarin dictionary lacks (返工, 老细, 屋企): its rare
    characters are the writer's, not a spinner's, while Mandarin text keeps its fragments."""
    from service.spun.neighbours import neighbours, written_cantonese

    gen = neighbours()
    cantonese = "返工迟咗，俾老细闹咗一餐，之后仲要留喺公司度搵嘢做。"
    assert written_cantonese(cantonese)
    assert gen.fragment_positions(cantonese) == []
    assert gen.fragment_positions(cantonese.replace("咗", "了").replace("喺", "在")) != []
    assert not written_cantonese("我们唔了一声，又继续赶路。")  # one marker is not enough
    assert gen.fragment_positions("农民删加了收入") != []



def _fragments_by_definition(gen: Neighbours, text: str) -> list[int]:
    """Fragments as :meth:`Neighbours.fragments` defines them, one character at a time: a rare
    Han character that no dictionary word of 2 to ``FRAGMENT_SPAN`` characters covers (none in
    written Cantonese or classical prose)."""
    rare = [m.start() for m in gen._rare_pattern().finditer(text)]
    out = [i for i in rare if not in_a_word(text, i, gen.words, 2)]
    if out and (written_cantonese(text) or classical_register(text)):
        return []
    return out


# Common characters (most of them rare as words of their own), a few rarer ones, punctuation,
# Latin letters and digits: texts with fragments and without.
_CHARS = "".join(sorted(set(
    "的一是在不了有人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产"
    "种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点"
    "从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看"
    "原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象"
    "删颇葳徜徉。，a1 "
)))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_CHARS, max_size=60))
def test_fragment_positions_match_their_definition(text):
    gen = neighbours()
    assert gen.fragment_positions(text) == _fragments_by_definition(gen, text)
