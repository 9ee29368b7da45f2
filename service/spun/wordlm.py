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

from service.spun import lm
from service.spun import resources as res

MODEL_PATH = Path(__file__).resolve().parents[1] / "data" / "spun" / "word3.bin"
# Word-model scores of text windows, shared by every repair in the process; bounded: emptied when
# full.
SCORES_MAX = 100_000


def words(text: str) -> str:
    """``text`` as the word model's space-separated tokens (a lone surrogate becomes ``?``)."""
    joined = " ".join(res.segment(text))
    return joined if joined.isascii() else lm.SURROGATE.sub("?", joined)


def scorer(limit: int = SCORES_MAX) -> lm.WindowScorer:
    """A memoizing scorer: ``scorer[text]`` → the log10 probability of ``text`` in words."""
    return lm.WindowScorer(model(), limit, words)


_lock = threading.Lock()
_model: kenlm.Model | None = None


def model() -> kenlm.Model:
    """The process-wide word model, loaded on first use (memory-mapped)."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = lm.load(MODEL_PATH, "service.build.spun_word_lm")
    return _model
