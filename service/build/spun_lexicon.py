"""Build the reverse substitution lexicon ``service/data/spun/lexicon.tsv``.

Run: ``python -m service.build.spun_lexicon [SEED_DEV_DIR] [CORPUS_DIR]``.  Build-time inputs:

* ``service.build.spun_tables`` – hand-written tables (provenance ``spinner``, ``antonym``,
  ``thesaurus``);
* the seed-dev pair ``spun.txt``/``orig.txt`` (default ``../shared/data/seed-dev``), aligned
  line by line (provenance ``seed-dev``);
* jieba's ``dict.txt`` (MIT): character rules applied to dictionary words give word-level entries
  (provenance ``mined``), and word frequencies flag spun forms that are ordinary words;
* the LM training text (``/tmp/spun_corpus/train.txt`` from ``service.build.spun_corpus``):
  clean-text frequencies of every spun form and original, used by the decoder's priors.

Each row: spun, original, level (char|word), variant (news|tech|both), prior, source,
f_spun, f_orig (occurrences per million characters of clean text), jieba_spun (jieba frequency
of the spun form, 0 if not a dictionary word).
"""

from __future__ import annotations

import difflib
import math
import re
import sys
from collections import Counter
from pathlib import Path

import ahocorasick
import jieba

from service.build import spun_tables as T

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "service" / "data" / "spun" / "lexicon.tsv"
PRIOR = {"seed-dev": 0.9, "spinner": 0.8, "mined": 0.6, "antonym": 0.45, "thesaurus": 0.05}
_CJK = re.compile(r"^[\u4e00-\u9fff]+$")


def parse(table: str) -> list[tuple[str, str]]:
    """``(original, spun)`` pairs of a table string."""
    pairs = []
    for item in table.split():
        orig, _, spuns = item.partition(">")
        for spun in spuns.split("/"):
            if orig and spun and orig != spun:
                pairs.append((orig, spun))
    return pairs


def seed_pairs(seed_dir: Path) -> list[tuple[str, str]]:
    """Substitutions read off the aligned seed-dev lines (uncertain ⟦…⟧ spans skipped)."""
    spun = (seed_dir / "spun.txt").read_text("utf-8").splitlines()
    orig = (seed_dir / "orig.txt").read_text("utf-8").splitlines()
    pairs: list[tuple[str, str]] = []
    known = set(parse(T.CHAR_SPINNER + T.WORD_SPINNER_NEWS))
    for s_line, o_line in zip(spun, orig, strict=False):
        if "⟦" in o_line:
            # Blank out uncertain spans on both sides where lengths agree.
            o_plain = o_line.replace("⟦", "").replace("⟧", "")
            if len(o_plain) != len(s_line):
                continue
            mask = [False] * len(o_plain)
            pos = 0
            for part in re.split(r"(⟦[^⟧]*⟧)", o_line):
                if part.startswith("⟦"):
                    for k in range(pos, pos + len(part) - 2):
                        mask[k] = True
                    pos += len(part) - 2
                else:
                    pos += len(part)
            o_line = "".join("\0" if m else c for c, m in zip(o_plain, mask, strict=True))
            s_line = "".join("\0" if m else c for c, m in zip(s_line, mask, strict=True))
        # Map original offsets to spun offsets where the alignment is one-to-one; record blocks
        # of unequal length (内功→内乱功) whole.
        matcher = difflib.SequenceMatcher(a=o_line, b=s_line, autojunk=False)
        mapped: dict[int, int] = {}
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal" or i2 - i1 == j2 - j1:
                mapped.update({i1 + k: j1 + k for k in range(i2 - i1)})
            else:
                o, s = o_line[i1:i2], s_line[j1:j2]
                if (o, s) in known:  # difflib's blocks are unreliable here: confirm only
                    pairs.append((o, s))
        # Then compare word by word (jieba segmentation of the original line).
        pos = 0
        for word in jieba.lcut(o_line, HMM=False):
            span = range(pos, pos + len(word))
            pos += len(word)
            if "\0" in word or not all(i in mapped for i in span):
                continue
            spun_word = "".join(s_line[mapped[i]] for i in span)
            if spun_word != word:
                pairs.append((word, spun_word))
    return pairs


