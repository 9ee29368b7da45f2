"""Word-swap restoration without a table: a learned judge over thesaurus and partner candidates.

A spinner the lexicon has never seen still leaves the same traces: a word replaced by a rarer
synonym (今天 → 今日, 检测 → 检验), a character inside a word replaced by a partner that makes a
rarer word or a non-word (地 → 天 in 基天).  For every substring of a line (1–3 Han characters),
:class:`Swapper` proposes the originals a spinner could have started from: Cilin synonyms,
CC-CEDICT shared-gloss partners, word-vector neighbours, and one-character partner or synonym
swaps that give a dictionary word, always towards a *more frequent* word (what nearly every spinner
does: 88% of the swaps in the development tables).  Runs of two to four words of 4–6 characters
may be round-trip expansions (a back-translating spinner renders each character of a word as a
word: 撤离 → 撤退离开); their candidates are the :func:`contractions`.  Where the segmentation
broke such a made-up word into one-character words (文书档件 as 文书/档/件), its two pairs are a
site too.  The best few by static prior are scored in context with
the character 5-gram and, where it can matter, the word 3-gram (:mod:`service.spun.wordlm`, its
gain clipped to ±``WORD_CLIP``), and a logistic model
(``service/data/spun/swapper.json``, trained by ``service.build.spun_swapper`` on development
spinner tables only) gives each (site, original) the probability that a spinner made this swap.

- :meth:`Swapper.restore`: non-overlapping swaps with probability at least ``tau`` (the most
  likely win overlaps), in text order.
- :meth:`Swapper.density`: the summed probability of the confident swaps per 100 characters, which
  is far higher in spun text than in clean text of any register (evidence for a line no table
  explains); :meth:`Swapper.likelihood_ratio`: the count of likely swaps as Poisson evidence;
  :meth:`Swapper.soft_ratio`: the same for the summed probability of every swap at least
  ``SOFT_P`` likely, the judge's best detector.

Pure functions of the text; the model, tables and LMs are loaded once per process.
"""

from __future__ import annotations

import itertools
import json
import math
import operator
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from service.spun import lm, wordlm
from service.spun import resources as res
from service.spun.neighbours import (
    FRAGMENT_FREQ,
    has_classical_function_char,
    in_a_word,
    written_cantonese,
)

