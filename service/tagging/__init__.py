"""Topic and place tags: placeholder until the tagger lands."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Tags:
    """``topics``: ``[{id, label, score}]`` by score; ``places``: resolved divisions."""

    topics: list[dict] = field(default_factory=list)
    places: list[dict] = field(default_factory=list)
    evidence: dict = field(default_factory=dict)


def tag(text: str) -> Tags:
    """No tags yet."""
    return Tags()