def jieba_dict() -> dict[str, int]:
    path = Path(jieba.__file__).parent / "dict.txt"
    freq: dict[str, int] = {}
    for line in path.read_text("utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2:
            freq[parts[0]] = int(parts[1])
    return freq


def mined_pairs(
    char_rules: dict[str, str], word_rules: dict[str, str], jdict: dict[str, int], limit: int
) -> list[tuple[str, str]]:
    """Word-level entries: the character (and embedded word) rules applied to dictionary words."""
    out: list[tuple[str, str]] = []
    words = sorted(
        (w for w, f in jdict.items() if 2 <= len(w) <= 4 and _CJK.match(w) and f >= 30),
        key=lambda w: -jdict[w],
    )
    for word in words:
        if word in word_rules:
            continue
        spun = "".join(char_rules.get(c, c) for c in word)
        if spun == word:
            continue
        if jdict.get(spun, 0) * 20 > jdict[word]:
            continue  # the spun form is itself a common word: leave it to the character rules
        out.append((word, spun))
        if len(out) >= limit:
            break
    return out


def corpus_counts(keys: set[str], corpus: Path) -> tuple[Counter, int]:
    auto = ahocorasick.Automaton()
    for key in keys:
        auto.add_word(key, key)
    auto.make_automaton()
    counts: Counter = Counter()
    total = 0
    for line in corpus.read_text("utf-8").splitlines():
        total += len(line)
        for _, key in auto.iter(line):
            counts[key] += 1
    return counts, total


def main(argv: list[str]) -> int:
    seed_dir = Path(argv[0]) if argv else REPO.parent / "shared" / "data" / "seed-dev"
    corpus = (Path(argv[1]) if len(argv) > 1 else Path("/tmp/spun_corpus")) / "train.txt"
    rows: dict[tuple[str, str], dict] = {}

    def add(orig: str, spun: str, source: str, variant: str) -> None:
        key = (spun, orig)
        if key in rows:  # keep the strongest provenance, note the others
            row = rows[key]
            if PRIOR[source] > PRIOR[row["source"].split("+")[0]]:
                row["source"] = source + "+" + row["source"]
            elif source not in row["source"].split("+"):
                row["source"] += "+" + source
            if row["variant"] != variant:
                row["variant"] = "both"
            return
        rows[key] = {"source": source, "variant": variant}

    if (seed_dir / "spun.txt").exists():
        for orig, spun in seed_pairs(seed_dir):
            add(orig, spun, "seed-dev", "news")
    else:
        print(f"warning: {seed_dir} missing; seed-dev entries skipped", file=sys.stderr)
    for orig, spun in (
        parse(T.CHAR_SPINNER + T.CHAR_SPINNER_MORE)
        + parse(T.WORD_SPINNER_NEWS)
        + parse(T.WORD_SPINNER_MORE)
        + parse(T.WORD_SPINNER_GENERAL)
        + parse(T.WORD_SPINNER_R3)
    ):
        add(orig, spun, "spinner", "news")
    for orig, spun in parse(T.CHAR_SPINNER_TECH + T.WORD_SPINNER_TECH + T.WORD_SPINNER_TECH_MORE):
        add(orig, spun, "spinner", "tech")
    for orig, spun in parse(T.ANTONYM + T.ANTONYM_MORE):
        add(orig, spun, "antonym", "both")
    for orig, spun in parse(T.THESAURUS):
        add(orig, spun, "thesaurus", "both")

    jdict = jieba_dict()
    char_rules = {o: s for o, s in parse(T.CHAR_SPINNER + T.CHAR_SPINNER_MORE)}
    word_rules = {
        o: s
        for o, s in parse(
            T.WORD_SPINNER_NEWS
            + T.WORD_SPINNER_MORE
            + T.WORD_SPINNER_GENERAL
            + T.WORD_SPINNER_TECH
            + T.WORD_SPINNER_TECH_MORE
            + T.WORD_SPINNER_R3
        )
    }
    for orig, spun in mined_pairs(char_rules, word_rules, jdict, limit=6000):
        add(orig, spun, "mined", "both")

    keys = {k for pair in rows for k in pair}
    counts, total = corpus_counts(keys, corpus)
    per_m = 1e6 / max(total, 1)
    lines = ["spun\toriginal\tlevel\tvariant\tprior\tsource\tf_spun\tf_orig\tjieba_spun"]
    for (spun, orig), row in sorted(rows.items()):
        if "\t" in spun + orig or "\n" in spun + orig:
            continue
        level = "char" if len(orig) == 1 and len(spun) <= 2 else "word"
        prior = PRIOR[row["source"].split("+")[0]]
        lines.append(
            f"{spun}\t{orig}\t{level}\t{row['variant']}\t{prior:.2f}\t{row['source']}\t"
            f"{counts[spun] * per_m:.2f}\t{counts[orig] * per_m:.2f}\t{jdict.get(spun, 0)}"
        )
    OUT.write_text("\n".join(lines) + "\n", "utf-8")
    by_source = Counter(r["source"].split("+")[0] for r in rows.values())
    print(f"{len(lines) - 1} entries -> {OUT}: {dict(by_source)}; corpus {total} chars")
    return 0 if math.isfinite(per_m) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