MODEL_PATH = Path(__file__).resolve().parents[1] / "data" / "spun" / "swapper.json"
SCHEMA = 7
MAX_LEN = 3  # longest site with word or character candidates, in characters
CONTRACT_MIN, CONTRACT_MAX = 3, 6  # lengths of a site that may be a round-trip expansion
# The judge is fitted on runs of this many characters or more (the development spinners' word-by-
# word expansions) and applied from CONTRACT_MIN (a character padded into a word: 改造 → 改建造).
# Fitted from 3 as well, it removed 0.2 points fewer errors on the development rounds and changed
# a clean paragraph of trap words (大夫学到 → 大学).
FIT_CONTRACT_MIN = 4
CONTRACT_WORDS = 4  # most words in an expansion
CUT_LEN = 2  # an expansion renders a character as a word of this length (撤 → 撤退)
# A run the split broke whose fragment was cut already (:func:`site_offset`) is a weaker guess
# than a run the split kept: the judge, trained without such sites, sees that character as a
# word of its own.  Their logit is lowered by this much.  Decided on blind rounds 1-26: 0 and
# -0.5 restored more but changed a clean paragraph of 1998 news (鸿福不临 → 福临) and added errors
# to a column; -1.0 removed 0.17 and 1.0 points more errors (rounds 1-12, 13-26) and detected 12
# and 17 more marked posts, with the same clean paragraphs changed.
SPLIT_LOGIT = -1.0
# Two words that go together (物业 服务, 经济 发展: the word model's bigram log10 P(second | first)
# at least this) are a collocation, not a round-trip expansion of one word: no contraction site.
# Nine in ten expansions of two words in the development tables have no bigram in the model, and
# the rest are rarer than this (log10 P -5.0 median).  Decided on blind rounds 1-26: -2.0 changed
# 18 fewer characters of the hard long clean paragraphs of rounds 1-25 (79 -> 61, a service
# contract left alone) for 0.03 and 0.02 points fewer errors removed (rounds 1-12, 13-26); -3.0
# left one more paragraph alone but removed 0.5 points fewer errors.
CTR_BIGRAM = -2.0
# A one-character word a spinner joins the parts of an expansion with (see contractions): on
# development rounds 13-27 dropping 之 removed 0.5 points more of the errors (rounds 1-12: 0.04)
# with the same clean text changed; 的 and 个 as well changed 17 more clean characters.
DROPPABLE = frozenset("之")
CTX = lm.ORDER - 1
_GAIN = operator.itemgetter(0)  # a judged site's (gain, candidate, logit): its gain
PARTNERS = 20  # partner characters tried per position of a site
SCORED = 6  # candidates per site scored with the LM (best static prior first)
SOURCES = ("cil", "ced", "vec", "part", "csyn", "ctr")
FEATURES = (
    "lm_gain",
    "lm_gain_pos",
    "freq_gain",
    "freq_spun",
    "freq_orig",
    "spun_is_word",
    "length",
    "length_change",
    "lm_best",
    "lm_rank",
    "source_count",
    *(f"src_{s}" for s in SOURCES),
    "orig_in_line",
    "spun_repeated",
    "lm_gain_word",
    "freq_gain_word",
    "lm_gain_ctr",
    "ctr_sense",
    "ctr_head",
    "word_gain",
)
WORD_CTX = 6  # characters of text on each side of a site in the word model's window
WORD_CLIP = 3.0  # the word model's gain is clipped to ±this (log10): bounded, so prunable
RATES = (
    "rate_spun",
    "rate_clean",
    "rate_spun_ctr",
    "rate_clean_ctr",
    "rate_spun_soft",
    "rate_clean_soft",
)
UNSEEN_FREQ = -9.0  # log10 frequency used for a form the frequency table lacks
DENSITY_P = 0.5  # swaps at least this likely count towards density
SOFT_P = 0.05  # … and this likely towards the soft count (the expected number of swaps)


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def freq(word: str) -> float:
    """log10 relative frequency of ``word`` (``UNSEEN_FREQ`` if never seen)."""
    value = res.word_freq(word)
    return UNSEEN_FREQ if value <= res.UNSEEN else value


@dataclass(frozen=True, slots=True)
class Candidate:
    """A possible original of a spun substring, with the features that need no context."""

    original: str
    norm: str  # the original in the LM's form
    sources: frozenset[str]
    freq_gain: float
    freq_orig: float
    sense: float = 0.0  # of a contraction: see :func:`contractions`
    head: float = 0.0  # … and the share of its cut words that keep their first character


def contraction_sites(
    line: str, shortest: int = CONTRACT_MIN, broken: bool = True
) -> list[tuple[int, int, tuple[str, ...]]]:
    """(start, end, words) of every run of 2–``CONTRACT_WORDS`` consecutive Han words of the
    line's most probable segmentation that is ``shortest``–``CONTRACT_MAX`` characters long
    and has a word of ``CUT_LEN`` characters, two words that go together excepted
    (``CTR_BIGRAM``): where a round-trip expansion can sit; with
    ``broken``, also the runs of four characters whose split broke such an expansion
    (:func:`_split_site`), with the parts it was made of: two pairs, one of them cut already
    where it holds one fragment (:func:`site_offset`)."""
    tokens = res.segment(line)
    starts = []
    at = 0
    for token in tokens:
        starts.append(at)
        at += len(token)
    sites = []
    for k, first in enumerate(tokens):
        if not _is_han(first[0]):
            continue
        length = 0
        for m in range(k, min(len(tokens), k + CONTRACT_WORDS)):
            token = tokens[m]
            if not all(map(_is_han, token)):
                break
            length += len(token)
            if length > CONTRACT_MAX:
                break
            run = tuple(tokens[k : m + 1])
            if (
                m > k
                and length >= shortest
                and any(len(t) == CUT_LEN for t in run)
                and not (len(run) == 2 and _collocation(*run) >= CTR_BIGRAM)
            ):
                sites.append((starts[k], starts[k] + length, run))
            if broken and m > k and length == 2 * CUT_LEN:
                parts = _split_site(line, starts[k], run)
                if parts is not None:
                    sites.append((starts[k], starts[k] + length, parts))
    return sites


