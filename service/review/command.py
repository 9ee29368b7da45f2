"""``qingliu review``: the review page against any broker, outside the worker.

It reads the clean and dead-letter topics with a consumer of its own (a fresh group id
``qingliu-review-<random>``, manual assignment, nothing committed: read-only), starting from the
latest ``--last`` outcomes (or ``--from-beginning``), and serves the same page as the worker on
``--host``/``--port`` (127.0.0.1 unless told otherwise).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import logging
import math
import secrets
import signal
import sys
from typing import Any

from service import config
from service.errors import ConfigError
from service.review.feed import Feed, readable

log = logging.getLogger("service.review")

DEFAULT_LAST = 200
METADATA_RETRY_S = 1.0


def register(sub: Any) -> None:
    """Add the ``review`` subcommand to the ``qingliu`` subparsers ``sub``."""
    p = sub.add_parser(
        "review", help="serve the review page (recent outcomes and their edits) for a broker",
        description="Consume the clean and dead-letter topics (read-only, a group id of its "
        "own) and serve the review page: original and repaired text side by side with each "
        "edit highlighted, tags, dead letters with their bytes.  Binds 127.0.0.1 unless "
        "--host says otherwise; with --token (or QINGLIU_REVIEW_TOKEN) the page requires it.")
    p.add_argument("--host", dest="review_host", default=None, metavar="HOST",
                   help="address to bind [env QINGLIU_REVIEW_HOST, default 127.0.0.1]")
    p.add_argument("--port", dest="review_port", default=None, metavar="PORT",
                   help="port to serve on, 0 picks a free one [env QINGLIU_REVIEW_PORT, "
                   "default 6068]")
    p.add_argument("--token", dest="review_token", default=None, metavar="TOKEN",
                   help="require this token [env QINGLIU_REVIEW_TOKEN; prefer the variable]")
    p.add_argument("--last", type=int, default=DEFAULT_LAST, metavar="N",
                   help=f"start with the latest N outcomes (default {DEFAULT_LAST})")
    p.add_argument("--from-beginning", action="store_true",
                   help="start at the oldest kept outcome instead")
    p.add_argument("--capacity", type=int, default=500, metavar="N",
                   help="outcomes kept for a newly opened page (default 500)")
    config.add_flags(p, (*config.CONNECTION, "topic_clean", "topic_dlq"))
    p.set_defaults(func=run)


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def start_offsets(begin: dict[Any, int], end: dict[Any, int], last: int | None) -> dict[Any, int]:
    """Where to start each partition: ``last`` outcomes in all (spread evenly), or the oldest."""
    if last is None:
        return dict(begin)
    share = math.ceil(max(0, last) / len(end)) if end else 0
    return {tp: max(begin.get(tp, 0), offset - share) for tp, offset in end.items()}


class ReviewServer:
    """The review page served for ``settings``' broker (``await start()``, ``await stop()``)."""

    def __init__(self, settings: config.Settings, *, last: int | None = DEFAULT_LAST,
                 capacity: int = 500, group_id: str | None = None) -> None:
        self.settings = settings
        self.last = last
        self.feed = Feed(capacity)
        self.group_id = group_id or f"qingliu-review-{secrets.token_hex(4)}"
        self.port: int | None = None
        self._runner: Any = None
        self._consumer: Any = None
        self._task: asyncio.Task[None] | None = None
        self.assigned = asyncio.Event()

    @property
    def url(self) -> str:
        """The page's URL (without any token)."""
        host = self.settings.review_host
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}/review"

    async def start(self) -> None:
        """Serve the page, then start consuming (the page works while the broker is away)."""
        from aiohttp import web

        from service.logs import add_secret
        from service.review.web import create_web_app

        add_secret(self.settings.review_token)  # never logged, also when started by a library
        self._runner = web.AppRunner(create_web_app(self.feed, self.settings.review_token),
                                     access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.review_host, self.settings.review_port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._task = asyncio.ensure_future(self._consume())

    async def stop(self) -> None:
        """Stop consuming and serving."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> ReviewServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _consume(self) -> None:
        """Feed the page from the topics; start again after an error (the page stays up)."""
        while True:
            try:
                await self._consume_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("review: consuming %s, %s failed; starting again",
                              self.settings.topic_clean, self.settings.topic_dlq)
                self.last = 0  # continue with new outcomes only: the page has the earlier ones
                await asyncio.sleep(METADATA_RETRY_S * 3)

    async def _consume_once(self) -> None:
        from aiokafka import AIOKafkaConsumer, TopicPartition

        from service.worker.compat import refresh_metadata

        settings = self.settings
        kinds = {settings.topic_clean: "clean", settings.topic_dlq: "dlq"}
        consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.bootstrap, group_id=self.group_id,
            enable_auto_commit=False, fetch_max_wait_ms=200, max_partition_fetch_bytes=16 << 20,
            fetch_max_bytes=64 << 20, **settings.kafka_auth())
        while True:
            try:
                await consumer.start()
                break
            except Exception as exc:
                log.warning("review: broker %s not reachable (%r); retrying", settings.broker, exc)
                await asyncio.sleep(METADATA_RETRY_S * 3)
        try:
            partitions: list[Any] = []
            while True:
                partitions = [TopicPartition(topic, p) for topic in kinds
                              for p in sorted(consumer.partitions_for_topic(topic) or ())]
                if {tp.topic for tp in partitions} == set(kinds):
                    break
                await asyncio.sleep(METADATA_RETRY_S)
                with contextlib.suppress(Exception):
                    await refresh_metadata(consumer)
            consumer.assign(partitions)
            begin = await consumer.beginning_offsets(partitions)
            end = await consumer.end_offsets(partitions)
            for tp, offset in start_offsets(begin, end, self.last).items():
                consumer.seek(tp, offset)
            self.assigned.set()
            while True:
                batch = await consumer.getmany(timeout_ms=500, max_records=500)
                for tp, messages in batch.items():
                    kind = kinds[tp.topic]
                    for message in messages:
                        self.feed.publish(kind, readable(message.value, tp.topic))
        finally:
            await consumer.stop()


async def serve(settings: config.Settings, *, last: int | None, capacity: int) -> int:
    """Run ``qingliu review`` until SIGINT/SIGTERM."""
    server = ReviewServer(settings, last=last, capacity=capacity)
    await server.start()
    print(f"review  {server.url}  (broker {settings.broker}; topics {settings.topic_clean}, "
          f"{settings.topic_dlq}; group {server.group_id}, read-only)", file=sys.stderr)
    if settings.review_token:
        print("review  a token is required: open the URL once with ?token=TOKEN", file=sys.stderr)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()
    return 0


def run(args: argparse.Namespace) -> int:
    """Entry point of ``qingliu review``."""
    from service.logs import add_secret, configure

    settings = config.load(args)
    add_secret(settings.sasl_password)
    add_secret(settings.review_token)
    configure("warning")
    if not is_loopback(settings.review_host) and not settings.review_token:
        print(f"review  WARNING: serving posts on {settings.review_host} without a token; set "
              "QINGLIU_REVIEW_TOKEN", file=sys.stderr)
    if args.last < 0:
        raise ConfigError("--last must be 0 or more")
    asyncio.run(serve(settings, last=None if args.from_beginning else args.last,
                      capacity=max(1, args.capacity)))
    return 0
