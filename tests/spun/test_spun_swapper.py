"""The table-free swap judge (service.spun.swapper): model file, exactness, decisions, properties."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service import spun
from service.spun import engine as E
from service.spun import resources as res
from service.spun import swapper as S
from service.spun.engine import engine

BLIND = Path(__file__).resolve().parents[1] / "data" / "blind"
DEV_LINES = BLIND / "round1" / "spun" / "news_nianye.txt"
EXPANDED_LINES = BLIND / "round4" / "spun" / "tech_mtexpand.txt"  # round-trip expansions


@pytest.fixture(scope="module")
def judge() -> S.Swapper:
    return engine().swapper


def test_model_file_matches_the_code_and_names_only_development_rounds():
    data = json.loads(S.MODEL_PATH.read_text("utf-8"))
    assert data["schema"] == S.SCHEMA
    assert tuple(data["features"]) == S.FEATURES
    # Trained on development rounds only: the newest blind rounds measure it.
    rounds = [f"round{k}" for k in range(1, 18)]
    assert data["trained_on"] == [f"tests/data/blind/{name}" for name in rounds]
    assert 0.0 < data["tau"] < 1.0 and data["theta"] >= 2.0
    assert set(data["leave_one_round_out"]) == set(rounds)


def test_swap_counts_are_evidence_for_spun_lines_and_against_clean_ones(judge):
    spun_lines = DEV_LINES.read_text("utf-8").splitlines()
    clean_lines = (BLIND / "round1" / "texts" / "news.txt").read_text("utf-8").splitlines()
    spun_llr = sorted(judge.likelihood_ratio(line) for line in spun_lines)
    clean_llr = sorted(judge.likelihood_ratio(line) for line in clean_lines)
    # Medians on the two sides of zero, and the spun side clearly higher.
    assert spun_llr[len(spun_llr) // 2] > 0.0 > clean_llr[len(clean_llr) // 2]
    assert sum(spun_llr) / len(spun_llr) > sum(clean_llr) / len(clean_llr) + 2.0


def test_the_soft_count_is_evidence_where_the_count_of_likely_swaps_is_not(judge):
    """Spun lines with fewer likely swaps than the count needs (SWAP_MIN_SWAPS) still carry the
    judge's many less certain swaps: their soft count is evidence, a clean line's is not."""
    from service.spun.engine import PRIOR_LOGODDS, SWAP_MIN_SWAPS, SWAP_SOFT_CAP

    spun_lines = DEV_LINES.read_text("utf-8").splitlines()
    clean_lines = (BLIND / "round1" / "texts" / "news.txt").read_text("utf-8").splitlines()
    few = [line for line in spun_lines if judge.count(line) < SWAP_MIN_SWAPS]
    assert len(few) >= 5
    soft = sorted(judge.soft_ratio(line) for line in few)
    clean = sorted(judge.soft_ratio(line) for line in clean_lines)
    assert soft[len(soft) // 2] > 0.0 > clean[len(clean) // 2]
    assert sum(s > 1.0 for s in soft) >= 3 * len(soft) // 4  # measured 23 of 24
    assert clean[-1] < 0.5  # measured -0.07 at most (40 clean paragraphs)
    # … and the engine adds it to such a line's evidence (lines the density alone decides and
    # lines with likely contractions left aside, so the figure is the soft count's alone; and the
    # one line whose swaps leave it looking like old-style prose, which gets no judge evidence).
    eng = engine()
    plain = [
        line
        for line in few
        if judge.density(line) < judge.model.theta and judge.contraction_ratio(line) <= 0.0
    ]
    literary = [line for line in plain if eng.literary(line)]
    assert len(literary) <= 1
    plain = [line for line in plain if line not in literary]
    assert len(plain) >= 10  # measured 22
    for line in plain:
        expected = max(0.0, min(SWAP_SOFT_CAP, judge.soft_ratio(line)))
        expected += _bridging(line) + _padding(line)
        assert eng.swap_evidence(line, 0.0, {}) == pytest.approx(expected)
    assert sum(eng.swap_evidence(line, 0.0, {}) > 1.0 for line in plain) >= len(plain) // 2
    assert PRIOR_LOGODDS < 0.0


def test_lines_leaning_clean_get_swap_evidence_only_where_the_lm_finds_them_unfluent(judge):
    """Evidence that leans clean (a table form used as a real word) leaves a spun line within
    reach: the judge still counts for it where its characters are less fluent than ordinary
    prose, and not for fluent clean prose (which keeps the costly judge away from it)."""
    from service.spun import engine as engine_module

    eng = engine()
    lean = (engine_module.SWAP_OWN_MIN + engine_module.SWAP_LEAN) / 2
    spun_lines = [line for line in DEV_LINES.read_text("utf-8").splitlines() if len(line) >= 40]
    clean_lines = (BLIND / "round1" / "texts" / "news.txt").read_text("utf-8").splitlines()
    unfluent = [
        line for line in spun_lines if eng.line_fluency(line) <= engine_module.SWAP_LEAN_LM
    ]
    assert len(unfluent) >= len(spun_lines) // 2  # spun text reads less fluently
    found = [eng.swap_evidence(line, lean, {}) for line in unfluent]
    assert sum(value > 1.0 for value in found) >= len(found) // 2
    fluent = [
        line for line in clean_lines if eng.line_fluency(line) > engine_module.SWAP_LEAN_LM
    ]
    assert len(fluent) >= len(clean_lines) // 2  # … and most clean news reads fluently
    assert all(eng.swap_evidence(line, lean, {}) == 0.0 for line in fluent)
    # … while the same lines with undecided evidence (log-odds 0) are judged
    assert any(eng.swap_evidence(line, 0.0, {}) > 0.0 for line in fluent)
    # below the band no line is judged
    below = engine_module.SWAP_OWN_MIN - 0.5
    assert all(eng.swap_evidence(line, below, {}) == 0.0 for line in unfluent)


# A manual's sentence padded by a round-trip spinner (使用 → 运用, 检查 → 查看检验, 电源 → 电力源 …)
PADDED = (
    "请在运用前查看检验电力源线是否完整良好，如有破坏损伤应当立即停息止住运用，"
    "并联络系售后服务维护修理，切勿自己行动拆开卸下机器。"
)


def test_surviving_originals_of_the_table_leave_a_line_within_the_judges_reach():
    """Originals that this lexicon's table would have spun pull a line's lexical evidence down
    (to -2 here): evidence against *this* table, not against another spinner, so the judge still
    counts for the line; far below, it does not."""
    eng = engine()
    assert eng.swap_evidence(PADDED, -2.0, {}) > 1.0
    assert eng.swap_evidence(PADDED, -4.0, {}) == 0.0


@pytest.mark.parametrize("suffix", ["", "_ctr", "_soft"])
def test_a_model_with_inverted_rates_is_refused(tmp_path, suffix):
    data = json.loads(S.MODEL_PATH.read_text("utf-8"))
    spun_key, clean_key = f"rate_spun{suffix}", f"rate_clean{suffix}"
    data[clean_key], data[spun_key] = data[spun_key], data[clean_key]
    path = tmp_path / "swapper.json"
    path.write_text(json.dumps(data), "utf-8")
    with pytest.raises(ValueError, match="rates"):
        S.load_model(path)


def test_likely_contractions_are_strong_evidence_and_absent_from_clean_text(judge):
    """Round-trip expansions are no writer's choice: each likely contraction weighs more than a
    likely word swap, and a clean paragraph has none."""
    spun_line = "请先撤退离开现场，再检验查看磁性盘片空间和运行日志，确认以后重新开启效劳。"
    clean_line = "请先撤离现场，再检查磁盘空间和运行日志，确认以后重新启动服务。"
    assert judge.count(spun_line, contracted=True) >= 2
    assert judge.contraction_ratio(spun_line) > 3.0
    assert judge.count(clean_line, contracted=True) == 0
    assert judge.contraction_ratio(clean_line) < 0.0
    model = judge.model
    per_contraction = math.log(model.rate_spun_ctr / model.rate_clean_ctr)
    assert per_contraction > math.log(model.rate_spun / model.rate_clean)


def test_a_model_for_other_features_is_refused(tmp_path):
    data = json.loads(S.MODEL_PATH.read_text("utf-8"))
    data["features"] = list(reversed(data["features"]))
    path = tmp_path / "swapper.json"
    path.write_text(json.dumps(data), "utf-8")
    with pytest.raises(ValueError, match="feature list"):
        S.load_model(path)


def test_fast_judgement_equals_the_model_on_every_feature_row(judge):
    """``judged`` folds the features into the logit; it must give the model's own answer."""
    lines = DEV_LINES.read_text("utf-8").splitlines()[:15]
    lines += EXPANDED_LINES.read_text("utf-8").splitlines()[:15]
    assert any(parts for line in lines for _, _, parts in S.sites(line))
    floor = min(judge.model.tau, S.DENSITY_P, S.SOFT_P)
    for line in lines:
        expected: dict[tuple[int, int], tuple[float, str]] = {}
        for i, j, original, x, offset in S.site_rows(line, judge.score, judge.word_score):
            p = judge.model.prob(x, offset)
            if p > expected.get((i, j), (0.0, ""))[0]:
                expected[(i, j)] = (p, original)
        got = judge.judged(line)
        # (sums run in another order: a site within rounding of the floor may fall either way)
        assert {k for k, v in expected.items() if v[0] >= floor + 1e-9} <= got.keys()
        assert all(expected[k][0] >= floor - 1e-9 for k in got)
        expected = {k: v for k, v in expected.items() if k in got}
        for key, (p, original) in expected.items():
            assert got[key][1] == original
            assert got[key][0] == pytest.approx(p, abs=1e-9)


