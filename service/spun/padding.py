"""Padded characters removed without a table: a learned judge over single-character deletions.

A padding spinner turns a character into a word that holds it (上 → 上学, 就 → 就诊, 一 → 一同,
成 → 成功: 到晚上就变成了夜市 → 到晚上学就诊变成功了夜市).  Every spun form is a real word, so
neither the lexicon nor the table-free swaps (:mod:`service.spun.swapper`) see it, but the padded
character is one too many: without it the text reads better in the character 5-gram and in the
word 3-gram, the character it was padded onto stands as a word of its own, and its neighbours
often join into a word across the gap (博物理馆 → 博物馆).

:func:`sites` lists every Han character that makes a dictionary word with a neighbour, with the
features of deleting it (:data:`FEATURES`); a logistic model (``service/data/spun/padding.json``,
trained by ``service.build.spun_padding`` on the development spinner tables only) gives each the
probability that a spinner padded it.  :func:`deletions` picks the likely ones, never two
neighbours.  The engine applies them only to lines it already judges spun: clean text has
thousands of such characters, and in a line of unknown origin no deletion is likely enough.

Pure functions of the text; the model is loaded once per process.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from service.spun import lm
from service.spun import resources as res

MODEL_PATH = Path(__file__).resolve().parents[1] / "data" / "spun" / "padding.json"
SCHEMA = 2
CTX = lm.ORDER - 1  # characters of context on each side in the character model
WORD_CTX = 6  # … and in the word model
WORD_CLIP = 3.0  # the word model's gain is clipped to ±this (log10)
UNSEEN_FREQ = -9.0  # log10 frequency used for a form the frequency table lacks
BRIDGE_SPAN = 4  # longest word looked for across the gap a deletion leaves
# Characters a deletion never removes: numbers (二十五 is no padded 二五); nor does it remove
# one of a reduplicated pair.
NUMERALS = frozenset("〇零一二三四五六七八九十百千万亿两几")
SOFT_P = 0.1  # sites at least this likely are kept and count towards the soft count
RATES = ("rate_spun_soft", "rate_clean_soft")
FEATURES = (
    "word_gain",  # word 3-gram log10 gain of the deletion in a window of WORD_CTX each side
    "cost",  # -log10 P(character | the CTX characters before it)
    "right_fit",  # log10 gain of the CTX characters after it, read without it
    "joins_left",  # it makes a dictionary word with its left neighbour …
    "joins_right",  # … with its right neighbour
    "word_freq",  # log10 frequency of the commoner word it makes with a neighbour
    "kept_freq",  # log10 frequency, as a word, of the neighbour that word holds
    "own_freq",  # log10 frequency of the character as a word
    "bridge_freq",  # log10 frequency of the commonest word across the gap, if any
    "in_split",  # the line's most probable segmentation keeps the word it makes
)


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _freq(word: str) -> float:
    value = res.word_freq(word)
    return UNSEEN_FREQ if value <= res.UNSEEN else value


def across_gap_freq(line: str, i: int, span: int = BRIDGE_SPAN) -> float:
    """log10 frequency of the commonest word of 2–``span`` characters that the text around
    ``i`` makes across the gap once ``line[i]`` is gone (``UNSEEN_FREQ`` if none)."""
    words = res.words()
    left = line[max(0, i - span + 1) : i]
    right = line[i + 1 : i + span]
    joined = left + right
    at = len(left)
    best = UNSEEN_FREQ
    for size in range(2, span + 1):
        for start in range(max(0, at - size + 1), at):
            if start + size > len(joined):
                break
            word = joined[start : start + size]
            if word in words:
                best = max(best, _freq(word))
    return best


# The judge is logistic over the features and their pairwise products (a deletion that reads
# better is likelier where the neighbour is a function character than where both are content
# words): on development rounds 18-31 it finds 7% more of the news tables' padded characters
# than over the features alone, with as many wrong deletions.
TERMS = len(FEATURES) * (len(FEATURES) + 3) // 2


def expanded(x: Sequence[float]) -> list[float]:
    """The features ``x`` and their pairwise products (squares included): ``TERMS`` values."""
    out = list(x)
    n = len(x)
    for a in range(n):
        xa = x[a]
        for b in range(a, n):
            out.append(xa * x[b])
    return out


Site = tuple[int, list[float]]  # (position of the character, features in FEATURES order)


def sites(
    line: str,
    score: Callable[[str], float],
    word_score: Callable[[str], float],
    near: Sequence[bool] | None = None,
) -> list[Site]:
    """Every character of ``line`` a padding spinner could have added, with the features of
    deleting it; ``score`` and ``word_score`` are the character and word models' memoizing
    window scorers (``lm.WindowScorer``); with ``near``, only the characters where it is set."""
    n = len(line)
    if n < 3:
        return []
    words = res.words()
    norm = lm.normalize_char(line)
    split_words: set[tuple[int, str]] = set()
    at = 0
    for token in res.segment(line):
        if len(token) == 2:
            split_words.add((at, token))
        at += len(token)
    out: list[Site] = []
    for i in range(1, n):
        ch = line[i]
        if not _is_han(ch) or ch in NUMERALS or (near is not None and not near[i]):
            continue
        before = line[i - 1]
        after = line[i + 1] if i + 1 < n else ""
        if ch in (before, after):
            continue  # reduplication (看看, 一桌桌) is the writer's
        left_word = _is_han(before) and before + ch in words
        right_word = bool(after) and _is_han(after) and ch + after in words
        if not (left_word or right_word):
            continue
        left = norm[max(0, i - CTX) : i]
        right = norm[i + 1 : i + 1 + CTX]
        base = score(left)
        with_char = score(left + norm[i])
        cost = base - with_char
        right_fit = (score(left + right) - base) - (score(left + norm[i] + right) - with_char)
        wleft = line[max(0, i - WORD_CTX) : i]
        wright = line[i + 1 : i + 1 + WORD_CTX]
        word_gain = word_score(wleft + wright) - word_score(wleft + ch + wright)
        made = [w for w, ok in ((before + ch, left_word), (ch + after, right_word)) if ok]
        kept = [c for c, ok in ((before, left_word), (after, right_word)) if ok]
        in_split = (i - 1, before + ch) in split_words or (i, ch + after) in split_words
        x = [
            max(-WORD_CLIP, min(WORD_CLIP, word_gain)),
            cost,
            right_fit,
            1.0 if left_word else 0.0,
            1.0 if right_word else 0.0,
            max(map(_freq, made)),
            max(map(_freq, kept)),
            _freq(ch),
            across_gap_freq(line, i),
            1.0 if in_split else 0.0,
        ]
        out.append((i, x))
    return out


class Model:
    """The logistic judge of deletions: standardised terms (:func:`expanded`), weights, bias,
    ``tau``."""

    def __init__(self, data: dict) -> None:
        if data.get("schema") != SCHEMA or tuple(data.get("features", ())) != FEATURES:
            raise ValueError(f"{MODEL_PATH.name}: schema or feature list does not match the code")
        missing = {"mean", "scale", "weights", "bias", "tau", *RATES} - set(data)
        if missing:
            raise ValueError(f"{MODEL_PATH.name}: missing {', '.join(sorted(missing))}")
        mean = [float(v) for v in data["mean"]]
        scale = [float(v) for v in data["scale"]]
        weights = [float(v) for v in data["weights"]]
        if not (len(mean) == len(scale) == len(weights) == TERMS):
            raise ValueError(f"{MODEL_PATH.name}: vector lengths do not match the feature list")
        if any(s <= 0.0 for s in scale):
            raise ValueError(f"{MODEL_PATH.name}: scales must be positive")
        self.tau = float(data["tau"])
        if not 0.0 < self.tau < 1.0:
            raise ValueError(f"{MODEL_PATH.name}: tau must lie in (0, 1)")
        # The soft count of padded characters per character, in spun and in clean text.
        self.rate_spun_soft = float(data["rate_spun_soft"])
        self.rate_clean_soft = float(data["rate_clean_soft"])
        if not 0.0 < self.rate_clean_soft < self.rate_spun_soft:
            raise ValueError(f"{MODEL_PATH.name}: rates must satisfy 0 < clean < spun")
        # Fold standardisation into the weights: logit = Σ k_i·x_i + c.
        self.coef = [w / s for w, s in zip(weights, scale, strict=True)]
        self.const = float(data["bias"]) - sum(
            w * m / s for w, m, s in zip(weights, mean, scale, strict=True)
        )

    def prob(self, x: Sequence[float]) -> float:
        """The probability that the character with features ``x`` was padded."""
        z = self.const
        for k, v in zip(self.coef, expanded(x), strict=True):
            z += k * v
        if z < -30.0:
            return 0.0
        return 1.0 / (1.0 + math.exp(-z))


Judged = list[tuple[int, float]]  # (position, probability that the character was padded)


def judged(
    line: str,
    model: Model,
    score: Callable[[str], float],
    word_score: Callable[[str], float],
    near: Sequence[bool] | None = None,
) -> Judged:
    """Every site of ``line`` (:func:`sites`; with ``near``, only where it is set) that is at
    least ``SOFT_P`` likely, with its probability, in text order."""
    out = []
    for i, x in sites(line, score, word_score, near):
        p = model.prob(x)
        if p >= SOFT_P:
            out.append((i, p))
    return out


def deletions(
    line: str, likely: Judged, taken: Sequence[bool], tau: float
) -> list[tuple[int, float]]:
    """(position, probability) of the characters of ``line`` to delete, from its judged sites
    ``likely``: those at least ``tau`` likely, likeliest first, never two neighbours nor the two
    sides of a character that makes a word with both, and none where ``taken`` (another
    restoration's characters) is set or next to it; in text order."""
    n = len(line)
    ranked = sorted(
        ((p, i) for i, p in likely if p >= tau),
        key=lambda item: (-item[0], item[1]),
    )
    words = res.words()
    chosen: dict[int, float] = {}
    for p, i in ranked:
        if taken[i] or taken[i - 1] or (i + 1 < n and taken[i + 1]):
            continue
        if i - 1 in chosen or i + 1 in chosen:
            continue
        # (工人生: 人 was padded into one of the two words, not into both)
        if i - 2 in chosen and line[i - 2 : i] in words and line[i - 1 : i + 1] in words:
            continue
        if i + 2 in chosen and line[i : i + 2] in words and line[i + 1 : i + 3] in words:
            continue
        chosen[i] = p
    return sorted(chosen.items())


def soft_count(likely: Judged) -> float:
    """The expected number of padded characters: the summed probability of the sites."""
    return sum(p for _, p in likely)


def density(likely: Judged, length: int) -> float:
    """The :func:`soft_count` per 100 characters of a line ``length`` characters long."""
    return 100.0 * soft_count(likely) / max(length, 1)


def likelihood_ratio(likely: Judged, length: int, model: Model) -> float:
    """Poisson log-likelihood ratio (spun against clean) of a line's :func:`soft_count`, with the
    model's rates per character of the development spun lines and of clean text."""
    spun, clean = model.rate_spun_soft, model.rate_clean_soft
    return soft_count(likely) * math.log(spun / clean) - length * (spun - clean)


_lock = threading.Lock()
_model: Model | None = None


def load_model(path: Path = MODEL_PATH) -> Model:
    """The trained judge of deletions (checked against the feature list), loaded once."""
    global _model
    if path != MODEL_PATH:
        return Model(json.loads(path.read_text("utf-8")))
    if _model is None:
        with _lock:
            if _model is None:
                _model = Model(json.loads(path.read_text("utf-8")))
    return _model