def _split_site(line: str, at: int, run: tuple[str, ...]) -> tuple[str, ...] | None:
    """The parts of a round-trip expansion the segmentation broke, for the run of words ``run``
    of four characters at ``at``, or ``None``.

    A spinner's made-up word can split as one-character words (文书档件 as 文书/档/件, 预备副份
    as 预备/副/份), so no run of the split has the two-character word that holds 件 or 副.  Read
    as two pairs instead, where a pair made of two one-character words is no word and has a
    fragment in it (a character rare as a word of its own that no dictionary word of the line
    covers: what an expansion leaves of the original's character).  A pair with one fragment
    becomes that character, cut already (档件 → 件); a pair with two is cut as usual, like the
    other parts.  Classical function characters (之 其 而 也) are one-character words of their
    own, and written Cantonese has no fragments."""
    if CUT_LEN not in itertools.accumulate(map(len, run)):
        return None  # the pairs would cut one of the split's words
    words = res.words()
    pairs = (line[at : at + CUT_LEN], line[at + CUT_LEN : at + 2 * CUT_LEN])
    parts: list[str] = list(pairs)
    broken = False
    for q, pair in enumerate(pairs):
        if pair in run or pair in words or has_classical_function_char(pair):
            continue
        rare = [
            ch
            for d, ch in enumerate(pair)
            if res.word_freq(ch) < FRAGMENT_FREQ
            and not in_a_word(line, at + CUT_LEN * q + d, words)
        ]
        broken = broken or bool(rare)
        if len(rare) == 1:
            parts[q] = rare[0]
    if not broken or written_cantonese(line):
        return None
    return tuple(parts)


@lru_cache(maxsize=65536)
def _collocation(first: str, second: str) -> float:
    """log10 P(second | first) in the word model where it has the bigram, else -99 (two words
    of Han characters: the only ones contraction sites pass)."""
    scores = list(wordlm.model().full_scores(f"{first} {second}", False, False))
    return scores[1][0] if scores[1][1] >= 2 else -99.0


def site_offset(start: int, end: int, parts: tuple[str, ...] | None) -> float:
    """What the judge adds to the logits of the site ``(start, end, parts)``: ``SPLIT_LOGIT``
    where a part is cut already (a pair of a run the split broke with one fragment; the judge,
    which reads every part as a word, sees that character as one), else 0."""
    if parts is not None and sum(map(len, parts)) < end - start:
        return SPLIT_LOGIT
    return 0.0


