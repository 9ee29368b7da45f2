"""The character 5-gram language model (KenLM) and the tokenisation it was trained with."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path

import kenlm

MODEL_PATH = Path(__file__).resolve().parents[1] / "data" / "spun" / "char5.bin"
ORDER = 5

_HALF = ",.!?;:()"
_FULL = "，。！？；：（）"
# Fold half-width punctuation to the full-width forms of the training text, ASCII digits to one
# symbol class each, and white space to a sentence-ish break.
_TABLE = {ord(h): f for h, f in zip(_HALF, _FULL, strict=True)}
_TABLE.update({ord(c): "0" for c in "0123456789０１２３４５６７８９"})
_TABLE.update({ord(c): "。" for c in "\n\r\t \u3000"})


SURROGATE = re.compile("[\ud800-\udfff]")
# The characters _TABLE folds (few in Chinese text: substituting them beats str.translate).
_FOLDED = re.compile("[" + re.escape("".join(map(chr, _TABLE))) + "]")
_FOLD = {chr(k): v for k, v in _TABLE.items()}


def _fold(match: re.Match[str]) -> str:
    return _FOLD[match.group()]


def normalize_char(text: str) -> str:
    """The LM's view of ``text``: same length, one token per character."""
    out = _FOLDED.sub(_fold, text)
    if not out.isascii():
        out = SURROGATE.sub("?", out)
    out = out.lower()
    return out if len(out) == len(text) else "".join(c.lower()[:1] or "?" for c in text)


def tokens(text: str) -> str:
    """Space-separated character tokens (the LM's training and query format)."""
    return " ".join(normalize_char(text))


# LM scores of character windows, shared by every repair in the process: the windows around common
# spun forms recur from post to post.  Bounded: emptied when full.
SCORES_MAX = 200_000


class WindowScorer(dict[str, float]):
    """``scorer[window]`` → ``lm_model.score(split(window), bos=False, eos=False)``, memoized
    (at most ``limit`` windows; emptied when full).  ``split`` makes the model's space-separated
    tokens; the default, one token per character, expects a window already in this LM's form
    (:func:`normalize_char`).  A memoized window is a plain dict lookup, no Python call on the
    hot path; ``scorer(window)`` is the same for callers that want a function."""

    __slots__ = ("_limit", "_score", "_split")

    def __init__(
        self,
        lm_model: kenlm.Model,
        limit: int = SCORES_MAX,
        split: Callable[[str], str] = " ".join,
    ) -> None:
        super().__init__()
        self._limit = limit
        self._score = lm_model.score
        self._split = split

    def __missing__(self, window: str) -> float:
        if len(self) >= self._limit:
            self.clear()
        value = self[window] = self._score(self._split(window), False, False)
        return value

    def __call__(self, window: str) -> float:
        return self[window]


_lock = threading.Lock()
_model: kenlm.Model | None = None


def load(path: Path, build: str) -> kenlm.Model:
    """A KenLM binary, memory-mapped lazily; one clear error (naming the ``build`` module that
    makes it) when the file is missing."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run python -m {build}")
    config = kenlm.Config()
    config.load_method = kenlm.LoadMethod.LAZY
    return kenlm.Model(str(path), config)


def model() -> kenlm.Model:
    """The process-wide model, loaded on first use."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = load(MODEL_PATH, "service.build.spun_lm")
    return _model
