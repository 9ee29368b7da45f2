"""Publish many outcomes at once: one Kafka record batch per output partition.

``AIOKafkaProducer.send`` costs tens of microseconds of Python per record (serializer checks,
the murmur2 partitioner, accumulator bookkeeping, a coroutine); on this service that was more
than a third of the worker's per-message overhead.  A fetch's worth of outcomes instead goes out
as a few :class:`aiokafka.producer.message_accumulator.BatchBuilder` batches (filled in C).

Records are partitioned exactly as ``send`` would (the producer's partitioner over the key), so
subscribers see the same key → partition mapping.  Records too large for a batch take the
ordinary ``send`` path, which checks ``max_request_size``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from service.worker.compat import partition_for, wait_on_metadata

LARGE_RECORD_BYTES = 256 << 10  # above this, a record is sent on its own (with size checks)


@dataclass(slots=True)
class Delivery:
    """Records handed to the producer for one topic-partition and the future of their batch."""

    topic: str
    partition: int | None
    indexes: list[int] = field(default_factory=list)
    future: asyncio.Future[Any] | None = None


async def send_many(producer: Any, records: Sequence[tuple[str, bytes | None, bytes]]
                    ) -> list[Delivery]:
    """Hand ``(topic, key, value)`` records to an aiokafka producer, batched per partition.

    Returns one :class:`Delivery` per batch sent; await each ``future`` for the broker's ack.
    ``indexes`` say which records each batch holds, so a caller can retry a failed batch's
    records.  A large record the producer refuses (``send`` raising, e.g. too large) comes back
    as a delivery whose future already holds the error.  Raises what the producer raises when it
    cannot take a batch (nothing of that batch was sent; earlier batches may have been).
    """
    builders: dict[tuple[str, int], tuple[Any, Delivery]] = {}
    deliveries: list[Delivery] = []
    known: set[str] = set()
    for index, (topic, key, value) in enumerate(records):
        if topic not in known:
            await wait_on_metadata(producer, topic)
            known.add(topic)
        if len(value) > LARGE_RECORD_BYTES:
            try:
                future = await producer.send(topic, value, key=key)
            except Exception as exc:  # e.g. too large: that record's delivery fails, not the call
                future = asyncio.get_running_loop().create_future()
                future.set_exception(exc)
            deliveries.append(Delivery(topic, None, [index], future))
            continue
        partition = partition_for(producer, topic, key, value)  # the producer's own rule
        entry = builders.get((topic, partition))
        if entry is None:
            entry = builders[(topic, partition)] = (producer.create_batch(),
                                                    Delivery(topic, partition))
        builder, delivery = entry
        if builder.append(key=key, value=value, timestamp=None) is None:  # batch full
            delivery.future = await producer.send_batch(builder, topic, partition=partition)
            deliveries.append(delivery)
            builder, delivery = builders[(topic, partition)] = (producer.create_batch(),
                                                                Delivery(topic, partition))
            if builder.append(key=key, value=value, timestamp=None) is None:
                raise ValueError(f"a {len(value)}-byte record does not fit an empty batch")
        delivery.indexes.append(index)
    for (topic, partition), (builder, delivery) in builders.items():
        delivery.future = await producer.send_batch(builder, topic, partition=partition)
        deliveries.append(delivery)
    return deliveries
