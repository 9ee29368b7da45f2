"""The judge of padded characters (service.spun.padding): model file, decisions, wiring, properties."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service import spun
from service.build.spun_padding import padded_positions
from service.edits import apply_edits
from service.spun import engine as E
from service.spun import padding as P
from service.spun.engine import engine
from service.spun.evaluate import distance

# An invented news item, and the same padded the way a padding spinner pads (的 → 的话,
# 年 → 年轻, 了 → 了断, 天 → 天才, 在 → 在职): every spun form is a real word.
VILLAGE = (
    "青石村的小学去年翻修了教室，今年秋天又在操场边种了一排桂花树，孩子们下课后常在树下看书，"
    "老师说等到花开的时候整个校园都是香的。"
)
VILLAGE_PADDED = (
    "青石村的话小学去年轻翻修了断教室，今年轻秋天才又在职操场边种了断一同排桂花树，孩子们下课后"
    "常在职树下看书，老师说等到花开的话时候整个校园都是香的。"
)


@pytest.fixture(scope="module")
def parts():
    e = engine()
    return e.padding, e.window_score, e.swapper.word_score


def _judged(line: str, parts) -> P.Judged:
    model, score, word_score = parts
    return P.judged(line, model, score, word_score)


def test_model_file_matches_the_code_and_names_only_development_rounds():
    data = json.loads(P.MODEL_PATH.read_text("utf-8"))
    assert data["schema"] == P.SCHEMA
    assert tuple(data["features"]) == P.FEATURES
    rounds = [f"round{k}" for k in range(1, 18)]
    assert data["trained_on"] == [f"tests/data/blind/{name}" for name in rounds]
    assert set(data["leave_one_round_out"]) == set(rounds)
    assert 0.0 < data["rate_clean_soft"] < data["rate_spun_soft"]


@pytest.mark.parametrize(
    "change",
    [
        {"features": ["cost"]},
        {"schema": 0},
        {"rate_clean_soft": 1.0, "rate_spun_soft": 0.5},
        {"tau": 1.5},
        {"scale": [0.0] * P.TERMS},
        {"weights": [1.0] * len(P.FEATURES)},
    ],
)
def test_a_model_file_that_does_not_match_is_refused(change):
    data = json.loads(P.MODEL_PATH.read_text("utf-8"))
    data.update(change)
    with pytest.raises(ValueError):
        P.Model(data)


def test_padded_characters_are_likelier_than_the_same_text_unpadded(parts):
    padded = _judged(VILLAGE_PADDED, parts)
    clean = _judged(VILLAGE, parts)
    assert P.soft_count(padded) > 3 * P.soft_count(clean)
    assert P.likelihood_ratio(padded, len(VILLAGE_PADDED), parts[0]) > 3.0
    assert P.likelihood_ratio(clean, len(VILLAGE), parts[0]) < 0.0
    likely = {VILLAGE_PADDED[i] for i, p in padded if p >= E.PAD_TAU}
    assert {"话", "轻", "才", "职"} <= likely


def test_a_padded_news_item_loses_its_padding_and_the_original_is_left_alone():
    result = spun.fix(VILLAGE_PADDED)
    restored = apply_edits(VILLAGE_PADDED, result.edits)
    assert result.score >= 0.5
    deleted = [e for e in result.edits if e.after == ""]
    assert len(deleted) >= 6 and all(e.kind == "spun" for e in deleted)
    assert distance(restored, VILLAGE)[0] <= 2 < distance(VILLAGE_PADDED, VILLAGE)[0]
    assert spun.fix(VILLAGE).edits == []


def test_without_the_deletions_the_padding_stays(monkeypatch):
    monkeypatch.setattr(E, "PAD_TAU", 1.01)
    result = spun.fix(VILLAGE_PADDED)
    assert not [e for e in result.edits if e.after == ""]


def test_a_line_below_the_restore_density_keeps_its_characters(monkeypatch):
    monkeypatch.setattr(E, "PAD_RESTORE_DENSITY", 50.0)
    result = spun.fix(VILLAGE_PADDED)
    assert not [e for e in result.edits if e.after == ""]


def test_padding_evidence_is_what_detects_the_padded_item(monkeypatch):
    monkeypatch.setattr(E, "PAD_CAP", 0.0)
    assert spun.fix(VILLAGE_PADDED).score < 0.5


# An invented market report padded the same way (的 → 的话, 上 → 上学, 了 → 了断, 就 → 就诊,
# 来 → 来往, 中 → 中间, 多 → 多少): the first round's deletions leave 的话 and 来往 beside
# restorations, which the second round reads restored.
MARKET = (
    "河东镇的农贸市场上周完成了改造，摊位重新编了号，卖菜的老人们早上五点就来摆摊，中午前大多已经"
    "卖完回家了。"
)
MARKET_PADDED = (
    "河东镇的话农贸市场上学周完成了断改造，摊位重新编了断号，卖菜的话老人们早上学五点就诊来往摆摊，"
    "中间午前大多少已经卖完回家了断。"
)


def test_a_second_round_reads_the_line_restored_and_finds_more(monkeypatch):
    def left(rounds: int) -> int:
        monkeypatch.setattr(E, "PAD_ROUNDS", rounds)
        return distance(apply_edits(MARKET_PADDED, spun.fix(MARKET_PADDED).edits), MARKET)[0]

    assert E.PAD_ROUNDS == 2
    assert left(2) < left(1) < distance(MARKET_PADDED, MARKET)[0]


def test_the_restored_view_maps_each_character_back():
    text = "甲乙丙丁戊己"
    choices = {1: (3, "", "子", 0.9)}  # 乙丙 → 子
    view, origin = E._restored_view(text, 0, 6, choices, {4: 0.5})  # 戊 deleted
    assert view == "甲子丁己"
    assert origin == [0, -1, 3, 5]
    # a restoration running past the line's end is not applied to it
    assert E._restored_view(text, 0, 2, choices, {}) == ("甲乙", [0, 1])


def test_deletions_skip_neighbours_shared_characters_and_taken_text():
    line = "附近的工人生和学生"
    likely = [(3, 0.9), (5, 0.8), (4, 0.7)]
    # 人 was padded into 工人 or into 人生, not into both; 人 next to a chosen 工 stays too.
    assert P.deletions(line, likely, [False] * len(line), 0.2) == [(3, 0.9)]
    taken = [False] * len(line)
    taken[2] = True  # a restoration next to 工
    assert P.deletions(line, likely, taken, 0.2) == [(5, 0.8)]
    assert P.deletions(line, likely, [False] * len(line), 0.95) == []


def test_numbers_and_reduplication_are_never_sites(parts):
    model, score, word_score = parts
    line = "二十五年来他一条条记下，滴答滴答，看看再说"
    positions = {i for i, _ in P.sites(line, score, word_score)}
    for i, ch in enumerate(line):
        if ch in P.NUMERALS or ch in (line[i - 1], line[i + 1 : i + 2]):
            assert i not in positions


def test_the_build_marks_the_character_a_substitution_added():
    spun_line = "晚上学就诊变成了"
    gold = {(0, 3): "晚上", (3, 5): "就"}
    assert padded_positions(gold, spun_line) == {2, 4}
    assert padded_positions({(0, 2): "晚上"}, spun_line) == set()  # (same length: no padding)


@settings(max_examples=60, deadline=None)
@given(
    st.text(alphabet=st.sampled_from("的一了在上学同断话职天才年轻大小人生工，。a1 "), max_size=60)
)
def test_judging_and_choosing_never_fail_and_choose_apart(parts, text):
    likely = _judged(text, parts)
    assert all(0 < i < len(text) and P.SOFT_P <= p <= 1.0 for i, p in likely)
    chosen = P.deletions(text, likely, [False] * len(text), 0.1)
    positions = [i for i, _ in chosen]
    assert positions == sorted(positions)
    assert all(b - a >= 2 for a, b in zip(positions, positions[1:], strict=False))
