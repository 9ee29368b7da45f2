"""Detection and repair of spinners the lexicon does not know: non-word fragments, the other-table
reading of the lexical evidence, and dictionary-neighbour repairs around fragments."""

from __future__ import annotations

from pathlib import Path

import pytest

from service import spun
from service.edits import apply_edits
from service.spun import neighbours, resources
from service.spun.engine import (
    FRAGMENT_RATE,
    LITERARY_SWAP_DENSITY,
    SHORT_FRAGMENT_Z,
    binomial_tail_z,
    engine,
)
from service.spun.evaluate import distance
from service.spun.neighbours import Neighbours, classical_register, literary_register
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


def test_binomial_tail_z_is_the_exact_tail():
    """The z-score of the exact upper tail: below the normal score for few characters (where
    a skewed binomial's tail is far heavier than the normal's), monotone in the count."""
    import math
    from statistics import NormalDist

    n, rate = 15, FRAGMENT_RATE
    tail = sum(math.comb(n, k) * rate**k * (1 - rate) ** (n - k) for k in range(5, n + 1))
    assert binomial_tail_z(5, n, rate) == pytest.approx(-NormalDist().inv_cdf(tail), abs=1e-9)
    normal = (5 - rate * n) / math.sqrt(n * rate * (1 - rate))
    assert binomial_tail_z(5, n, rate) < normal - 1.5  # 3.2 against 5.0
    scores = [binomial_tail_z(k, 40, rate) for k in range(0, 41)]
    assert scores[:3] == [0.0, 0.0, 0.0]  # no more than expected: no surprise
    assert all(a < b for a, b in zip(scores[2:], scores[3:], strict=False))
    assert binomial_tail_z(3, 3, rate) == pytest.approx(-NormalDist().inv_cdf(rate**3))
    assert binomial_tail_z(4, 3, rate) == 40.0  # more fragments than characters
    assert binomial_tail_z(4000, 4000, rate) == 40.0  # a tail below what a float holds


def test_a_chatty_short_post_of_one_character_words_is_untouched():
    """One-character verbs and regional words are rare as words in the frequency table: a short
    chatty post has several such fragments, which only the normal score found surprising (it
    read 带遮 as a swap of 带上)."""
    text = "怕忘了带遮，又折回去拿。"  # (Cantonese 遮, umbrella: 5 fragments in 10 characters)
    found, han = engine()._fragment_counts(text)
    assert (found, han) == (5, 10)
    exact = binomial_tail_z(found, han, FRAGMENT_RATE)
    assert exact < SHORT_FRAGMENT_Z <= engine().fragment_z(text)
    assert spun.fix(text).edits == []


@pytest.mark.parametrize(
    "text",
    [
        "马蹄糕切件煎香，外脆内软。",  # (regional food words: fragments and nothing else)
        "落街买餸，顺手买包烟仔。",
        "返工迟咗，俾老细闹咗一餐。",  # (written Cantonese)
        "阿嫲煲咗老火汤，饮咗两碗。",
        "今日落大雨，我哋喺屋企睇戏，食咗好多嘢，阿妈仲煲咗糖水俾我哋，成个下昼都好开心，"
        "听日再出去行街。",
    ],
)
def test_regional_and_cantonese_posts_are_not_called_spun(text):
    """Fragments alone do not make a short post clearly spun, and written Cantonese has none:
    these posts once scored 0.90–0.99 (labelled spun although nothing was changed)."""
    result = spun.fix(text)
    assert result.edits == [] and result.kinds == ()


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
    # measured 39 of 60 (49 with the fragment evidence capped at 8, which changed a quarter of
    # hard literary and classical clean paragraphs)
    assert detected >= 0.6 * len(paras), detected
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


