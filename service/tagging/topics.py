"""Topic tags from weighted term lists, matched in one Aho-Corasick pass.

Each topic has a term file (``service/data/tagging/terms/<id>.txt``): lines ``weight term term …``;
phrases carry more weight than single words and negative weights are evidence against a topic.
Matching is leftmost-longest over all topics at once, so a phrase (学习贯彻) hides the words inside
it (学习).  A topic's raw score sums ``weight · (1 + ln count)`` over its distinct terms; it is
divided by the text length in hundreds of characters (at least one: a density, so long articles do
not saturate) and mapped to 0–1 with ``1 - exp(-z / SCALE)``.
"""

from __future__ import annotations

import importlib.resources
import json
import math
import os
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib.resources.abc import Traversable
from pathlib import Path

import ahocorasick

SCALE = 15.0
# Calibrated on the dev half of the labelled paragraphs (``service.tagging.evaluate``): the best
# multi-label F1 there; the top topic is reported whenever it clears THRESHOLD.
THRESHOLD = 0.2  # absolute floor for a secondary topic to be reported
RELATIVE = 0.7  # and at least this share of the best topic's score
TOP_THRESHOLD = 0.1  # the floor for the best topic (about one strong term in 100 characters)
MAX_TOPICS = 5
MIN_TERMS = 60
EXTRA_ENV = "QINGLIU_TAXONOMY_DIR"  # operators' own topics: a folder like service/data/tagging


@dataclass(frozen=True, slots=True)
class Topic:
    """A taxonomy entry."""

    id: str
    label: str
    description: str


@dataclass(frozen=True, slots=True)
class Model:
    """The taxonomy and the automaton over all its terms."""

    topics: dict[str, Topic]
    automaton: ahocorasick.Automaton
    terms: dict[str, dict[str, float]]


def check_taxonomy(data: object) -> list[Topic]:
    """Validate a parsed taxonomy.json (see taxonomy.schema.json) and return its topics."""
    if not isinstance(data, dict) or data.get("schema") != "qingliu.taxonomy/1":
        raise ValueError("taxonomy: expected an object with schema 'qingliu.taxonomy/1'")
    topics = data.get("topics")
    if not isinstance(topics, list) or not topics:
        raise ValueError("taxonomy: 'topics' must be a non-empty list")
    seen: set[str] = set()
    out = []
    for item in topics:
        if not isinstance(item, dict) or set(item) != {"id", "label", "description"}:
            raise ValueError(f"taxonomy: topic needs exactly id, label, description: {item!r}")
        if not all(isinstance(item[k], str) and item[k] for k in item):
            raise ValueError(f"taxonomy: empty or non-string field in {item!r}")
        if item["id"] in seen:
            raise ValueError(f"taxonomy: duplicate id {item['id']!r}")
        seen.add(item["id"])
        out.append(Topic(item["id"], item["label"], item["description"]))
    return out


def parse_terms(text: str) -> dict[str, float]:
    """Parse a term file: ``weight term term …`` per line, ``#`` comments."""
    terms: dict[str, float] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        head, *words = line.split()
        try:
            weight = float(head)
        except ValueError:
            raise ValueError(f"line {number}: expected a weight first, got {head!r}") from None
        for word in words:
            terms[word.lower()] = weight
    return terms


def _read_dir(root: Traversable | Path) -> tuple[list[Topic], dict[str, dict[str, float]]]:
    topics = check_taxonomy(json.loads(root.joinpath("taxonomy.json").read_text("utf-8")))
    terms = {}
    for topic in topics:
        parsed = parse_terms(root.joinpath("terms", f"{topic.id}.txt").read_text("utf-8"))
        if sum(1 for w in parsed.values() if w > 0) < MIN_TERMS:
            raise ValueError(f"topic {topic.id}: fewer than {MIN_TERMS} positive terms")
        terms[topic.id] = parsed
    return topics, terms


def build_model(roots: list[Traversable | Path]) -> Model:
    """Merge the taxonomies under ``roots`` (later ones add topics or replace term lists)."""
    topics: dict[str, Topic] = {}
    terms: dict[str, dict[str, float]] = {}
    for root in roots:
        found, found_terms = _read_dir(root)
        topics.update((t.id, t) for t in found)
        terms.update(found_terms)
    by_term: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for topic_id, weights in terms.items():
        for term, weight in weights.items():
            by_term[term].append((topic_id, weight))
    automaton = ahocorasick.Automaton()
    for term, entries in by_term.items():
        automaton.add_word(term, (term, tuple(entries)))
    automaton.make_automaton()
    return Model(topics, automaton, terms)


@cache
def model() -> Model:
    """The shipped taxonomy plus the operators' folder named by $QINGLIU_TAXONOMY_DIR, if any."""
    roots: list[Traversable | Path] = [importlib.resources.files("service.data.tagging")]
    extra = os.environ.get(EXTRA_ENV)
    if extra:
        roots.append(Path(extra))
    return build_model(roots)


def _ascii_word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def score(text: str, current: Model | None = None) -> tuple[list[dict], dict[str, list]]:
    """Topics of ``text`` (``[{id, label, score}]``, best first) and the terms behind each."""
    current = current or model()
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = text
    counts: dict[str, int] = defaultdict(int)
    entries_of: dict[str, tuple] = {}
    for stop, (term, entries) in current.automaton.iter_long(lowered):
        if term.isascii():
            start = stop - len(term) + 1
            if (start > 0 and _ascii_word(lowered[start - 1])) or (
                stop + 1 < len(lowered) and _ascii_word(lowered[stop + 1])
            ):
                continue
        counts[term] += 1
        entries_of[term] = entries
    raw: dict[str, float] = defaultdict(float)
    evidence: dict[str, list] = defaultdict(list)
    for term, count in counts.items():
        factor = 1.0 + math.log(count)
        for topic_id, weight in entries_of[term]:
            raw[topic_id] += weight * factor
            evidence[topic_id].append({"term": term, "weight": weight, "count": count})
    size = max(1.0, len(text) / 100.0)
    scored = []
    for topic_id, value in raw.items():
        if value <= 0:
            continue
        scored.append((1.0 - math.exp(-value / size / SCALE), topic_id))
    scored.sort(key=lambda item: (-item[0], item[1]))
    topics = []
    best = scored[0][0] if scored else 0.0
    for rank, (value, topic_id) in enumerate(scored[:MAX_TOPICS]):
        floor = TOP_THRESHOLD if rank == 0 else max(THRESHOLD, RELATIVE * best)
        if value < floor:
            break
        topic = current.topics[topic_id]
        topics.append({"id": topic.id, "label": topic.label, "score": round(value, 4)})
    for items in evidence.values():
        items.sort(key=lambda item: -abs(item["weight"]) * item["count"])
    return topics, {t: evidence[t] for t in sorted(evidence, key=lambda t: -raw[t])}