@pytest.mark.parametrize("form", ["今日", "检验", "基天", "效劳", "滋味", "年夜"])
def test_candidates_are_more_frequent_and_not_much_shorter(form):
    base = S.freq(form)
    for cand in S.candidates(form):
        assert S.freq(cand.original) > base
        assert len(cand.original) >= len(form) - 1
        assert cand.sources <= set(S.SOURCES)


def test_contractions_undo_round_trip_expansions():
    """Each word of an expansion is kept or cut to one character; the sense says whether the
    kept characters mean their words, the head how many of the cut words keep their first
    character (as most spinners' expansions do: 撤离 → 撤退离开, not 当时 → 应当按时)."""
    found = {c.original: c for c in S.contractions(("撤退", "离开"))}
    assert found["撤离"].sense == 1.0 and found["撤离"].sources == {"ctr"}
    assert found["撤离"].head == 1.0 and found["退开"].head == 0.0
    assert {c.original: c.head for c in S.contractions(("应当", "按时"))}["当时"] == 0.0
    assert {c.original: c.sense for c in S.contractions(("今年", "春天"))}["今天"] == 0.0
    assert S.contractions(("网上", "吵来吵去")) == ()  # an idiom is never cut
    for parts in [("磁性", "盘片"), ("运动", "大会"), ("通行", "过往")]:
        for cand in S.contractions(parts):
            assert len(cand.original) < len("".join(parts)) and res.is_word(cand.original)
            assert S.freq(cand.original) > S.freq("".join(parts))


