"""Rules applied to repairs: protection across stages, restorations, disabled kinds."""

from __future__ import annotations

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from service.edits import Edit, apply_edits, validate_edits
from service.pipeline import FIXERS, process_message, repair_text
from service.rules import EMPTY, KINDS, RuleSet, make_rule
from service.rules.apply import protected_spans, touches

# Clearly spun (经由过程, 设置装备摆设 are never seen in clean text): every site is restored.
SPUN = "大家经由过程设置装备摆设，正在效劳社会"


def rules(*made: tuple) -> RuleSet:
    return RuleSet.of(make_rule(action, **parts) for action, parts in made)


def rebuilds(original: str, edits: list[Edit], text: str) -> bool:
    validate_edits(original, edits)
    return apply_edits(original, edits) == text


def test_without_rules_the_repair_is_unchanged() -> None:
    assert repair_text(SPUN, rules=EMPTY) == repair_text(SPUN)
    assert EMPTY.fixers(FIXERS) is FIXERS


def test_protect_keeps_the_phrase_and_the_other_repairs() -> None:
    plain = repair_text(SPUN)
    assert "效劳" not in plain.text  # the spun engine restores 效劳 as 服务 here
    repair = repair_text(SPUN, rules=rules(("protect", {"phrase": "效劳"})))
    assert "效劳" in repair.text
    assert "配置" in repair.text and "正在" not in repair.text  # other sites still restored
    assert len(repair.edits) == len(plain.edits) - 1
    assert rebuilds(SPUN, repair.edits, repair.text)


def test_protect_applies_in_each_stage_coordinates() -> None:
    # The phrase only appears once the invisible character inside it is removed: the invisible
    # stage may remove it, the spun stage must then leave the phrase alone.
    text = "大家经由过程设置装备摆设，正在效\u200b劳社会"
    assert "服务" in repair_text(text).text
    repair = repair_text(text, rules=rules(("protect", {"phrase": "效劳"})))
    assert "效劳社会" in repair.text and "配置" in repair.text
    assert [e.kind for e in repair.edits if e.before == "\u200b"] == ["invisible"]
    assert rebuilds(text, repair.edits, repair.text)


def test_protect_drops_first_stage_edits_inside_the_phrase() -> None:
    text = "我们的ＱＱ群号是１２３４５，欢迎加入"
    repair = repair_text(text, rules=rules(("protect", {"phrase": "ＱＱ群"})))
    assert repair.text == "我们的ＱＱ群号是12345，欢迎加入"
    assert rebuilds(text, repair.edits, repair.text)


def test_restore_adds_a_spun_edit() -> None:
    text = "这个小区的物业效劳很好"
    extra = rules(("restore", {"spun": "物业效劳", "original": "物业服务"}),
                  ("restore", {"spun": "小区", "original": "社区"}))
    repair = repair_text(text, rules=extra)
    assert "社区" in repair.text and "物业服务" in repair.text
    assert all(e.kind == "spun" for e in repair.edits)
    assert "spun" in repair.kinds
    assert rebuilds(text, repair.edits, repair.text)


def test_restore_respects_protection() -> None:
    text = "小区里的小区门口"
    repair = repair_text(text, rules=rules(("restore", {"spun": "小区", "original": "社区"}),
                                           ("protect", {"phrase": "小区门口"})))
    assert repair.text == "社区里的小区门口"


def test_disable_kind_skips_that_fixer() -> None:
    text = "我们的ＱＱ群号是１２３４５，欢迎加入⻓江大桥"
    repair = repair_text(text, rules=rules(("disable", {"kind": "width"})))
    assert "ＱＱ" in repair.text and "长江" in repair.text
    assert all("fullwidth" not in e.kind for e in repair.edits)
    assert "fullwidth" not in repair.kinds
    off = repair_text(SPUN, rules=rules(("disable", {"kind": "spun"}),
                                        ("restore", {"spun": "效劳", "original": "服务"})))
    assert off.text == SPUN and not off.edits  # no edit of a disabled kind, operators' neither


def test_clean_events_name_the_rules_version() -> None:
    value = orjson.dumps({"id": "p1", "text": SPUN})
    assert process_message(value).value["processor"]["rules"] == "none"
    ruled = rules(("protect", {"phrase": "效劳"}))
    event = process_message(value, rules=ruled).value
    assert event["processor"]["rules"] == ruled.version
    assert "效劳" in event["text"]


def test_insertions_at_a_phrase_edge_count_as_touching_it() -> None:
    spans = protected_spans("abcabc", ["bc", "ca"])
    assert spans == [(1, 6)]
    assert touches(Edit(1, 1, "", "x", "k"), spans)
    assert touches(Edit(6, 6, "", "x", "k"), spans)
    assert not touches(Edit(0, 1, "a", "x", "k"), spans)


# -- properties -----------------------------------------------------------------------------
PIECES = ["年夜饭", "丰盛", "正在", "效劳", "社会", "\u200b", "ＱＱ", "１２", "⻓江", "Ꭺ", "的",
          "，", "。", "abc", "é", "Ã©", "大家"]
texts = st.lists(st.sampled_from(PIECES), min_size=1, max_size=12).map("".join)
words = st.lists(st.sampled_from(PIECES), min_size=1, max_size=2).map("".join)
rule_specs = st.lists(
    st.one_of(
        st.tuples(st.just("protect"), st.fixed_dictionaries({"phrase": words})),
        st.tuples(st.just("restore"), st.fixed_dictionaries({"spun": words, "original": words}))
        .filter(lambda spec: spec[1]["spun"] != spec[1]["original"]),
        st.tuples(st.just("disable"), st.fixed_dictionaries({"kind": st.sampled_from(KINDS)})),
    ),
    max_size=6,
)


@settings(max_examples=80)
@given(text=texts, specs=rule_specs)
def test_rules_never_break_a_repair(text: str, specs: list) -> None:
    ruled = rules(*specs)
    repair = repair_text(text, rules=ruled)
    assert rebuilds(text, repair.edits, repair.text)
    for edit in repair.edits:
        assert not set(edit.kind.split("+")) & ruled.disabled


@settings(max_examples=60)
@given(text=texts, specs=rule_specs)
def test_protecting_the_whole_text_leaves_it_unchanged(text: str, specs: list) -> None:
    repair = repair_text(text, rules=rules(*specs, ("protect", {"phrase": text[:64]})))
    if len(text) <= 64:
        assert repair.text == text and not repair.edits
