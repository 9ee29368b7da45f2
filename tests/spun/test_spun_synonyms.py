"""Synonym evidence: words whose far more frequent synonym the LM much prefers in context."""

from __future__ import annotations

from service.spun import resources
from service.spun.engine import _SYNONYMS, engine

CLEAN = (
    "用户可以通过设置修改程序的参数，然后重新启动电脑，就能看到新的界面。"
    "如果出现错误，请检查网络连接是否正常，再联系管理员。"
)
# The same text with rarer synonyms (written for this test).
SPUN = (
    "用户能够经由设定批改程序的参量，而后从新开动电脑，便能看见新的界面。"
    "倘使出现过错，请查验网络衔接是否正常，再联络管理员。"
)


def test_upgrades_list_far_more_frequent_synonyms():
    rows = resources.upgrades()
    assert len(rows) > 10_000
    for word in ("批改", "联络", "过错"):
        better = rows[word].split(" ")
        assert better
        for synonym in better:
            assert synonym in resources.synonyms(word)
            assert resources.word_freq(synonym) >= resources.word_freq(word) + 1.0


def test_rarer_synonyms_throughout_are_evidence_and_the_clean_text_is_not():
    eng = engine()
    assert eng.synonym_evidence(SPUN, {}) > 1.0
    assert eng.synonym_evidence(CLEAN, {}) == 0.0


def test_one_rarer_synonym_is_no_evidence():
    text = CLEAN.replace("修改", "批改")
    assert engine().synonym_evidence(text, {}) == 0.0


def test_synonym_evidence_alone_does_not_license_guesses_beyond_the_table():
    """删加 → 增加 is a dictionary-neighbour guess: it needs a spun probability of PI_DECODE
    without the synonym evidence (itself evidence from real words); 鞭策 is the table's."""
    eng = engine()
    text = "政府鞭策企业删加研发投入。"
    spans = [(0, len(text), 0.97)]
    restored = {(d.before, d.after) for d in eng.decode(text, spans, {}, {}, 0.97)}
    assert restored == {("鞭策", "推动"), ("删加", "增加")}
    cache = {_SYNONYMS: {text: 5.0}}  # the same probability, mostly from synonym evidence
    restored = {(d.before, d.after) for d in eng.decode(text, spans, {}, cache, 0.97)}
    assert restored == {("鞭策", "推动")}