GAZETTEER = (
    "《青石县志》载：县西二十里有白龙潭，潭水清冽，四时不竭。相传唐时有白龙见于潭上，乡人因立祠"
    "祀之。元末兵燹，祠毁。明洪武初，知县周公重建，岁时致祭。清康熙间，邑人李氏捐田三十亩以供"
    "香火，并刻石记其始末。今祠虽圮，碑犹存焉，字迹斑驳，尚可辨读。"
)
OLD_STYLE_REPORT = (
    "本邑讯：上月中旬以来，城厢各区米价腾贵，贫民生计维艰。县商会于本月五日召集米业同人会议，"
    "议决平粜办法，由各米店按市价九折出售，以济贫户。到会者有商会会长王子安、米业公会主席陈筱"
    "斋、城厢区长刘继昌等二十余人。"
)


def test_a_classical_gazetteer_entry_is_untouched():
    """Fragment z 11 and the judge's modern synonyms (不竭 → 不断, 邑人 → 大人) changed it before
    classical prose was recognised by its function characters."""
    assert classical_register(GAZETTEER)
    assert spun.fix(GAZETTEER).edits == []


def test_an_old_style_report_is_untouched():
    """Old-style reports have fewer classical function characters (5% of their Han characters)
    than classical prose and many two-character words (a share of 0.28 one-character words):
    the judge offered modern synonyms (议决 → 决定, 到会者 → 与会者) until such documents were
    recognised (no modern particle, at least 4% classical function characters)."""
    assert literary_register(OLD_STYLE_REPORT, resources.segment)
    assert spun.fix(OLD_STYLE_REPORT).edits == []


# A guild's rules in 半文半白, written for this test: two-character words (a share of 0.35
# one-character words, under OLD_STYLE_SINGLES), 5% classical function characters, no modern
# particle.  Before such documents were recognised it was judged spun (0.71) and got seven edits
# (缴纳会费 → 缴费, 会首议 → 会议, 酌量 → 考虑, 务须 → 必须 …).
GUILD_RULES = (
    "本会章程：一、凡本镇米行，均须入会，按月缴纳会费，不得拖欠；二、各行买卖米谷，须用公秤，"
    "不得私自增减斤两，违者由会首议罚，其情节严重者，逐出本会；三、米价涨落，由会中公同议定，"
    "各行不得擅自抬价；四、遇有灾荒年景，各行须酌量平粜，以济贫民；五、会中账目，每年年终公布"
    "一次，以昭信实。以上各条，凡我同业，务须遵守。"
)
# … and a spinner's rewrite of modern prose with no modern particle: fewer classical function
# characters (2.5%), so no old-style document, and its table forms are restored.
MODERN_SPUN_PLAIN = (
    "市政府本年度开展一系列惠民工程，此中最受关注者为老旧小区改造，改造完成后住户居住条件获得较"
    "年夜改善，很多住户表示对效劳质量非常满足，并希望明年继续推进其他小区改造工作。"
)


def test_old_style_documents_of_two_character_words_are_untouched():
    segment = resources.segment
    assert literary_register(GUILD_RULES, segment)
    assert spun.fix(GUILD_RULES).edits == []
    # (MODERN_SPUN_PLAIN is no such document: test_old_style_register_needs_… below)
    restored = apply_edits(MODERN_SPUN_PLAIN, spun.fix(MODERN_SPUN_PLAIN).edits)
    assert "其中" in restored and "服务" in restored
    # one modern particle in its ~130 Han characters makes it a modern document
    modern = GUILD_RULES.replace("以上各条", "以上的各条")
    assert neighbours.DOCUMENT_MODERN * neighbours.han_count(modern) < 1
    assert not literary_register(modern, segment)


def test_classical_register_needs_classical_and_few_modern_function_characters():
    assert classical_register(GAZETTEER)
    assert not classical_register(OLD_STYLE_REPORT)  # 5%: below the share
    # a classical-register spinner keeps modern words and particles (的, 了, 着 …)
    spun_post = (
        "尔等有未有觉得今年之冬天尤其凛?我已然以家里全体之厚衣裳俱觅出来了,惟于屋里仍冷得发抖,"
        "真不知该当怎么过这个冬天"
    )
    assert not classical_register(spun_post)
    assert not classical_register("夫读书之道，贵在有恒。")  # too short to tell a register


