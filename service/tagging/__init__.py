"""Topic and place tags of a (repaired) text.

``tag(text)`` is pure and fast: the data files are loaded once, lazily.  Topics come from weighted
term lists (:mod:`service.tagging.topics`), places from the adcode table
(:mod:`service.tagging.places`).  Traditional characters are matched in their simplified form
(:func:`service.normalize.to_simplified`, one character for one, so offsets still point into
``text``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from service.normalize import to_simplified
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


def tag(text: str) -> Tags:
    """Topics and places of ``text``."""
    form = to_simplified(text)
    topics, topic_evidence = _topics.score(form)
    places, place_evidence = _places.find(form)
    if form is not text:  # report what the text says, not its matching form
        for spans in place_evidence.values():
            for span in spans:
                span[0] = text[span[1] : span[2]]
    return Tags(topics, places, {"topics": topic_evidence, "places": place_evidence})


def warm_up() -> None:
    """Load all data now (workers call this at start so the first message is not slow)."""
    to_simplified("臺")
    _places._tokenizer()
    tag("广东肇庆端州招商引资项目")
