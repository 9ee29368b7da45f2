"""Dictionary-neighbour candidates: repairs of character swaps that no table lists.

A spinner that swaps a character inside a word (增加 → 删加, 全面 → 周全) leaves a character pair
that clean text almost never contains.  A Han character bigram the character LM has never seen
is a *suspect*; its candidates swap one of its characters for a partner character (one that
forms 2-character words with it, e.g. 增 for 删) so that the pair becomes a frequent dictionary
word.  The decoder then weighs them by the LM in context against keeping the text, like any
lexicon candidate (with a low prior and an LM margin).

The partner and frequency tables come from :mod:`service.spun.resources`; without them (a build
without the data files) no candidates are proposed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

PARTNERS = 24  # partner characters tried per character, best first
WORD_FREQ = -5.3  # log10 relative frequency a repaired pair must reach (≈ 5 per million words)
WRITTEN_FREQ = -20.0  # a written pair at least this frequent is a dictionary word: no candidates
MAX_NGRAM = 1  # a bigram is unseen when the LM backs off to the unigram
FRAGMENT_FREQ = -3.5  # a character rarer than this as a word of its own …
FRAGMENT_SPAN = 4  # … inside no dictionary word of 2 to this many characters is a fragment


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


class Neighbours:
    """Suspect positions and their partner candidates (tables loaded once per process)."""

    def __init__(
        self,
        partners: Callable[[str], tuple[str, ...]],
        word_freq: Callable[[str], float],
        is_word: Callable[[str], bool] | None = None,
    ) -> None:
        self.partners = partners
        self.word_freq = word_freq
        self.is_word = is_word if is_word is not None else (lambda s: word_freq(s) > -90.0)
        self._memo: dict[str, tuple[str, ...]] = {}
        self._rare: dict[str, bool] = {}

    def fragments(self, text: str) -> tuple[int, int]:
        """Non-word fragments of ``text`` and its number of Han characters.

        A fragment is a Han character that is rare as a word of its own and that no dictionary
        word of ``text`` (2 to ``FRAGMENT_SPAN`` characters) covers: what a spinner leaves when it
        swaps a character inside a word (年夜, 删加, 仄台).  Clean text has few, mostly in names.
        """
        rare = self._rare
        is_word = self.is_word
        n = len(text)
        han = found = 0
        for i, ch in enumerate(text):
            if not _is_han(ch):
                continue
            han += 1
            flag = rare.get(ch)
            if flag is None:
                flag = self.word_freq(ch) < FRAGMENT_FREQ
                if len(rare) < 50_000:
                    rare[ch] = flag
            if not flag:
                continue
            covered = False
            for a in range(max(0, i - FRAGMENT_SPAN + 1), i + 1):
                for b in range(max(i + 1, a + 2), min(n, a + FRAGMENT_SPAN) + 1):
                    if is_word(text[a:b]):
                        covered = True
                        break
                if covered:
                    break
            if not covered:
                found += 1
        return found, han

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

    def candidates(self, pair: str) -> tuple[str, ...]:
        """Restorations of the 2-character ``pair`` (not a dictionary word itself): one of its
        characters swapped for a partner so that the pair becomes a frequent dictionary word."""
        cached = self._memo.get(pair)
        if cached is not None:
            return cached
        freq = self.word_freq
        a, b = pair[0], pair[1]
        out: dict[str, None] = {}
        if freq(pair) < WRITTEN_FREQ:
            for p in self.partners(a)[:PARTNERS]:
                if freq(p + b) >= WORD_FREQ:
                    out[p + b] = None
            for q in self.partners(b)[:PARTNERS]:
                if freq(a + q) >= WORD_FREQ:
                    out[a + q] = None
        result = tuple(out)
        if len(self._memo) < 200_000:
            self._memo[pair] = result
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
                    _instance.append(
                        Neighbours(resources.char_partners, resources.word_freq, resources.is_word)
                    )
                except (ImportError, OSError, ValueError, AttributeError):
                    _instance.append(None)
    return _instance[0]
