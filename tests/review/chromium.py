"""Headless Chromium driven over the DevTools protocol (an aiohttp websocket), for page tests.

Only the system's Chromium is used (Debian's ``chromium``; ``deploy/test.sh`` installs it); tests
skip with a clear reason when it is missing.  Dialogs (``alert``), console errors and exceptions
are recorded so that tests can assert that none happened.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def chromium_path() -> str | None:
    """The system Chromium, or None."""
    given = os.environ.get("QINGLIU_CHROMIUM")
    if given:
        return given if os.access(given, os.X_OK) else None
    for candidate in CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


SKIP_REASON = ("headless Chromium not found (/usr/bin/chromium): `apt-get install chromium` "
               "(deploy/test.sh installs it when run as root)")


class Page:
    """One browser tab over the DevTools protocol."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(message.data)
            if "id" in data:
                future = self._waiting.pop(data["id"], None)
                if future is not None and not future.done():
                    if "error" in data:
                        future.set_exception(RuntimeError(str(data["error"])))
                    else:
                        future.set_result(data.get("result", {}))
                continue
            method, params = data.get("method"), data.get("params", {})
            if method == "Page.javascriptDialogOpening":
                self.dialogs.append(f"{params.get('type')}: {params.get('message')}")
                asyncio.ensure_future(self.send("Page.handleJavaScriptDialog", accept=False))
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                self.errors.append(str(details.get("exception", {}).get("description")
                                       or details.get("text")))
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                self.errors.append(" ".join(str(a.get("value", a.get("description")))
                                            for a in params.get("args", [])))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                self.errors.append(params["entry"].get("text", ""))
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(ConnectionError("DevTools connection closed"))

    async def send(self, method: str, **params: Any) -> Any:
        """Call a DevTools method; returns its result."""
        number = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[number] = future
        await self.ws.send_str(json.dumps({"id": number, "method": method, "params": params}))
        return await asyncio.wait_for(future, 60)

    async def enable(self) -> None:
        """Turn on the events recorded above."""
        for domain in ("Page", "Runtime", "Log"):
            await self.send(f"{domain}.enable")

    async def goto(self, url: str) -> None:
        """Navigate and wait for the load event's document."""
        await self.send("Page.navigate", url=url)
        await self.wait_for("document.readyState === 'complete'")

    async def evaluate(self, expression: str) -> Any:
        """The JSON value of ``expression`` in the page."""
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True,
                                 awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression!r} raised: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout: float = 60.0) -> Any:
        """Poll ``expression`` until it is truthy; returns its value."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            with contextlib.suppress(RuntimeError):
                value = await self.evaluate(expression)
                if value:
                    return value
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for {expression!r}")
            await asyncio.sleep(0.2)

    async def screenshot(self, path: Path, width: int = 1400, height: int = 1100) -> Path:
        """Save a PNG of the viewport to ``path``."""
        await self.send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                        deviceScaleFactor=1, mobile=False)
        result = await self.send("Page.captureScreenshot", format="png")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(result["data"]))
        return path

    async def close(self) -> None:
        """Close the connection."""
        await self.ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._reader


@contextlib.asynccontextmanager
async def chromium_page(binary: str) -> AsyncIterator[Page]:
    """Start headless Chromium with a fresh profile and yield its first tab."""
    profile = tempfile.mkdtemp(prefix="qingliu-chromium-")
    process = await asyncio.create_subprocess_exec(
        binary, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
        "--window-size=1400,1100", "about:blank",
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE)
    lines: list[str] = []
    drain: asyncio.Future[None] | None = None
    try:
        assert process.stderr is not None
        endpoint = None
        deadline = asyncio.get_running_loop().time() + 60
        while endpoint is None:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("Chromium did not start: " + "".join(lines[-20:]))
            raw = await asyncio.wait_for(process.stderr.readline(), 60)
            if not raw:
                raise AssertionError("Chromium exited: " + "".join(lines[-20:]))
            line = raw.decode("utf-8", "replace")
            lines.append(line)
            match = re.search(r"DevTools listening on (ws://\S+)", line)
            if match:
                endpoint = match.group(1)

        async def keep_draining() -> None:
            assert process.stderr is not None
            while await process.stderr.readline():
                pass

        drain = asyncio.ensure_future(keep_draining())
        port = int(endpoint.split(":")[2].split("/")[0])
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/json/list") as response:
                targets = await response.json(content_type=None)
            page_url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
            ws = await session.ws_connect(page_url, max_msg_size=64 << 20)
            page = Page(ws)
            try:
                await page.enable()
                yield page
            finally:
                await page.close()
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
        if drain is not None:
            drain.cancel()
        shutil.rmtree(profile, ignore_errors=True)


#: Posts that try to inject markup or reorder text; the page must show them as text.
HOSTILE_POSTS: tuple[tuple[str, str], ...] = (
    ("hostile-script", "<script>alert(1)</script>广州市发布通知"),
    ("hostile-img", "<img src=x onerror=alert(1)>深圳天气"),
    ("hostile-rtl", "付款账号\u202e1234567\u202c结束 \u2066隔离\u2069"),
    ("hostile-attr", "\"><svg onload=alert(1)>' onmouseover='alert(1)"),
)
#: A full-width post (the demo posts have none) so that every common kind is on the page.
WIDTH_POST = ("width-01", "ＡＢＣ公司发布２０２４年报告，营收增长１５％。")


def raw_posts() -> list[bytes]:
    """The demo posts plus the hostile and full-width ones, as raw Kafka values."""
    from service.samples import demo_posts

    extra = [json.dumps({"id": pid, "text": text, "source": "review-test"}, ensure_ascii=False)
             .encode("utf-8") for pid, text in (*HOSTILE_POSTS, WIDTH_POST)]
    return [*demo_posts(), *extra]


#: One JS expression gathering what the tests check in the rendered page.
DOM_REPORT = r"""(() => {
  const cards = Array.from(document.querySelectorAll('article.card'));
  const marks = Array.from(document.querySelectorAll('mark.edit'));
  const kinds = {};
  for (const m of marks) for (const c of m.classList) if (c.startsWith('k-')) kinds[c] = (kinds[c] || 0) + 1;
  const onAttrs = [];
  for (const node of document.querySelectorAll('*'))
    for (const a of node.attributes) if (a.name.startsWith('on')) onAttrs.push(node.tagName + ' ' + a.name);
  const byId = {};
  for (const card of cards) {
    const id = card.querySelector('.pid');
    const original = card.querySelector('pre.original');
    if (id && original) byId[id.textContent] = original.textContent;
  }
  return {
    cards: cards.length,
    clean: document.querySelectorAll('article.card.clean').length,
    dlq: document.querySelectorAll('article.card.dlq').length,
    kinds,
    titles: marks.slice(0, 50).map((m) => m.title),
    scripts: Array.from(document.scripts).map((s) => s.src),
    imgs: document.querySelectorAll('img').length,
    svgs: document.querySelectorAll('svg').length,
    onAttrs,
    originals: byId,
    bodyText: document.body.innerText,
    rawBidi: /[\u202a-\u202e\u2066-\u2069]/.test(document.body.textContent),
    status: document.getElementById('status').dataset.state,
    hex: Array.from(document.querySelectorAll('pre.hex')).map((p) => p.textContent.slice(0, 80)),
    legend: Array.from(document.querySelectorAll('#legend button')).map((b) => b.textContent),
  };
})()"""


def assert_rendered(report: dict[str, Any], page: Page) -> None:
    """The checks both browser tests make on :data:`DOM_REPORT` of a page fed :func:`raw_posts`."""
    kinds = report["kinds"]
    for kind in ("k-mojibake", "k-spun", "k-fullwidth", "k-invisible"):
        assert kinds.get(kind, 0) > 0, f"no {kind} highlight: {kinds}"
    assert all("confidence" in title and "before:" in title for title in report["titles"])
    assert report["dlq"] >= 5 and report["hex"], "dead letters with their bytes"
    # Hostile posts are text: shown verbatim, no element or handler injected, nothing ran.
    originals = report["originals"]
    assert originals["hostile-script"].startswith("<script>alert(1)</script>")
    assert originals["hostile-img"].startswith("<img src=x onerror=alert(1)>")
    assert originals["hostile-attr"].startswith("\"><svg onload=alert(1)>")
    assert "⟨U+202E⟩1234567⟨U+202C⟩" in originals["hostile-rtl"]
    assert "⟨U+2066⟩隔离⟨U+2069⟩" in originals["hostile-rtl"]
    assert not report["rawBidi"], "a bidi control reached the page unescaped"
    assert len(report["scripts"]) == 1 and report["scripts"][0].endswith("/review/static/review.js")
    assert report["imgs"] == 0 and report["svgs"] == 0 and report["onAttrs"] == []
    assert page.dialogs == [], page.dialogs
    assert page.errors == [], page.errors
