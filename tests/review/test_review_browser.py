"""The review page in headless Chromium, fed directly (no broker): highlights, escaping, polling.

The broker-facing version (worker and ``qingliu review`` while a stream runs) is
``tests/stream/test_stream_review.py``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web

from service.pipeline import Origin, process_message
from service.review import Feed
from service.review.web import create_web_app


def _helper() -> Any:
    name = "qingliu_review_chromium"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("chromium.py"))
        assert spec is not None and spec.loader is not None
        sys.modules[name] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules[name]


chromium = _helper()
BINARY = chromium.chromium_path()
pytestmark = pytest.mark.skipif(BINARY is None, reason=chromium.SKIP_REASON)


async def test_page_renders_edits_and_hostile_posts_as_text() -> None:
    feed = Feed()
    for offset, raw in enumerate(chromium.raw_posts()):
        outcome = process_message(raw, None, Origin("posts.raw", 0, offset))
        feed.publish(outcome.kind, outcome.value_bytes())
    runner = web.AppRunner(create_web_app(feed), shutdown_timeout=2.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/review"
    try:
        async with chromium.chromium_page(BINARY) as page:
            await page.goto(url)
            total = len(feed)
            await page.wait_for("document.getElementById('status').dataset.state === 'live'"
                                f" && document.querySelectorAll('article.card').length >= {total}")
            report = await page.evaluate(chromium.DOM_REPORT)
            assert report["status"] == "live"  # server-sent events
            chromium.assert_rendered(report, page)
            shot = await page.screenshot(chromium.ARTIFACTS / "review-fed.png")
            print(f"screenshot: {shot}")

            # Filters: only spun posts, then everything again.
            await page.evaluate("document.querySelector('#legend button[data-kind=spun]').click()")
            # (a post whose spun text was detected but not repaired has the badge, not a mark)
            visible = await page.evaluate(
                "Array.from(document.querySelectorAll('article.card:not([hidden])'))"
                ".map((c) => [c.querySelectorAll('mark.k-spun').length,"
                " c.querySelectorAll('.badge.kind.k-spun').length])")
            assert visible and all(badges > 0 for _, badges in visible)
            assert sum(marks > 0 for marks, _ in visible) >= 4, visible

            # Pause: new outcomes wait until resumed.
            cards = "document.querySelectorAll('article.card').length"
            await page.evaluate("document.getElementById('pause').click()")
            feed.publish("clean", process_message(
                b'{"id": "late", "text": "\\u6885\\u82b1"}').value_bytes())
            await page.wait_for("document.getElementById('pause').textContent === 'Resume (1 new)'")
            assert await page.evaluate(cards) == total
            await page.evaluate("document.getElementById('pause').click()")
            await page.wait_for(f"{cards} === {total + 1}")
            total += 1

            # Polling fallback: the same outcomes without EventSource.
            await page.goto(url + "?mode=poll#poll")
            await page.wait_for("document.getElementById('status').dataset.state === 'polling'"
                                f" && document.querySelectorAll('article.card').length >= {total}")
            polled = await page.evaluate(chromium.DOM_REPORT)
            assert polled["status"] == "polling"
            chromium.assert_rendered(polled, page)
    finally:
        await runner.cleanup()


async def test_each_card_names_the_rules_version_it_was_repaired_under() -> None:
    from service.rules import RuleSet, make_rule

    protect = RuleSet.of([make_rule("protect", phrase="效劳")])
    raw = '{"id": "%s", "text": "我们经由过程设置装备摆设进步效劳水平"}'
    feed = Feed()
    for pid, rules in (("without", None), ("with", protect)):
        outcome = process_message((raw % pid).encode(), rules=rules or RuleSet.of([]))
        feed.publish(outcome.kind, outcome.value_bytes())
    cards = await _cards(
        feed,
        "Array.from(document.querySelectorAll('article.card')).map((c) => ["
        "c.querySelector('.pid').textContent, c.dataset.rules,"
        " Array.from(c.querySelectorAll('.badge.rules')).map((b) => b.textContent),"
        " Array.from(c.querySelectorAll('pre.repaired mark')).map((m) => m.textContent)])",
    )
    shown = {pid: (rules, badges, marks) for pid, rules, badges, marks in cards}
    assert shown["without"][:2] == ("none", [])  # no badge without rules
    assert shown["with"][:2] == (protect.version, [f"rules {protect.version}"])
    assert "服务" in shown["without"][2] and "服务" not in shown["with"][2]


async def test_a_labelled_sample_that_contradicts_its_label_is_marked() -> None:
    posts = {
        "spun-left": {"text": "今天天气不错，我们去公园散步。", "meta": {"sample": "spun"}},
        "spun-fixed": {"text": "我们经由过程设置装备摆设进步效劳水平", "meta": {"sample": "spun"}},
        "clean-kept": {"text": "今天天气不错，我们去公园散步。", "meta": {"sample": "clean"}},
        "clean-edited": {"text": "加\u200b微信ｖｘ８８８", "meta": {"sample": "clean"}},
        "unlabelled": {"text": "今天天气不错，我们去公园散步。"},
    }
    feed = Feed()
    for pid, post in posts.items():
        outcome = process_message(orjson.dumps({"id": pid, **post}))
        feed.publish(outcome.kind, outcome.value_bytes())
    cards = await _cards(
        feed,
        "Array.from(document.querySelectorAll('article.card')).map((c) => ["
        "c.querySelector('.pid').textContent,"
        " Array.from(c.querySelectorAll('.badge.mismatch')).map((b) => b.textContent)])",
    )
    shown = dict(cards)
    assert shown["spun-left"] == ["left unrepaired · labelled spun"]
    assert shown["clean-edited"] == ["changed · labelled clean"]
    assert shown["spun-fixed"] == shown["clean-kept"] == shown["unlabelled"] == []


async def _cards(feed: Feed, script: str) -> Any:
    """Serve ``feed``, open the page in Chromium, wait for a card per outcome and return what
    ``script`` evaluates to there (the page raised no error)."""
    runner = web.AppRunner(create_web_app(feed), shutdown_timeout=2.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        async with chromium.chromium_page(BINARY) as page:
            await page.goto(f"http://127.0.0.1:{runner.addresses[0][1]}/review")
            await page.wait_for(
                f"document.querySelectorAll('article.card').length === {len(feed)}"
            )
            found = await page.evaluate(script)
            assert page.errors == []
    finally:
        await runner.cleanup()
    return found
