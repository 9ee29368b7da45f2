"""Topic scores, evidence and the seed-dev article."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.pipeline import repair_text
from service.tagging import tag, topics

SEED_DEV = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "seed-dev"


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        (
            "肇庆高新区新能源汽车零部件产业园今天集中开工，总投资45亿元，预计明年投产。",
            "industrial_projects",
        ),
        ("央行宣布下调存款准备金率0.5个百分点，A股三大指数集体高开。", "economy_finance"),
        ("使用 Docker 部署服务时，先在配置文件中设置环境变量，再启动容器。", "technology"),
        ("今年高考报名人数再创新高，教育部提醒考生谨慎填报志愿。", "education"),
        ("国足客场1比2负于对手，出线形势严峻，主教练赛后致歉。", "sports"),
        ("这家火锅店排队两小时，味道一般，人均150，不会再回购了。", "lifestyle"),
    ],
)
def test_clear_cases(text, topic):
    assert tag(text).topics[0]["id"] == topic


def test_phrase_hides_the_words_inside_it():
    """学习贯彻 is a government phrase; the 学习 inside it is not education evidence."""
    found, evidence = topics.score("全市各级党组织认真学习贯彻全会精神，市委书记作动员讲话。")
    assert found[0]["id"] == "government_affairs"
    assert all(item["term"] != "学习" for item in evidence.get("education", []))


def test_negative_terms_lower_a_topic():
    base = topics.score("新能源汽车产业园项目开工。")[0]
    with_negative = topics.score("新能源汽车产业园项目开工。房价 楼盘 二手房")[0]
    score = {t["id"]: t["score"] for t in base}["industrial_projects"]
    after = {t["id"]: t["score"] for t in with_negative}.get("industrial_projects", 0.0)
    assert after < score


def test_scores_are_densities_not_sums():
    """Repeating a paragraph does not change its topics or scores much."""
    text = "解放军东部战区组织海空兵力开展联合演习，驱逐舰、护卫舰和歼-20战机参加。"
    once, twice = tag(text).topics, tag(text * 3).topics
    assert [t["id"] for t in once][:1] == [t["id"] for t in twice][:1] == ["military"]
    assert abs(once[0]["score"] - twice[0]["score"]) < 0.2


def test_evidence_lists_matched_terms_with_weights():
    tags = tag("肇庆市今年招商引资签约项目58个，招商引资到位资金创新高。")
    evidence = tags.evidence["topics"]["industrial_projects"]
    assert {"term": "招商引资", "weight": 5.0, "count": 2} in evidence
    assert tags.topics[0] == {
        "id": "industrial_projects",
        "label": "产业项目",
        "score": tags.topics[0]["score"],
    }


def test_ascii_terms_need_word_boundaries():
    assert "technology" not in topics.score("He said the paint was too bright.")[1]
    assert "technology" in topics.score("这个 AI 工具很好用。")[1]


def test_nothing_to_say_gives_no_topics():
    assert tag("嗯嗯，好的，知道了。").topics == []


def _seed(name: str) -> str:
    path = SEED_DEV / name
    if not path.exists():
        pytest.skip("seed-dev data not present")
    return path.read_text("utf-8").replace("⟦", "").replace("⟧", "")


@pytest.mark.parametrize("name", ["orig.txt", "spun.txt"])
def test_seed_dev_article(name):
    """Industrial projects in the top two; 肇庆市 (广东省) among the places, after restoration."""
    tags = tag(repair_text(_seed(name)).text)
    assert "industrial_projects" in [t["id"] for t in tags.topics[:2]]
    zhaoqing = [p for p in tags.places if p["adcode"] == "441200"]
    assert zhaoqing and zhaoqing[0]["province"] == "广东省" and zhaoqing[0]["mentions"] >= 10


def test_traditional_characters_are_matched_in_simplified_form():
    text = "廣東肇慶端州區招商引資項目開工，總投資30億元。"
    tags = tag(text)
    assert tags.topics[0]["id"] == "industrial_projects"
    assert [p["adcode"] for p in tags.places] == ["440000", "441200", "441202"]
    assert tags.evidence["places"]["441202"] == [["端州區", 4, 7]]
    assert [p["adcode"] for p in tag("陕西乾县的苹果。").places] == ["610000", "610424"]


TAGS_SCHEMA = {
    "type": "object",
    "required": ["topics", "places"],
    "properties": {
        "topics": {
            "type": "array",
            "maxItems": 5,
            "items": {
                "type": "object",
                "required": ["id", "label", "score"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string"},
                    "label": {"type": "string"},
                    "score": {"type": "number", "minimum": 0, "maximum": 1},
                },
            },
        },
        "places": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "level", "province", "city", "county", "adcode", "mentions"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string"},
                    "level": {"enum": ["province", "city", "county"]},
                    "province": {"type": "string"},
                    "city": {"type": ["string", "null"]},
                    "county": {"type": ["string", "null"]},
                    "adcode": {"type": "string", "pattern": "^[0-9]{6}$"},
                    "mentions": {"type": "integer", "minimum": 1},
                },
            },
        },
    },
}


def test_event_tags_match_the_documented_shape():
    import jsonschema

    from service.pipeline import process_message

    post = '{"id": "t1", "text": "北京市朝阳区今天开工3个重点项目，广东肇庆端州也签约了新项目。"}'
    event = process_message(post.encode("utf-8")).value
    jsonschema.validate(event["tags"], TAGS_SCHEMA)
    assert {p["adcode"] for p in event["tags"]["places"]} >= {"110105", "441202"}
