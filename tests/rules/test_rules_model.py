"""Rules: validation, wire form, rule sets and their versions, rules files."""

from __future__ import annotations

import pickle

import orjson
import pytest

from service.rules import (
    EMPTY,
    MAX_PHRASE_CHARS,
    MAX_RULES,
    MAX_VALUE_BYTES,
    RuleError,
    RuleSet,
    load_file,
    load_lines,
    make_rule,
    parse_value,
)


def test_a_rule_round_trips_through_its_wire_form() -> None:
    rule = make_rule("restore", spun="年夜饭", original="大饭", by="mod-7", at="2026-01-01T00:00:00Z",
                     why="ticket 12")
    again = parse_value(rule.to_bytes())
    assert again == rule
    assert orjson.loads(rule.to_bytes())["schema"] == "qingliu.rule/1"


def test_default_ids_are_deterministic_and_distinct() -> None:
    first = make_rule("protect", phrase="年夜饭")
    assert first.id == make_rule("protect", phrase="年夜饭", by="someone else").id
    assert first.id != make_rule("protect", phrase="年夜").id
    assert first.id.startswith("protect-")


def test_kind_aliases_resolve_to_the_fixer_kind() -> None:
    assert make_rule("disable", kind="width").kind == "fullwidth"
    assert make_rule("disable", kind="Spun").kind == "spun"


@pytest.mark.parametrize(
    ("parts", "reason"),
    [
        ({"action": "protect", "phrase": ""}, "empty"),
        ({"action": "protect", "phrase": "  "}, "empty"),
        ({"action": "protect"}, "empty"),
        ({"action": "protect", "phrase": 5}, "wrong_type"),
        ({"action": "protect", "phrase": "字" * (MAX_PHRASE_CHARS + 1)}, "too_large"),
        ({"action": "protect", "phrase": "a\nb"}, "bad_text"),
        ({"action": "restore", "spun": "效劳", "original": ""}, "empty"),
        ({"action": "restore", "spun": "效劳", "original": "效劳"}, "no_op"),
        ({"action": "disable", "kind": "decoding"}, "unknown_kind"),
        ({"action": "disable", "kind": "nonsense"}, "unknown_kind"),
        ({"action": "forget", "phrase": "x"}, "unknown_action"),
        ({"action": "protect", "phrase": "x", "id": "has space"}, "bad_id"),
        ({"action": "protect", "phrase": "x", "id": "x" * 65}, "bad_id"),
        ({"action": "protect", "phrase": "x", "why": "y" * 1001}, "too_large"),
    ],
)
def test_bad_rules_are_refused_with_a_reason(parts: dict, reason: str) -> None:
    with pytest.raises(RuleError) as caught:
        make_rule(parts.pop("action"), **parts)
    assert caught.value.reason == reason
    assert str(caught.value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"{nope", "not_json"),
        (b"[1]", "not_object"),
        (b'{"action": "protect", "phrase": "x", "extra": 1}', "unknown_field"),
        (b'{"schema": "qingliu.rule/9", "action": "protect", "phrase": "x"}', "wrong_schema"),
        (orjson.dumps({"action": "protect", "phrase": "x", "why": "y" * MAX_VALUE_BYTES}),
         "too_large"),
    ],
)
def test_bad_wire_values_are_refused(value: bytes, reason: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_value(value)
    assert caught.value.reason == reason


def test_the_topic_key_is_the_id() -> None:
    value = b'{"action": "protect", "phrase": "x"}'
    assert parse_value(value, key="keep-x").id == "keep-x"
    with pytest.raises(RuleError):
        parse_value(b'{"id": "a", "action": "protect", "phrase": "x"}', key="b")


def test_versions_depend_on_content_not_order_or_metadata() -> None:
    a = make_rule("protect", phrase="年夜饭", by="a")
    b = make_rule("disable", kind="homoglyph")
    assert RuleSet.of([a, b]).version == RuleSet.of([b, a]).version
    assert RuleSet.of([a, b]).version != RuleSet.of([a]).version
    assert RuleSet.of([make_rule("protect", phrase="年夜饭", by="b"), b]).version == \
        RuleSet.of([a, b]).version
    assert EMPTY.version == "none" and not EMPTY
    assert RuleSet.of([]) is EMPTY


def test_a_rule_set_survives_pickling_with_its_caches() -> None:
    rules = RuleSet.of([make_rule("protect", phrase="年夜饭"),
                        make_rule("restore", spun="效劳", original="服务")])
    assert rules.protected == ("年夜饭",)
    again = pickle.loads(pickle.dumps(rules))
    assert again == rules and again.version == rules.version
    assert again.restores == {"效劳": "服务"}


def test_rule_sets_keep_at_most_the_limit_deterministically() -> None:
    by_id = {f"r{i:05d}": make_rule("protect", id=f"r{i:05d}", phrase=f"词{i}")
             for i in range(MAX_RULES + 3)}
    rules, left_out = RuleSet.of_mapping(by_id)
    assert len(rules) == MAX_RULES and left_out == 3
    assert rules.rules[-1].id == f"r{MAX_RULES - 1:05d}"


def test_rules_files_skip_comments_and_name_the_bad_line(tmp_path) -> None:
    good = make_rule("protect", phrase="年夜饭").to_bytes()
    path = tmp_path / "rules.jsonl"
    path.write_bytes(b"# operators' rules\n\n" + good + b"\n")
    assert load_file(str(path)).protected == ("年夜饭",)
    path.write_bytes(good + b"\n" + b'{"action": "disable", "kind": "decoding"}\n')
    with pytest.raises(RuleError, match=r"rules.jsonl:2: unknown fixer kind"):
        load_file(str(path))
    with pytest.raises(RuleError, match="cannot read"):
        load_file(str(tmp_path / "missing.jsonl"))


def test_a_rules_file_may_not_exceed_the_rule_limit() -> None:
    lines = [make_rule("protect", phrase=f"词{i}").to_bytes() for i in range(MAX_RULES + 1)]
    with pytest.raises(RuleError) as caught:
        load_lines(lines)
    assert caught.value.reason == "too_many"
