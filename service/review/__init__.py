"""The review page: recent outcomes with every edit highlighted, for people to look at.

:class:`Feed` keeps the recent outcomes (a bounded ring buffer) and hands new ones to live
subscribers; :func:`mount` serves the page on the worker's web server when ``QINGLIU_REVIEW`` is
on; ``qingliu review`` (:mod:`service.review.command`) serves it for any broker.
"""

from __future__ import annotations

from typing import Any

from service.review.feed import Feed, Item, Subscription

__all__ = ["Feed", "Item", "Subscription", "mount"]


def mount(target: Any, feed: Feed, settings: Any) -> bool:
    """Serve the review page of ``feed`` on ``target`` if ``settings.review``; see
    :func:`service.review.web.mount`."""
    from service.review.web import mount as mount_web

    return mount_web(target, feed, settings)