def test_contraction_sites_are_runs_of_segmented_words():
    line = "请先撤退离开现场，再检查磁性盘片。"
    sites = S.contraction_sites(line)
    assert (2, 6, ("撤退", "离开")) in sites and (12, 16, ("磁性", "盘片")) in sites
    kept = S.contraction_sites(line, broken=False)
    for start, end, parts in sites:
        if (start, end, parts) not in kept:  # (a run the split broke: two pairs)
            assert end - start == 2 * S.CUT_LEN and len(parts) == 2
            continue
        assert line[start:end] == "".join(parts)
        assert S.CONTRACT_MIN <= end - start <= S.CONTRACT_MAX and len(parts) >= 2
    assert set(kept) <= set(sites)


def test_two_words_that_go_together_are_no_contraction_site():
    """物业服务 and 经济发展 are collocations the word model knows (物业服务 is no round-trip
    expansion of 业务); 撤退离开 is not one."""
    line = "第三条 物业服务人应当按约定维修"
    assert "业务" in {c.original for c in S.contractions(("物业", "服务"))}
    assert S._collocation("物业", "服务") >= S.CTR_BIGRAM
    assert S._collocation("经济", "发展") >= S.CTR_BIGRAM
    assert all(site[:2] != (4, 8) for site in S.contraction_sites(line))
    assert S._collocation("撤退", "离开") < S.CTR_BIGRAM
    assert (2, 6, ("撤退", "离开")) in S.contraction_sites("请先撤退离开现场")