# Old-style prose with fewer classical function characters than classical_register needs (4%),
# whose words a spinner table lists as spun forms of modern ones (此中, 本年, 每岁, 不异).
OLD_STYLE_LETTER = (
    "兄长大人如晤：前奉手书，备悉一切。弟客居江城，诸事尚顺，惟天寒路远，久未归省，此中愧疚，"
    "非笔墨所能尽。家中田亩，本年收成尚可，赋税已于上月缴清，勿以为念。母亲年高，每岁入冬旧疾辄作，"
    "起居饮食，尤望兄多加照拂。余容后叙，即请冬安。弟字，腊月十二日灯下。"
)
OLD_STYLE_GAZETTEER = (
    "《沙河县志》载：县北三十里有龙泉寺，寺前古柏两株，相传为唐时所植，高可十丈，荫覆数亩。"
    "寺后有泉，四时不涸，乡人引以溉田。每岁四月，四乡士女来此进香，市集数日方散。寺僧颇能医，"
    "远近求治者不绝。清末寺毁于火，民国初邑人集资重修，规制不异往昔。"
)
MODERN_SPUN = (
    "本年度市政府开展了一系列惠民工程，此中最受关注的是老旧小区改造，改造完成后住户的居住条件"
    "获得较年夜改善，很多住户表示对效劳质量非常满足。"
)


@pytest.mark.parametrize("text", [OLD_STYLE_LETTER, OLD_STYLE_GAZETTEER])
def test_old_style_prose_is_untouched(text):
    """Each was changed (本年 → 今年, 每岁 → 每年, 不异 → 相同) while only classical prose was
    recognised: its table forms counted as a spinner's."""
    assert not classical_register(text)
    assert literary_register(text, resources.segment)
    assert spun.fix(text).edits == []


def test_old_style_register_needs_one_character_words_and_no_modern_particles():
    segment = resources.segment
    assert not literary_register(MODERN_SPUN, segment)  # 的, 了: modern prose
    # Without modern particles but made of two-character words and with few classical function
    # characters: a spinner's rewrite of modern prose is not old-style.
    assert not literary_register(MODERN_SPUN_PLAIN, segment)
    assert not literary_register(OLD_STYLE_LETTER[:30], segment)  # too short to tell
    # The same table forms in modern prose are still evidence, and restored.
    eng = engine()
    assert eng.lexical_evidence(MODERN_SPUN)[0] > 0.0
    assert eng.lexical_evidence(OLD_STYLE_LETTER)[0] <= 0.0
    restored = apply_edits(MODERN_SPUN, spun.fix(MODERN_SPUN).edits)
    assert "今年" in restored and "其中" in restored


def test_an_unseen_pair_inside_a_long_dictionary_word_is_no_suspect():
    """液管 is a pair the LM has never seen, but 输液管 is a word: a repair to 血管 changed a clean
    paragraph of round 16; 删加 (增加 swapped) stays a suspect."""
    from service.spun import lm

    text = "帮助农民删加收入，护士来看输液管"
    norm = lm.normalize_char(text)
    eng = engine()
    assert text.index("液管") in eng.neighbours.suspects(norm, 0, len(norm), eng.model)
    found = eng._suspects(norm, {})
    assert text.index("液管") not in found
    assert text.index("删加") in found


def test_the_in_word_check_splits_only_the_han_run_holding_the_pair():
    from service.spun.engine import _in_a_long_split_word

    text = "护士来看输液管，帮助农民删加收入。"
    memo: dict[str, frozenset[int]] = {}
    assert _in_a_long_split_word(text, text.index("液管"), memo)
    assert not _in_a_long_split_word(text, text.index("删加"), memo)
    assert sorted(memo) == ["帮助农民删加收入", "护士来看输液管"]


