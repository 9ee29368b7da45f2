"""``qingliu eval spun --manifest``: aggregate figures per set and family, AUROC."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.spun.evaluate import artifacts, auroc, evaluate_manifest, score_posts


def test_auroc_counts_ties_half_and_orders():
    assert auroc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert auroc([0.1], [0.9]) == 0.0
    assert auroc([0.5], [0.5]) == 0.5
    assert auroc([0.9, 0.1], [0.5]) == 0.5
    assert auroc([], [0.5]) is None


def test_manifest_reports_sets_families_and_kinds(tmp_path: Path):
    (tmp_path / "s.txt").write_text(
        "那是齐会聚焦降真省委详细布置，放慢扶植当代化财产系统。\n", "utf-8"
    )
    (tmp_path / "o.txt").write_text(
        "这是全会聚焦落实省委具体部署，加快建设现代化产业体系。\n", "utf-8"
    )
    (tmp_path / "c.txt").write_text("今天天气很好。\n他正在开会。\n", "utf-8")
    manifest = {
        "sets": [
            {"name": "a", "kind": "spun", "family": "f1", "register": "news"},
            {"name": "b", "kind": "clean", "family": "short", "register": "chat", "orig": "c.txt"},
        ]
    }
    manifest["sets"][0].update({"spun": "s.txt", "orig": "o.txt"})
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest), "utf-8")
    result = evaluate_manifest(path)
    spun_set = result["sets"]["a"]
    assert spun_set["posts"] == 1 and spun_set["errors_before"] > 10
    assert spun_set["errors_removed"] > 0.8
    assert spun_set["posts_detected"] == 1 and spun_set["auroc"] == 1.0
    assert spun_set["marked_posts"] == 0  # two unambiguous artifacts (齐会, 当代化): too few
    clean_set = result["sets"]["b"]
    assert clean_set["posts"] == 2 and clean_set["posts_touched"] == 0
    assert clean_set["changed_per_10k_correct"] == 0.0 and "auroc" not in clean_set
    assert "marked_posts" not in clean_set
    assert set(result["families"]) == {"spun:f1", "clean:short"}
    assert result["kinds"]["spun"]["errors_before"] == spun_set["errors_before"]


@pytest.mark.parametrize(
    ("spun", "reference", "expected"),
    [
        ("基天建设", "基地建设", (1, 1)),  # a character swapped inside a word: a non-word
        ("年夜会召开", "大会召开", (1, 1)),  # a padded form inside a word
        ("改建造完成", "改造完成", (1, 1)),  # a character padded into a word
        ("他下兴地说", "他高兴地说", (1, 1)),
        ("效劳很好", "服务很好", (1, 0)),  # a real word for a real word
        ("我正在家", "我在家", (1, 0)),  # 正在 is a word: not unambiguous
        ("考察古迹工作", "考古工作", (1, 0)),  # a phrase of real words
        ("经由过程审核", "通过审核", (1, 0)),  # 经由 过程: the count is a lower bound
        ("同样", "同样", (0, 0)),
        ("年夜⟦会⟧", "大⟦会⟧", (1, 0)),  # (a one-character stretch before a wildcard)
    ],
)
def test_artifacts_counts_substitutions_and_the_unambiguous_ones(spun, reference, expected):
    assert artifacts(spun, reference) == expected


def test_artifacts_skips_wildcard_spans_and_never_fails_on_odd_lines():
    assert artifacts("随便什么", "⟦原文不明⟧") == (0, 0)
    assert artifacts("", "abc")[1] == 0
    assert artifacts("abc", "")[1] == 0


def test_posts_with_three_unambiguous_artifacts_are_marked_and_their_detection_counted():
    spun = "在本次会议上，齐会聚焦降真任务，扶植当代化年夜会。"
    reference = "在本次会议上，全会聚焦落实任务，建设现代化大会。"
    assert artifacts(spun, reference) == (3, 3)
    score = score_posts([spun, "效劳很好"], [reference, "服务很好"])
    assert score.marked == 1
    assert score.marked_detected == score.detected - (score.scores[1] >= 0.5)
