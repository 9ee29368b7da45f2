"""Dictionary-neighbour candidates: repairs of character swaps that no table lists.

A spinner that swaps a character inside a word (增加 → 删加, 全面 → 周全) leaves a character pair
that clean text almost never contains.  Where the character LM has never seen a bigram, each of
its two characters is a *suspect*; a suspect's candidates are its partner characters (characters
that form 2-character words with it, e.g. 增 for 删) that turn the suspect and a neighbour into a
frequent dictionary word while the written pair is not one.  The decoder then weighs them by the
LM in context against keeping the text, like any lexicon candidate.

The partner and frequency tables come from :mod:`service.spun.resources`; without them (a build
without the data files) no candidates are proposed.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Callable

from service.spun import lm

PARTNERS = 24  # partner characters tried per suspect, best first
WORD_FREQ = -5.3  # log10 relative frequency a repaired pair must reach (≈ 5 per million words)
WRITTEN_FREQ = -20.0  # a written pair at least this frequent is a real word: no suspect there
MAX_NGRAM = 1  # a bigram is unseen when the LM backs off to the unigram


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


class Neighbours:
    """Suspect positions and their partner candidates (tables loaded once per process)."""

    def __init__(
        self,
        partners: Callable[[str], tuple[str, ...]],
        word_freq: Callable[[str], float],
    ) -> None:
        self.partners = partners
        self.word_freq = word_freq
        self._memo: dict[tuple[str, str, str], tuple[str, ...]] = {}

    def suspects(self, norm: str, lo: int, hi: int, model) -> list[int]:
        """Starts of Han character bigrams in ``norm[lo:hi]`` that the LM has never seen."""
        text = norm[lo:hi]
        if len(text) < 2:
            return []
        found: list[int] = []
        for i, (_, ngram, _) in enumerate(model.full_scores(" ".join(text), False, False)):
            if i == 0 or ngram > MAX_NGRAM:
                continue
            if _is_han(text[i - 1]) and _is_han(text[i]):
                found.append(lo + i - 1)
        return found

    def candidates(self, left: str, pair: str, right: str) -> tuple[tuple[str, bool], ...]:
        """Restorations of the 2-character ``pair`` between ``left`` and ``right``.

        One character swapped for a partner so that the pair becomes a frequent dictionary word
        (strong: ``True``), or so that it makes a frequent word with the outer neighbour
        (``False``).  A pair that is a dictionary word itself gets none.
        """
        key = (left, pair, right)
        cached = self._memo.get(key)
        if cached is not None:
            return cached
        freq = self.word_freq
        a, b = pair[0], pair[1]
        out: dict[str, bool] = {}
        if freq(pair) < WRITTEN_FREQ:
            pa = self.partners(a)[:PARTNERS]
            pb = self.partners(b)[:PARTNERS]
            for p in pa:
                if freq(p + b) >= WORD_FREQ:
                    out[p + b] = True
                elif (
                    _is_han(left) and freq(left + a) < WRITTEN_FREQ and freq(left + p) >= WORD_FREQ
                ):
                    out.setdefault(p + b, False)
            for q in pb:
                if freq(a + q) >= WORD_FREQ:
                    out[a + q] = True
                elif (
                    _is_han(right)
                    and freq(b + right) < WRITTEN_FREQ
                    and freq(q + right) >= WORD_FREQ
                ):
                    out.setdefault(a + q, False)
        result = tuple(out.items())
        if len(self._memo) < 200_000:
            self._memo[key] = result
        return result


_lock = threading.Lock()
_instance: list[Neighbours | None] = []


def neighbours() -> Neighbours | None:
    """The process-wide instance, or ``None`` when the resource tables are not available."""
    if not _instance:
        with _lock:
            if not _instance:
                try:
                    from service.spun import resources

                    resources.char_partners("一")
                    resources.word_freq("一")
                    _instance.append(Neighbours(resources.char_partners, resources.word_freq))
                except (ImportError, OSError, ValueError, AttributeError):
                    _instance.append(None)
    return _instance[0]


def lm_form(ch: str) -> str:
    """A candidate character in the LM's tokenisation."""
    return lm.normalize_char(unicodedata.normalize("NFC", ch))
