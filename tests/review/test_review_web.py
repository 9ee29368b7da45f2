"""The review page's HTTP side: headers, token, server-sent events, polling, mounting."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from importlib import resources

import orjson
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from service.config import Settings
from service.review import Feed, mount
from service.review.web import (
    COOKIE_NAME,
    ReviewHandlers,
    cookie_value,
    create_web_app,
    item_frame,
    sse_frame,
)

TOKEN = "s3cret-tøken"
ROUTES = ("/review", "/review/static/review.js", "/review/static/review.css", "/review/recent")


def clean(post_id: str) -> bytes:
    return orjson.dumps({"schema": "qingliu.clean/1", "id": post_id, "text": "<script>x</script>"})


async def client_for(feed: Feed, token: str = "") -> TestClient:
    client = TestClient(TestServer(create_web_app(feed, token)))
    await client.start_server()
    return client


@pytest_asyncio.fixture(loop_scope="function")
async def feed() -> Feed:
    feed = Feed(capacity=10)
    feed.publish("clean", clean("first"))
    feed.publish("dlq", orjson.dumps({"schema": "qingliu.dlq/1", "error": {"code": "not_json"}}))
    return feed


@pytest_asyncio.fixture(loop_scope="function")
async def open_client(feed: Feed) -> AsyncIterator[TestClient]:
    client = await client_for(feed)
    yield client
    await client.close()


@pytest_asyncio.fixture(loop_scope="function")
async def guarded_client(feed: Feed) -> AsyncIterator[TestClient]:
    client = await client_for(feed, TOKEN)
    yield client
    await client.close()


def assert_secure(response: web.StreamResponse) -> None:
    csp = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert "unsafe" not in csp and "http" not in csp
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["require-trusted-types-for"] == "'script'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_page_and_assets_are_served_with_strict_headers(open_client: TestClient) -> None:
    page = await open_client.get("/review")
    assert page.status == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert_secure(page)
    assert "清流" in await page.text()
    for path, kind in (("/review/static/review.js", "text/javascript"),
                       ("/review/static/review.css", "text/css")):
        response = await open_client.get(path)
        assert response.status == 200 and response.headers["Content-Type"].startswith(kind)
        assert_secure(response)
    missing = await open_client.get("/review/static/..%2f__init__.py")
    assert missing.status == 404
    assert_secure(missing)


async def test_root_and_trailing_slash_redirect_to_the_page(open_client: TestClient) -> None:
    for path in ("/", "/review/"):
        response = await open_client.get(path, allow_redirects=False)
        assert response.status == 302 and response.headers["Location"] == "/review"


@pytest.mark.parametrize("path", ROUTES + ("/review/events",))
async def test_every_route_needs_the_token(guarded_client: TestClient, path: str) -> None:
    response = await guarded_client.get(path)
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_secure(response)
    assert TOKEN not in await response.text()
    wrong = await guarded_client.get(path, headers={"Authorization": "Bearer nope"})
    assert wrong.status == 401
    right = await guarded_client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status == 200
    right.close()


async def test_a_wrong_query_token_is_refused(guarded_client: TestClient) -> None:
    response = await guarded_client.get("/review", params={"token": "guess"},
                                        allow_redirects=False)
    assert response.status == 401
    assert COOKIE_NAME not in response.cookies


async def test_query_token_sets_a_strict_cookie_then_the_cookie_is_enough(
        guarded_client: TestClient) -> None:
    response = await guarded_client.get("/review", params={"token": TOKEN},
                                        allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/review"
    header = response.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/review" in header
    assert TOKEN not in header  # the cookie is derived from the token, not the token
    assert response.cookies[COOKIE_NAME].value == cookie_value(TOKEN)
    for path in ROUTES:
        follow = await guarded_client.get(path)
        assert follow.status == 200, path
    fresh = await client_for(Feed(), TOKEN)  # an empty cookie jar
    try:
        forged = await fresh.get("/review/recent", cookies={COOKIE_NAME: cookie_value("other")})
        assert forged.status == 401
        accepted = await fresh.get("/review/recent", cookies={COOKIE_NAME: cookie_value(TOKEN)})
        assert accepted.status == 200
    finally:
        await fresh.close()


async def test_polling_returns_the_items_after_a_sequence_number(open_client: TestClient,
                                                                 feed: Feed) -> None:
    response = await open_client.get("/review/recent")
    assert response.headers["Cache-Control"] == "no-store"
    body = await response.json()
    assert body["last"] == 2
    assert [(i["seq"], i["kind"]) for i in body["items"]] == [(1, "clean"), (2, "dlq")]
    assert body["items"][0]["event"]["text"] == "<script>x</script>"
    later = await (await open_client.get("/review/recent", params={"after": "1"})).json()
    assert [i["seq"] for i in later["items"]] == [2]
    junk = await (await open_client.get("/review/recent", params={"after": "x"})).json()
    assert len(junk["items"]) == 2


def test_sse_frames_split_lines_and_carry_event_and_id() -> None:
    assert sse_frame(b"a\nb\r\nc\rd", event="outcome", event_id=5) == (
        b"event: outcome\nid: 5\ndata: a\ndata: b\ndata: c\ndata: d\n\n")
    assert sse_frame(b"{}") == b"data: {}\n\n"
    assert sse_frame(b"x", event="evil\nid: 9") == b"event: evil id: 9\ndata: x\n\n"
    item = Feed().publish("clean", clean("p"))
    frame = item_frame(item)
    assert frame.startswith(b"event: outcome\nid: 1\ndata: {")
    assert frame.endswith(b"}\n\n") and frame.count(b"\n\n") == 1


async def read_events(response: web.StreamResponse, count: int) -> list[dict[str, str]]:
    """Parse ``count`` server-sent events (comments and retry lines skipped)."""
    events: list[dict[str, str]] = []
    current: dict[str, str] = {}
    while len(events) < count:
        line = (await asyncio.wait_for(response.content.readline(), 10)).decode().rstrip("\n")
        if not line:
            if "data" in current:
                events.append(current)
            current = {}
            continue
        name, _, value = line.partition(": ")
        if name in ("event", "id"):
            current[name] = value
        elif name == "data":
            current["data"] = current.get("data", "") + value
    return events


async def test_event_stream_sends_the_backlog_then_live_items(open_client: TestClient,
                                                              feed: Feed) -> None:
    response = await open_client.get("/review/events")
    assert response.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert_secure(response)
    backlog = await read_events(response, 2)
    assert [(e["event"], e["id"]) for e in backlog] == [("outcome", "1"), ("outcome", "2")]
    assert orjson.loads(backlog[0]["data"])["event"]["id"] == "first"
    feed.publish("clean", clean("live"))
    (live,) = await read_events(response, 1)
    assert live["id"] == "3" and orjson.loads(live["data"])["event"]["id"] == "live"
    response.close()


async def test_event_stream_resumes_after_last_event_id(open_client: TestClient,
                                                        feed: Feed) -> None:
    feed.publish("clean", clean("third"))
    response = await open_client.get("/review/events", headers={"Last-Event-ID": "2"})
    (resumed,) = await read_events(response, 1)
    assert resumed["id"] == "3"
    response.close()


async def test_server_shutdown_ends_open_streams(feed: Feed) -> None:
    app = create_web_app(feed)
    runner = web.AppRunner(app, shutdown_timeout=30.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    from aiohttp import ClientSession

    async with ClientSession() as session:
        response = await session.get(f"http://127.0.0.1:{port}/review/events")
        await read_events(response, 2)
        assert feed.subscribers == 1
        # An open stream must not hold the server for its 30 s shutdown timeout.
        await asyncio.wait_for(runner.cleanup(), 10)
        assert feed.subscribers == 0
        response.close()


def test_the_page_has_no_inline_script_or_style() -> None:
    static = resources.files("service.review").joinpath("static")

    class Scan(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.problems: list[str] = []
            self.in_script = False

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            names = {name for name, _ in attrs}
            if tag == "script":
                self.in_script = True
                if "src" not in names:
                    self.problems.append("inline <script>")
            if tag == "style" or "style" in names or any(n.startswith("on") for n in names):
                self.problems.append(f"<{tag}> {sorted(names)}")
            if tag in ("link", "script") and any(
                    (value or "").startswith(("http:", "https:", "//")) for _, value in attrs):
                self.problems.append(f"external asset in <{tag}>")

        def handle_endtag(self, tag: str) -> None:
            self.in_script = False if tag == "script" else self.in_script

        def handle_data(self, data: str) -> None:
            if self.in_script and data.strip():
                self.problems.append("inline script text")

    scan = Scan()
    scan.feed(static.joinpath("index.html").read_text("utf-8"))
    assert scan.problems == []


def test_the_script_never_parses_html_from_strings() -> None:
    script = resources.files("service.review").joinpath("static", "review.js").read_text("utf-8")
    code = re.sub(r"^\s*//.*$", "", script, flags=re.M)
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                 "new Function", "setAttribute(\"on", "srcdoc", "DOMParser"):
        assert sink not in code, sink
    assert "http://" not in code and "https://" not in code  # no external requests


async def test_mount_is_off_unless_the_setting_turns_it_on() -> None:
    app = web.Application()
    assert mount(app, Feed(), Settings()) is False
    assert not [r for r in app.router.routes() if str(r.resource.canonical).startswith("/review")]
    assert mount(app, Feed(), Settings(review=True, review_token=TOKEN)) is True
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        assert (await client.get("/review")).status == 401
        ok = await client.get("/review", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status == 200
    finally:
        await client.close()


def test_handlers_read_their_assets_from_package_data() -> None:
    handlers = ReviewHandlers(Feed())
    assert b"review.js" in handlers.page_bytes
    assert set(handlers.assets) == {"review.js", "review.css"}


@pytest.mark.parametrize("host, served", [
    ("127.0.0.1:6066", True), ("[::1]:6066", True), ("localhost:8080", True), ("10.1.2.3", True),
    ("rebound.example:6066", False), ("review.internal", False),
])
async def test_without_a_token_only_ip_or_localhost_addresses_are_served(
        open_client: TestClient, host: str, served: bool) -> None:
    for path in ("/review", "/review/recent", "/review/events"):
        response = await open_client.get(path, headers={"Host": host})
        assert response.status == (200 if served else 403), (path, host)
        assert_secure(response)
        response.close()


async def test_with_a_token_host_names_are_fine(guarded_client: TestClient) -> None:
    response = await guarded_client.get("/review/recent", headers={
        "Host": "review.internal", "Authorization": f"Bearer {TOKEN}"})
    assert response.status == 200
