"""Spun-text (伪原创) restoration: placeholder until the engine lands."""

from __future__ import annotations

from service.fixers import FixResult

KIND = "spun"


def detect(text: str) -> bool:
    """Nothing to do yet."""
    return False


def fix(text: str) -> FixResult:
    """No edits yet."""
    return FixResult()