@lru_cache(maxsize=65536)
def contractions(parts: tuple[str, ...]) -> tuple[Candidate, ...]:
    """Words the run of words ``parts`` could be a round-trip expansion of, best first.

    A back-translating spinner renders each character of a word as a word of its own (撤离 →
    撤退离开, 磁盘 → 磁性盘片, 运动会 → 运动大会).  So each word of the run is kept whole or, if
    it has ``CUT_LEN`` characters, cut to one of them, in order; the result must be a word,
    shorter than the run and more frequent.  A word of ``DROPPABLE`` inside the run may also be
    dropped: spinners join the parts with it (电子 → 电力之子, 冠军 → 冠冕之军, 志愿者 → 志愿之者).
    A candidate's ``sense`` is the share of cut words whose kept character is a synonym of the
    word (撤 ~ 撤退, 离 ~ 离开; not 今 ~ 今年, 天 ~ 春天), the best over the cuts that give it, and
    its ``head`` the share of cut words that keep their first character, the best likewise: of
    the development tables' two-word expansions 55% keep both first characters and 6% both
    second ones (应当按时 read as 当时, 协会建议 as 会议 are a clean report's phrases).
    """
    form = "".join(parts)
    words = res.words()
    last = len(parts) - 1
    choices = [
        (part, *part)
        if len(part) == CUT_LEN
        else (part, "")
        if part in DROPPABLE and 0 < k < last
        else (part,)
        for k, part in enumerate(parts)
    ]
    senses: dict[str, float] = {}
    heads: dict[str, float] = {}
    for pick in itertools.product(*choices):
        word = "".join(pick)
        if not 2 <= len(word) < len(form) or word not in words:
            continue
        cut = [(kept, part) for kept, part in zip(pick, parts, strict=True) if kept != part and kept]
        sense = sum(part in res.synonyms(kept) for kept, part in cut) / len(cut) if cut else 0.0
        senses[word] = max(sense, senses.get(word, 0.0))
        head = sum(kept == part[0] for kept, part in cut) / len(cut) if cut else 0.0
        heads[word] = max(head, heads.get(word, 0.0))
    return _ranked(form, {word: {"ctr"} for word in senses}, 2, senses, heads)


@lru_cache(maxsize=131072)
def candidates(form: str) -> tuple[Candidate, ...]:
    """Originals a spinner could have turned into ``form``, more frequent than it, best first."""
    found: dict[str, set[str]] = {}
    if res.is_word(form):
        for source, near in (
            ("cil", res.cilin_synonyms(form)),
            ("ced", res.cedict_synonyms(form)),
            ("vec", res.similar_words(form)),
        ):
            for word in near:
                found.setdefault(word, set()).add(source)
    words = res.words()
    if len(form) == 1:
        for ch in res.char_synonyms(form):
            found.setdefault(ch, set()).add("csyn")
    else:
        for k, ch in enumerate(form):
            head, tail = form[:k], form[k + 1 :]
            for partner in res.char_partners(ch)[:PARTNERS]:
                word = head + partner + tail
                if word in words:
                    found.setdefault(word, set()).add("part")
            for partner in res.char_synonyms(ch):
                word = head + partner + tail
                if word in words:
                    found.setdefault(word, set()).add("csyn")
    # (an idiom is not a spinner's rendering of a word two characters shorter)
    return _ranked(form, found, len(form) - 1)


def _ranked(
    form: str,
    found: dict[str, set[str]],
    shortest: int,
    senses: dict[str, float] | None = None,
    heads: dict[str, float] | None = None,
) -> tuple[Candidate, ...]:
    """The found originals of at least ``shortest`` characters that are more frequent than
    ``form``, best static prior first."""
    base = freq(form)
    out = []
    for word, sources in found.items():
        if word == form or not word or not _is_han(word[0]) or len(word) < shortest:
            continue
        f = freq(word)
        if f <= base:
            continue  # spinners swap towards rarer forms: the original is the more frequent
        sense = senses.get(word, 0.0) if senses else 0.0
        head = heads.get(word, 0.0) if heads else 0.0
        out.append(
            Candidate(word, lm.normalize_char(word), frozenset(sources), f - base, f, sense, head)
        )
    out.sort(key=lambda c: (-len(c.sources), -c.freq_gain, c.original))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Swap:
    """One proposed restoration: ``text[start:end]`` was ``original`` with probability ``p``."""

    start: int
    end: int
    original: str
    p: float


