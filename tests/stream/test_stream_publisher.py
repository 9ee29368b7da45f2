"""service.publisher.send_many through the real broker: batches per partition, nothing lost."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from service import contracts, publisher
from service.config import Settings

pytestmark = pytest.mark.integration


async def _topics(broker: Any, count: int, partitions: int = 4) -> list[str]:
    run = uuid.uuid4().hex[:8]
    names = [f"pub{run}.{i}" for i in range(count)]
    settings = Settings(broker=broker.url, topic_raw=names[0], topic_clean=names[1 % count],
                        topic_dlq=names[2 % count], partitions=partitions)
    await contracts.apply(settings)
    return names


async def _read(bootstrap: str, topic: str, expected: int) -> list[Any]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", fetch_max_wait_ms=100,
                                max_partition_fetch_bytes=4 << 20)
    await consumer.start()
    records: list[Any] = []
    try:
        for _ in range(100):
            batch = await consumer.getmany(timeout_ms=200)
            records.extend(message for messages in batch.values() for message in messages)
            if len(records) >= expected:
                break
    finally:
        await consumer.stop()
    return records


async def test_records_land_where_send_would_put_them(broker):
    batched, single, _ = await _topics(broker, 3)
    bootstrap = broker.url.removeprefix("kafka://")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    keys = [f"post-{i}".encode() for i in range(300)]
    try:
        records = [(batched, key, b"v" + key) for key in keys]
        deliveries = await publisher.send_many(producer, records)
        for delivery in deliveries:
            await delivery.future
        for key in keys:
            await producer.send(single, b"v" + key, key=key)
        await producer.flush()
    finally:
        await producer.stop()
    # every record in exactly one batch, and at most one batch per partition here
    assert sorted(i for d in deliveries for i in d.indexes) == list(range(len(records)))
    assert len({d.partition for d in deliveries}) == len(deliveries) <= 4
    got = {m.key: (m.partition, m.value) for m in await _read(bootstrap, batched, len(keys))}
    expected = {m.key: m.partition for m in await _read(bootstrap, single, len(keys))}
    assert set(got) == set(keys)
    assert {key: partition for key, (partition, _) in got.items()} == expected
    assert all(value == b"v" + key for key, (_, value) in got.items())


async def test_full_batches_and_large_records(broker):
    (topic,) = await _topics(broker, 1, partitions=1)
    bootstrap = broker.url.removeprefix("kafka://")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_batch_size=64 << 10,
                                max_request_size=4 << 20)
    await producer.start()
    large = b"L" * (publisher.LARGE_RECORD_BYTES + 1)
    values = [str(i).encode() * 2000 for i in range(60)]  # ~4-10 KB each: several batches
    values.insert(30, large)
    try:
        deliveries = await publisher.send_many(producer, [(topic, None, v) for v in values])
        for delivery in deliveries:
            await delivery.future
    finally:
        await producer.stop()
    assert len(deliveries) > 3  # 64 KiB batches filled up, and the large record on its own
    alone = [d for d in deliveries if d.partition is None]
    assert [d.indexes for d in alone] == [[30]]
    assert sorted(i for d in deliveries for i in d.indexes) == list(range(len(values)))
    read = await _read(bootstrap, topic, len(values))
    assert sorted(m.value for m in read) == sorted(values)
