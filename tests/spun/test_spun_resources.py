"""Lexical resources of the spun engine: file schemas, loaders, known cases."""

from __future__ import annotations

import gzip
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.build import spun_resources as B
from service.spun import resources as R

_HAN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+$")


def _data_rows(path, columns):
    text = gzip.decompress(path.read_bytes()).decode() if path.suffix == ".gz" else path.read_text()
    lines = text.split("\n")
    assert lines[0].split("\t") == list(columns)
    assert lines[-1] == "", "files end with a newline"
    return [line.split("\t") for line in lines[1:-1]]


def test_wordfreq_file_is_word_jieba_web_counts():
    rows = _data_rows(R.WORDFREQ_PATH, R.WORDFREQ_COLUMNS)
    assert len(rows) > 300_000
    words = [r[0] for r in rows]
    assert words == sorted(words) and len(set(words)) == len(words)
    for word, jieba, web in rows[::997]:
        assert _HAN.match(word) and jieba.isdigit() and web.isdigit()
        assert int(jieba) + int(web) > 0


def test_cilin_file_has_codes_and_known_words():
    rows = _data_rows(R.CILIN_PATH, R.CILIN_COLUMNS)
    assert len(rows) > 15_000
    assert all(re.match(r"^[A-L][a-z]\d\d[A-Z]\d\d[=#@]$", code) for code, _ in rows)
    for _, words in rows[::101]:
        assert all(R.is_word(w) for w in words.split(" "))


def test_cedict_file_is_symmetric():
    rows = _data_rows(R.CEDICT_PATH, R.CEDICT_COLUMNS)
    table = {w: set(p.split(" ")) for w, p in rows}
    assert len(table) > 20_000
    for word, partners in list(table.items())[::53]:
        assert word not in partners
        assert all(word in table[p] for p in partners)


def test_vector_neighbour_file_is_symmetric_known_words():
    rows = _data_rows(R.NEIGHBOURS_PATH, R.NEIGHBOUR_COLUMNS)
    table = {w: near.split(" ") for w, near in rows}
    assert len(table) > 40_000
    for word, near in list(table.items())[::97]:
        assert R.is_word(word) and word not in near and len(set(near)) == len(near)
        assert all(word in table[n] for n in near)


def test_similar_words_find_antonym_swaps():
    assert "优势" in R.similar_words("劣势") and "劣势" in R.similar_words("优势")
    assert "加快" in R.similar_words("放慢")
    assert R.similar_words("经由过程") == ()


def test_char_partner_file_is_single_han_characters_capped():
    rows = _data_rows(R.PARTNERS_PATH, R.PARTNER_COLUMNS)
    assert len(rows) > 5000
    for char, partners in rows:
        assert len(char) == 1 and _HAN.match(char + partners)
        assert char not in partners and len(set(partners)) == len(partners) <= 40


def test_parsers_reject_malformed_text():
    with pytest.raises(ValueError):
        R.parse_wordfreq("word\tjieba\n的\t1\n")
    with pytest.raises(ValueError):
        R.parse_wordfreq("word\tjieba\tweb\n的\tx\t1\n")
    with pytest.raises(ValueError):
        R.parse_groups("code\twords\nbad\t人\n", R.CILIN_COLUMNS, "cilin")
    assert R.parse_wordfreq("word\tjieba\tweb\n的\t3\t0\n好\t1\t4\n")["的"] // 1000 == 1


@pytest.mark.parametrize(
    ("a", "b"),
    [("服务", "效劳"), ("发展", "开展"), ("产业", "财产"), ("计划", "方案"), ("分析", "剖析")],
)
def test_synonyms_both_ways(a, b):
    assert b in R.synonyms(a) and a in R.synonyms(b)


def test_synonyms_are_ordered_by_frequency_and_exclude_the_word():
    syn = R.synonyms("服务")
    assert "服务" not in syn
    freqs = [R.word_freq(w) for w in syn]
    assert freqs == sorted(freqs, reverse=True)
    assert R.synonyms("不是一个词语吧") == ()


