"""Lexical resources for spun-text restoration: synonyms, word frequencies, character partners.

Every table is loaded on first use, checked against its schema and cached for the process; a
malformed file raises ``ValueError``.  The files are built by ``service.build.spun_resources``
(sources and licences in ``service/data/spun/PROVENANCE.md``):

- ``wordfreq.tsv.gz`` — ``word, jieba, web``: counts in jieba's dictionary (news/general) and in a
  web-text word distribution (jionlp); every row is a word (``is_word``).
- ``cilin.tsv`` — ``code, words``: HIT Tongyici Cilin (extended) lines; a code ending in ``=`` is a
  synonym group, ``#`` a group of related words, ``@`` a single word.
- ``cedict_synonyms.tsv`` — ``word, partners``: words sharing an English gloss in CC-CEDICT
  (symmetric; CC BY-SA 4.0).
- ``vector_neighbours.tsv.gz`` — ``word, neighbours``: nearest words by word-vector cosine (finds
  antonym swaps such as 劣势/优势 and near-synonyms the thesauri miss).
- ``char_partners.tsv`` — ``char, partners``: characters forming 2-character words with ``char``,
  best first (symmetric candidates for character swaps such as 高/下, 地/天, 和/战).
- ``upgrades.tsv`` — ``word, synonyms``: the synonyms of a word (Cilin ∪ CC-CEDICT) at least ten
  times as frequent, most frequent first (built from the tables above by
  ``service.build.spun_upgrades``).
- ``homophones.tsv`` — ``char, homophones``: characters sharing a toneless reading with ``char``
  and at least ten times as probable in the character LM, most probable first (built by
  ``service.build.spun_homophones``).
"""

from __future__ import annotations

import gzip
import io
import math
import re
import sys
import threading
from collections.abc import Callable, Container, Iterator
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

DATA = Path(__file__).resolve().parents[1] / "data" / "spun"
WORDFREQ_PATH = DATA / "wordfreq.tsv.gz"
CILIN_PATH = DATA / "cilin.tsv"
CEDICT_PATH = DATA / "cedict_synonyms.tsv"
PARTNERS_PATH = DATA / "char_partners.tsv"
NEIGHBOURS_PATH = DATA / "vector_neighbours.tsv.gz"
UPGRADES_PATH = DATA / "upgrades.tsv"
HOMOPHONES_PATH = DATA / "homophones.tsv"
WORDFREQ_COLUMNS = ("word", "jieba", "web")
CILIN_COLUMNS = ("code", "words")
CEDICT_COLUMNS = ("word", "partners")
PARTNER_COLUMNS = ("char", "partners")
NEIGHBOUR_COLUMNS = ("word", "neighbours")
UPGRADE_COLUMNS = ("word", "synonyms")
HOMOPHONE_COLUMNS = ("char", "homophones")
UNSEEN = -99.0  # log10 frequency reported for a word absent from a source
# Cilin code prefixes: level 1 (A), 2 (Aa), 3 (Aa01), 4 (Aa01A), 5 (Aa01A01).
CILIN_LEVELS = {1: 1, 2: 2, 3: 4, 4: 5, 5: 7}
_CILIN_CODE = re.compile(r"^[A-L][a-z]\d\d[A-Z]\d\d[=#@]$")
_HAN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+$")
_SPACED = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+( [\u3400-\u4dbf\u4e00-\u9fff]+)*$")

T = TypeVar("T")


def _cached(load: Callable[[], T]) -> Callable[[], T]:
    """Load once per process (thread-safe)."""
    lock = threading.Lock()
    box: list[T] = []

    def get() -> T:
        if not box:
            with lock:
                if not box:
                    box.append(load())
        return box[0]

    get.__doc__ = load.__doc__
    return get


def _lines(text: str, columns: tuple[str, ...], name: str) -> Iterator[tuple[int, list[str]]]:
    """Numbered data rows of a TSV text with header ``columns`` (streamed: no list of rows)."""
    stream = io.StringIO(text)
    if tuple(stream.readline().rstrip("\n").split("\t")) != columns:
        raise ValueError(f"{name}: header does not match the schema {columns}")
    for number, line in enumerate(stream, start=2):
        cols = line.rstrip("\n").split("\t")
        if len(cols) != len(columns) or not all(cols):
            raise ValueError(f"{name} line {number}: expected {len(columns)} non-empty columns")
        yield number, cols


