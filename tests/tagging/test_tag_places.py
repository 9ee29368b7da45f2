"""Place resolution: short forms, hierarchy, ambiguity and false friends."""

from __future__ import annotations

import csv
import importlib.resources

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from service.tagging import places, tag


def _codes(text: str) -> list[str]:
    return [p["adcode"] for p in places.find(text)[0]]


def test_district_short_form_resolves_up_the_hierarchy():
    for text in ("会议在端州召开。", "会议在端州区召开。"):
        [place] = places.find(text)[0]
        assert place == {
            "name": "端州区",
            "level": "county",
            "province": "广东省",
            "city": "肇庆市",
            "county": "端州区",
            "adcode": "441202",
            "mentions": 1,
        }


def test_county_level_city_gets_its_prefecture():
    [place] = places.find("五常市大米今年丰收。")[0]
    assert (place["province"], place["city"], place["adcode"]) == ("黑龙江省", "哈尔滨市", "230184")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("广东今年外贸回暖。", "440000"),
        ("肇庆的产业项目。", "441200"),
        ("内蒙古的草原。", "150000"),
        ("延边的冷面。", "222400"),
        ("延边州的冷面。", "222400"),
        ("哈尔滨的冰雪节。", "230100"),
        ("新疆的棉花。", "650000"),
        ("广西壮族自治区的甘蔗。", "450000"),
    ],
)
def test_provinces_and_prefectures_in_full_and_short_form(text, code):
    assert _codes(text) == [code]


@pytest.mark.parametrize(
    "text",
    [
        "我在中山大学读书。",
        "孙中山先生是伟大的革命先行者。",
        "大江门口那家面馆又涨价了。",
        "中山路上车很多。",
        "主教练许昌赛后表示不满意。",
        "经纪人刘安阳告诉记者行情不好。",
        "祝你身体安康。",
        "今天合作市场很冷清。",
        "沿着太湖之滨跑步。",
        "上海合作组织峰会开幕。",
        "朝阳产业发展迅速。",
        "他住在老城区。",
    ],
)
def test_no_places_from_ordinary_words_or_names(text):
    assert _codes(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "李江门和王朝阳是同学。",
        "张江门、李朝阳都来了。",
        "我和王江门是老乡。",
        "王昆明是谁？",
        "周肇庆和他的朋友。",
        "于江门和张三是同学。",
        "他是一个很有朝阳气息的人",
        "朝阳气息扑面而来。",
    ],
)
def test_person_names_and_ordinary_words_are_not_places(text):
    assert _codes(text) == []


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("广东肇庆的项目。", ["440000", "441200"]),
        ("我在江门工作。", ["440700"]),
        ("江门市新会区。", ["440700", "440705"]),
        ("王江门市长。", ["440700"]),  # written in full: the place, whatever precedes it
        ("黄山市很美。", ["341000"]),  # 黄 is a surname
        ("肇庆高要区的鱼。", ["441200", "441204"]),  # 高 is a surname
        ("肇庆高要的鱼。", ["441200", "441204"]),
        ("我去了张家口。", ["130700"]),  # starts with 张
        ("他在石家庄工作。", ["130100"]),  # starts with 石
        ("温州的鞋。", ["330300"]),
        ("浙江温州的鞋。", ["330000", "330300"]),  # 江 (a surname) ends 浙江
        ("吉林长春的车。", ["220000", "220100"]),  # 林 ends 吉林
        ("江苏南京的桥。", ["320000", "320100"]),  # 苏 ends 江苏
        ("项目位于江门。", ["440700"]),  # 于 ends 位于
        ("项目落户于江门，", ["440700"]),  # 于 as a preposition
        ("向肇庆运送物资。", ["441200"]),  # 向 as a preposition
        ("上周江门发布通知。", ["440700"]),  # 周 ends 上周
        ("北京朝阳区的书店。", ["110000", "110105"]),
        ("北京朝阳的书店。", ["110000", "110105"]),
        ("辽宁朝阳的书店。", ["210000", "211300"]),
        ("朝阳市的书店。", ["211300"]),
        ("辽宁朝阳县的书店。", ["210000", "211321"]),
    ],
)
def test_places_next_to_surname_characters_are_kept(text, codes):
    assert _codes(text) == codes


