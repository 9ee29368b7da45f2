"""The review page in headless Chromium while a stream runs through a real broker.

A worker processes the demo posts plus hostile ones (``<script>``, ``<img onerror>``, RTL
overrides) and a full-width post; ``qingliu review`` (its server, in this process) consumes
``posts.clean``/``posts.dlq`` and serves the page; Chromium loads it over server-sent events and
the rendered DOM is checked: highlight spans by kind, hostile text shown as text, nothing
injected, no dialog.  A screenshot is saved to ``test-artifacts/review.png``.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from service.config import Settings
from service.review.command import ReviewServer

from .conftest import chromium_helper, produce, running_worker

pytestmark = pytest.mark.integration


chromium = chromium_helper()
BINARY = chromium.chromium_path()


def keyed(raw: bytes) -> tuple[bytes | None, bytes]:
    try:
        post = json.loads(raw)
    except ValueError:
        return None, raw
    key = post.get("id") if isinstance(post, dict) else None
    return (key.encode() if isinstance(key, str) else None), raw


@pytest.mark.skipif(BINARY is None, reason=chromium.SKIP_REASON)
async def test_review_page_in_chromium_while_the_stream_runs(settings: Settings) -> None:
    posts = chromium.raw_posts()
    review = ReviewServer(settings.replace(review_port=0), last=500)
    await review.start()
    try:
        await asyncio.wait_for(review.assigned.wait(), 60)
        async with running_worker(settings), chromium.chromium_page(BINARY) as page:
            await page.goto(review.url)
            await page.wait_for("document.getElementById('status').dataset.state === 'live'")
            await produce(settings, [keyed(raw) for raw in posts])  # while the page is open
            await page.wait_for(
                f"document.querySelectorAll('article.card').length >= {len(posts)}", 120)
            report = await page.evaluate(chromium.DOM_REPORT)
            chromium.assert_rendered(report, page)
            assert report["cards"] == len(posts)
            assert report["status"] == "live"
            await page.evaluate("document.getElementById('f-dlq').click()")  # repairs only
            await page.wait_for("document.querySelector('article.card.dlq').hidden")
            shot = await page.screenshot(chromium.ARTIFACTS / "review.png", height=1800)
            print(f"\nreview page screenshot: {shot}")
    finally:
        await review.stop()
    assert review.feed.published == len(posts)


async def test_qingliu_review_command_serves_the_topics_read_only(settings: Settings,
                                                                  tmp_path: Path) -> None:
    clean = json.dumps({"schema": "qingliu.clean/1", "id": "c1", "text": "文本"}).encode()
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(settings.topic_clean, clean, key=b"c1")
        await producer.send_and_wait(settings.topic_dlq, b"\xff not json", key=None)
    finally:
        await producer.stop()
    env = {**os.environ, "QINGLIU_REVIEW_TOKEN": "t0ken-for-test"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service.cli", "review", "--broker", settings.broker,
        "--topic-clean", settings.topic_clean, "--topic-dlq", settings.topic_dlq, "--port", "0",
        "--from-beginning", env=env, stderr=asyncio.subprocess.PIPE)
    try:
        assert process.stderr is not None
        line = (await asyncio.wait_for(process.stderr.readline(), 60)).decode()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/review", line)
        assert match, line
        url = match.group(0)
        assert "group qingliu-review-" in line
        async with aiohttp.ClientSession() as session:
            async with session.get(url + "/recent") as refused:
                assert refused.status == 401
            headers = {"Authorization": "Bearer t0ken-for-test"}
            items: list[Any] = []
            for _ in range(300):
                async with session.get(url + "/recent", headers=headers) as response:
                    items = (await response.json())["items"]
                if len(items) >= 2:
                    break
                await asyncio.sleep(0.2)
        kinds = sorted((item["kind"], item["event"].get("id") or item["event"]["error"]["code"])
                       for item in items)
        assert kinds == [("clean", "c1"), ("dlq", "unreadable")]
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.mark.skipif(BINARY is None, reason=chromium.SKIP_REASON)
async def test_worker_serves_the_review_page_behind_its_token(settings: Settings) -> None:
    posts = chromium.raw_posts()
    token = secrets.token_urlsafe(16)
    page_url = f"http://127.0.0.1:{settings.web_port}/review"
    async with running_worker(settings.replace(review=True, review_token=token)) as worker:
        async with aiohttp.ClientSession() as session:
            async with session.get(page_url) as refused:
                assert refused.status == 401
                assert "default-src 'self'" in refused.headers["Content-Security-Policy"]
        async with chromium.chromium_page(BINARY) as page:
            await page.goto(f"{page_url}?token={token}")  # once: a cookie, then the bare URL
            await page.wait_for("document.getElementById('status').dataset.state === 'live'")
            assert await page.evaluate("location.href") == page_url
            assert await page.evaluate("document.cookie") == ""  # HttpOnly
            await produce(settings, [keyed(raw) for raw in posts])
            await page.wait_for(
                f"document.querySelectorAll('article.card').length >= {len(posts)}", 120)
            report = await page.evaluate(chromium.DOM_REPORT)
            chromium.assert_rendered(report, page)
            assert report["cards"] == len(posts)
            shot = await page.screenshot(chromium.ARTIFACTS / "review-worker.png")
            print(f"\nworker review page screenshot: {shot}")
        assert worker.review_feed.published == len(posts)


async def test_worker_without_the_setting_has_no_review_page(settings: Settings) -> None:
    async with running_worker(settings), aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{settings.web_port}/review") as response:
            assert response.status == 404


async def test_qingliu_dev_turns_the_page_on_locally_and_prints_its_url(
        settings: Settings) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("QINGLIU_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service.cli", "dev", "--broker", settings.broker,
        "--topic-raw", settings.topic_raw, "--topic-clean", settings.topic_clean,
        "--topic-dlq", settings.topic_dlq, "--group-id", settings.group_id,
        "--partitions", str(settings.partitions), "--processes", "0", env=env,
        stderr=asyncio.subprocess.PIPE)
    try:
        assert process.stderr is not None
        lines: list[str] = []
        while not any(line.startswith("review  ") for line in lines):
            raw = await asyncio.wait_for(process.stderr.readline(), 120)
            assert raw, "".join(lines)
            lines.append(raw.decode())
        match = re.search(r"^review  (http://127\.0\.0\.1:\d+/review)$", lines[-1].rstrip())
        assert match, lines[-1]
        async with aiohttp.ClientSession() as session, session.get(match.group(1)) as page:
            assert page.status == 200 and "清流" in await page.text()
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 60) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
