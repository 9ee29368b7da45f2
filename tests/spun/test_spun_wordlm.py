"""The word 3-gram model (service.spun.wordlm): loading, scores, the bounded memo, odd text."""

from __future__ import annotations

import hashlib

import pytest

from service.build.spun_word_lm import SHA256
from service.spun import lm, wordlm
from service.spun import resources as res


def test_the_shipped_model_is_the_one_the_judge_was_trained_with():
    assert hashlib.sha256(wordlm.MODEL_PATH.read_bytes()).hexdigest() == SHA256


def test_the_shipped_model_prefers_the_original_words():
    scorer = wordlm.scorer()
    assert scorer["我们通过这个方法解决问题"] > scorer["我们经由过程这个方法解决问题"]
    assert scorer["请检查磁盘空间"] > scorer["请检验查看磁性盘片空间"]


def test_scores_are_the_models_own_over_the_segmentation():
    model = wordlm.model()
    scorer = wordlm.scorer()
    text = "今天的会议取消了"
    expected = model.score(" ".join(res.segment(text)), bos=False, eos=False)
    assert scorer(text) == pytest.approx(expected)
    assert text in scorer  # memoized: the next lookup is a plain dict hit


def test_a_lone_surrogate_is_scored_not_raised():
    scorer = wordlm.scorer()
    assert scorer["撤退离开\ud800现场"] == pytest.approx(scorer["撤退离开?现场"])


def test_the_memo_stays_bounded():
    scorer = wordlm.scorer(limit=3)
    for text in ("一", "二三", "四五六", "七八九十", "天气很好"):
        scorer[text]
        assert len(scorer) <= 3


def test_a_missing_model_file_is_one_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="spun_word_lm"):
        lm.load(tmp_path / "absent.bin", "service.build.spun_word_lm")


def test_long_texts_are_split_without_filling_the_memo():
    line = "撤退离开现场以后再检查磁盘空间" * 5
    before = res._segment.cache_info().currsize
    assert "".join(res.segment(line)) == line
    assert res._segment.cache_info().currsize == before
