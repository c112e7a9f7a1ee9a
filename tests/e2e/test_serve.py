"""``labconsole serve``: a real server on a free loopback port; its page, and the console.

The browser's part is played by plain HTTP (the page) and an aiohttp websocket client (what the
page's terminal would receive): the demo console's screen arrives as terminal output.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

pytest.importorskip("textual_serve", reason="textual-serve (the serve extra) is not installed")

pytestmark = pytest.mark.e2e

POLLS = 120
POLL_SECONDS = 0.25


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return str(resp.read().decode("utf-8"))
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


@pytest.fixture
def server() -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "labconsole", "serve", "--port", str(port), "--demo"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "LABCONSOLE_CONFIG": ""})
    try:
        yield proc, port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_serve_answers_on_loopback_with_the_console_page(
        server: tuple[subprocess.Popen[str], int]) -> None:
    proc, port = server
    page = None
    for _ in range(POLLS):
        page = _fetch(f"http://127.0.0.1:{port}/")
        if page is not None or proc.poll() is not None:
            break
        time.sleep(POLL_SECONDS)
    assert proc.poll() is None, f"serve exited: {proc.stdout.read() if proc.stdout else ''}"
    assert page is not None, f"no page on 127.0.0.1:{port}"
    assert "<div>labconsole</div>" in page  # the title textual-serve was given
    # The page opens a websocket back to the same loopback server, which runs the console.
    assert f"ws://127.0.0.1:{port}/ws" in page


def test_serve_binds_loopback_only_by_default(
        server: tuple[subprocess.Popen[str], int]) -> None:
    proc, port = server
    for _ in range(POLLS):
        if _fetch(f"http://127.0.0.1:{port}/") is not None or proc.poll() is not None:
            break
        time.sleep(POLL_SECONDS)
    listening = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True,
                               text=True, timeout=10, check=False).stdout
    local = [line.split()[3] for line in listening.splitlines() if line.split()]
    assert local == [f"127.0.0.1:{port}"]


async def _screen_bytes(port: int, wanted: bytes, seconds: float) -> bytes:
    import aiohttp

    received = b""

    async def read(ws: aiohttp.ClientWebSocketResponse) -> None:
        nonlocal received
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.BINARY:
                received += msg.data
            if wanted in received:
                return

    async with aiohttp.ClientSession() as session, session.ws_connect(
            f"http://127.0.0.1:{port}/ws?width=100&height=30") as ws:
        await ws.send_str(json.dumps(["resize", {"width": 100, "height": 30}]))
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(read(ws), seconds)
    return received


def test_a_browser_session_runs_the_console(server: tuple[subprocess.Popen[str], int]) -> None:
    proc, port = server
    for _ in range(POLLS):
        if _fetch(f"http://127.0.0.1:{port}/") is not None or proc.poll() is not None:
            break
        time.sleep(POLL_SECONDS)
    received = asyncio.run(_screen_bytes(port, b"3/3 quorate", 40))
    assert b"demo: replay of the pve03 incident" in received
    assert b"3/3 quorate" in received