_WORDFREQ_ROW = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+\t\d+\t\d+\n")
_COUNT_J = re.compile(r"\t(\d+)\t")
_COUNT_W = re.compile(r"\t(\d+)\n")
_STEPS = 120  # log10 frequencies are kept in 0.1 steps down to -12


def _step(count: int, total: int) -> int:
    return min(_STEPS, round(-10 * math.log10(count / total))) if count else _STEPS


def parse_wordfreq(text: str) -> dict[str, int]:
    """``word → code`` with ``code = 1000 * step_jieba + step_web`` (step: -10 × log10 frequency).

    Raises ``ValueError`` unless ``text`` is the header plus rows ``word, jieba, web``.
    """
    header, _, body = text.partition("\n")
    if tuple(header.split("\t")) != WORDFREQ_COLUMNS:
        raise ValueError(f"wordfreq: header does not match the schema {WORDFREQ_COLUMNS}")
    pos = 0
    while pos < len(body):
        m = _WORDFREQ_ROW.match(body, pos)
        if m is None:
            raise ValueError(f"wordfreq line {body.count(chr(10), 0, pos) + 2}: bad row")
        pos = m.end()
    total_j = sum(int(m.group(1)) for m in _COUNT_J.finditer(body)) or 1
    total_w = sum(int(m.group(1)) for m in _COUNT_W.finditer(body)) or 1
    codes: dict[str, int] = {}  # one int object per distinct code
    steps_j: dict[str, int] = {}
    steps_w: dict[str, int] = {}
    out: dict[str, int] = {}
    for line in io.StringIO(body):
        word, jieba, web = line.split("\t")
        sj = steps_j.get(jieba)
        if sj is None:
            sj = steps_j[jieba] = _step(int(jieba), total_j)
        sw = steps_w.get(web)
        if sw is None:
            sw = steps_w[web] = _step(int(web), total_w)
        code = 1000 * sj + sw
        out[word] = codes.setdefault(f"{code}", code)
    return out


_MIXED = tuple(
    tuple(
        round(math.log10((10 ** (-j / 10) * (j < _STEPS) + 10 ** (-w / 10) * (w < _STEPS)) / 2), 2)
        if j < _STEPS or w < _STEPS
        else UNSEEN
        for w in range(_STEPS + 1)
    )
    for j in range(_STEPS + 1)
)


def parse_groups(
    text: str, columns: tuple[str, ...], name: str
) -> list[tuple[str, tuple[str, ...]]]:
    """``(key, words)`` rows of a two-column table whose second column is space-separated."""
    out = []
    for number, (key, words) in _lines(text, columns, name):
        items = tuple(sys.intern(w) for w in words.split(" "))
        if not all(items) or (columns == CILIN_COLUMNS and not _CILIN_CODE.match(key)):
            raise ValueError(f"{name} line {number}: bad row")
        out.append((sys.intern(key), items))
    return out


@_cached
def _wordfreq() -> dict[str, int]:
    """The word frequency table."""
    return parse_wordfreq(gzip.decompress(WORDFREQ_PATH.read_bytes()).decode("utf-8"))


@_cached
def _cilin() -> tuple[list[tuple[str, tuple[str, ...]]], dict[str, tuple[int, ...]]]:
    """Cilin lines and, per word, the indices of the lines it is on."""
    lines = parse_groups(CILIN_PATH.read_text("utf-8"), CILIN_COLUMNS, "cilin")
    index: dict[str, list[int]] = {}
    for i, (_, words) in enumerate(lines):
        for w in words:
            index.setdefault(w, []).append(i)
    return lines, {w: tuple(ix) for w, ix in index.items()}


@_cached
def _cedict() -> dict[str, str]:
    """CC-CEDICT shared-gloss partners (the file's space-separated string per word)."""
    return _spaced(CEDICT_PATH.read_text("utf-8"), CEDICT_COLUMNS, "cedict_synonyms")


@_cached
def _neighbours() -> dict[str, str]:
    """Word-vector neighbours (the file's space-separated string per word)."""
    text = gzip.decompress(NEIGHBOURS_PATH.read_bytes()).decode("utf-8")
    return _spaced(text, NEIGHBOUR_COLUMNS, "vector_neighbours")