def test_a_classical_essay_is_untouched():
    """Dense with one-character words (fragment z 9), it was changed while fragment evidence could
    reach 8 log-odds (昼则 → 一则)."""
    text = (
        "夫读书之道，贵在有恒。一日曝之，十日寒之，未有能成者也。古之学者，昼则耕于野，夜则读于灯"
        "下，虽寒暑不辍，故其学日进而不自知。今之学者，衣食无忧，书籍易得，然多浅尝辄止，终无所成，"
        "何哉？志不立而心不专也。"
    )
    assert spun.fix(text).edits == []


# A Shanghainese reminiscence, written for this test.  Before written Wu was recognised it was
# judged spun (0.98) and got six edits (小囡 → 小孩, 爷叔 → 爷爷, 勿 → 不, 拆脱 → 解脱 …).
WU_REMINISCENCE = (
    "阿拉屋里厢老早住辣虹口一条弄堂里，日脚过得慢。天热辰光，大人小囡侪搬只小凳子出来乘风凉，"
    "隔壁爷叔一面摇扇子一面讲山海经，讲到后半夜还勿肯困。后来弄堂拆脱，阿拉一家门搬到浦东新公房，"
    "屋里厢宽敞了，自家有灶间有卫生间，就是邻舍隔壁碰面少了，老早的事体也慢慢淡了。"
)


def test_written_wu_is_untouched_and_one_wu_word_is_no_register():
    assert neighbours.written_wu(WU_REMINISCENCE)
    assert literary_register(WU_REMINISCENCE, resources.segment)
    assert spun.fix(WU_REMINISCENCE).edits == []
    # A spinner may swap in one Wu word (时候 → 辰光, 你 → 侬) and repeat it: two different ones
    # make no Wu prose, and the rest of the table's forms are still restored.
    spun_with_wu = MODERN_SPUN.replace("改造完成后", "改造完成辰光，侬看").replace("很多", "辰光很多")
    assert not neighbours.written_wu(spun_with_wu)
    assert not literary_register(spun_with_wu, resources.segment)
    restored = apply_edits(spun_with_wu, spun.fix(spun_with_wu).edits)
    assert "今年" in restored and "其中" in restored


# Written north-eastern colloquial speech, written for this test (俺, 瞅, 寻思, 咋, 甭, 啥, 唠, 忒).
# Without the register it is judged spun (0.91) and loses 那口子, 集上, 一瞅, 寻思, 俺, 自个儿.
NORTHERN_STORY = (
    "俺家那口子前两天去集上买了个电饭锅，回来一瞅说明书，整整十来页，他寻思半天也没整明白咋用。"
    "俺说你甭瞎琢磨了，就按那个大键，啥都不用管。他不信，非得自个儿一个键一个键地试，结果把饭煮成"
    "了一锅粥，还跟俺唠叨说这玩意儿忒不好使。"
)


def test_written_northern_speech_is_untouched_and_two_markers_are_no_register(monkeypatch):
    assert neighbours.written_northern(NORTHERN_STORY)
    assert literary_register(NORTHERN_STORY, resources.segment)
    assert spun.fix(NORTHERN_STORY).edits == []
    # A spinner may swap in a colloquial word or two (什么 → 啥, 怎么 → 咋): no register.
    spun_with_two = MODERN_SPUN.replace("改造完成后", "改造完成后啥都咋")
    assert not neighbours.written_northern(spun_with_two)
    assert not literary_register(spun_with_two, resources.segment)
    monkeypatch.setattr(neighbours, "NORTHERN_MARKERS", 99)
    assert not literary_register(NORTHERN_STORY, resources.segment)


# A clockmakers' guild's rules, written for this test: five classical function characters in 140
# Han characters (0.036: under the 0.04 the document reading once needed) and no modern one.
CLOCKMAKERS_RULES = (
    "本会同人，皆以修补钟表为业，往来城乡，关系街坊生计。兹公议会规如下：一、收修钟表须当面验明，"
    "登簿编号，给回单为凭，不得含混。二、工价照牌收取，不得临时加码，亦不得私索酒钱。三、所修物件"
    "须如期交还，如有损坏调换，照价赔偿，情节重者逐出本会。四、同业之间不得争揽生意、造言中伤。"
    "右列各条，同人务须遵守，如有违犯，由值年首事召集公议罚办。"
)


