"""Spun-text (伪原创) detection and restoration.

A content-farm spinner rewrites a post with a fixed synonym/antonym table (服务→效劳, 大→年夜,
在→正在 …).  :func:`fix` finds the candidate sites (lexicon forms, and character pairs the LM has
never seen that a partner swap repairs), judges from the whole post whether a spinner was at work
(:func:`score`: telltale forms, surviving originals, how much more fluent the restorations are),
and where it was, restores the originals that a character 5-gram LM prefers.  The lexicon, LM and
word tables load lazily, once per process.
"""

from __future__ import annotations

from pathlib import Path

from service.edits import apply_edits, compose
from service.fixers import FixResult
from service.spun.compiled import prefer_current_sources

# The engine's hot modules may be compiled (setup.py): run a module's source instead where it
# changed since, or where QINGLIU_PURE_PYTHON asks for the sources.
prefer_current_sources(__name__, Path(__file__).resolve().parent)

KIND = "spun"
SPUN_THRESHOLD = 0.5
_MAX_PASSES = 3


def _engine():  # imported lazily: loading the LM costs ~0.3 s
    from service.spun.engine import engine

    return engine()


def detect(text: str) -> bool:
    """Whether ``text`` contains any candidate site (a spun form from the lexicon)."""
    if not text:
        return False
    for _ in _engine().sites.iter(text):
        return True
    return False


def score(text: str) -> float:
    """Post-level probability in [0, 1] that ``text`` was spun."""
    return _engine().spun_probability(text)


def fix(text: str) -> FixResult:
    """Restore spun wording; edits are offsets into ``text``.

    Runs to a fixed point (at most a few passes) so that ``fix`` of the output changes nothing.
    """
    eng = _engine()
    cache: dict = {}  # per-repair memos (each line's evidence …), shared by the passes
    edits, first_score = eng.run(text, cache)
    current = apply_edits(text, edits) if edits else text
    for _ in range(_MAX_PASSES - 1):
        if not edits:
            break
        more, _ = eng.run(current, cache)
        if not more:
            break
        edits = compose(edits, more, text)
        current = apply_edits(current, more)
    kinds = ("spun",) if first_score >= SPUN_THRESHOLD else ()
    return FixResult(edits=edits, score=first_score, kinds=kinds)
