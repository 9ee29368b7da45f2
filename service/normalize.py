"""Placeholder matching form (filled in by the encoding issue)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Normalized:
    """The matching form of a text and, per character, its offset in the source text."""

    text: str
    offsets: list[int]

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """Map ``normalized[start:end]`` back to a span of the source text."""
        if start >= end:
            position = self.offsets[start] if start < len(self.offsets) else len(self.offsets)
            return position, position
        return self.offsets[start], self.offsets[end - 1] + 1


def normalize(text: str) -> Normalized:
    """Lower-case only, for now."""
    lowered = text.lower() if len(text.lower()) == len(text) else text
    return Normalized(lowered, list(range(len(text))))