def test_cilin_lookups():
    codes = R.cilin_codes("服务")
    assert codes and all(code[-1] in "=#@" for code in codes)
    assert "劳务" in R.cilin_synonyms("服务")
    assert set(R.cilin_synonyms("服务")) <= set(R.cilin_related("服务", level=5))
    assert len(R.cilin_related("服务", level=3)) >= len(R.cilin_related("服务", level=4))


def test_word_frequencies():
    assert R.word_freq("的") > R.word_freq("服务") > R.word_freq("效劳") > R.UNSEEN
    assert R.word_freq("经由过程") == R.UNSEEN and not R.is_word("经由过程")
    assert R.is_word("年夜饭") and R.is_word("服务")
    jieba, web = R.word_freqs("年夜")
    assert jieba > R.UNSEEN and web == R.UNSEEN  # a dictionary entry never seen in web text


@pytest.mark.parametrize(
    ("ch", "expected"), [("高", "低下"), ("地", "天"), ("大", "小"), ("快", "慢")]
)
def test_char_partners(ch, expected):
    partners = R.char_partners(ch)
    assert any(e in partners for e in expected)
    assert ch not in partners and len(partners) <= 40


def test_unknown_character_has_no_partners():
    assert R.char_partners("a") == ()


def test_build_steps_on_a_toy_dictionary():
    assert B.gloss_keys("to serve (in some capacity)/surname Xiao/service; duty") == {
        "serve",
        "service",
        "duty",
    }
    entries = {"服务": {"serve"}, "效劳": {"serve"}, "的": {"of"}}
    syn = B.cedict_synonyms(entries, {"服务": 10, "效劳": 5, "的": 99})
    assert syn == {"服务": {"效劳"}, "效劳": {"服务"}}
    words2 = {"高低": 50, "高温": 10, "低温": 8, "高速": 9, "低速": 3, "提高": 40}
    partners = B.char_partners(words2, list(words2))
    assert partners["高"][0] == "低" and set(partners["高"]) == {"低", "温", "速", "提"}


def test_character_lm_is_a_5gram_within_budget():
    from service.spun.lm import MODEL_PATH, model, tokens

    assert MODEL_PATH.stat().st_size < 16_000_000
    model = model()
    assert model.order == 5
    score = lambda text: model.score(tokens(text), True, True)  # noqa: E731
    for spun, orig in [
        ("我们正在经由过程设置装备摆设文件来启动效劳。", "我们正在通过配置文件来启动服务。"),
        ("这款手机的电池很耐用，拍照后果也不错。", "这款手机的电池很耐用，拍照效果也不错。"),
        ("全市经济年夜幅增加，开展势头优良。", "全市经济大幅增长，发展势头良好。"),
    ]:
        assert score(orig) > score(spun)


def test_lm_text_extraction_on_toy_inputs():
    from service.build import spun_lm_text as T

    roff = '.\\" comment\n.TH LS 1\n.SH 名称\nls \\- 列出 目录 内容\n.B \\fB显示隐藏文件\\fR\n.TP\n'
    assert T.roff_lines(roff) == ["ls - 列出 目录 内容", "显示隐藏文件"]
    po = (
        'msgid "x"\nmsgstr ""\n"无法打开文件 %s\\n"\n"(_O)打开配置文件"\n\nmsgid "y"\nmsgstr "好"\n'
    )
    assert T.po_strings(po) == ["无法打开文件 %s", "打开配置文件"]
    assert T.tidy("列出 目录 内容 ｌｓ") == "列出目录内容 ls"
    train, held = T.split([[f"文档第{i}行内容"] for i in range(10)])
    assert held == ["文档第7行内容"] and len(train) == 9