def _spaced(text: str, columns: tuple[str, ...], name: str) -> dict[str, str]:
    """``word → "w1 w2 …"`` of a two-column table (checked: Han words, single spaces)."""
    out = {}
    for number, (word, near) in _lines(text, columns, name):
        if not _HAN.match(word) or not _SPACED.match(near):
            raise ValueError(f"{name} line {number}: bad row")
        out[word] = near
    return out


@_cached
def _partners() -> dict[str, tuple[str, ...]]:
    """Character partners."""
    out = {}
    text = PARTNERS_PATH.read_text("utf-8")
    for number, (char, partners) in _lines(text, PARTNER_COLUMNS, "char_partners"):
        if len(char) != 1 or char in partners or len(set(partners)) != len(partners):
            raise ValueError(f"char_partners line {number}: bad row")
        out[sys.intern(char)] = tuple(sys.intern(c) for c in partners)
    return out


def parse_homophones(text: str) -> dict[str, str]:
    """``char → homophones`` rows of ``homophones.tsv`` (``ValueError`` on a malformed row)."""
    out = {}
    for number, (char, found) in _lines(text, HOMOPHONE_COLUMNS, "homophones"):
        if (
            len(char) != 1
            or char in found
            or len(set(found)) != len(found)
            or not _HAN.match(char + found)
        ):
            raise ValueError(f"homophones line {number}: bad row")
        out[sys.intern(char)] = found
    return out


@_cached
def _homophones() -> dict[str, str]:
    """Characters with far more probable homophones."""
    return parse_homophones(HOMOPHONES_PATH.read_text("utf-8"))


def homophones() -> dict[str, str]:
    """``char → "h1h2…"``: characters read alike and at least ten times as probable, best first."""
    return _homophones()


@_cached
def _upgrades() -> dict[str, str]:
    """Words with far more frequent synonyms (the file's space-separated string per word)."""
    return _spaced(UPGRADES_PATH.read_text("utf-8"), UPGRADE_COLUMNS, "upgrades")


def upgrades() -> dict[str, str]:
    """``word → "s1 s2 …"``: synonyms at least ten times as frequent as ``word``, best first."""
    return _upgrades()


def _log10(step: int) -> float:
    return -step / 10 if step < _STEPS else UNSEEN


