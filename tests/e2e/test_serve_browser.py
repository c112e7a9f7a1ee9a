"""``labconsole serve`` once end to end in a real browser: headless Debian ``chromium`` opens
the URL serve printed, trades the token for its cookie, and its own WebSocket receives the demo
console's screen; without the token it gets the refusal. Driven over the DevTools protocol
(an aiohttp WebSocket client), every wait bounded. Chromium may only reach loopback (all other
names resolve to nothing), so the page's web font is never fetched.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_serve import Served, _start, _stop

aiohttp = pytest.importorskip("aiohttp", reason="aiohttp comes with textual-serve")

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]
WAIT_SECONDS = 60


@pytest.fixture
def chromium() -> str:
    if CHROMIUM is None:
        pytest.skip("no chromium (Debian package 'chromium'; .ci/debian-deps.sh installs it)")
    return CHROMIUM


@pytest.fixture
def served() -> Iterator[Served]:
    served = _start()
    try:
        yield served
    finally:
        _stop(served)


@contextlib.contextmanager
def browser(binary: str, profile: Path) -> Iterator[int]:
    """A headless chromium with a fresh profile; yields its DevTools port."""
    proc = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={profile}",
                             "--remote-debugging-port=0", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        active = profile / "DevToolsActivePort"
        for _ in range(120):
            if active.is_file() and active.read_text().count("\n") >= 1:
                break
            assert proc.poll() is None, "chromium exited at start"
            time.sleep(0.25)
        yield int(active.read_text().splitlines()[0])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


class Page:
    """The DevTools protocol over one page target: commands, and the events seen so far."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.ids = count(1)
        self.events: list[dict[str, Any]] = []

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        n = next(self.ids)
        await self.ws.send_str(json.dumps({"id": n, "method": method, "params": params}))
        while True:
            msg = json.loads((await self.ws.receive()).data)
            if msg.get("id") == n:
                result: dict[str, Any] = msg.get("result", {})
                return result
            self.events.append(msg)

    async def pump(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            msg = await asyncio.wait_for(self.ws.receive(), seconds)
            self.events.append(json.loads(msg.data))

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def websocket_bytes(self) -> bytes:
        """What the page's WebSocket(s) received (binary frames are base64 in the protocol)."""
        out = b""
        for ev in self.events:
            if ev.get("method") == "Network.webSocketFrameReceived":
                frame = ev["params"]["response"]
                data = frame["payloadData"]
                out += base64.b64decode(data) if frame["opcode"] == 2 else data.encode()
        return out


async def _drive(port: int, url: str, wanted: bytes | None = None,
                 body_has: str | None = None) -> dict[str, Any]:
    """Open ``url`` and wait (bounded) until the page's WebSocket got ``wanted`` or its text
    holds ``body_has``."""
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/json/list") as resp:
            targets = await resp.json()
        target = next(t for t in targets if t["type"] == "page")
        async with session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            page = Page(ws)
            await page.call("Network.enable")
            await page.call("Page.navigate", url=url)
            deadline = time.monotonic() + WAIT_SECONDS
            while time.monotonic() < deadline:
                if wanted is not None and wanted in page.websocket_bytes():
                    break
                if body_has is not None and body_has in str(
                        await page.evaluate("document.body ? document.body.innerText : ''")):
                    break
                await page.pump(0.5)
            return {
                "screen": page.websocket_bytes(),
                "location": await page.evaluate("location.href"),
                "first_byte": await page.evaluate(
                    "document.body.classList.contains('-first-byte')"),
                "cookie_visible_to_js": await page.evaluate("document.cookie"),
                "body": await page.evaluate("document.body.innerText"),
            }


def test_a_real_browser_opens_the_printed_url_and_runs_the_console(
        chromium: str, served: Served, tmp_path: Path) -> None:
    url = f"{served.base}/?token={served.token}"
    with browser(chromium, tmp_path / "profile") as port:
        seen = asyncio.run(_drive(port, url, b"3/3 quorate"))
    assert b"3/3 quorate" in seen["screen"], seen["body"]
    assert b"demo: replay of the pve03 incident" in seen["screen"]
    assert seen["first_byte"] is True  # the page's terminal drew what its WebSocket got
    assert seen["location"] == f"{served.base}/"  # the token left the address bar
    assert seen["cookie_visible_to_js"] == ""  # the session cookie is HttpOnly


def test_a_real_browser_without_the_token_gets_the_refusal(
        chromium: str, served: Served, tmp_path: Path) -> None:
    with browser(chromium, tmp_path / "profile") as port:
        seen = asyncio.run(_drive(port, f"{served.base}/", body_has="authentication"))
    assert "authentication required" in seen["body"]
    assert seen["screen"] == b""
