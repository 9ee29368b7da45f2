"""The review feed: bounded, ordered, never blocking its publisher, oversized values cut down."""

from __future__ import annotations

import base64

import orjson
import pytest

from service.review.feed import (
    KEEP_RAW_BYTES,
    UNREADABLE_SCHEMA,
    Feed,
    Item,
    readable,
    shrink,
)


def event(n: int) -> bytes:
    return orjson.dumps({"schema": "qingliu.clean/1", "id": f"p{n}", "text": "文本"})


def test_ring_buffer_keeps_the_newest_items_in_order() -> None:
    feed = Feed(capacity=5)
    for n in range(12):
        feed.publish("clean", event(n))
    kept = feed.recent()
    assert len(feed) == 5
    assert [item.seq for item in kept] == [8, 9, 10, 11, 12]
    assert [orjson.loads(item.value)["id"] for item in kept] == ["p7", "p8", "p9", "p10", "p11"]
    assert [item.seq for item in feed.recent(after=10)] == [11, 12]
    assert [item.seq for item in feed.recent(limit=2)] == [11, 12]
    assert feed.last_seq == 12 and feed.published == 12


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        Feed().publish("raw", event(1))


def test_item_json_wraps_the_value_unchanged() -> None:
    value = event(3)
    item = Item(7, "dlq", value)
    assert orjson.loads(item.to_json()) == {"seq": 7, "kind": "dlq", "event": orjson.loads(value)}


async def test_slow_subscriber_loses_items_and_the_publisher_never_waits() -> None:
    feed = Feed(capacity=100, queue_size=3)
    slow = feed.subscribe()
    fast = feed.subscribe()
    received = []
    for n in range(10):
        feed.publish("clean", event(n))  # synchronous: it cannot wait for anybody
        received.append(await fast.get(1.0))
    assert [item.seq for item in received] == list(range(1, 11))
    assert slow.dropped == 7 and feed.dropped == 7
    assert [(await slow.get(1.0)).seq for _ in range(3)] == [1, 2, 3]
    slow.close()
    fast.close()
    assert feed.subscribers == 0


async def test_closing_ends_every_subscription_even_a_full_one() -> None:
    feed = Feed(queue_size=2)
    full = feed.subscribe()
    for n in range(4):
        feed.publish("clean", event(n))
    feed.close_subscribers()
    feed.publish("clean", event(99))  # after closing: no longer delivered
    assert feed.subscribers == 0
    first = await full.get(1.0)
    assert first is not None and first.seq == 2  # the oldest queued item made room
    assert await full.get(1.0) is None  # then the end marker, and nothing after it
    assert await full.get(1.0) is None


def test_an_oversized_dead_letter_keeps_its_first_bytes() -> None:
    raw = bytes(range(256)) * 2000  # 512 KB
    record = orjson.dumps({"schema": "qingliu.dlq/1", "error": {"code": "too_large",
                                                                "message": "big"},
                           "raw_b64": base64.b64encode(raw).decode(), "raw_key_b64": None,
                           "topic": "posts.raw", "partition": 0, "offset": 9})
    feed = Feed(max_item_bytes=64 << 10)
    item = feed.publish("dlq", record)
    assert len(item.value) < 64 << 10
    kept = orjson.loads(item.value)
    assert base64.b64decode(kept["raw_b64"]) == raw[:KEEP_RAW_BYTES]
    assert kept["review_truncated"] == {"raw_b64": len(raw)}
    assert kept["error"]["code"] == "too_large"


def test_an_oversized_clean_event_keeps_the_edits_of_the_kept_text() -> None:
    text = "甲" * 50_000
    value = orjson.dumps({"schema": "qingliu.clean/1", "id": "big", "text": text,
                          "original_text": text, "normalized": text,
                          "edits": [{"start": 10, "end": 11, "kind": "spun"},
                                    {"start": 40_000, "end": 40_001, "kind": "spun"}]})
    kept = orjson.loads(shrink(value))
    assert len(kept["text"]) == 4000
    assert [e["start"] for e in kept["edits"]] == [10]
    assert kept["review_truncated"]["edits"] == 2


@pytest.mark.parametrize("value, why", [
    (b"\xff\xfe not json", "value is not JSON"),
    (b"[1, 2]", "value is not a JSON object"),
    (None, "message has no value (tombstone)"),
])
def test_values_that_are_not_json_objects_become_unreadable_records(value: bytes | None,
                                                                     why: str) -> None:
    record = orjson.loads(readable(value, "posts.dlq"))
    assert record["schema"] == UNREADABLE_SCHEMA
    assert record["error"] == {"code": "unreadable", "message": why}
    assert base64.b64decode(record["raw_b64"]) == (value or b"")
    assert record["topic"] == "posts.dlq"


def test_readable_json_is_reserialized_without_raw_line_breaks() -> None:
    value = b'{\n  "id": "x",\r\n  "text": "a\\nb"\n}'
    out = readable(value)
    assert b"\n" not in out and b"\r" not in out
    assert orjson.loads(out) == {"id": "x", "text": "a\nb"}
