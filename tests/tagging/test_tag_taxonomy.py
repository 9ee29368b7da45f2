"""The taxonomy file, its schema and the term lists."""

from __future__ import annotations

import importlib.resources
import json

import jsonschema
import pytest

from service.tagging import topics

DATA = importlib.resources.files("service.data.tagging")
DEFAULT_IDS = [
    "industrial_projects",
    "economy_finance",
    "government_affairs",
    "technology",
    "real_estate",
    "education",
    "health",
    "sports",
    "entertainment",
    "culture_tourism",
    "agriculture",
    "society_public_safety",
    "international",
    "military",
    "environment",
    "autos",
    "energy",
    "lifestyle",
]


def _taxonomy() -> dict:
    return json.loads(DATA.joinpath("taxonomy.json").read_text("utf-8"))


def test_taxonomy_matches_schema_and_has_exactly_the_default_ids():
    schema = json.loads(DATA.joinpath("taxonomy.schema.json").read_text("utf-8"))
    data = _taxonomy()
    jsonschema.validate(data, schema)
    assert [t["id"] for t in data["topics"]] == DEFAULT_IDS
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in t["label"]) for t in data["topics"])


@pytest.mark.parametrize("topic_id", DEFAULT_IDS)
def test_term_lists_have_phrases_negatives_and_enough_terms(topic_id):
    terms = topics.parse_terms(DATA.joinpath("terms", f"{topic_id}.txt").read_text("utf-8"))
    positive = [t for t, w in terms.items() if w > 0]
    assert len(positive) >= 60
    assert sum(len(t) >= 4 for t in positive) >= 10  # phrases, not just words
    assert any(w < 0 for w in terms.values())


@pytest.mark.parametrize(
    "bad",
    [
        {"topics": []},
        {"schema": "qingliu.taxonomy/1", "topics": [{"id": "x", "label": "甲"}]},
        {
            "schema": "qingliu.taxonomy/1",
            "topics": [{"id": "x", "label": "甲", "description": "d"}] * 2,
        },
    ],
)
def test_check_taxonomy_rejects_malformed_files(bad):
    with pytest.raises(ValueError):
        topics.check_taxonomy(bad)


def test_parse_terms_rejects_a_line_without_weight():
    with pytest.raises(ValueError, match="weight"):
        topics.parse_terms("招商引资 产业园\n")


def test_operators_can_add_a_topic(tmp_path):
    (tmp_path / "terms").mkdir()
    (tmp_path / "taxonomy.json").write_text(
        json.dumps(
            {
                "schema": "qingliu.taxonomy/1",
                "topics": [{"id": "pets_trade", "label": "宠物交易", "description": "宠物买卖"}],
            }
        ),
        "utf-8",
    )
    words = " ".join(f"宠物词{i}" for i in range(60))
    (tmp_path / "terms" / "pets_trade.txt").write_text(f"5 出售幼犬 {words}\n-3 股价\n", "utf-8")
    model = topics.build_model([DATA, tmp_path])
    assert len(model.topics) == len(DEFAULT_IDS) + 1
    found, evidence = topics.score("急！出售幼犬，纯种柯基，出售幼犬价格可谈。", model)
    assert found[0]["id"] == "pets_trade"
    assert evidence["pets_trade"][0]["term"] == "出售幼犬"


def test_a_topic_with_too_few_terms_is_refused(tmp_path):
    (tmp_path / "terms").mkdir()
    (tmp_path / "taxonomy.json").write_text(
        json.dumps(
            {
                "schema": "qingliu.taxonomy/1",
                "topics": [{"id": "tiny", "label": "小", "description": "太少"}],
            }
        ),
        "utf-8",
    )
    (tmp_path / "terms" / "tiny.txt").write_text("5 一个词\n", "utf-8")
    with pytest.raises(ValueError, match="fewer than"):
        topics.build_model([tmp_path])
