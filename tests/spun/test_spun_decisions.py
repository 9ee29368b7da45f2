"""Decisions on tricky cases, in both directions: spun → restored, correct → untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from service import spun
from service.edits import apply_edits, validate_edits
from service.pipeline import repair_text
from service.spun.engine import drop_split_readings
from service.spun.evaluate import distance
from service.spun.spinner import spin

DATA = Path(__file__).resolve().parents[1] / "data" / "spun"
TRICKY = [line for line in (DATA / "clean_tricky.txt").read_text("utf-8").splitlines() if line]


def restore(text: str) -> str:
    result = spun.fix(text)
    validate_edits(text, result.edits)
    return apply_edits(text, result.edits)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("正在中共肇庆市委齐会上，那些话语掷天有声。", "在中共肇庆市委全会上，这些话语掷地有声。"),
        (
            "年夜力开展年夜数据财产，鞭策科技效劳消费力晋升，放慢扶植当代化财产系统。",
            "大力发展大数据产业，推动科技服务生产力提升，加快建设现代化产业体系。",
        ),
        (
            "用户能够经由过程设置装备摆设文件修正小我私家信息，不雅众也可以或许拨打德律风咨询。",
            "用户可以通过配置文件修改个人信息，观众也能够拨打电话咨询。",
        ),
        (
            "该市下新区的年夜项目正正在放慢扶植，整部件企业战电池企业皆正在扩产。",
            "该市高新区的大项目正在加快建设，零部件企业和电池企业都在扩产。",
        ),
    ],
)
def test_spun_sentences_are_restored(text, expected):
    assert restore(text) == expected


@pytest.mark.parametrize("text", TRICKY)
def test_correct_text_using_spun_lookalikes_is_untouched(text):
    """正在, 事情, 开展, 系统, 天, 下, 战, 取, 借, 消费, 财产 … used correctly stay as they are."""
    result = spun.fix(text)
    assert result.edits == []
    assert result.kinds == ()


def test_whole_tricky_file_as_one_post_is_untouched():
    text = "\n".join(TRICKY)
    assert spun.fix(text).edits == []


def test_spun_version_of_tricky_file_is_detected_and_mostly_restored():
    text = "\n".join(TRICKY)
    spun_text = spin(text, seed=1)
    result = spun.fix(spun_text)
    assert result.kinds == ("spun",) and result.score > 0.99
    restored = apply_edits(spun_text, result.edits)
    before, _ = distance(spun_text, text)
    after, _ = distance(restored, text)
    assert before > 100 and after < 0.25 * before


def test_detect_is_false_without_candidate_sites():
    assert not spun.detect("")
    assert not spun.detect("Hello, world! 123")
    assert spun.detect("年夜家好")


def test_edits_carry_kind_and_confidence():
    result = spun.fix("年夜家正在效劳年夜厅列队，那是咱们的年夜事。")
    assert result.edits
    for edit in result.edits:
        assert edit.kind == "spun"
        assert 0.0 <= edit.confidence <= 1.0


def test_pipeline_restores_spun_text():
    repair = repair_text("那是齐会聚焦降真省委详细布置，放慢扶植当代化财产系统。")
    assert "spun" in repair.kinds
    assert repair.text == "这是全会聚焦落实省委具体部署，加快建设现代化产业体系。"
    assert apply_edits(repair.original, repair.edits) == repair.text


def test_mixed_post_restores_the_spun_part_and_leaves_the_clean_part():
    held = (DATA.parents[2] / "service" / "data" / "spun" / "heldout_clean.txt").read_text("utf-8")
    clean = "\n".join(line for line in held.splitlines()[:15] if line)
    spun_part = spin("\n".join(TRICKY), seed=2)
    post = spun_part + "\n" + clean
    result = spun.fix(post)
    assert result.kinds == ("spun",)
    inside = [e for e in result.edits if e.end <= len(spun_part)]
    assert len(inside) > 50
    assert all(e.start < len(spun_part) for e in result.edits), "clean paragraphs were edited"


SHORT_CLEAN = [
    line for line in (DATA / "clean_short_dev.txt").read_text("utf-8").splitlines() if line.strip()
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Two forms never seen in clean text decide a short post.
        (
            "市政府明确了下一步的标的目的，年夜家都很关注。",
            "市政府明确了下一步的方向，大家都很关注。",
        ),
        ("请经由过程设置装备摆设文件修正参数。", "请通过配置文件修改参数。"),
        ("这个功用可以或许晋升效力。", "这个功能能够提升效率。"),
    ],
)
def test_never_seen_forms_decide_a_short_post(text, expected):
    assert restore(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # One telltale form alone: in a short post it may be the author's own words
        # (一样 + 平常), so a short post needs two artifacts, one of them no real word.
        "市政府明确了下一步的标的目的。",
        "她的打扮和大家一样平常。",
        # Only real words (a rarer synonym each): no artifact that is not a real word.
        "邻居保举的这家店手艺不错。",
    ],
)
def test_one_telltale_form_or_only_real_words_leave_a_short_post_alone(text):
    result = spun.fix(text)
    assert result.edits == []
    assert result.kinds == ()


# Short posts written for this test: 功用 and 不只 are both lexicon forms, and 不只 is in neither
# the dictionary nor the web word counts (their split reads 不 / 只 or 不只是), but clean text
# has it (3 per million characters): a string clean writing uses, no telltale artifact.
USED_STRINGS = (
    "这台旧电脑的功用早就不只是上网了。",
    "这个软件的功用不只是记账，还能提醒还款。",
    "他的功用早就不只是看门了。",
)


@pytest.mark.parametrize("text", USED_STRINGS)
def test_strings_clean_text_uses_are_no_telltale_in_a_short_post(text):
    assert spun.fix(text).edits == []


def test_without_the_clean_frequency_bar_those_strings_decide_a_short_post(monkeypatch):
    from service.spun import engine as E

    monkeypatch.setattr(E, "NONWORD_CLEAN_FREQ", 1e9)
    loose = E.Engine()
    assert "不只" in loose.nonword_forms
    assert all(loose.run(text)[0] for text in USED_STRINGS)
    monkeypatch.undo()
    strict = E.Engine()
    assert "不只" not in strict.nonword_forms
    assert "标的目的" in strict.nonword_forms and "经由过程" in strict.nonword_forms


# A community centre's report, written for this test: 本年, 法式, 运转, 步调, 保举, 周全, 或许 are the
# lexicon's spun forms and real words, all used as the writer meant.
REPORT = (
    "本年度社区服务中心开展义诊活动二十次，取得了居民的普遍好评。中心按照新的工作法式运转，各站点"
    "步调一致；年中经街道保举，两名志愿者获评优秀。对于居民反映的看法，中心应当及时回应，考虑周全，"
    "部分意见或许要等明年预算下达后才能落实。"
)


def test_many_real_word_forms_in_a_long_paragraph_are_not_a_spinner(monkeypatch):
    """Forms that are real words add up to at most ``WORD_FORMS_TOTAL`` of evidence: a report
    with half a dozen of them is left alone, where their full sum (and the LM's preference for
    the commoner synonyms) would have made it spun and rewritten it."""
    from service.spun import engine as engine_module

    assert spun.fix(REPORT).edits == []
    monkeypatch.setattr(engine_module, "WORD_FORMS_TOTAL", 99.0)
    assert len(spun.fix(REPORT).edits) >= 5  # (13 edits: 本年 → 今年, 保举 → 推荐 …)


def test_unlisted_character_swap_is_repaired_in_a_clearly_spun_post():
    """删加 is in no table: a partner swap (删→增) makes the frequent word 增加 that fits."""
    text = "该市正正在放慢扶植新型基础举措措施，鞭策企业删加研发投入，那是年夜势所趋。"
    assert restore(text) == "该市正在加快建设新型基础设施，推动企业增加研发投入，这是大势所趋。"


def test_unlisted_character_swap_alone_is_not_evidence():
    """One odd character pair in an otherwise ordinary post is left alone."""
    text = "听说农民今年删加了不少收入。"
    assert spun.fix(text).edits == []


@pytest.mark.parametrize("text", SHORT_CLEAN)
def test_short_clean_posts_with_spun_looking_real_words_are_untouched(text):
    """年夜饭, 不雅, 周全, 枢纽, 平安, 进步, 成绩, 出格, 法式 … used correctly stay as they are."""
    assert spun.fix(text).edits == []


def test_a_common_word_needs_a_large_gain_to_count_as_a_fluent_site():
    """保举 (5.4) and 进修 (1.8) read better restored, but 都市 → 城市 (1.4) is a common word's
    small gain: two fluent sites, not three, and the post stays as it is."""
    text = "公司保举小王去都市进修，先生们都很赞成。"
    assert spun.fix(text).edits == []


@pytest.mark.parametrize(
    "text",
    [
        "我正在学做年夜饭的几道硬菜，今年打算露一手。",
        "他们一家人正在做年夜饭，厨房里热气腾腾。",
    ],
)
def test_a_form_inside_a_longer_real_word_is_the_writers(text):
    """做年夜 and 年夜 are spinner forms, but here they are parts of 年夜饭 (a word of the text's
    most probable segmentation), so they are no evidence that the post was spun."""
    assert spun.fix(text).edits == []


def test_a_spun_form_beside_a_real_word_is_still_restored():
    # 年夜 here is no part of a longer word (年夜会 is none): still restored.
    text = "市里召开年夜会，部署下一阶段的年夜项目扶植，要求各部分放慢进度。"
    assert "大会" in restore(text)


def test_a_form_restored_two_ways_in_one_post_is_left_alone():
    """A table maps an original to one form, so a form read as two originals in one post is
    the writer's word: all its restorations go; the other forms' stay."""
    text = "钓位由抽签决定，选手须在指定钓位作钓，正在开展比赛。"
    first, second = text.index("钓位"), text.index("钓位", 1)
    spun_form = text.index("正在")
    choices = {
        first: (first + 2, "各位", "各位", 0.72),
        second: (second + 2, "到位", "到位", 0.99),
        spun_form: (spun_form + 2, "在", "在", 0.9),
    }
    drop_split_readings(text, choices)
    assert choices == {spun_form: (spun_form + 2, "在", "在", 0.9)}

    same = {first: (first + 2, "到位", "到位", 0.6), second: (second + 2, "到位", "到位", 0.99)}
    drop_split_readings(text, same)
    assert sorted(same) == [first, second]  # one reading throughout: kept


def test_a_lexicon_form_read_two_ways_is_left_to_the_consistency_bonus():
    text = "正在开会，正在吃饭。"
    first, second = 0, text.index("正在", 1)
    choices = {first: (first + 2, "在", "在", 0.9), second: (second + 2, "正", "正", 0.6)}
    drop_split_readings(text, choices, exempt={"正在"})
    assert sorted(choices) == [first, second]


def test_the_engine_reads_each_form_one_way_with_the_lexicon_exempt(monkeypatch):
    from service.spun import engine as engine_module

    exempts = []
    real = engine_module.drop_split_readings

    def spy(text, choices, exempt=()):
        exempts.append(exempt)
        real(text, choices, exempt)

    monkeypatch.setattr(engine_module, "drop_split_readings", spy)
    eng = engine_module.engine()
    edits, _ = eng.run("年夜力开展年夜数据财产，鞭策科技效劳消费力晋升，放慢扶植当代化财产系统。")
    assert edits and exempts and exempts[0] is eng.cands


def test_homophone_swaps_in_a_spun_post_are_restored_and_real_words_kept():
    """A 年夜-kind spinner also writes rarer homophones (多 → 哆, 来 → 涞).  In a post judged spun
    they are restored where the LM much prefers the common character; 硕士 and 迪士尼, whose
    characters have far more probable homophones too (说, 的), are words and stay."""
    text = (
        "县里年夜力开展乡村效劳，经由过程新建卫生院，很哆白叟涞到门诊做体检。"
        "他的孙子在省城读硕士，迪士尼乐园的门票也送到了村里。"
    )
    restored = restore(text)
    assert "很多老人来到门诊" in restored
    assert "读硕士，迪士尼乐园" in restored


def test_homophone_sites_follow_a_replaced_homophone_table(monkeypatch):
    """The homophone sites come from the engine's current table: without it, 哆 and 涞 stay."""
    from service.spun import engine as engine_module

    text = "县里年夜力开展乡村效劳，经由过程新建卫生院，很哆白叟涞到门诊做体检。"
    eng = engine_module.engine()
    assert "很多老人来到" in restore(text)
    monkeypatch.setattr(eng, "homophones", {})
    assert "哆" in restore(text) and "涞" in restore(text)
    monkeypatch.setattr(eng, "homophones", {"哆": "多"})
    assert "很多" in restore(text) and "涞" in restore(text)


def test_homophones_alone_do_not_make_a_clean_post_spun():
    """硕, 迪 and 涞 are rarer than 说, 的 and 来, but a clean post that uses them is untouched."""
    for text in ("涞水县的硕士生去迪拜实习了。", "他在涞源县读完硕士，又去迪庆支教两年。"):
        assert spun.fix(text).edits == []
