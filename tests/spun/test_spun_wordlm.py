"""The word 3-gram model (service.spun.wordlm): loading, scores, the bounded memo."""

from __future__ import annotations

import pytest

from service.spun import resources as res
from service.spun import wordlm


def test_the_shipped_model_loads_and_prefers_the_original_words():
    scorer = wordlm.WordScorer(wordlm.model())
    assert scorer["我们通过这个方法解决问题"] > scorer["我们经由过程这个方法解决问题"]
    assert scorer["请检查磁盘空间"] > scorer["请检验查看磁性盘片空间"]


def test_scores_are_the_models_own_over_the_segmentation():
    model = wordlm.model()
    scorer = wordlm.WordScorer(model)
    text = "今天的会议取消了"
    expected = model.score(" ".join(res.segment(text)), bos=False, eos=False)
    assert scorer(text) == pytest.approx(expected)
    assert text in scorer  # memoized: the next lookup is a plain dict hit


def test_the_memo_stays_bounded():
    scorer = wordlm.WordScorer(wordlm.model(), limit=3)
    for text in ("一", "二三", "四五六", "七八九十", "天气很好"):
        scorer[text]
        assert len(scorer) <= 3


def test_a_missing_model_file_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(wordlm, "MODEL_PATH", tmp_path / "absent.bin")
    monkeypatch.setattr(wordlm, "_model", None)
    with pytest.raises(FileNotFoundError, match="spun_word_lm"):
        wordlm.model()
