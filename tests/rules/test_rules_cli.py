"""``qingliu rules`` refusals, ``--rules-file`` for the batch commands, and the contract."""

from __future__ import annotations

import json

import jsonschema
import orjson
import pytest

from service import contracts
from service.cli import main
from service.rules import RuleSet, make_rule


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--protect", ""], "phrase is empty"),
        (["--protect", "字" * 65], "limit is 64"),
        (["--restore", "效劳"], "SPUN=ORIGINAL"),
        (["--restore", "效劳="], "original is empty"),
        (["--disable-kind", "decoding"], "unknown fixer kind"),
        (["--disable-kind", "colour"], "unknown fixer kind"),
        (["--protect", "x", "--id", "not an id"], "id 'not an id'"),
    ],
)
def test_bad_rules_are_refused_before_any_broker(argv: list[str], says: str, capsys) -> None:
    # The broker address is unreachable: a refusal must not even try it.
    code = main(["rules", "add", *argv, "--broker", "kafka://127.0.0.1:9", "--timeout", "2"])
    err = capsys.readouterr().err
    assert code == 2
    assert says in err and len(err.strip().splitlines()) == 1


def test_rules_add_needs_exactly_one_action(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["rules", "add", "--protect", "x", "--disable-kind", "spun"])
    assert caught.value.code == 2


def write_rules(path, *rules) -> str:
    path.write_bytes(RuleSet.of(rules).to_jsonl())
    return str(path)


def test_process_applies_a_rules_file(tmp_path, capsysbinary) -> None:
    rules_file = write_rules(tmp_path / "rules.jsonl", make_rule("protect", phrase="效劳"))
    posts = tmp_path / "posts.jsonl"
    posts.write_bytes(orjson.dumps({"id": "p1", "text": "大家经由过程设置装备摆设，正在效劳社会"}) + b"\n")
    out = tmp_path / "clean.jsonl"
    assert main(["process", "-i", str(posts), "-o", str(out), "--rules-file", rules_file]) == 0
    event = orjson.loads(out.read_bytes())
    assert "效劳" in event["text"] and "配置" in event["text"]
    assert event["processor"]["rules"] == RuleSet.of([make_rule("protect", phrase="效劳")]).version
    assert main(["process", "-i", str(posts), "-o", str(out)]) == 0
    plain = orjson.loads(out.read_bytes())
    assert "效劳" not in plain["text"] and plain["processor"]["rules"] == "none"


def test_repair_applies_a_rules_file(tmp_path, capsysbinary) -> None:
    rules_file = write_rules(tmp_path / "rules.jsonl",
                             make_rule("restore", spun="小区", original="社区"),
                             make_rule("disable", kind="spun"))
    assert main(["repair", "--text", "小区经由过程设置装备摆设正在效劳", "--rules-file", rules_file]) == 0
    assert capsysbinary.readouterr().out.decode() == "小区经由过程设置装备摆设正在效劳\n"  # spun disabled: both
    rules_file = write_rules(tmp_path / "rules.jsonl",
                             make_rule("restore", spun="小区", original="社区"))
    assert main(["repair", "--text", "小区经由过程设置装备摆设正在效劳", "--explain", "--rules-file", rules_file]) == 0
    record = json.loads(capsysbinary.readouterr().out)
    assert record["text"] == "社区通过配置在服务"


def test_a_bad_rules_file_is_one_line_and_status_2(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"action": "disable", "kind": "decoding"}\n')
    assert main(["repair", "--text", "x", "--rules-file", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.jsonl:1" in err and len(err.strip().splitlines()) == 1


def test_rules_and_events_match_their_schemas() -> None:
    schema = json.loads((contracts.topics_dir() / "schemas" / "rule.v1.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for rule in (make_rule("protect", phrase="年夜饭", by="a", at="2026-01-01T00:00:00Z"),
                 make_rule("restore", spun="效劳", original="服务", why="x"),
                 make_rule("disable", kind="width")):
        validator.validate(rule.to_dict())
    assert not validator.is_valid({"action": "disable", "kind": "decoding"})
    assert not validator.is_valid({"action": "protect"})
    from service.pipeline import process_message

    ruled = RuleSet.of([make_rule("protect", phrase="年夜饭")])
    event = process_message(orjson.dumps({"id": "p", "text": "年夜饭"}), rules=ruled).value
    contracts.validator("clean").validate(event)


def test_the_rules_topic_is_compacted_and_single_partition() -> None:
    from service.config import Settings

    spec = {s.role: s for s in contracts.specs(Settings(partitions=4))}["rules"]
    assert spec.name == "qingliu.rules" and spec.partitions == 1
    assert spec.config["cleanup.policy"] == "compact"
    assert {s.role: s for s in contracts.specs(Settings(topic_rules="x.rules"))}["rules"].name \
        == "x.rules"
