"""Issue 13 end to end: the review page during `qingliu dev --demo`, a rule, the next posts.

As a person does it: `qingliu dev --demo` (a subprocess, on the session's broker: embedded Tansu,
or Apache Kafka with ``QINGLIU_TEST_BROKER=kafka``) streams the demo posts and stays up; headless
Chromium opens the review page it prints and finds every demo repair highlighted by kind; the
rules command it prints (`qingliu rules add --protect 效劳`) is run as printed; the demo post
whose 效劳 the engine turns into 服务 is sent again (`qingliu produce`, a new id) and the page
shows the new event with 效劳 unchanged and the rules version, while the earlier event still shows
the repair.  Screenshots: ``test-artifacts/review-rules-before.png`` and ``-after.png``.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import signal
import sys
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from service.rules import RuleSet, make_rule
from service.samples import demo_posts

from .conftest import chromium_helper, fresh_settings

pytestmark = pytest.mark.integration
QINGLIU = [sys.executable, "-m", "service.cli"]
WORD, REPAIRED = "效劳", "服务"  # demo-09: the spun engine turns 效劳 into 服务
WAIT_S = 120.0


chromium = chromium_helper()
BINARY = chromium.chromium_path()

#: Per card: id, rules version, and the highlighted texts on each side with their kinds.
CARDS = r"""(() => Array.from(document.querySelectorAll('article.card.clean')).map((c) => ({
  id: c.querySelector('.pid').textContent,
  rules: c.dataset.rules || '',
  badges: Array.from(c.querySelectorAll('.badge.rules')).map((b) => b.textContent),
  original: c.querySelector('pre.original').textContent,
  repaired: c.querySelector('pre.repaired').textContent,
  marks: Array.from(c.querySelectorAll('pre.repaired mark.edit')).map((m) => [m.dataset.kind, m.textContent]),
  before: Array.from(c.querySelectorAll('pre.original mark.edit')).map((m) => [m.dataset.kind, m.textContent]),
})))()"""


def _command(line: str) -> tuple[dict[str, str], list[str]]:
    """The environment and argv of a printed ``VAR=… qingliu …`` command line."""
    words = shlex.split(line)
    env = {}
    while words and re.match(r"^[A-Z_]+=", words[0]):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    assert words[0] == "qingliu", line
    return env, [*QINGLIU, *words[1:]]


async def _run(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *argv, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(process.communicate(), WAIT_S)
    return process.returncode or 0, out.decode("utf-8", "replace")


async def _rules_version(metrics_url: str, session: aiohttp.ClientSession) -> str:
    """The worker's rules version once it is not ``none`` (its /metrics), waiting for it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while loop.time() < deadline:
        async with session.get(metrics_url) as response:
            text = await response.text()
        for version, value in re.findall(
                r'^qingliu_rules_version_info\{version="([^"]+)"\} (\S+)$', text, re.M):
            if version != "none" and float(value) == 1:
                return version
        await asyncio.sleep(0.2)
    raise AssertionError("the worker did not take the rule")