def test_three_character_expansions_are_contraction_sites():
    """A character padded into a word of its own (改造 → 改建造, 过去 → 过往去) is a site."""
    for line, site, original in [
        ("老旧水管改建造工程日前开工", (4, 7, ("改", "建造")), "改造"),
        ("村里过往去的老路", (2, 5, ("过往", "去")), "过去"),
    ]:
        assert site in S.contraction_sites(line)
        assert original in {c.original for c in S.contractions(site[2])}


def test_an_expansion_the_split_broke_is_a_site_with_its_fragment_cut_already():
    """文书档件 splits as 文书/档/件: no run of the split holds 档件, but read as two pairs, the
    pair 档件 of two one-character words is no word and its fragment 件 is what is left of 文件.
    Pairs that cut a word of the split (还/没有/散), classical one-character words (知之足矣) and
    written Cantonese are no such sites."""
    line = "打开文书档件再修改"
    assert res.segment(line)[1:4] == ["文书", "档", "件"]
    site = (2, 6, ("文书", "件"))
    assert site in S.contraction_sites(line)
    assert "文件" in {c.original for c in S.contractions(site[2])}
    for clean in ("还没有散", "知之足矣，何必好之", "佢喺度等咗好耐，档件都睇晒"):
        for start, end, parts in S.contraction_sites(clean):
            assert "".join(parts) == clean[start:end], (clean, parts)


def test_swaps_on_development_lines_remove_more_errors_than_they_make(judge):
    """Every line of a development set treated as spun: the judge's swaps alone bring the text
    closer to the original (measured when trained: 0.21 of errors removed, in sample)."""
    from service.edits import Edit, apply_edits
    from service.spun.evaluate import distance

    spun_lines = DEV_LINES.read_text("utf-8").splitlines()
    orig_lines = (BLIND / "round1" / "texts" / "news.txt").read_text("utf-8").splitlines()
    before = after = 0
    for line, orig in zip(spun_lines, orig_lines, strict=True):
        edits = [
            Edit(s.start, s.end, line[s.start : s.end], s.original, "spun", s.p)
            for s in judge.restore(line)
        ]
        before += distance(line, orig)[0]
        after += distance(apply_edits(line, edits), orig)[0]
    assert after <= 0.85 * before, (before, after)


def test_clean_paragraph_swaps_are_rare_and_unjudged_when_clean(judge):
    """A clean paragraph stays below the density that marks a line no table explains."""
    line = "今天上午，市政府召开新闻发布会，介绍了今年以来全市经济运行情况和下一步工作安排。"
    assert judge.density(line) < judge.model.theta
    assert spun.fix(line).edits == []


def test_restore_never_overlaps_taken_positions(judge):
    line = DEV_LINES.read_text("utf-8").splitlines()[0]
    taken = [k % 3 == 0 for k in range(len(line))]
    swaps = judge.restore(line, taken)
    assert swaps  # (a spun development line: the judge has swaps to make)
    seen = list(taken)
    for swap in swaps:
        assert not any(seen[swap.start : swap.end])
        seen[swap.start : swap.end] = [True] * (swap.end - swap.start)
        assert swap.p >= judge.model.tau


def test_a_short_mask_is_refused(judge):
    with pytest.raises(ValueError, match="every position"):
        judge.restore("今日天气晴好", [False])


# Text that gives the judge work: pieces of spun development lines, shuffled and mixed with
# arbitrary characters.
_DEV_PIECES = [
    line[k : k + 6]
    for line in DEV_LINES.read_text("utf-8").splitlines()[:20]
    for k in range(0, 60, 6)
]
_JUDGE_TEXT = st.lists(
    st.one_of(st.sampled_from(_DEV_PIECES), st.text(max_size=3)), min_size=1, max_size=30
).map("".join)


@settings(max_examples=150, deadline=None)
@given(_JUDGE_TEXT)
def test_swaps_stay_in_bounds_and_restore_dictionary_words(text):
    judge = engine().swapper
    swaps = judge.restore(text)
    last = 0
    for swap in swaps:
        assert last <= swap.start < swap.end <= len(text)
        assert res.is_word(swap.original) and swap.p >= judge.model.tau
        last = swap.end
    assert judge.density(text) >= 0.0


