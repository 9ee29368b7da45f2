"""The review page: recent outcomes with every edit highlighted, for people to look at.

:class:`Feed` keeps the recent outcomes (a bounded ring buffer) and hands new ones to live
subscribers; :func:`mount` serves the page on the worker's web server when ``QINGLIU_REVIEW`` is
on; ``qingliu review`` (:mod:`service.review.command`) serves it for any broker.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from service.review.feed import Feed, Item, Subscription

__all__ = ["Feed", "Item", "Subscription", "attach", "feeder", "mount"]


def mount(target: Any, feed: Feed, settings: Any) -> bool:
    """Serve the review page of ``feed`` on ``target`` if ``settings.review``; see
    :func:`service.review.web.mount`."""
    from service.review.web import mount as mount_web

    return mount_web(target, feed, settings)


def feeder(feed: Feed) -> Callable[[Sequence[Any]], None]:
    """A worker ``on_published`` hook: each published item's outcome goes to ``feed``.

    Items have ``result`` (``kind``, ``value``: the serialized outcome) and ``published``; the
    hook only keeps references (no copy, no parsing) and never waits.
    """

    def publish(items: Sequence[Any]) -> None:
        for item in items:
            if getattr(item, "published", True):
                feed.publish(item.result.kind, item.result.value)

    return publish


def attach(app: Any, settings: Any, capacity: int = 500) -> Feed | None:
    """Worker extension: with ``settings.review`` on, serve the page on ``app``'s web server and
    feed it every outcome the worker publishes (``app.on_published``); else do nothing.

    Call it after the app exists and before its web server starts.  Returns the feed (or None).
    The review token, when set, is masked in every log line from here on (even with the page off).
    """
    from service.logs import add_secret

    add_secret(getattr(settings, "review_token", "") or "")
    if not getattr(settings, "review", False):
        return None
    feed = Feed(capacity)
    mount(app, feed, settings)
    app.on_published.append(feeder(feed))
    app.review_feed = feed
    return feed