class Model:
    """The logistic judge: standardised features, weights, bias (pure Python at run time)."""

    def __init__(self, data: dict) -> None:
        if data.get("schema") != SCHEMA or tuple(data.get("features", ())) != FEATURES:
            raise ValueError(f"{MODEL_PATH.name}: schema or feature list does not match the code")
        missing = {"mean", "scale", "weights", "bias", "tau", "theta", *RATES}
        missing -= set(data)
        if missing:
            raise ValueError(f"{MODEL_PATH.name}: missing {', '.join(sorted(missing))}")
        self.mean = [float(x) for x in data["mean"]]
        self.scale = [float(x) for x in data["scale"]]
        self.weights = [float(x) for x in data["weights"]]
        self.bias = float(data["bias"])
        self.tau = float(data["tau"])
        self.theta = float(data["theta"])
        # Likely swaps (p ≥ DENSITY_P) per character in spun and in clean text.
        self.rate_spun = float(data["rate_spun"])
        self.rate_clean = float(data["rate_clean"])
        # … and likely contractions (a site longer than MAX_LEN) alone.
        self.rate_spun_ctr = float(data["rate_spun_ctr"])
        self.rate_clean_ctr = float(data["rate_clean_ctr"])
        # … and the summed probability of the swaps at least SOFT_P likely.
        self.rate_spun_soft = float(data["rate_spun_soft"])
        self.rate_clean_soft = float(data["rate_clean_soft"])
        if not (
            0.0 < self.rate_clean < self.rate_spun
            and 0.0 < self.rate_clean_ctr < self.rate_spun_ctr
            and 0.0 < self.rate_clean_soft < self.rate_spun_soft
        ):
            raise ValueError(f"{MODEL_PATH.name}: swap rates must satisfy 0 < clean < spun")
        if not (0.0 < self.tau < 1.0 and self.theta > 0.0):
            raise ValueError(f"{MODEL_PATH.name}: tau must lie in (0, 1) and theta be positive")
        if not (len(self.mean) == len(self.scale) == len(self.weights) == len(FEATURES)):
            raise ValueError(f"{MODEL_PATH.name}: vector lengths do not match the feature list")
        # Fold standardisation into the weights: logit = Σ k_i·x_i + c.
        self.coef = [w / s for w, s in zip(self.weights, self.scale, strict=True)]
        self.const = self.bias - sum(
            w * m / s for w, m, s in zip(self.weights, self.mean, self.scale, strict=True)
        )

    def prob(self, x: list[float], offset: float = 0.0) -> float:
        """The probability for the features ``x``, the logit moved by ``offset``."""
        z = self.const + offset
        for k, v in zip(self.coef, x, strict=True):
            z += k * v
        if z < -30.0:
            return 0.0
        return 1.0 / (1.0 + math.exp(-z))


def features(
    form: str,
    cand: Candidate,
    gain: float,
    rank: int,
    line: str,
    spun_is_word: bool,
    word_gain: float,
) -> list[float]:
    """The feature vector of one (site, candidate), in ``FEATURES`` order."""
    word = 1.0 if spun_is_word else 0.0
    return [
        gain,
        max(gain, 0.0),
        cand.freq_gain,
        cand.freq_orig - cand.freq_gain,
        cand.freq_orig,
        word,
        float(len(form)),
        float(len(cand.original) - len(form)),
        1.0 if rank == 0 else 0.0,
        float(rank),
        float(len(cand.sources)),
        *(1.0 if s in cand.sources else 0.0 for s in SOURCES),
        1.0 if cand.original in line else 0.0,
        1.0 if line.count(form) > 1 else 0.0,
        gain * word,
        cand.freq_gain * word,
        gain if "ctr" in cand.sources else 0.0,
        cand.sense,
        cand.head,
        max(-WORD_CLIP, min(WORD_CLIP, word_gain)),
    ]


Row = tuple[int, int, str, list[float], float]
Judged = dict[tuple[int, int], tuple[float, str]]  # (start, end) → (probability, original)


def sites(
    line: str, shortest: int = CONTRACT_MIN, broken: bool = True
) -> Iterator[tuple[int, int, tuple[str, ...] | None]]:
    """(start, end, words) of every site of the line: its substrings of 1–``MAX_LEN`` Han
    characters (words ``None``), then its :func:`contraction_sites` of ``shortest`` characters
    or more."""
    n = len(line)
    for i in range(n):
        if not _is_han(line[i]):
            continue
        for j in range(i + 1, min(n, i + MAX_LEN) + 1):
            if not _is_han(line[j - 1]):
                break
            yield i, j, None
    yield from contraction_sites(line, shortest, broken)


