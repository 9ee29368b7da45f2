"""An in-memory feed of recent outcomes: a bounded ring buffer with live subscribers.

The worker calls :meth:`Feed.publish` for every outcome it has published.  ``publish`` never
blocks and never parses the common case: it keeps a reference to the already serialized value
(a JSON object) and hands it to each subscriber's bounded queue; a subscriber that does not keep
up loses items (counted) instead of slowing the publisher.  Oversized values (a dead letter of a
too-large post carries it base64-encoded) are cut down before they are kept.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import itertools
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

KINDS = ("clean", "dlq")
DEFAULT_CAPACITY = 500
DEFAULT_MAX_ITEM_BYTES = 64 << 10
DEFAULT_QUEUE_SIZE = 256
#: What an oversized value keeps: text fields up to this many characters, raw bytes up to this many.
KEEP_CHARS = 4000
KEEP_RAW_BYTES = 4096
UNREADABLE_SCHEMA = "qingliu.review.unreadable/1"


@dataclass(frozen=True, slots=True)
class Item:
    """One outcome as the page receives it: a sequence number, its kind and its JSON value."""

    seq: int
    kind: str
    value: bytes

    def to_json(self) -> bytes:
        """``{"seq": N, "kind": "clean"|"dlq", "event": <value>}`` without re-serializing."""
        return b'{"seq":%d,"kind":"%s","event":%s}' % (self.seq, self.kind.encode(), self.value)


class Subscription:
    """A subscriber's queue; ``dropped`` counts the items it lost by not keeping up."""

    def __init__(self, feed: Feed, size: int) -> None:
        self.feed = feed
        self.queue: asyncio.Queue[Item | None] = asyncio.Queue(maxsize=size)
        self.dropped = 0
        self.closed = False

    def offer(self, item: Item | None) -> None:
        """Queue ``item`` without waiting; drop it when the queue is full (``None`` ends)."""
        if item is None:
            self.closed = True
            if self.queue.full():  # make room for the end marker: the subscriber is leaving
                self.queue.get_nowait()
            self.queue.put_nowait(None)
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.dropped += 1

    async def get(self, timeout: float | None = None) -> Item | None:
        """The next item; ``None`` when the feed closed; ``TimeoutError`` after ``timeout`` s."""
        if self.closed and self.queue.empty():
            return None
        return await asyncio.wait_for(self.queue.get(), timeout)

    def close(self) -> None:
        """Stop receiving items."""
        self.feed.unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Feed:
    """Recent outcomes (at most ``capacity``) and the subscribers that receive new ones."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY,
                 max_item_bytes: int = DEFAULT_MAX_ITEM_BYTES,
                 queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.max_item_bytes = max_item_bytes
        self.queue_size = queue_size
        self._items: deque[Item] = deque(maxlen=capacity)
        self._subscribers: set[Subscription] = set()
        self._seq = itertools.count(1)
        self.published = 0
        self.dropped = 0

    def publish(self, kind: str, value: bytes) -> Item:
        """Keep one published outcome (``value``: its serialized JSON object) and offer it."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        if len(value) > self.max_item_bytes:
            value = shrink(value)
        item = Item(next(self._seq), kind, value)
        self._items.append(item)
        self.published += 1
        for subscriber in tuple(self._subscribers):
            before = subscriber.dropped
            subscriber.offer(item)
            self.dropped += subscriber.dropped - before
        return item

    def publish_many(self, outcomes: Iterable[tuple[str, bytes]]) -> None:
        """:meth:`publish` each ``(kind, value)``."""
        for kind, value in outcomes:
            self.publish(kind, value)

    def recent(self, after: int = 0, limit: int | None = None) -> list[Item]:
        """Kept items with a sequence number above ``after``, oldest first (the last ``limit``)."""
        items = [item for item in self._items if item.seq > after]
        return items[-limit:] if limit else items

    @property
    def last_seq(self) -> int:
        """The newest item's sequence number (0 when empty)."""
        return self._items[-1].seq if self._items else 0

    def subscribe(self) -> Subscription:
        """A new subscription; it receives items published from now on."""
        subscription = Subscription(self, self.queue_size)
        self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Forget ``subscription``."""
        self._subscribers.discard(subscription)

    @property
    def subscribers(self) -> int:
        """How many subscribers are listening."""
        return len(self._subscribers)

    def close_subscribers(self) -> None:
        """End every subscription (server shutdown): each receives the end marker."""
        for subscriber in tuple(self._subscribers):
            subscriber.offer(None)
        self._subscribers.clear()

    def __len__(self) -> int:
        return len(self._items)


def shrink(value: bytes) -> bytes:
    """A smaller stand-in for an oversized value: long texts cut, raw bytes kept in part."""
    try:
        event = orjson.loads(value)
    except orjson.JSONDecodeError:
        return unreadable(value[:KEEP_RAW_BYTES], "value is not JSON", size=len(value))
    if not isinstance(event, dict):
        return unreadable(value[:KEEP_RAW_BYTES], "value is not a JSON object", size=len(value))
    cut: dict[str, Any] = {}
    for name in ("text", "original_text", "normalized"):
        text = event.get(name)
        if isinstance(text, str) and len(text) > KEEP_CHARS:
            event[name] = text[:KEEP_CHARS]
            cut[name] = len(text)
    if isinstance(event.get("edits"), list):
        kept = [e for e in event["edits"]
                if isinstance(e, dict) and isinstance(e.get("end"), int) and e["end"] <= KEEP_CHARS]
        if len(kept) != len(event["edits"]):
            cut["edits"] = len(event["edits"])
            event["edits"] = kept
    raw = event.get("raw_b64")
    if isinstance(raw, str) and len(raw) > KEEP_RAW_BYTES * 4 // 3 + 4:
        try:
            data = base64.b64decode(raw, validate=False)
        except (binascii.Error, ValueError):
            data = b""
        event["raw_b64"] = base64.b64encode(data[:KEEP_RAW_BYTES]).decode("ascii")
        cut["raw_b64"] = len(data)
    event["review_truncated"] = cut or {"value": len(value)}
    shrunk = orjson.dumps(event)
    if len(shrunk) > KEEP_CHARS * 4 * 4 + KEEP_RAW_BYTES * 2:  # still huge (e.g. a vast meta)
        return unreadable(value[:KEEP_RAW_BYTES], "value too large to show", size=len(value))
    return shrunk


def unreadable(raw: bytes, why: str, *, size: int | None = None, topic: str = "") -> bytes:
    """A dead-letter-like record for a value the page cannot show as it is."""
    return orjson.dumps({
        "schema": UNREADABLE_SCHEMA,
        "error": {"code": "unreadable", "message": why},
        "raw_b64": base64.b64encode(raw).decode("ascii"),
        "raw_size": len(raw) if size is None else size,
        "topic": topic,
    })


def readable(value: bytes | None, topic: str = "") -> bytes:
    """``value`` when it is a JSON object, else an :func:`unreadable` record (review command)."""
    if value is None:
        return unreadable(b"", "message has no value (tombstone)", topic=topic)
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        return unreadable(value[:KEEP_RAW_BYTES], "value is not JSON", size=len(value),
                          topic=topic)
    if not isinstance(parsed, dict):
        return unreadable(value[:KEEP_RAW_BYTES], "value is not a JSON object",
                          size=len(value), topic=topic)
    return orjson.dumps(parsed)  # canonical: no raw line breaks, valid UTF-8
