"""The shipped sample corpus: reproducible from its build script, with the promised mix."""

from __future__ import annotations

from collections import Counter

from service import samples
from service.build import samples_build
from service.pipeline import process_message


def test_shipped_files_match_the_build_script():
    assert samples.demo_posts() == samples_build.demo_posts()
    assert samples.texts("bench-texts.txt") == samples_build.bench_texts()
    assert samples.texts("clean-texts.txt") == samples_build.CLEAN
    assert (samples.SAMPLES / "PROVENANCE.md").is_file()


def test_demo_posts_mix():
    outcomes = [process_message(post) for post in samples.demo_posts()]
    codes = Counter(o.error_code for o in outcomes if o.kind == "dlq")
    assert codes == Counter(["not_json", "not_object", "missing_field", "wrong_type",
                             "empty_text"])
    clean = [o.value for o in outcomes if o.kind == "clean"]
    kinds = Counter(e["meta"]["sample"] for e in clean)
    assert {"clean", "spun", "mojibake", "obfuscated", "gbk-bytes"} <= set(kinds)
    assert any(e["encoding"] not in ("utf-8", "ascii") for e in clean)  # the GBK post decoded


def test_make_posts_are_unique_and_valid():
    posts = samples.make_posts(50, prefix="t")
    assert len(set(posts)) == 50
    assert all(process_message(p).kind == "clean" for p in posts)