def word_freqs(word: str) -> tuple[float, float]:
    """log10 relative frequency of ``word`` in jieba's dictionary and in web text, in 0.1 steps.

    ``UNSEEN`` where the source lacks the word (年夜: seen in the dictionary, never on the web).
    """
    code = _wordfreq().get(word)
    if code is None:
        return UNSEEN, UNSEEN
    return _log10(code // 1000), _log10(code % 1000)


def word_freq(word: str) -> float:
    """log10 relative frequency of ``word``, the two sources' frequencies averaged (``UNSEEN``: none)."""
    code = _wordfreq().get(word)
    return UNSEEN if code is None else _MIXED[code // 1000][code % 1000]


def is_word(s: str) -> bool:
    """True if ``s`` is a word of the frequency table."""
    return s in _wordfreq()


def cilin_codes(word: str) -> tuple[str, ...]:
    """Cilin codes of the lines that list ``word``."""
    lines, index = _cilin()
    return tuple(lines[i][0] for i in index.get(word, ()))


def cilin_synonyms(word: str) -> tuple[str, ...]:
    """Words on the same Cilin synonym line (code ending in ``=``) as ``word``."""
    lines, index = _cilin()
    out: dict[str, None] = {}
    for i in index.get(word, ()):
        code, words = lines[i]
        if code.endswith("="):
            out.update((w, None) for w in words if w != word)
    return tuple(out)


@lru_cache(maxsize=16384)
def char_synonyms(ch: str) -> tuple[str, ...]:
    """Single characters on a Cilin synonym line with the character ``ch`` (陈 → 旧, 老 …)."""
    return tuple(w for w in cilin_synonyms(ch) if len(w) == 1)


@lru_cache(maxsize=256)
def _cilin_prefix(prefix: str) -> tuple[str, ...]:
    lines, _ = _cilin()
    seen: dict[str, None] = {}
    for code, words in lines:
        if code.startswith(prefix):
            seen.update((w, None) for w in words)
    return tuple(seen)


def cilin_related(word: str, level: int = 4) -> tuple[str, ...]:
    """Words sharing a Cilin category with ``word`` at ``level`` (1 broadest … 5 one line)."""
    width = CILIN_LEVELS[level]
    out: dict[str, None] = {}
    for code in {c[:width] for c in cilin_codes(word)}:
        out.update((w, None) for w in _cilin_prefix(code) if w != word)
    return tuple(out)


def cedict_synonyms(word: str) -> tuple[str, ...]:
    """Words sharing an English gloss with ``word`` in CC-CEDICT, most frequent first."""
    near = _cedict().get(word)
    return tuple(near.split(" ")) if near else ()


def similar_words(word: str) -> tuple[str, ...]:
    """Nearest words by word-vector cosine, most similar first (symmetric; includes antonyms)."""
    near = _neighbours().get(word)
    return tuple(near.split(" ")) if near else ()


@lru_cache(maxsize=65536)
def synonyms(word: str) -> tuple[str, ...]:
    """Cilin synonym-line mates ∪ CC-CEDICT shared-gloss partners, most frequent first.

    The relation is symmetric: ``b in synonyms(a)`` iff ``a in synonyms(b)``.
    """
    merged = dict.fromkeys(cilin_synonyms(word) + cedict_synonyms(word))
    merged.pop(word, None)
    return tuple(sorted(merged, key=lambda w: (-word_freq(w), w)))


def words() -> Container[str]:
    """Every word of the frequency table (``in`` is :func:`is_word` without a call)."""
    return _wordfreq()


def char_partners(ch: str) -> tuple[str, ...]:
    """Characters forming a 2-character word with ``ch`` (either order), most likely swap first."""
    return _partners().get(ch, ())


SEGMENT_MAX = 6  # longest dictionary word tried by :func:`segment`
SEGMENT_UNKNOWN = -8.0  # log10 frequency of a character the dictionary lacks (jieba: count 1)


SEGMENT_CACHED = 32  # texts up to this long (windows around a form) have their splits memoized


def segment(text: str) -> list[str]:
    """The most probable split of ``text`` into dictionary words (jieba's algorithm without HMM,
    over the jieba counts of the frequency table: no second dictionary in memory).  Short texts'
    splits are memoized; whole lines are not (each is split once per repair)."""
    return list(_segment(text) if len(text) <= SEGMENT_CACHED else _split(text))


def split(text: str) -> tuple[str, ...]:
    """:func:`segment` without the memo (text of a post that will not come again)."""
    return _split(text)


# jieba log10 frequency by a frequency code (``code // 1000``; None: not in jieba's dictionary)
_JIEBA = tuple(-step / 10 if step < _STEPS else None for step in range(_STEPS + 1))


@_cached
def _heads() -> dict[str, None]:
    """The first two characters of every word of three or more: a split need not look past a
    pair that starts none.  (A dict of strings, which the garbage collector does not track.)"""
    return dict.fromkeys(word[:2] for word in _wordfreq() if len(word) > 2)


def long_word_heads() -> Container[str]:
    """The first two characters of every word of three or more characters (``in`` only)."""
    return _heads()


def _split(text: str) -> tuple[str, ...]:
    n = len(text)
    get = _wordfreq().get
    heads = _heads()
    jieba = _JIEBA
    route = [0.0] * (n + 1)
    cut = [n] * (n + 1)
    for i in range(n - 1, -1, -1):
        code = get(text[i])
        f = None if code is None else jieba[code // 1000]
        top = (SEGMENT_UNKNOWN if f is None else f) + route[i + 1]
        stop = i + 1
        for j in range(i + 2, min(n, i + SEGMENT_MAX) + 1):
            word = text[i:j]
            code = get(word)
            if code is not None:
                f = jieba[code // 1000]
                if f is not None and f + route[j] > top:
                    top, stop = f + route[j], j
            if j == i + 2 and word not in heads:
                break
        route[i] = top
        cut[i] = stop
    out = []
    i = 0
    while i < n:
        out.append(text[i : cut[i]])
        i = cut[i]
    return tuple(out)


_segment = lru_cache(maxsize=65536)(_split)


def load_all() -> None:
    """Load every table now (e.g. before forking workers)."""
    _wordfreq()
    _heads()
    _cilin()
    _cedict()
    _neighbours()
    _partners()
    _upgrades()
