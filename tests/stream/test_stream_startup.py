"""A worker started before its broker waits, answering probes, and starts when it appears."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from service.broker import EmbeddedBroker, free_port
from service.worker import create_app

from .conftest import fresh_settings

pytestmark = pytest.mark.integration


async def test_worker_waits_for_a_late_broker(tmp_path, broker):
    port = free_port()
    settings = fresh_settings(broker, tmp_path).replace(broker=f"kafka://127.0.0.1:{port}")
    app = create_app(settings)
    starting = asyncio.ensure_future(app.start())
    base = f"http://127.0.0.1:{settings.web_port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                try:
                    async with http.get(base + "/readyz") as response:
                        status = response.status
                    break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            assert status == 503
            async with http.get(base + "/healthz") as response:
                assert response.status == 200
            assert not starting.done()
            late = await asyncio.to_thread(EmbeddedBroker(port=port).start)
            try:
                from service import contracts

                await contracts.apply(settings)
                await asyncio.wait_for(starting, 60)
                for _ in range(300):
                    if app.readiness()[0]:
                        break
                    await asyncio.sleep(0.1)
                async with http.get(base + "/readyz") as response:
                    assert response.status == 200
            finally:
                await app.stop()
                late.stop()
    finally:
        starting.cancel()


async def test_a_late_broker_gets_the_broker_checks(tmp_path, broker):
    """preflight skips the broker checks while nothing answers; wait_for_broker runs them."""
    from service.metrics import Metrics
    from service.worker.probes import StartupError, preflight, wait_for_broker

    if not isinstance(broker, EmbeddedBroker):
        pytest.skip("needs the embedded broker (no transactions)")
    port = free_port()
    settings = fresh_settings(broker, tmp_path).replace(
        broker=f"kafka://127.0.0.1:{port}", processing_guarantee="exactly_once")
    await asyncio.wait_for(preflight(settings), 30)  # nothing answers: not an error yet
    waiting = asyncio.ensure_future(wait_for_broker(settings, Metrics()))
    late = None
    try:
        await asyncio.sleep(1.0)
        assert not waiting.done()
        late = await asyncio.to_thread(EmbeddedBroker(port=port).start)
        with pytest.raises(StartupError, match="Apache Kafka"):
            await asyncio.wait_for(waiting, 90)
    finally:
        waiting.cancel()
        if late is not None:
            late.stop()
