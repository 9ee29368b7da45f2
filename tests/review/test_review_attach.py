"""The worker extension: off by default; on, it mounts the page and feeds it what is published."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from types import SimpleNamespace

import orjson
import pytest
from aiohttp import web

from service.config import Settings
from service.review import attach


@dataclass
class Result:
    kind: str
    value: bytes


@dataclass
class PublishedItem:
    result: Result
    published: bool = True


def fake_worker() -> SimpleNamespace:
    return SimpleNamespace(on_published=[], web=SimpleNamespace(web_app=web.Application()))


def review_routes(app: web.Application) -> list[str]:
    return [str(r.resource.canonical) for r in app.router.routes()
            if str(r.resource.canonical).startswith("/review")]


def test_off_unless_the_setting_turns_it_on() -> None:
    worker = fake_worker()
    assert attach(worker, Settings()) is None
    assert worker.on_published == [] and review_routes(worker.web.web_app) == []


def test_on_it_serves_the_page_and_keeps_published_outcomes() -> None:
    worker = fake_worker()
    feed = attach(worker, Settings(review=True), capacity=3)
    assert feed is not None and worker.review_feed is feed
    assert "/review" in review_routes(worker.web.web_app)
    assert "/review/events" in review_routes(worker.web.web_app)
    (hook,) = worker.on_published
    clean = orjson.dumps({"schema": "qingliu.clean/1", "id": "a"})
    dlq = orjson.dumps({"schema": "qingliu.dlq/1", "error": {"code": "not_json"}})
    hook([PublishedItem(Result("clean", clean)), PublishedItem(Result("dlq", dlq)),
          PublishedItem(Result("clean", b'{"id":"revoked"}'), published=False)])
    assert [(item.kind, item.value) for item in feed.recent()] == [("clean", clean), ("dlq", dlq)]
    hook([PublishedItem(Result("clean", clean)) for _ in range(5)])
    assert len(feed) == 3  # bounded


@pytest.mark.parametrize("host, token, warned", [
    ("0.0.0.0", "", True), ("0.0.0.0", "zq7-attach-warn-9d0c", False), ("127.0.0.1", "", False),
])
def test_a_page_reachable_from_elsewhere_without_a_token_is_warned_about(
        caplog: pytest.LogCaptureFixture, host: str, token: str, warned: bool) -> None:
    with caplog.at_level(logging.WARNING, logger="service.review"):
        attach(fake_worker(), Settings(review=True, review_token=token, web_host=host))
    assert any("without a token" in r.getMessage() for r in caplog.records) is warned


@pytest.mark.parametrize("review", [True, False])
def test_the_review_token_is_masked_in_logs_once_attached(review: bool) -> None:
    from service.logs import redact

    token = f"zq7-review-{'on' if review else 'off'}-5f1c9a77e2"
    line = f"page opened with {token}"
    assert redact(line) == line  # not a secret yet
    attach(fake_worker(), Settings(review=review, review_token=token))
    assert token not in redact(line) and token not in redact(token)