def test_the_property_text_gives_the_judge_work(judge):
    """The strategy above must reach the judge's swaps, or the property tests nothing."""
    text = "".join(_DEV_PIECES[:40])
    assert judge.restore(text)


_ANY_CHARACTER = st.characters(exclude_categories=())  # lone surrogates included


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.one_of(st.sampled_from(_DEV_PIECES), st.text(_ANY_CHARACTER, max_size=3)), max_size=30
    ).map("".join)
)
def test_arbitrary_unicode_never_crashes(text):
    judge = engine().swapper
    judge.restore(text)
    judge.density(text)
    judge.likelihood_ratio(text)
    judge.soft_ratio(text)


def test_a_lone_surrogate_in_a_judged_line_is_no_crash(judge):
    text = "".join(_DEV_PIECES[:40])
    odd = text[:30] + "\ud800" + text[30:]
    assert judge.judged(odd)
    spun.fix(odd)


def test_round_trip_expansions_are_undone_in_a_spun_paragraph_and_kept_in_clean_text():
    """Expansions no table lists (撤退离开, 检验查看, 磁性盘片) are contracted in a paragraph
    judged spun; the clean original comes through unchanged."""
    from service.edits import apply_edits

    clean = (
        "部署新版本之前，请先备份数据库，再把旧节点上的服务撤离。重启以后检查磁盘空间和日志，"
        "如果发现异常，可以通过回滚脚本恢复到上一个版本，并及时通知运维人员处理。"
    )
    spun_text = (
        "部署新版本之前，请先备份数据库，再把旧节点上的效劳撤退离开。再度启动以后检验查看磁性盘片"
        "空间和日志，如果发现异常，可以经由过程回滚脚本恢复到上一个版本，并实时通知运维职员处置。"
    )
    assert spun.fix(clean).edits == []
    result = spun.fix(spun_text)
    restored = {(e.before, e.after) for e in result.edits}
    assert {("撤退离开", "撤离"), ("检验查看", "检查")} <= restored
    assert "磁盘空间" in apply_edits(spun_text, result.edits)


def test_a_likelier_swap_replaces_the_lexicon_restorations_inside_it():
    """A lexicon restoration of part of an expansion (侍务 → 服务 in 服侍务) gives way to a swap
    of the whole run at least SWAP_OVERRIDE_P likely; one reaching into the run from outside,
    a less likely swap and a swap of SWAP_OVERRIDE_MIN characters or fewer do not."""
    from service.spun import engine as E

    line = "村里新建了快递服侍务站，失利挫败后再试一次，安好稳全"
    at = 100  # the line's offset in the text
    start = at + line.index("服侍务")
    lost = at + line.index("失利挫败")
    kept = at + line.index("安好稳全")
    choices = {
        start + 1: (start + 3, "服务", "服务", 0.99),  # 侍务 → 服务
        lost: (lost + 2, "失败", "失败", 0.99),  # 失利 → 失败, its partner left behind
        kept - 1: (kept + 1, "x", "x", 0.99),  # reaches into 安好稳全 from its left
    }
    offset = lambda word, n: (line.index(word), line.index(word) + n)  # noqa: E731
    judged = {
        offset("服侍务", 3): (0.9, "服务"),
        offset("服侍务站", 4): (0.5, "服务"),  # less likely than the swap placed first
        offset("失利挫败", 4): (E.SWAP_OVERRIDE_P, "失败"),
        offset("安好稳全", 4): (0.95, "安全"),
        offset("挫败", 2): (0.97, "失败"),  # too short to replace anything
    }
    taken = [False] * (at + len(line))
    E.Engine._override(at, line, judged, choices, taken)
    assert choices == {
        start: (start + 3, "服务", "服务", 0.9),
        lost: (lost + 4, "失败", "失败", E.SWAP_OVERRIDE_P),
        kept - 1: (kept + 1, "x", "x", 0.99),
    }
    assert all(taken[start : start + 3]) and all(taken[lost : lost + 4])
    judged[offset("失利挫败", 4)] = (E.SWAP_OVERRIDE_P - 0.01, "失败")
    choices = {lost: (lost + 2, "失败", "失败", 0.99)}
    E.Engine._override(at, line, judged, choices, [False] * (at + len(line)))
    assert choices == {lost: (lost + 2, "失败", "失败", 0.99)}