def test_a_document_with_few_classical_characters_and_no_modern_one_is_old_style(monkeypatch):
    share = neighbours._classical_share(CLOCKMAKERS_RULES)
    assert neighbours.DOCUMENT_SHARE <= share < 0.04
    assert literary_register(CLOCKMAKERS_RULES, resources.segment)
    assert spun.score(CLOCKMAKERS_RULES) < 0.5
    monkeypatch.setattr(neighbours, "DOCUMENT_SHARE", 0.04)
    assert not literary_register(CLOCKMAKERS_RULES, resources.segment)


OLD_DEED = (
    "立卖田契人刘长顺，今因家中缺少使用，无力周转，情愿将祖遗水田二亩，坐落村南塘边，"
    "东至王姓田，西至大路，凭中出卖与本村赵宅名下为业。当日三面言定，田价大洋六十元整，"
    "当日交足，分文不欠。此田系本人祖遗之业，与房族人等无干，日后不得异言。空口无凭，立此卖契为据。"
)


def test_an_old_contract_is_untouched_and_two_formulae_are_no_register():
    """A deed of sale has few classical function characters (之 twice) but its formulae (今因,
    凭中, 名下为业, 三面言定, 分文不欠, 不得异言, 空口无凭) are old-style documents' own: 情愿,
    出卖 and 不欠 are no spinner's forms there (without the register: 情愿 → 愿意, 出卖 → 出售)."""
    assert neighbours.old_document(OLD_DEED)
    assert literary_register(OLD_DEED, resources.segment)
    assert spun.fix(OLD_DEED).edits == []
    # Two formulae in a spinner's rewrite of modern prose make no old document.
    spun_with_two = MODERN_SPUN.replace("改造完成后", "今因改造完成后，听凭")
    assert not neighbours.old_document(spun_with_two)
    assert not literary_register(spun_with_two, resources.segment)
    restored = apply_edits(spun_with_two, spun.fix(spun_with_two).edits)
    assert "今年" in restored and "其中" in restored


# Written for this test: two Wu pronouns of the first list (阿拉, 侬) and Wu words (爷叔, 老底子,
# 交关, 物事, 有趟, 拉牢), and a shop lease whose formulae (今因, 凭中, 言明, 两无异言, 今欲有凭,
# 收执为据) are the common variants of the ones every old contract has.
WU_WATCHMAKER = (
    "阿拉爷叔年纪大了，欢喜一个人坐辣阳台上修钟表。伊讲老底子钟表店里生意交关好，现在大家用手机看时间，"
    "旧物事坏脱就掼脱。有趟侬拿只旧手表去寻伊，伊就拉牢侬讲了半天机芯，讲到饭也忘记吃了。"
)
OLD_LEASE = (
    "立租房约人何德胜，今因贸易需用，凭中租到钱宅后院平房两间，言明每月房租大洋三元，按月交清，"
    "不得拖欠。房内原有木床一张、方桌一只，皆系钱宅之物，租户只准使用，不得转租他人。倘有损坏，照价赔还，"
    "两无异言。今欲有凭，立此租约一纸，交房东收执为据。民国八年五月初六日立。"
)


def test_wu_words_beyond_the_pronouns_and_the_variants_of_contract_formulae_make_the_register():
    """Wu prose that uses only two of the pronouns is still Wu prose by its other words, and a
    lease that writes its formulae in their other common variants (两无异言 for 不得异言, 今欲有凭
    for 空口无凭, 收执为据 for 立此为据) is still an old contract."""
    assert neighbours.written_wu(WU_WATCHMAKER)
    assert literary_register(WU_WATCHMAKER, resources.segment)
    assert spun.fix(WU_WATCHMAKER).edits == []
    assert neighbours.old_document(OLD_LEASE)
    assert literary_register(OLD_LEASE, resources.segment)
    assert spun.fix(OLD_LEASE).edits == []


