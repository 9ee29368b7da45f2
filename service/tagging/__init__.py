"""Topic and place tags of a (repaired) text.

``tag(text)`` is pure and fast: the data files are loaded once, lazily.  Topics come from weighted
term lists (:mod:`service.tagging.topics`), places from the adcode table
(:mod:`service.tagging.places`).  Traditional characters are matched in their simplified form
(OpenCC ``t2s``, one character for one, so offsets still point into ``text``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from service.tagging import places as _places
from service.tagging import topics as _topics


@dataclass(frozen=True, slots=True)
class Tags:
    """``topics``: ``[{id, label, score}]`` by score; ``places``: resolved divisions.

    ``evidence``: ``{"topics": {id: [{term, weight, count}]}, "places": {adcode: [[surface,
    start, end]]}}`` (offsets into the tagged text) for ``--explain``.
    """

    topics: list[dict] = field(default_factory=list)
    places: list[dict] = field(default_factory=list)
    evidence: dict = field(default_factory=dict)


# Characters OpenCC maps although they are also ordinary Simplified characters (乾县, 於 as a name).
_KEEP = frozenset("乾於拚")


@cache
def _t2s():
    import opencc

    converter = opencc.OpenCC("t2s")
    chars = [chr(cp) for cp in range(0x4E00, 0xA000)]
    simplified = converter.convert("\n".join(chars)).split("\n")
    table = {
        ord(t): s
        for t, s in zip(chars, simplified, strict=True)
        if len(s) == 1 and s != t and t not in _KEEP
    }
    return table, frozenset(chr(cp) for cp in table)


def matching_form(text: str) -> str:
    """``text`` with Traditional-only characters replaced by their Simplified form (same length)."""
    table, traditional = _t2s()
    if traditional.isdisjoint(text):
        return text
    return text.translate(table)


def tag(text: str) -> Tags:
    """Topics and places of ``text``."""
    form = matching_form(text)
    topics, topic_evidence = _topics.score(form)
    places, place_evidence = _places.find(form)
    if form is not text:  # report what the text says, not its matching form
        for spans in place_evidence.values():
            for span in spans:
                span[0] = text[span[1] : span[2]]
    return Tags(topics, places, {"topics": topic_evidence, "places": place_evidence})


def warm_up() -> None:
    """Load all data now (workers call this at start so the first message is not slow)."""
    _t2s()
    _places._tokenizer()
    tag("广东肇庆端州招商引资项目")