def test_bare_chaoyang_needs_a_suffix_or_its_parent():
    """朝阳 is an ordinary word (朝阳产业, 朝阳气息); 朝阳区 alone is ambiguous (北京/长春)."""
    assert _codes("去朝阳玩。") == []
    assert _codes("去朝阳区玩。") == []
    assert _codes("去北京朝阳区玩。") == ["110000", "110105"]


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(sorted(places._SURNAMES)),
    st.sampled_from(
        [("江门", "440700"), ("肇庆", "441200"), ("昆明", "530100"), ("洛阳", "410300")]
    ),
    st.sampled_from(["是班长。", "和我是同学。", "，你好！", "说得对。"]),
)
def test_surname_and_short_form_is_a_name_but_the_full_name_is_a_place(surname, place, after):
    short, code = place
    # 罗江门/吴江门 read as 罗江/吴江 + 门 (longest match first): another question.
    assume(not places._index().automaton.exists(surname + short[0]))
    assert _codes(f"同学们，{surname}{short}{after}") == []
    assert _codes(f"同学们，{surname}{places._index().divisions[code].name}{after}") == [code]


def test_full_name_with_suffix_is_kept():
    assert _codes("江门市新会区今年开工12个项目。") == ["440700", "440705"]


def test_ambiguous_district_needs_another_place():
    assert _codes("鼓楼区今天停水。") == []
    assert _codes("南京市鼓楼区今天停水。") == ["320100", "320106"]
    assert _codes("福州鼓楼区今天停水。") == ["350100", "350102"]
    assert _codes("北京朝阳的一家书店。") == ["110000", "110105"]
    assert _codes("长春朝阳区的一家书店。") == ["220100", "220104"]


def test_weak_short_form_counts_only_with_its_parent():
    assert _codes("陕西安康的茶叶。") == ["610000", "610900"]
    assert _codes("海南昌江核电站。") == ["460000", "469026"]


def test_mentions_and_evidence_offsets():
    text = "肇庆市委全会提出，肇庆要抓项目；端州也一样。"
    found, evidence = places.find(text)
    assert [(p["adcode"], p["mentions"]) for p in found] == [("441200", 2), ("441202", 1)]
    for spans in evidence.values():
        for surface, start, end in spans:
            assert text[start:end] == surface


def test_every_division_of_the_table_is_from_cpca():
    import cpca

    source = importlib.resources.files("cpca.resources").joinpath("adcodes.csv")
    with source.open("r", encoding="utf-8") as handle:
        names = {row["adcode"][:6]: row["name"] for row in csv.DictReader(handle)}
    index = places._index()
    assert len(index.divisions) > 3000
    for code, division in index.divisions.items():
        assert names[code] == division.name
        assert division.province in index.divisions
        assert not division.city or division.city in index.divisions
    assert cpca.__version__.startswith("0.5")


FILLERS = [
    "今天天气不错，",
    "记者了解到，",
    "项目进展顺利。",
    "市民纷纷点赞！",
    "据介绍，",
    "😂",
    "abc ",
]
PLACES = ["广东省肇庆市", "端州区", "五常市", "内蒙古", "延边朝鲜族自治州", "南京市鼓楼区"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(FILLERS), max_size=6),
    st.sampled_from(PLACES),
    st.lists(st.sampled_from(FILLERS), max_size=6),
)
def test_a_named_place_is_found_whatever_surrounds_it(before, place, after):
    text = "".join(before) + place + "。" + "".join(after)
    alone = set(_codes(place + "。"))
    assert alone and alone <= set(_codes(text))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_tag_is_total_and_well_formed(text):
    tags = tag(text)
    scores = [t["score"] for t in tags.topics]
    assert scores == sorted(scores, reverse=True) and len(scores) <= 5
    assert all(0.0 < s <= 1.0 for s in scores)
    for spans in tags.evidence["places"].values():
        for surface, start, end in spans:
            assert text[start:end] == surface
    for place in tags.places:
        assert place["level"] in ("province", "city", "county") and place["mentions"] >= 1


def test_street_named_after_a_city_is_not_that_city():
    assert _codes("广州中山路上车很多。") == ["440100"]


def test_shipped_table_is_what_the_build_script_makes():
    from service.build import tagging_places

    shipped = importlib.resources.files("service.data.tagging").joinpath("places.tsv")
    lines = [line for line in shipped.read_text("utf-8").splitlines() if not line.startswith("#")]
    assert lines == ["\t".join(row) for row in tagging_places.build()]
