"""A worker started before its broker waits, answering probes, and starts when it appears."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from service.app import create_app
from service.broker import EmbeddedBroker, free_port

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