def test_a_joining_word_inside_an_expansion_may_be_dropped():
    """电力之子 → 电子, 冠冕之军 → 冠军: 之 inside the run may go; at either end it stays."""
    assert "之" in S.DROPPABLE
    assert [c.original for c in S.contractions(("电力", "之", "子"))] == ["电子"]
    assert "冠军" in [c.original for c in S.contractions(("冠冕", "之", "军"))]
    assert S.contractions(("之", "电力", "子")) == ()
    assert S.contractions(("电力", "子", "之")) == ()


# A delivery app's help text expanded by a round-trip spinner (送达 → 送到达到, 补偿 → 补足偿还,
# 首页 → 首位页面 …).
CONTRACTED = (
    "如果配送骑行手者没有按时送到达到，系统会自动自发发放一张补足偿还券，可抵扣五元；遇到恶劣天气时"
    "配送时间可能延长，平台会在首位页面顶部提前发布公告。"
)


def test_likely_contractions_count_for_more_than_the_soft_count_caps(judge):
    """Likely contractions in a line no table explains are strong evidence on their own (a
    Poisson ratio above 5 here): they count up to ``SWAP_CTR_CAP``, and the soft count adds its
    own."""
    from service.spun.engine import SWAP_CTR_CAP, SWAP_MIN_SWAPS, SWAP_SOFT_CAP

    eng = engine()
    # (neither the density nor the count of likely swaps decides this line)
    assert judge.density(CONTRACTED) < judge.model.theta
    assert judge.count(CONTRACTED) < SWAP_MIN_SWAPS
    contractions = judge.contraction_ratio(CONTRACTED)
    soft = judge.soft_ratio(CONTRACTED)
    assert contractions > 4.0 and 0.0 < soft < SWAP_SOFT_CAP
    found = eng.swap_evidence(CONTRACTED, 0.0, {})
    padded = _bridging(CONTRACTED) + _padding(CONTRACTED)
    assert found == pytest.approx(min(SWAP_CTR_CAP, contractions) + soft + padded)
    assert found > 6.0  # (the soft count and 3.0 when both caps were 3.0)


# Written for these tests: a padding spinner's line (博物馆 → 博物理馆, 中学生 → 中间学生) and its
# original, and clean phrases whose removals make words too (numbers, reduplication).
BRIDGED = "区博物理馆本周起延长开放时间，许多中间学生放学以后就结伴来参观。"
BRIDGED_ORIGINAL = "区博物馆本周起延长开放时间，许多中学生放学后就结伴来参观。"


def test_padded_characters_are_counted_and_numbers_and_reduplication_are_not():
    assert E.bridging_sites(BRIDGED) == 2
    assert E.bridging_sites(BRIDGED_ORIGINAL) == 0
    for clean in ("从医二十五年", "把注意事项一条条讲给病人", "屋檐下滴答滴答"):
        assert E.bridging_sites(clean) == 0, clean
    assert E._bridging_ratio(BRIDGED) > 0.0 > E._bridging_ratio(BRIDGED_ORIGINAL)


def test_padded_characters_are_swap_evidence_up_to_their_cap(monkeypatch):
    """A line's count of padded characters adds its Poisson evidence, at most BRIDGE_CAP, to the
    judge's; a line with none gets nothing from it."""
    line = "社区卫生服务中心下周起延长周末门诊时间，居民可以通过手机预约，也可以直接到窗口登记。"
    eng = engine()
    others = eng.swap_evidence(line, 0.0, {}) - _bridging(line)
    monkeypatch.setattr(E, "bridging_sites", lambda text: 0)
    assert eng.swap_evidence(line, 0.0, {}) == pytest.approx(others)
    monkeypatch.setattr(E, "bridging_sites", lambda text: len(text))
    assert eng.swap_evidence(line, 0.0, {}) == pytest.approx(others + E.BRIDGE_CAP)


def _bridging(line: str) -> float:
    """What a line's padded characters add to its swap evidence."""
    return max(0.0, min(E.BRIDGE_CAP, E._bridging_ratio(line)))


def _padding(line: str) -> float:
    """What the padding judge's soft count of the line adds to its swap evidence."""
    return engine().padding_evidence(line, {})


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_padded_character_count_never_fails_and_is_bounded(text):
    assert 0 <= E.bridging_sites(text) <= max(0, len(text) - 2)
