"""The reverse substitution lexicon: schema, size, provenance, both spinner variants."""

from __future__ import annotations

from collections import Counter

import pytest

from service.spun.lexicon import COLUMNS, LEXICON_PATH, SOURCES, entries, parse


def test_lexicon_loads_with_enough_entries_and_valid_rows():
    rows = entries()
    assert len(rows) >= 2000
    assert len({(e.spun, e.original) for e in rows}) == len(rows)
    for e in rows:
        assert e.spun != e.original
        assert 0.0 < e.prior <= 1.0
        assert all(source in SOURCES for source in e.sources)
        assert e.f_spun >= 0 and e.f_orig >= 0


def test_every_provenance_is_used():
    used = Counter(source for e in entries() for source in e.sources)
    for source in SOURCES:
        assert used[source] > 0, source


@pytest.mark.parametrize(
    ("spun", "original"),
    [
        ("年夜", "大"),
        ("正在", "在"),
        ("效劳", "服务"),
        ("标的目的", "方向"),
        ("收受接管", "回收"),
        ("战", "和"),
        ("取", "与"),
        ("下新区", "高新区"),
        ("放慢", "加快"),
        ("劣势", "优势"),
        ("经由过程", "通过"),
        ("设置装备摆设", "配置"),
        ("小我私家", "个人"),
        ("德律风", "电话"),
        ("可以或许", "能够"),
        ("不雅众", "观众"),
        ("弗成", "不可"),
    ],
)
def test_the_issue_examples_are_in_the_lexicon(spun, original):
    assert any(e.spun == spun and e.original == original for e in entries())


def test_both_variants_present():
    variants = Counter(e.variant for e in entries())
    assert variants["news"] > 100 and variants["tech"] > 20


def test_header_is_the_schema():
    assert LEXICON_PATH.read_text("utf-8").split("\n", 1)[0].split("\t") == list(COLUMNS)


@pytest.mark.parametrize(
    "row",
    [
        "年夜\t大\tchar\tnews\t0.9\tspinner\t1\t1",  # too few columns
        "年夜\t大\tphrase\tnews\t0.9\tspinner\t1\t1\t0",  # bad level
        "年夜\t大\tchar\tnews\t1.5\tspinner\t1\t1\t0",  # prior out of range
        "年夜\t大\tchar\tnews\t0.9\twikipedia\t1\t1\t0",  # unknown provenance
        "大\t大\tchar\tnews\t0.9\tspinner\t1\t1\t0",  # identical forms
    ],
)
def test_malformed_rows_are_rejected(row):
    with pytest.raises(ValueError):
        parse("\t".join(COLUMNS) + "\n" + row + "\n")
