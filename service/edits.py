"""Edits: the unit of explanation for every repair.

An :class:`Edit` replaces ``text[start:end]`` (code-point offsets into the text the fixer was given)
with ``after``.  Fixers return lists of non-overlapping edits; :func:`apply_edits` produces the new
text and :func:`compose` re-expresses a later stage's edits in the coordinates of the original
input, merging edits that touch the same characters, so that a clean event's ``edits`` always
reconstruct ``text`` from ``original_text``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import Any

__all__ = ["Edit", "apply_edits", "compose", "edits_by_kind", "edits_from_diff", "validate_edits"]


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``before`` (= ``text[start:end]``) with ``after``; ``kind`` names the fixer."""

    start: int
    end: int
    before: str
    after: str
    kind: str
    confidence: float = 1.0

    def to_dict(self) -> dict:
        """The wire form used in clean events and ``--explain`` output."""
        return {
            "start": self.start,
            "end": self.end,
            "before": self.before,
            "after": self.after,
            "kind": self.kind,
            "confidence": round(float(self.confidence), 4),
        }


def validate_edits(text: str, edits: Sequence[Edit]) -> None:
    """Raise ``ValueError`` unless ``edits`` are sorted, non-overlapping and match ``text``."""
    position = 0
    for edit in edits:
        if edit.start < position or edit.end < edit.start or edit.end > len(text):
            raise ValueError(f"edit out of order or out of range: {edit!r}")
        if text[edit.start : edit.end] != edit.before:
            raise ValueError(f"edit.before does not match the text: {edit!r}")
        position = edit.end


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply sorted, non-overlapping ``edits`` to ``text``."""
    parts: list[str] = []
    position = 0
    for edit in edits:
        parts.append(text[position : edit.start])
        parts.append(edit.after)
        position = edit.end
    parts.append(text[position:])
    return "".join(parts)


def _merged_kind(kinds: list[str]) -> str:
    seen: list[str] = []
    for kind in kinds:
        for part in kind.split("+"):
            if part not in seen:
                seen.append(part)
    return "+".join(seen)


def compose(first: Sequence[Edit], second: Sequence[Edit], original: str) -> list[Edit]:
    """Express ``second`` (edits on ``apply_edits(original, first)``) as edits on ``original``.

    Edits of the two stages that overlap are merged into one edit whose kind joins both kinds
    with ``+`` and whose confidence is the lower of the two.  The result reconstructs the final
    text from ``original``.  Runs in O((m + n) log m) for m first-stage and n second-stage edits.
    """
    if not second:
        return list(first)
    if not first:
        return list(second)
    intermediate = apply_edits(original, first)

    # The first stage's output spans, in intermediate coordinates.
    spans: list[tuple[int, int, Edit]] = []
    shift = 0
    for edit in first:
        lo = edit.start + shift
        spans.append((lo, lo + len(edit.after), edit))
        shift += len(edit.after) - (edit.end - edit.start)
    span_ends = [hi for _, hi, _ in spans]

    def to_original(pos: int, *, is_end: bool) -> int:
        """Map an intermediate offset that lies outside every first-stage span."""
        index = bisect_right(span_ends, pos) - 1
        if is_end:  # an edit ending at a deletion point must not swallow the deleted text
            while index >= 0 and spans[index][0] == spans[index][1] == pos:
                index -= 1
        if index < 0:
            return pos
        _, hi, edit = spans[index]
        return pos + edit.end - hi

    items = [(lo, hi, 0, e) for lo, hi, e in spans] + [(e.start, e.end, 1, e) for e in second]
    items.sort(key=itemgetter(0, 1, 2))

    result: list[Edit] = []

    def lone(item: tuple[int, int, int, Edit]) -> Edit:
        """A cluster of one edit (most of them): a first-stage edit as it is, a second-stage one
        mapped back to original offsets (itself where no first-stage edit before it moved them)."""
        lo, hi, stage, edit = item
        if stage == 0:
            return edit
        start = to_original(lo, is_end=False)
        end = start if lo == hi else to_original(hi, is_end=True)
        if start == edit.start and end == edit.end and original[start:end] == edit.before:
            return edit
        return Edit(start, end, original[start:end], edit.after, edit.kind, edit.confidence)

    def flush(cluster: list[tuple[int, int, int, Edit]]) -> None:
        if len(cluster) == 1:
            result.append(lone(cluster[0]))
            return
        lo = min(item[0] for item in cluster)
        hi = max(item[1] for item in cluster)
        firsts = [item for item in cluster if item[2] == 0]
        starts_with_first = min(item[0] for item in firsts) == lo
        ends_with_first = max(item[1] for item in firsts) == hi
        start = (
            min(i[3].start for i in firsts) if starts_with_first else to_original(lo, is_end=False)
        )
        end = max(i[3].end for i in firsts) if ends_with_first else to_original(hi, is_end=True)
        local = [
            Edit(i[0] - lo, i[1] - lo, i[3].before, i[3].after, i[3].kind, i[3].confidence)
            for i in cluster
            if i[2] == 1
        ]
        after = apply_edits(intermediate[lo:hi], local)
        kinds = [item[3].kind for item in sorted(cluster, key=lambda item: item[2])]
        confidence = min(item[3].confidence for item in cluster)
        result.append(Edit(start, end, original[start:end], after, _merged_kind(kinds), confidence))

    cluster: list[tuple[int, int, int, Edit]] = []
    cluster_hi = -1
    append = result.append
    for item in items:
        if cluster and item[0] < cluster_hi:
            cluster.append(item)
            cluster_hi = max(cluster_hi, item[1])
            continue
        if len(cluster) == 1:
            append(lone(cluster[0]))
        elif cluster:
            flush(cluster)
        cluster = [item]
        cluster_hi = item[1]
    flush(cluster)
    # Python's sort is stable and clusters were flushed in intermediate order, so insertions at
    # the same original offset keep their relative order.
    result.sort(key=attrgetter("start", "end"))
    return [e for e in result if e.before != e.after]


def edits_from_diff(before: str, after: str, kind: str, confidence: float = 1.0) -> list[Edit]:
    """Minimal edits turning ``before`` into ``after`` (for fixers that rewrite whole strings)."""
    if before == after:
        return []
    import difflib

    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    return [
        Edit(i1, i2, before[i1:i2], after[j1:j2], kind, confidence)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def edits_by_kind(event: Mapping[str, Any]) -> dict[str, int]:
    """A clean event's edits counted by kind (before merging, when they were merged).

    An edit whose kind joins two stages (``fullwidth+homoglyph``) counts for each of them.
    """
    merged = event.get("edits_merged")
    if merged:
        counts = merged.get("by_kind") or {}
    else:
        counts = {}
        for edit in event.get("edits") or ():
            counts[edit["kind"]] = counts.get(edit["kind"], 0) + 1
    found: dict[str, int] = {}
    for kind, n in counts.items():
        for part in str(kind).split("+"):
            found[part] = found.get(part, 0) + int(n)
    return found