# Written for these tests: the rules of a rice merchants' guild (行规) in 半文半白, with one of the
# classical function characters of old contracts and letters (于) but the 凡, 皆 and 倘 of rules.
RICE_GUILD_RULES = (
    "本帮米行公议条规，开列于后：一、凡同帮米铺，斗秤皆须一律，不得私改大小，欺压乡民；二、新米上市，"
    "各铺价钱须经公所议定，不得私自抬价；三、学徒三年满师，未满期者不得另投别号；四、伙友染病，东家须酌给医药，"
    "不得随意辞歇；五、每逢端午，同帮公祭，各号照章出资。倘有违犯，由董事邀集同帮议罚，决不徇情。"
)


def test_guild_rules_are_an_old_style_document():
    """凡, 皆 and 倘 are classical function characters: with them the guild rules are an old-style
    document and keep their words (without them 凡同 read as 共同 and 各铺 as 各地)."""
    assert literary_register(RICE_GUILD_RULES, resources.segment)
    assert spun.fix(RICE_GUILD_RULES).edits == []


# Written for these tests: a ride-code app's help line run through a round-trip spinner whose
# expansions bring in classical function characters (可以 → 可行得以, 其他 → 其余他人, 以后) and
# leave no modern particle: classical by its shares alone.
SPUN_AS_CLASSICAL = (
    "开启打开应答用途以后可行得以选取挑择常用路线道路，也可行得以把其余他人城墙市场公交卡片增添加入到"
    "首先页面，充实值得以后立即可以乘坐车辆。"
)


def test_round_trip_expansions_with_classical_characters_are_no_classical_prose():
    """Its shares make it classical (12% classical function characters, no modern one), but its
    likely swaps are far denser than any classical clean line's: it is judged and restored (it
    was left alone, read as classical prose)."""
    assert literary_register(SPUN_AS_CLASSICAL, resources.segment)
    eng = engine()
    assert eng.swapper.density(SPUN_AS_CLASSICAL) >= LITERARY_SWAP_DENSITY
    assert not eng.literary(SPUN_AS_CLASSICAL)
    result = spun.fix(SPUN_AS_CLASSICAL)
    assert result.kinds == ("spun",)
    restored = apply_edits(SPUN_AS_CLASSICAL, result.edits)
    assert "可以选择" in restored and "其他" in restored


# Written for these tests: Mandarin prose into which a spinner swapped Cantonese words (佢哋, 睇到,
# 啱啱), and a post in written Cantonese.
MANDARIN_WITH_CANTONESE_SWAPS = (
    "周末社区的志愿者们给独居老人送去了饭菜和药品，佢哋还帮老人打扫了房间。很多老人说，"
    "睇到这些年轻人上门来陪他们聊天，心里觉得很温暖。志愿者们表示，以后每个月都会来一次，啱啱开始的时候是这样的。"
)
CANTONESE_POST = (
    "今朝同阿嫲去街市，佢话而家啲菜贵咗好多，一斤菜心要成十蚊。返到屋企，阿嫲教我煲汤，"
    "佢话最紧要系火候，煲够三个钟先至入味。我跟住佢讲嘅做，煲出嚟真系好好饮。"
)


def test_mandarin_prose_with_swapped_in_cantonese_words_keeps_its_fragments():
    """Three Cantonese markers in prose full of Mandarin's 的, 了, 们, 是 and 他 are a spinner's
    swaps, not written Cantonese: the line's fragments count (they did not while two markers
    were enough)."""
    assert not neighbours.written_cantonese(MANDARIN_WITH_CANTONESE_SWAPS)
    assert engine().fragment_z(MANDARIN_WITH_CANTONESE_SWAPS) > 0.0


def test_cantonese_prose_is_read_like_old_style_prose():
    """A post in written Cantonese (seven markers, no Mandarin particle) uses its own words:
    今朝 is not the lexicon's spun form of 目前 there (it was restored so before)."""
    assert neighbours.written_cantonese(CANTONESE_POST)
    assert neighbours.cantonese_prose(CANTONESE_POST)
    assert literary_register(CANTONESE_POST, resources.segment)
    assert spun.fix(CANTONESE_POST).edits == []
    # A few Cantonese words in a Mandarin line make no Cantonese prose.
    assert not neighbours.cantonese_prose("返工迟咗，俾老细闹咗一餐，之后仲要留喺公司度搵嘢做。")


