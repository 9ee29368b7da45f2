"""Placeholder fixer: widths (filled in by its own issue)."""

from __future__ import annotations

from service.fixers import FixResult

KIND = "widths"


def detect(text: str) -> bool:
    """Nothing to do yet."""
    return False


def fix(text: str) -> FixResult:
    """No edits yet."""
    return FixResult()
