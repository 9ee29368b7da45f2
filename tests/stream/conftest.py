"""Fixtures for tests through a real broker: one embedded Tansu broker per session."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from service import contracts
from service.broker import EmbeddedBroker, free_port
from service.config import Settings

BROKER_KIND = os.environ.get("QINGLIU_TEST_BROKER", "embedded")


@dataclass(frozen=True)
class ApacheKafka:
    """A local Apache Kafka node standing in for the embedded broker (``QINGLIU_TEST_BROKER=kafka``)."""

    bootstrap: str

    @property
    def url(self) -> str:
        return "kafka://" + self.bootstrap


@pytest.fixture(scope="session")
def broker() -> Iterator[Any]:
    """The session's broker: embedded Tansu, or Apache Kafka when QINGLIU_TEST_BROKER=kafka."""
    if BROKER_KIND == "kafka":
        from service.kafka_local import start_kafka

        with start_kafka(nodes=1, auto_create_topics=True) as bootstrap:
            yield ApacheKafka(str(bootstrap))
        return
    with EmbeddedBroker() as running:
        yield running


def chromium_helper() -> Any:
    """The headless Chromium driver of the review page tests (tests/review/chromium.py)."""
    name = "qingliu_review_chromium"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "review" / "chromium.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        sys.modules[name] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules[name]


embedded_only = pytest.mark.skipif(
    BROKER_KIND != "embedded", reason="exercises behaviour of the embedded Tansu broker itself"
)


def fresh_settings(broker: EmbeddedBroker, tmp_path: Any, **changes: Any) -> Settings:
    """Settings with unique topic names and group id on ``broker`` (topics not yet created)."""
    run = uuid.uuid4().hex[:10]
    base = Settings(
        broker=broker.url, topic_raw=f"t{run}.raw", topic_clean=f"t{run}.clean",
        topic_dlq=f"t{run}.dlq", topic_rules=f"t{run}.rules", group_id=f"g{run}",
        web_port=free_port(),
        data_dir=str(tmp_path / f"faust-{run}"), partitions=4, log_level="warning",
        processes=0,  # the pipeline in the loop (tests patch it); child processes: test_stream_offload
    )
    return base.replace(**changes)


@pytest.fixture
async def settings(broker: EmbeddedBroker, tmp_path: Any) -> Settings:
    """Fresh settings whose topics exist."""
    result = fresh_settings(broker, tmp_path)
    await contracts.apply(result)
    return result


@contextlib.asynccontextmanager
async def running_worker(settings: Settings, ready_timeout: float = 60.0) -> AsyncIterator[Any]:
    """A worker app started in this event loop; waits until /readyz would say ready."""
    from service.worker import create_app

    app = create_app(settings)
    await app.start()
    try:
        deadline = asyncio.get_running_loop().time() + ready_timeout
        while not app.readiness()[0]:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"worker not ready: {app.readiness()[1]}")
            await asyncio.sleep(0.1)
        yield app
    finally:
        await app.stop()


async def produce(settings: Settings, messages: Iterable[tuple[bytes | None, bytes | None]]
                  ) -> list[Any]:
    """Send ``(key, value)`` pairs to the raw topic; returns their RecordMetadata in order."""
    from aiokafka import AIOKafkaProducer

    from service.worker import MAX_REQUEST_BYTES

    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap, linger_ms=5,
                                max_request_size=MAX_REQUEST_BYTES)
    await producer.start()
    try:
        futures = [await producer.send(settings.topic_raw, key=k, value=v) for k, v in messages]
        return list(await asyncio.gather(*futures))
    finally:
        await producer.stop()


# A stream test waiting for many outcomes waits while they keep coming: no new one for this long
# ends the wait (a loaded machine is slower, not stalled).
STALL_S = 60.0


async def consume(settings: Settings, topics: list[str], count: int, timeout: float = 90.0,
                  settle: float = 0.0, distinct: Callable[[Any], Hashable] | None = None,
                  stall: float | None = None) -> list[Any]:
    """Read ``topics`` from the start until ``count`` records (then ``settle`` s more) or timeout.

    With ``distinct``, ``count`` counts records with distinct ``distinct(record)`` (redelivered
    duplicates must not end the wait before every post has an outcome).  With ``stall``, the wait
    also ends once no new record has come for ``stall`` s, and ``timeout`` only caps it: a test
    of what arrives then holds on a loaded machine, where the stream is slower but moves."""
    from aiokafka import AIOKafkaConsumer

    from service.worker import MAX_REQUEST_BYTES

    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=settings.bootstrap, group_id=None,
                                auto_offset_reset="earliest", fetch_max_wait_ms=100,
                                max_partition_fetch_bytes=MAX_REQUEST_BYTES)
    await consumer.start()
    records: list[Any] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    moved = loop.time()
    settling = False
    keys: set[Hashable] = set()
    try:
        while loop.time() < deadline:
            if stall is not None and loop.time() - moved > stall:
                break
            batch = await consumer.getmany(timeout_ms=200)
            for messages in batch.values():
                records.extend(messages)
                moved = loop.time()
                if distinct is not None:
                    keys.update(map(distinct, messages))
            if (len(keys) if distinct is not None else len(records)) >= count:
                if settle <= 0:
                    break
                if not settling:
                    settling = True
                    deadline = min(deadline, loop.time() + settle)
    finally:
        await consumer.stop()
    return records
