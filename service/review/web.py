"""The review page's HTTP side: the page, its assets, the live event stream and polling.

One set of aiohttp handlers serves both the worker (mounted on Faust's aiohttp server by
:func:`mount`) and ``qingliu review`` (:func:`create_web_app`).  Every response carries a strict
Content-Security-Policy (no inline script, no other origin) and ``nosniff``; with a token set,
every route answers 401 without it.  The token is accepted once as ``?token=`` on the page (which
then sets an HttpOnly, SameSite=Strict cookie and redirects to the bare URL), or as an
``Authorization: Bearer`` header; all comparisons are constant-time.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import logging
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

from aiohttp import web

from service.review.feed import Feed, Item

log = logging.getLogger("service.review")

PREFIX = "/review"
COOKIE_NAME = "qingliu_review"
KEEPALIVE_S = 15.0
RETRY_MS = 2000
POLL_LIMIT = 500
#: Served on every response of the review routes.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'; require-trusted-types-for 'script'; "
    "trusted-types 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
ASSETS = {
    "review.js": "text/javascript; charset=utf-8",
    "review.css": "text/css; charset=utf-8",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _asset(name: str) -> bytes:
    return resources.files("service.review").joinpath("static", name).read_bytes()


def secure(response: web.StreamResponse) -> web.StreamResponse:
    """Add :data:`SECURITY_HEADERS` to ``response`` (before it is prepared)."""
    response.headers.update(SECURITY_HEADERS)
    return response


def cookie_value(token: str) -> str:
    """The cookie that stands for ``token`` (derived from it, so the token itself is not stored)."""
    return hmac.new(token.encode("utf-8"), b"qingliu review cookie v1",
                    hashlib.sha256).hexdigest()


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def authorized(request: web.Request, token: str) -> bool:
    """Whether ``request`` may see the page: no token set, or a matching header or cookie."""
    if not token:
        return True
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and _same(credentials.strip(), token):
        return True
    cookie = request.cookies.get(COOKIE_NAME)
    return cookie is not None and _same(cookie, cookie_value(token))


def addressed_safely(request: web.Request, token: str) -> bool:
    """Without a token, only requests addressed to an IP address or ``localhost`` are served.

    A web page elsewhere could otherwise point a name of its own at this machine (DNS
    rebinding) and read the page from the visitor's browser; with a token that cannot work.
    """
    if token:
        return True
    host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
    host = host.strip("[]").lower()
    if host in ("localhost", "localhost.") or host.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def misaddressed() -> web.Response:
    """403 for a request addressed to a host name while no token is set."""
    return secure(web.Response(
        status=403, text="review page: without QINGLIU_REVIEW_TOKEN it answers only requests "
        "addressed to an IP address or localhost; set a token to serve it under a name\n",
        headers={"Cache-Control": "no-store"}))


def unauthorized() -> web.Response:
    """401 with a hint on how to pass the token."""
    return secure(web.Response(
        status=401, text="review page: a token is required (open it once with ?token=TOKEN, or "
        "send Authorization: Bearer TOKEN)\n",
        headers={"WWW-Authenticate": 'Bearer realm="qingliu-review"',
                 "Cache-Control": "no-store"}))


def sse_frame(data: bytes, *, event: str | None = None, event_id: int | None = None) -> bytes:
    """One server-sent event; each line of ``data`` becomes a ``data:`` line."""
    head = b""
    if event is not None:
        head += b"event: " + _one_line(event) + b"\n"
    if event_id is not None:
        head += b"id: %d\n" % event_id
    lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    return head + b"".join(b"data: " + line + b"\n" for line in lines) + b"\n"


def _one_line(text: str) -> bytes:
    return text.replace("\r", " ").replace("\n", " ").encode("utf-8")


def item_frame(item: Item) -> bytes:
    """The server-sent event of one outcome (its id is the feed's sequence number)."""
    return sse_frame(item.to_json(), event="outcome", event_id=item.seq)


def _after(request: web.Request) -> int:
    raw = request.headers.get("Last-Event-ID") or request.query.get("after") or "0"
    try:
        return max(0, int(raw))
    except ValueError:
        return 0


class ReviewHandlers:
    """The handlers of the review routes over one :class:`Feed`."""

    def __init__(self, feed: Feed, token: str = "", prefix: str = PREFIX) -> None:
        self.feed = feed
        self.token = token
        self.prefix = prefix
        self.page_bytes = _asset("index.html")
        self.assets = {name: _asset(name) for name in ASSETS}
        self.streams: set[asyncio.Task[Any]] = set()

    def guarded(self, handler: Handler) -> Handler:
        """``handler`` behind the token check."""

        async def check(request: web.Request) -> web.StreamResponse:
            if not addressed_safely(request, self.token):
                return misaddressed()
            if not authorized(request, self.token):
                return unauthorized()
            return await handler(request)

        return check

    async def page(self, request: web.Request) -> web.StreamResponse:
        """The page; ``?token=`` (when right) sets the cookie and redirects to the bare URL."""
        if not addressed_safely(request, self.token):
            return misaddressed()
        given = request.query.get("token")
        if self.token and given is not None:
            if not _same(given, self.token):
                return unauthorized()
            response = web.Response(status=303, headers={"Location": self.prefix})
            response.set_cookie(COOKIE_NAME, cookie_value(self.token), path=self.prefix,
                                httponly=True, samesite="Strict", secure=request.secure)
            response.headers["Cache-Control"] = "no-store"
            return secure(response)
        if not authorized(request, self.token):
            return unauthorized()
        return secure(web.Response(body=self.page_bytes, content_type="text/html",
                                   charset="utf-8", headers={"Cache-Control": "no-store"}))

    async def asset(self, request: web.Request) -> web.StreamResponse:
        """A static asset of the page (only the known names)."""
        name = request.match_info["name"]
        body = self.assets.get(name)
        if body is None:
            return secure(web.Response(status=404, text="not found\n"))
        return secure(web.Response(body=body, headers={"Content-Type": ASSETS[name],
                                                       "Cache-Control": "no-cache"}))

    async def recent(self, request: web.Request) -> web.StreamResponse:
        """Polling: ``{"last": N, "items": [...]}`` for items after ``?after=``."""
        items = self.feed.recent(_after(request), POLL_LIMIT)
        body = (b'{"last":%d,"items":[' % self.feed.last_seq
                + b",".join(item.to_json() for item in items) + b"]}")
        return secure(web.Response(body=body, content_type="application/json",
                                   headers={"Cache-Control": "no-store"}))

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: the kept items after ``Last-Event-ID``, then new ones live."""
        response = secure(web.StreamResponse(headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-store", "X-Accel-Buffering": "no"}))
        await response.prepare(request)
        task = asyncio.current_task()
        if task is not None:
            self.streams.add(task)
        sent = _after(request)
        reported = 0
        try:
            with self.feed.subscribe() as subscription:
                await response.write(b"retry: %d\n\n" % RETRY_MS)
                for item in self.feed.recent(sent):
                    await response.write(item_frame(item))
                    sent = item.seq
                while True:
                    try:
                        item = await subscription.get(KEEPALIVE_S)
                    except TimeoutError:
                        await response.write(b": keep-alive\n\n")
                        continue
                    if item is None:
                        break
                    if item.seq <= sent:
                        continue
                    if subscription.dropped > reported:
                        reported = subscription.dropped
                        await response.write(sse_frame(b'{"dropped":%d}' % reported,
                                                       event="dropped"))
                    await response.write(item_frame(item))
                    sent = item.seq
        except (ConnectionError, asyncio.CancelledError):
            pass  # the browser went away, or the server is stopping
        finally:
            if task is not None:
                self.streams.discard(task)
        return response

    async def on_shutdown(self, app: web.Application) -> None:
        """End the open event streams, so that the server can stop at once."""
        self.feed.close_subscribers()
        for task in tuple(self.streams):
            task.cancel()

    def add_routes(self, app: web.Application) -> None:
        """Register the review routes (and their shutdown hook) on ``app``."""
        p = self.prefix
        app.router.add_get(p, self.page)
        app.router.add_get(p + "/", self.redirect_bare)
        app.router.add_get(p + "/static/{name}", self.guarded(self.asset))
        app.router.add_get(p + "/events", self.guarded(self.events))
        app.router.add_get(p + "/recent", self.guarded(self.recent))
        app.on_shutdown.append(self.on_shutdown)

    async def redirect_bare(self, request: web.Request) -> web.StreamResponse:
        """``/review/`` → ``/review`` (the page's asset paths are absolute anyway)."""
        location = self.prefix + (f"?{request.query_string}" if request.query_string else "")
        return secure(web.Response(status=302, headers={"Location": location}))


def create_web_app(feed: Feed, token: str = "") -> web.Application:
    """A standalone aiohttp application serving the review page (``qingliu review``)."""
    app = web.Application()
    ReviewHandlers(feed, token).add_routes(app)

    async def root(request: web.Request) -> web.StreamResponse:
        return secure(web.Response(status=302, headers={"Location": PREFIX}))

    app.router.add_get("/", root)
    return app


def mount(target: Any, feed: Feed, settings: Any) -> bool:
    """Serve the review page on ``target`` when ``settings.review`` is on; returns whether it did.

    ``target``: a Faust app (its aiohttp server, before it starts) or an aiohttp Application.
    ``settings``: :class:`service.config.Settings` (``review``, ``review_token``).
    """
    if not getattr(settings, "review", False):
        return False
    app = target if isinstance(target, web.Application) else target.web.web_app
    token = getattr(settings, "review_token", "") or ""
    if token:
        from service.logs import add_secret

        add_secret(token)
    ReviewHandlers(feed, token).add_routes(app)
    log.info("review page on %s (token %s)", PREFIX, "required" if token else "not required")
    host = getattr(settings, "web_host", "127.0.0.1")
    if not token and not _loopback(host):
        log.warning("the review page shows posts on %s without a token; set QINGLIU_REVIEW_TOKEN",
                    host)
    return True


def _loopback(host: str) -> bool:
    from service.review.command import is_loopback

    return is_loopback(host)
