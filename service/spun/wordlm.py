"""The word 3-gram language model (KenLM, from the fcitx5 input method) as a second opinion.

The character 5-gram (:mod:`service.spun.lm`) is trained on a few million characters; the word
model of ``libime`` (Debian ``libime-data-language-model``, LGPL-2.1+) is trained on far more text
and knows which words go together.  The swap judge (:mod:`service.spun.swapper`) asks it how much
more probable a window of text is with a candidate original than with the form in the text.
Windows are split into words with :func:`service.spun.resources.segment` and scored without
sentence boundaries.
"""

from __future__ import annotations

import threading
from pathlib import Path

import kenlm

from service.spun import resources as res

MODEL_PATH = Path(__file__).resolve().parents[1] / "data" / "spun" / "word3.bin"
# Word-model scores of text windows, shared by every repair in the process; bounded: emptied when
# full.
SCORES_MAX = 100_000


class WordScorer(dict[str, float]):
    """``scorer[text]`` → log10 probability of ``text`` split into words, memoized (at most
    ``limit`` windows; emptied when full)."""

    __slots__ = ("_limit", "_score")

    def __init__(self, word_model: kenlm.Model, limit: int = SCORES_MAX) -> None:
        super().__init__()
        self._limit = limit
        self._score = word_model.score

    def __missing__(self, text: str) -> float:
        if len(self) >= self._limit:
            self.clear()
        value = self[text] = self._score(" ".join(res.segment(text)), False, False)
        return value

    def __call__(self, text: str) -> float:
        return self[text]


_lock = threading.Lock()
_model: kenlm.Model | None = None


def model() -> kenlm.Model:
    """The process-wide word model, loaded on first use (memory-mapped)."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                if not MODEL_PATH.is_file():
                    raise FileNotFoundError(
                        f"{MODEL_PATH} is missing: run python -m service.build.spun_word_lm"
                    )
                config = kenlm.Config()
                config.load_method = kenlm.LoadMethod.LAZY
                _model = kenlm.Model(str(MODEL_PATH), config)
    return _model