def site_rows(
    line: str,
    score: Callable[[str], float],
    word_score: Callable[[str], float],
    shortest: int = CONTRACT_MIN,
    broken: bool = True,
) -> list[Row]:
    """Every (start, end, original, features, logit offset) the line offers, for training and
    judging; ``score`` and ``word_score`` are the character and word models' window scorers;
    ``shortest``: of its contraction sites (the build fits on ``FIT_CONTRACT_MIN``); ``broken``:
    with the runs the split broke (the build fits without them); the offset is the site's
    :func:`site_offset`."""
    norm = lm.normalize_char(line)
    rows: list[Row] = []
    words = res.words()
    for i, j, parts in sites(line, shortest, broken):
        form = line[i:j]
        cands = candidates(form) if parts is None else contractions(parts)
        if not cands:
            continue
        offset = site_offset(i, j, parts)
        left = norm[max(0, i - CTX) : i]
        right = norm[j : j + CTX]
        keep = score(left + norm[i:j] + right)
        gains = [(score(left + c.norm + right) - keep, c) for c in cands[:SCORED]]
        gains.sort(key=lambda g: -g[0])
        is_word = form in words
        wleft = line[max(0, i - WORD_CTX) : i]
        wright = line[j : j + WORD_CTX]
        wkeep = word_score(wleft + form + wright)
        for rank, (gain, cand) in enumerate(gains):
            word_gain = word_score(wleft + cand.original + wright) - wkeep
            x = features(form, cand, gain, rank, line, is_word, word_gain)
            rows.append((i, j, cand.original, x, offset))
    return rows


