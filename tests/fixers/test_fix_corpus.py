"""The encoding corpus (tests/data/encoding/corpus.jsonl, built by service.build.unicode_corpus):
every damaged case is restored exactly, every clean case is left untouched."""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from pathlib import Path

import pytest

from service.edits import apply_edits, validate_edits
from service.fixers.decoding import decode_bytes
from service.pipeline import ENCODING_FIXERS, repair_text

CORPUS = Path(__file__).resolve().parents[1] / "data" / "encoding" / "corpus.jsonl"


def _load() -> dict[str, list[dict]]:
    classes: dict[str, list[dict]] = defaultdict(list)
    with CORPUS.open(encoding="utf-8") as handle:
        for line in handle:
            case = json.loads(line)
            classes[case["class"]].append(case)
    return classes


CLASSES = _load()
EXPECTED_KIND = {
    "invisible": "invisible",
    "fullwidth": "fullwidth",
    "radical": "radical",
    "homoglyph": "homoglyph",
}


def test_corpus_has_hundreds_per_class() -> None:
    assert len(CLASSES) >= 24
    assert all(len(cases) >= 150 for cases in CLASSES.values()), {
        name: len(cases) for name, cases in CLASSES.items()
    }


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_class_restored_exactly(name: str) -> None:
    failures = []
    for case in CLASSES[name]:
        if "input_b64" in case:
            decoded = decode_bytes(base64.b64decode(case["input_b64"]))
            if decoded.encoding != case["encoding"]:
                failures.append((case["expected"], f"encoding {decoded.encoding}"))
                continue
            text = decoded.text
        else:
            text = case["input"]
        repair = repair_text(text, fixers=ENCODING_FIXERS)
        validate_edits(text, repair.edits)
        assert apply_edits(text, repair.edits) == repair.text
        if repair.text != case["expected"]:
            failures.append((case["expected"], repair.text))
            continue
        if name.startswith("clean-"):
            if repair.edits or repair.kinds:
                failures.append((case["expected"], f"edits {repair.edits} kinds {repair.kinds}"))
        elif "input" in case:
            kind = EXPECTED_KIND.get(name, "mojibake")
            if kind not in repair.kinds:
                failures.append((case["expected"], f"kinds {repair.kinds}"))
    assert not failures, f"{len(failures)}/{len(CLASSES[name])} failed, e.g. {failures[:5]}"


def test_corpus_file_is_what_the_build_script_makes(tmp_path: Path) -> None:
    from service.build import unicode_corpus

    out = tmp_path / "corpus.jsonl"
    assert unicode_corpus.main(["--out", str(out)]) == 0
    assert out.read_bytes() == CORPUS.read_bytes()


def test_shipped_tables_are_what_the_build_script_makes(tmp_path: Path) -> None:
    from service.build import unicode_tables

    if not unicode_tables.UCD.joinpath("EquivalentUnifiedIdeograph.txt").exists():
        pytest.skip("Debian package unicode-data is not installed (build-time input)")
    try:
        import confusable_homoglyphs  # noqa: F401
    except ImportError:
        pytest.skip("confusable-homoglyphs is not installed (build-time input)")
    assert unicode_tables.main(["--out", str(tmp_path)]) == 0
    shipped = unicode_tables.OUT
    for path in sorted(tmp_path.iterdir()):
        assert path.read_bytes() == (shipped / path.name).read_bytes(), path.name
