"""How a :class:`~service.rules.model.RuleSet` changes a repair (pure).

:func:`fixers_for` turns the pipeline's fixer sequence into the one the rules ask for: fixers of
a disabled kind are left out, every fixer's edits that touch a protected phrase are dropped, and
a last stage restores the operators' spun forms.  Protection is checked on each stage's own
input (the coordinates its edits are in), so a phrase that only appears once an earlier stage
has removed, say, an invisible character inside it is protected from the later stages too, and
the composed edits still rebuild the text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from service.edits import Edit
from service.fixers import Fixer, FixResult
from service.rules.model import RuleSet

RESTORE_KIND = "spun"  # operator restorations are spun-text repairs, shown and counted as such
RESTORE_CONFIDENCE = 1.0


def protected_spans(text: str, phrases: Sequence[str]) -> list[tuple[int, int]]:
    """Merged ``(start, end)`` spans of every occurrence (overlapping ones too) of ``phrases``."""
    spans: list[tuple[int, int]] = []
    for phrase in phrases:
        at = text.find(phrase)
        while at >= 0:
            spans.append((at, at + len(phrase)))
            at = text.find(phrase, at + 1)
    if not spans:
        return []
    spans.sort()
    merged = [spans[0]]
    for start, end in spans[1:]:
        last_start, last_end = merged[-1]
        if start <= last_end:
            merged[-1] = (last_start, max(last_end, end))
        else:
            merged.append((start, end))
    return merged


def touches(edit: Edit, spans: Sequence[tuple[int, int]]) -> bool:
    """Whether ``edit`` changes a protected span (an insertion at its edge counts)."""
    for start, end in spans:
        if edit.start == edit.end:
            if start <= edit.start <= end:
                return True
        elif edit.start < end and edit.end > start:
            return True
        if start > edit.end:
            break
    return False


def keep_unprotected(text: str, edits: list[Edit], phrases: Sequence[str]) -> list[Edit]:
    """``edits`` (on ``text``) without those that touch an occurrence of ``phrases``."""
    if not edits or not phrases:
        return edits
    spans = protected_spans(text, phrases)
    if not spans:
        return edits
    return [edit for edit in edits if not touches(edit, spans)]


@dataclass(frozen=True)
class Protected:
    """A fixer whose edits never touch the protected phrases."""

    inner: Fixer
    phrases: tuple[str, ...]

    @property
    def KIND(self) -> str:
        return self.inner.KIND

    def detect(self, text: str) -> bool:
        return self.inner.detect(text)

    def fix(self, text: str) -> FixResult:
        result = self.inner.fix(text)
        kept = keep_unprotected(text, result.edits, self.phrases)
        if kept is result.edits:
            return result
        return FixResult(kept, result.score, result.kinds)


@lru_cache(maxsize=64)
def _pattern(spun_forms: tuple[str, ...]) -> re.Pattern[str]:
    # Longest first: where two spun forms start at the same place, the longer one is restored.
    ordered = sorted(spun_forms, key=lambda s: (-len(s), s))
    return re.compile("|".join(re.escape(form) for form in ordered))


@dataclass(frozen=True)
class Restore:
    """The operators' restorations: each spun form found becomes its original (left to right)."""

    restores: tuple[tuple[str, str], ...]
    phrases: tuple[str, ...] = ()
    KIND: str = RESTORE_KIND

    def detect(self, text: str) -> bool:
        return any(spun in text for spun, _ in self.restores)

    def fix(self, text: str) -> FixResult:
        originals = dict(self.restores)
        edits = [Edit(m.start(), m.end(), m.group(), originals[m.group()], RESTORE_KIND,
                      RESTORE_CONFIDENCE)
                 for m in _pattern(tuple(originals)).finditer(text)]
        edits = keep_unprotected(text, edits, self.phrases)
        return FixResult(edits, 1.0 if edits else 0.0, (RESTORE_KIND,) if edits else ())


def fixers_for(rules: RuleSet, fixers: Sequence[Fixer]) -> tuple[Fixer, ...]:
    """``fixers`` as ``rules`` want them run (unchanged for an empty rule set)."""
    if not rules:
        return tuple(fixers)
    phrases = rules.protected
    out: list[Fixer] = []
    for fixer in fixers:
        if fixer.KIND in rules.disabled:
            continue
        out.append(Protected(fixer, phrases) if phrases else fixer)
    if rules.restores and RESTORE_KIND not in rules.disabled:
        out.append(Restore(tuple(rules.restores.items()), phrases))
    return tuple(out)
