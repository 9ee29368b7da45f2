"""Fixers: one module per corruption class, each a pure ``detect``/``fix`` pair.

Every fixer module exposes:

* ``KIND`` – the edit kind it emits (``"mojibake"``, ``"invisible"`` …);
* ``detect(text) -> bool`` – a cheap test: could ``fix`` change anything?  Must be fast on clean
  text, because most posts need no repair;
* ``fix(text) -> FixResult`` – the edits (offsets into ``text``), a corruption score and the
  corruption kinds found (a kind may be reported without an edit, e.g. unrecoverable damage).

The pipeline (:mod:`service.pipeline`) runs them in order and composes their edits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from service.edits import Edit

__all__ = ["FixResult", "Fixer"]


@dataclass(frozen=True, slots=True)
class FixResult:
    """What one fixer found in one text."""

    edits: list[Edit] = field(default_factory=list)
    score: float = 0.0
    kinds: tuple[str, ...] = ()


class Fixer(Protocol):
    """The shape of a fixer module."""

    KIND: str

    def detect(self, text: str) -> bool: ...

    def fix(self, text: str) -> FixResult: ...