def test_segmentation_follows_dictionary_words():
    assert R.segment("学做年夜饭") == ["学", "做", "年夜饭"]
    words = R.segment("该公司在郊区新建的生产基地已经正式投入使用")
    assert words[:6] == ["该", "公司", "在", "郊区", "新建", "的"] and "基地" in words


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_segmentation_rebuilds_any_text(text):
    assert "".join(R.segment(text)) == text


def test_no_dictionary_word_of_two_or_more_characters_holds_anything_but_han():
    """What lets a split of a long line be done run by run of Han characters."""
    han = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]+")
    assert all(han.fullmatch(word) for word in R._wordfreq() if len(word) > 1)


_SENTENCES = (
    "该公司在郊区新建的生产基地已经正式投入使用",
    "中华人民共和国国务院办公厅发布关于进一步加强安全生产工作的通知",
    "学做年夜饭的年轻人越来越多，市场监督管理局提醒消费者注意食品安全",
)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="".join(sorted(set("".join(_SENTENCES)))) + "，。、：0a \n", max_size=80))
def test_a_split_is_the_splits_of_its_han_runs_end_to_end(text):
    """As probable as the whole text's split (the quantized frequencies tie often, and a
    floating-point sum breaks a tie either way), and the same tokens when nothing ties."""
    runs = re.findall("[\u4e00-\u9fff]+|[^\u4e00-\u9fff]", text)
    by_runs = [token for run in runs for token in R.split(run)]
    whole = list(R.split(text))
    assert "".join(by_runs) == text
    assert abs(_log_probability(by_runs) - _log_probability(whole)) < 1e-6


def _log_probability(tokens: list[str]) -> float:
    get = R._wordfreq().get
    total = 0.0
    for token in tokens:
        code = get(token)
        f = None if code is None else R._JIEBA[code // 1000]
        assert f is not None or len(token) == 1
        total += R.SEGMENT_UNKNOWN if f is None else f
    return total


def test_the_tie_a_run_split_may_break_otherwise():
    assert _log_probability(["用者"]) == pytest.approx(_log_probability(["用", "者"]))


def test_window_scores_are_the_models_and_the_memo_stays_bounded():
    from service.spun import lm

    scorer = lm.WindowScorer(lm.model(), limit=3)
    windows = ["今天天气", "天气很好", "很好。", "我们出发"]
    for window in windows:
        expected = lm.model().score(" ".join(window), bos=False, eos=False)
        assert scorer[window] == expected == scorer(window)
        assert len(scorer) <= 3
    assert "我们出发" in scorer  # memoized after the memo was emptied


def test_homophone_file_is_single_han_characters_capped():
    rows = _data_rows(R.HOMOPHONES_PATH, R.HOMOPHONE_COLUMNS)
    assert len(rows) > 5000
    chars = [c for c, _ in rows]
    assert chars == sorted(chars) and len(set(chars)) == len(chars)
    for char, found in rows:
        assert len(char) == 1 and _HAN.match(char + found)
        assert char not in found and len(set(found)) == len(found) <= 6


@pytest.mark.parametrize(
    ("spun", "original"), [("迪", "的"), ("硕", "说"), ("涞", "来"), ("哆", "多")]
)
def test_homophones_list_the_far_more_probable_reading(spun, original):
    assert original in R.homophones()[spun]


def test_the_most_probable_character_of_a_reading_has_no_homophone_row():
    table = R.homophones()
    assert "的" not in table and "说" not in table and "来" not in table


def test_homophone_parser_rejects_malformed_rows():
    assert R.parse_homophones("char\thomophones\n迪\t的地\n") == {"迪": "的地"}
    for bad in ("迪\t迪的\n", "迪的\t地\n", "迪\t的的\n", "迪\ta\n", "迪\n"):
        with pytest.raises(ValueError):
            R.parse_homophones("char\thomophones\n" + bad)
    with pytest.raises(ValueError):
        R.parse_homophones("char\tpartners\n迪\t的\n")
