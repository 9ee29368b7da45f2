"""``qingliu eval spun --manifest``: aggregate figures per set and family, AUROC."""

from __future__ import annotations

import json
from pathlib import Path

from service.spun.evaluate import auroc, evaluate_manifest


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
    clean_set = result["sets"]["b"]
    assert clean_set["posts"] == 2 and clean_set["posts_touched"] == 0
    assert clean_set["changed_per_10k_correct"] == 0.0 and "auroc" not in clean_set
    assert set(result["families"]) == {"spun:f1", "clean:short"}
    assert result["kinds"]["spun"]["errors_before"] == spun_set["errors_before"]