class Swapper:
    """Judges the swaps of a line with the trained model.

    :meth:`judged` computes the model's logit directly: the part that depends on the site's form
    (or contraction run) and candidate alone is computed once per form (memoized, bounded), the
    rest per site; the word model's gain and the in-line terms only for candidates that could
    still reach the floor.  It gives ``model.prob(features(...), offset)`` for every row of
    :func:`site_rows` (up to rounding: the sums run in another order), keeping only sites likely
    enough to matter (p ≥ min(``tau``, ``DENSITY_P``, ``SOFT_P``)).
    """

    STATIC_MAX = 100_000  # forms whose static logits are memoized

    def __init__(
        self,
        score: lm.WindowScorer,
        model: Model | None = None,
        word_score: lm.WindowScorer | None = None,
    ) -> None:
        self.score = score
        self.word_score = word_score if word_score is not None else wordlm.scorer()
        self.model = model if model is not None else load_model()
        self.k = dict(zip(FEATURES, self.model.coef, strict=True))
        self.floor = _logit(min(self.model.tau, DENSITY_P, SOFT_P))
        self._static: dict[
            str | tuple[str, tuple[str, ...]], tuple[tuple[Candidate, float], ...]
        ] = {}

    def _statics(
        self, form: str, is_word: bool, parts: tuple[str, ...] | None
    ) -> tuple[tuple[Candidate, float], ...]:
        """The scored candidates of ``form`` (a contraction site if ``parts`` are its words)
        with the context-free part of their logit."""
        memo = self._static
        key = form if parts is None else (form, parts)  # (a broken run's parts are shorter)
        found = memo.get(key)
        if found is None:
            k = self.k
            word = 1.0 if is_word else 0.0
            base = self.model.const + k["spun_is_word"] * word + k["length"] * len(form)
            out = []
            cands = candidates(form) if parts is None else contractions(parts)
            for cand in cands[:SCORED]:
                gain = cand.freq_gain
                z = (
                    base
                    + (k["freq_gain"] + k["freq_gain_word"] * word) * gain
                    + k["freq_spun"] * (cand.freq_orig - gain)
                    + k["freq_orig"] * cand.freq_orig
                    + k["length_change"] * (len(cand.original) - len(form))
                    + k["source_count"] * len(cand.sources)
                    + sum(k[f"src_{s}"] for s in cand.sources)
                    + k["ctr_sense"] * cand.sense
                    + k["ctr_head"] * cand.head
                )
                out.append((cand, z))
            if len(memo) >= self.STATIC_MAX:
                memo.clear()
            found = memo[key] = tuple(out)
        return found

    def judged(self, line: str) -> Judged:
        """Each likely site's most likely original and its probability."""
        k = self.k
        k_gain, k_pos, k_gain_word = k["lm_gain"], k["lm_gain_pos"], k["lm_gain_word"]
        k_gain_ctr = k["lm_gain_ctr"]
        k_best, k_rank = k["lm_best"], k["lm_rank"]
        k_in, k_repeat = k["orig_in_line"], k["spun_repeated"]
        floor = self.floor
        score = self.score
        words = res.words()
        memo = self._static
        word_score = self.word_score
        k_word = k["word_gain"]
        # A site's word-model gain and in-line terms (its form repeated, an original already in
        # the line) are costly: only candidates within their reach of the floor pay for them.
        word_reach = abs(k_word) * WORD_CLIP
        reach = floor - max(k_in, 0.0) - max(k_repeat, 0.0)
        norm = lm.normalize_char(line)
        best: dict[tuple[int, int], tuple[float, str]] = {}
        for i, j, parts in sites(line):
            form = line[i:j]
            is_word = form in words
            statics = memo.get(form if parts is None else (form, parts))
            if statics is None:
                statics = self._statics(form, is_word, parts)
            if not statics:
                continue
            lo = i - CTX if i > CTX else 0
            left = norm[lo:i]
            right = norm[j : j + CTX]
            keep = score[norm[lo : j + CTX]]
            gains = [(score[left + c.norm + right] - keep, c, z) for c, z in statics]
            gains.sort(key=_GAIN, reverse=True)  # (stable: ties keep the candidates' order)
            slope = k_gain + (k_gain_word if is_word else 0.0)
            if parts is not None:
                slope += k_gain_ctr
            offset = site_offset(i, j, parts)  # (a part cut already lowers every logit)
            partial = []
            for rank, (gain, _, z) in enumerate(gains):
                z += offset
                z += slope * gain + k_rank * rank
                if gain > 0.0:
                    z += k_pos * gain
                if rank == 0:
                    z += k_best
                partial.append(z)
            if max(partial) + word_reach < reach:
                continue
            wleft = line[i - WORD_CTX if i > WORD_CTX else 0 : i]
            wright = line[j : j + WORD_CTX]
            wkeep = word_score[wleft + form + wright]
            shared = k_repeat if line.count(form) > 1 else 0.0
            top = -1.0e9
            pick = ""
            for z, (_, cand, _) in zip(partial, gains, strict=True):
                if z + word_reach < reach:
                    continue  # (cannot reach the floor: not the site's answer)
                word_gain = word_score[wleft + cand.original + wright] - wkeep
                z += k_word * max(-WORD_CLIP, min(WORD_CLIP, word_gain)) + shared
                if cand.original in line:
                    z += k_in
                if z > top:
                    top, pick = z, cand.original
            if top >= floor:
                prob = 1.0 / (1.0 + math.exp(-top))
                # (a three-character span is a site twice: as a substring and as a contraction)
                if prob > best.get((i, j), (0.0, ""))[0]:
                    best[(i, j)] = (prob, pick)
        return best

    def restore(
        self,
        line: str,
        taken: list[bool] | None = None,
        min_density: float = 0.0,
        judged: Judged | None = None,
    ) -> list[Swap]:
        """Non-overlapping swaps with probability at least ``tau`` (the most likely win
        overlaps), in text order; positions marked in ``taken`` (already restored otherwise) are
        left alone.  None unless the line's :meth:`density` is at least ``min_density``.
        ``judged``: :meth:`judged` of the line, if already known."""
        tau = self.model.tau
        if judged is None:
            judged = self.judged(line)
        if min_density > 0.0 and _density(judged, len(line)) < min_density:
            return []
        if taken is not None and len(taken) < len(line):
            raise ValueError("taken must mark every position of the line")
        mask = list(taken) if taken is not None else [False] * len(line)
        chosen: list[Swap] = []
        ranked = sorted(
            ((p, i, j, o) for (i, j), (p, o) in judged.items() if p >= tau),
            key=lambda t: (-t[0], t[1], t[2]),
        )
        for p, i, j, original in ranked:
            if any(mask[i:j]):
                continue
            for k in range(i, j):
                mask[k] = True
            chosen.append(Swap(i, j, original, p))
        chosen.sort(key=lambda s: s.start)
        return chosen

    def likelihood_ratio(self, line: str, judged: Judged | None = None) -> float:
        """Log-likelihood ratio (spun vs clean) of the line's count of likely swaps, each count a
        Poisson variable with the model's per-character rate."""
        model = self.model
        return _poisson(self.count(line, judged), len(line), model.rate_spun, model.rate_clean)

    def contraction_ratio(self, line: str, judged: Judged | None = None) -> float:
        """The same for the line's likely contractions alone: far rarer in clean text than other
        swaps (a round-trip expansion is no writer's choice), so each weighs more."""
        count = self.count(line, judged, contracted=True)
        return _poisson(count, len(line), self.model.rate_spun_ctr, self.model.rate_clean_ctr)

    def soft_ratio(self, line: str, judged: Judged | None = None) -> float:
        """The same for the line's soft count (:meth:`soft_count`): a superset of the likely
        swaps and contractions that also keeps the many swaps a spinner leaves that are each only
        somewhat likely (far better at telling a spun line from a clean one than the count)."""
        count = self.soft_count(line, judged)
        return _poisson(count, len(line), self.model.rate_spun_soft, self.model.rate_clean_soft)

    def soft_count(self, line: str, judged: Judged | None = None) -> float:
        """The summed probability of the line's swaps at least ``SOFT_P`` likely, over its
        sites (overlapping sites included): about the number of swaps a spinner made in it."""
        if judged is None:
            judged = self.judged(line)
        return sum(p for p, _ in judged.values() if p >= SOFT_P)

    def count(self, line: str, judged: Judged | None = None, contracted: bool = False) -> int:
        """The line's number of likely swaps (p ≥ ``DENSITY_P``); with ``contracted``, of likely
        contractions only."""
        if judged is None:
            judged = self.judged(line)
        if contracted:
            return sum(1 for (i, j), (p, _) in judged.items() if p >= DENSITY_P and j - i > MAX_LEN)
        return sum(1 for p, _ in judged.values() if p >= DENSITY_P)

    def density(self, line: str, judged: Judged | None = None) -> float:
        """Summed probability of the likely swaps (p ≥ ``DENSITY_P``) per 100 characters."""
        return _density(self.judged(line) if judged is None else judged, len(line))


def _poisson(count: float, length: int, spun: float, clean: float) -> float:
    """Log-likelihood ratio of ``count`` events in ``length`` characters at the per-character
    rates ``spun`` against ``clean``."""
    return count * math.log(spun / clean) - length * (spun - clean)


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _density(judged: Judged, length: int) -> float:
    total = sum(p for p, _ in judged.values() if p >= DENSITY_P)
    return 100.0 * total / max(length, 1)


_lock = threading.Lock()
_model: Model | None = None


def load_model(path: Path = MODEL_PATH) -> Model:
    """The trained judge (checked against the feature list), loaded once per process."""
    global _model
    if path != MODEL_PATH:
        return Model(json.loads(path.read_text("utf-8")))
    if _model is None:
        with _lock:
            if _model is None:
                _model = Model(json.loads(path.read_text("utf-8")))
    return _model