# Written for this test: a short post in written Cantonese (呢度, 唔 and the particle 㗎 in twelve
# Han characters, no Mandarin particle) whose 泊车 is the Cantonese word, not a spinner's 停车.
SHORT_CANTONESE_POST = "呢度唔准泊车，会俾差佬抄牌㗎。"


def test_a_short_post_dense_with_cantonese_markers_is_cantonese_prose():
    """Three markers in a post of twelve Han characters are written Cantonese, not a Mandarin
    line with swapped-in words: its 泊车 stays (it was restored to 停车 while five markers were
    needed); the Mandarin line with a few Cantonese words stays no Cantonese prose."""
    assert neighbours.cantonese_prose(SHORT_CANTONESE_POST)
    assert spun.fix(SHORT_CANTONESE_POST).edits == []
    assert not neighbours.cantonese_prose("返工迟咗，俾老细闹咗一餐，之后仲要留喺公司度搵嘢做。")


def test_a_contract_closing_with_li_qi_wei_ju_is_an_old_document():
    """立契为据 and 立约为据 are the deed's and the agreement's 立此为据."""
    lease = ("立租山约人钱老五，今因家中乏人照管，将自家后山一块租与邻村张姓放牛，言定每年租钱八千文。"
             "此系两家情愿，并无逼勒，故立契为据。")
    assert neighbours.old_document(lease)
    assert neighbours.old_document(lease.replace("立契为据", "立约为据"))
    assert not neighbours.old_document(lease.replace("故立契为据", "特此说明"))


# Written for this test: a Chongqing grandmother's kitchen in written south-western Mandarin (屋头,
# 孃孃, 啥子, 巴适), with words a spinner might have written elsewhere (守到, 一哈).
SICHUANESE_KITCHEN = (
    "我屋头那个孃孃，煮了一辈子的饭，啥子菜到她手头都巴适得很。每回过年，她天不亮就起来守到那锅腊肉，"
    "哪个喊她歇一哈她都不干，说火候差一点点味道就不对了。"
)


def test_south_western_mandarin_prose_is_read_like_old_style_prose():
    """Three different words of written 四川话 make dialect prose, whose words are its own; one
    such word in Mandarin prose makes none."""
    assert neighbours.written_southwestern(SICHUANESE_KITCHEN)
    assert literary_register(SICHUANESE_KITCHEN, resources.segment)
    assert spun.fix(SICHUANESE_KITCHEN).edits == []
    assert not neighbours.written_southwestern("我们屋头的阳台朝南，冬天晒太阳很舒服。")


# Written for this test: a childhood memory quoting the Heart Sutra (public domain).
SUTRA_MEMORY = (
    "小时候跟着奶奶去庙里，总听见师父们念“色不异空，空不异色；色即是空，空即是色”，那时只觉得像绕口令。"
    "后来自己读了几本书，才知道这几句话讲的是万事万物都在变化之中，没有什么是一成不变的。"
)


def test_verse_quoted_in_modern_prose_keeps_its_words():
    """A quotation of clauses of one length (four, five or seven characters) with no modern
    particle is verse: its 不异 is the sutra's (it was restored to 相同 before).  A quotation of
    modern speech, or of clauses of different lengths, is no verse."""
    start = SUTRA_MEMORY.index("色不异空")
    assert neighbours.quoted_verse(SUTRA_MEMORY) == [(start, start + len("色不异空，空不异色；色即是空，空即是色"))]
    assert spun.fix(SUTRA_MEMORY).edits == []
    assert neighbours.quoted_verse("他说“我们明天再来，今天太晚了”。") == []
    assert neighbours.quoted_verse("标语写着“项目为王，实干为先”。") == []
    assert neighbours.quoted_verse("他念道“床前明月光，疑是地上霜”。") != []
