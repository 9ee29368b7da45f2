"""The demo's spun samples (service/data/samples/demo-posts.jsonl) come out repaired."""

from __future__ import annotations

import json

import pytest

from service import samples, spun
from service.edits import apply_edits


def _spun_samples() -> dict[str, str]:
    out = {}
    for raw in samples.demo_posts():
        try:
            post = json.loads(raw)
        except ValueError:
            continue  # the samples of broken encodings are not JSON text
        if isinstance(post, dict) and (post.get("meta") or {}).get("sample") == "spun":
            out[post["id"]] = post["text"]
    return out


SPUN = _spun_samples()

REPAIRED = {
    "demo-09": "这个项目的关键在于提高服务水平，推动经济高质量发展。",
    "demo-11": "市政府明确了下一步的发展方向，重点支持制造业升级。",
    "demo-12": "在各方共同努力下，工程建设进度明显加快。",
}


def test_the_demo_has_six_spun_samples():
    assert sorted(SPUN) == [f"demo-{n:02d}" for n in range(9, 15)]


@pytest.mark.parametrize(("post_id", "expected"), sorted(REPAIRED.items()))
def test_demo_sample_is_restored(post_id, expected):
    result = spun.fix(SPUN[post_id])
    assert result.kinds == ("spun",)
    assert apply_edits(SPUN[post_id], result.edits) == expected


def test_demo_10_is_repaired_except_the_antonym_swap():
    """平安, 正在, 主要, 周全, 增强 are undone; 消费 (生产) is an antonym swap, which needs a
    post-level probability of 0.99 that 22 characters cannot give."""
    text = SPUN["demo-10"]
    result = spun.fix(text)
    assert result.kinds == ("spun",)
    assert apply_edits(text, result.edits) == "我们要把安全消费放在重要位置，全面加强风险排查。"


@pytest.mark.xfail(
    strict=True,
    reason="every spun form is a real word (增强, 进步, 枢纽) or one odd pair (删加) beside one "
    "real word (鞭策): not enough evidence in a 22-character post yet",
)
@pytest.mark.parametrize("post_id", ["demo-13", "demo-14"])
def test_demo_sample_with_real_word_forms_only_is_repaired(post_id):
    assert spun.fix(SPUN[post_id]).kinds == ("spun",)