@pytest.mark.skipif(BINARY is None, reason=chromium.SKIP_REASON)
async def test_a_rule_added_during_the_demo_shows_on_the_review_page(broker: Any,
                                                                     tmp_path: Path) -> None:
    settings = fresh_settings(broker, tmp_path, topic_rules=f"r{uuid.uuid4().hex[:10]}.rules")
    env = {key: value for key, value in os.environ.items() if not key.startswith("QINGLIU_")}
    env.update(QINGLIU_TOPIC_RAW=settings.topic_raw, QINGLIU_TOPIC_CLEAN=settings.topic_clean,
               QINGLIU_TOPIC_DLQ=settings.topic_dlq, QINGLIU_TOPIC_RULES=settings.topic_rules,
               QINGLIU_GROUP_ID=settings.group_id, QINGLIU_DATA_DIR=settings.data_dir)
    demo = [json.loads(raw) for raw in demo_posts() if raw.startswith(b'{"id": "demo-09"')]
    assert len(demo) == 1 and WORD in demo[0]["text"]
    out = (tmp_path / "dev.out").open("wb")
    dev = await asyncio.create_subprocess_exec(
        *QINGLIU, "dev", "--demo", "--broker", settings.broker, "--partitions", "4",
        "--processes", "0", env=env, stdout=out, stderr=asyncio.subprocess.PIPE)
    lines: list[str] = []
    try:
        assert dev.stderr is not None
        while not lines or not lines[-1].startswith("running "):  # the demo is done, it stays up
            raw = await asyncio.wait_for(dev.stderr.readline(), WAIT_S)
            assert raw, "qingliu dev exited:\n" + "".join(lines)
            lines.append(raw.decode())
        text = "".join(lines)
        count = len(demo_posts())
        assert f"demo    {count}/{count} outcomes" in text, text
        assert "Ctrl-C to stop" in text
        page_url = re.search(r"^review  (http://127\.0\.0\.1:\d+/review)", text, re.M)
        metrics_url = re.search(r"^worker  started; (http://\S+/metrics)", text, re.M)
        rules_line = re.search(r"^rules   (.+?)  \(", text, re.M)
        posts_line = re.search(r"^posts   (.+ qingliu produce) FILE\.jsonl", text, re.M)
        assert page_url and metrics_url and rules_line and posts_line, text
        assert f"--protect {WORD}" in rules_line.group(1)

        async with chromium.chromium_page(BINARY) as page, aiohttp.ClientSession() as session:
            await page.goto(page_url.group(1))
            await page.wait_for(f"document.querySelectorAll('article.card').length >= {count}",
                                WAIT_S)
            report = await page.evaluate(chromium.DOM_REPORT)
            for kind in ("k-spun", "k-mojibake", "k-invisible", "k-radical"):
                assert report["kinds"].get(kind, 0) > 0, f"no {kind} highlight: {report['kinds']}"
            assert report["dlq"] == 5 and page.errors == [] and page.dialogs == []
            cards = {card["id"]: card for card in await page.evaluate(CARDS)}
            before = cards["demo-09"]
            assert ["spun", REPAIRED] in before["marks"] and ["spun", WORD] in before["before"]
            assert before["rules"] == "none" and before["badges"] == []
            await page.evaluate("document.getElementById('f-dlq').click()")  # repairs only
            await page.wait_for("document.querySelector('article.card.dlq').hidden")
            await page.screenshot(chromium.ARTIFACTS / "review-rules-before.png", height=2400)
            await page.evaluate("document.getElementById('f-dlq').click()")

            # The rule, exactly as `qingliu dev` printed it; the worker takes it without a restart.
            extra, argv = _command(rules_line.group(1))
            code, said = await _run(argv, {**env, **extra})
            assert code == 0, said
            expected = RuleSet.of([make_rule("protect", phrase=WORD)]).version
            assert await _rules_version(metrics_url.group(1), session) == expected

            # The same post again, under a new id, through `qingliu produce` as printed.
            again = tmp_path / "again.jsonl"
            again.write_text(json.dumps({**demo[0], "id": "demo-09-again"}, ensure_ascii=False)
                             + "\n", encoding="utf-8")
            extra, argv = _command(posts_line.group(1))
            code, said = await _run([*argv, str(again)], {**env, **extra})
            assert code == 0, said
            await page.wait_for("Array.from(document.querySelectorAll('.pid'))"
                                ".some((p) => p.textContent === 'demo-09-again')", WAIT_S)
            cards = {card["id"]: card for card in await page.evaluate(CARDS)}
            after, earlier = cards["demo-09-again"], cards["demo-09"]
            assert after["rules"] == expected and after["badges"] == [f"rules {expected}"]
            assert WORD in after["repaired"] and REPAIRED not in after["repaired"]
            assert all(WORD not in seen and REPAIRED not in seen
                       for _, seen in after["marks"] + after["before"])
            assert after["marks"], "the other repairs of the post are still made"
            assert earlier == before  # the earlier event still shows its repair
            assert page.errors == [] and page.dialogs == []
            # Spun posts only: the new event on top, the earlier one among those below.
            await page.evaluate("document.querySelector('#legend button[data-kind=spun]').click()")
            await page.screenshot(chromium.ARTIFACTS / "review-rules-after.png", height=1400)

        dev.send_signal(signal.SIGINT)  # Ctrl-C
        assert await asyncio.wait_for(dev.wait(), 60) == 0
    finally:
        if dev.returncode is None:
            dev.kill()
            await dev.wait()
        out.close()


async def test_once_goes_with_demo() -> None:
    code, said = await _run([*QINGLIU, "dev", "--once"], dict(os.environ))
    assert code == 2 and said.strip().splitlines() == [
        "qingliu dev: error: --once goes with --demo (qingliu dev --demo --once)"]
