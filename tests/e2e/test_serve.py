"""``labconsole serve``: a real server on a free loopback port, attacked and used as a browser
would: no token, a wrong token, another origin, another Host (all refused, page and WebSocket);
the printed token, a password-file login and TLS (accepted, the console runs); a busy port and a
non-loopback address (one line, exit 2); the session's console acts under the authenticated
name (read from the real child process's environment).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("textual_serve", reason="textual-serve (the serve extra) is not installed")
aiohttp = pytest.importorskip("aiohttp", reason="aiohttp comes with textual-serve")

pytestmark = pytest.mark.e2e

POLLS = 120
POLL_SECONDS = 0.25
TOKEN_LINE = re.compile(r"open (https?://\S+?)/\?token=(\S+)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    proc: subprocess.Popen[str]
    port: int
    base: str
    token: str | None
    lines: list[str]


def _start(*extra: str, port: int | None = None) -> Served:
    port = port or _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "labconsole", "serve", "--port", str(port), "--demo", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "LABCONSOLE_CONFIG": ""})
    assert proc.stdout is not None
    lines: list[str] = []
    for _ in range(40):  # the URL is printed before serving; bounded
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Ctrl+C stops it" in line:
            break
    text = "".join(lines)
    m = TOKEN_LINE.search(text)
    base = m.group(1) if m else f"http://127.0.0.1:{port}"
    served = Served(proc, port, base, m.group(2) if m else None, lines)
    _wait_listening(served)
    return served


def _wait_listening(served: Served) -> None:
    for _ in range(POLLS):
        with contextlib.suppress(OSError), socket.create_connection(
                ("127.0.0.1", served.port), timeout=1):
            return
        if served.proc.poll() is not None:
            break
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"serve is not listening: {''.join(served.lines)}")


def _stop(served: Served) -> None:
    served.proc.terminate()
    try:
        served.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        served.proc.kill()
        served.proc.wait(timeout=10)


@pytest.fixture
def server() -> Iterator[Served]:
    served = _start()
    try:
        yield served
    finally:
        _stop(served)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _get(url: str, headers: dict[str, str] | None = None,
         context: ssl.SSLContext | None = None) -> tuple[int, dict[str, str], str]:
    opener = urllib.request.build_opener(_NoRedirect, urllib.request.HTTPSHandler(
        context=context))
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(request, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8", "replace")


def _login(served: Served, context: ssl.SSLContext | None = None) -> str:
    """Trade the printed token for the session cookie, as the browser does."""
    status, headers, _ = _get(f"{served.base}/?token={served.token}", context=context)
    assert status == 303 and headers["Location"] == "/"
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    return cookie.split(";", 1)[0]


def test_the_page_needs_the_token_and_trades_it_for_a_cookie(server: Served) -> None:
    assert server.token is not None and len(server.token) >= 40, server.lines
    status, _, body = _get(f"{server.base}/")
    assert status == 401 and "authentication required" in body
    status, _, _ = _get(f"{server.base}/?token=not-the-token")
    assert status == 401
    status, _, _ = _get(f"{server.base}/", headers={"Cookie": "labconsole_session=forged"})
    assert status == 401
    cookie = _login(server)
    status, _, page = _get(f"{server.base}/", headers={"Cookie": cookie})
    assert status == 200
    assert "<div>labconsole</div>" in page
    assert f"ws://127.0.0.1:{server.port}/ws" in page
    assert server.token not in page
    _stop(server)
    assert server.proc.stdout is not None
    assert server.token not in server.proc.stdout.read()  # printed once, never logged again


def test_another_origin_or_host_is_refused_even_with_the_token(server: Served) -> None:
    url = f"{server.base}/?token={server.token}"
    status, _, body = _get(url, headers={"Origin": "http://evil.example"})
    assert status == 403 and "cross-origin" in body
    status, _, _ = _get(url, headers={"Host": f"evil.example:{server.port}"})
    assert status == 421  # a DNS-rebound name
    status, _, _ = _get(url, headers={"Origin": f"http://127.0.0.1:{server.port}"})
    assert status == 303


async def _ws_status(port: int, query: str = "", headers: dict[str, str] | None = None) -> int:
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(f"http://127.0.0.1:{port}/ws{query}",
                                          headers=headers or {}) as ws:
                await ws.close()
                return 101
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status


def test_the_websocket_is_refused_without_credentials_or_from_another_origin(
        server: Served) -> None:
    assert asyncio.run(_ws_status(server.port)) == 401
    assert asyncio.run(_ws_status(server.port, "?token=wrong")) == 401
    assert asyncio.run(_ws_status(
        server.port, f"?token={server.token}", {"Origin": "http://evil.example"})) == 403
    cookie = _login(server)
    assert asyncio.run(_ws_status(
        server.port, "", {"Cookie": cookie, "Origin": "http://evil.example"})) == 403


async def _screen_bytes(url: str, headers: dict[str, str], wanted: bytes, seconds: float,
                        context: ssl.SSLContext | None = None) -> bytes:
    received = b""

    async def read(ws: aiohttp.ClientWebSocketResponse) -> None:
        nonlocal received
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.BINARY:
                received += msg.data
            if wanted in received:
                return

    async with aiohttp.ClientSession() as session, session.ws_connect(
            url, headers=headers, ssl=context if context is not None else True) as ws:
        await ws.send_str(json.dumps(["resize", {"width": 100, "height": 30}]))
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(read(ws), seconds)
    return received


def test_a_session_with_the_cookie_runs_the_console(server: Served) -> None:
    cookie = _login(server)
    received = asyncio.run(_screen_bytes(
        f"http://127.0.0.1:{server.port}/ws?width=100&height=30",
        {"Cookie": cookie, "Origin": f"http://127.0.0.1:{server.port}"}, b"3/3 quorate", 40))
    assert b"demo: replay of the pve03 incident" in received
    assert b"3/3 quorate" in received


def test_serve_binds_loopback_only_by_default(server: Served) -> None:
    listening = subprocess.run(["ss", "-Hltn", f"sport = :{server.port}"], capture_output=True,
                               text=True, timeout=10, check=False).stdout
    local = [line.split()[3] for line in listening.splitlines() if line.split()]
    assert local == [f"127.0.0.1:{server.port}"]


def test_a_busy_port_is_one_line_and_exit_2(server: Served) -> None:
    out = subprocess.run([sys.executable, "-m", "labconsole", "serve", "--demo", "--port",
                          str(server.port)], capture_output=True, text=True, timeout=60,
                         check=False)
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr == (f"labconsole serve: cannot listen on 127.0.0.1:{server.port}: "
                          "Address already in use\n")


def test_a_non_loopback_address_needs_allow_remote_and_then_warns() -> None:
    port = _free_port()
    out = subprocess.run([sys.executable, "-m", "labconsole", "serve", "--demo", "--host",
                          "0.0.0.0", "--port", str(port)], capture_output=True, text=True,
                         timeout=60, check=False)
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert "refusing to serve on 0.0.0.0: not a loopback address" in out.stderr
    assert "--allow-remote" in out.stderr
    served = _start("--host", "0.0.0.0", "--allow-remote", port=port)
    try:
        text = "".join(served.lines)
        assert "WARNING: serving on 0.0.0.0" in text and "clear text" in text
        status, _, _ = _get(f"http://127.0.0.1:{port}/")
        assert status == 401  # still authenticated
    finally:
        _stop(served)


def _children_env(pid: int) -> list[dict[str, str]]:
    """The environment of each child process of ``pid`` (the sessions' consoles)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                raw = (entry / "environ").read_bytes()
                out.append(dict(item.decode("utf-8", "replace").partition("=")[::2]
                                for item in raw.split(b"\0") if item))
    return out


def test_a_password_file_login_acts_under_that_name(tmp_path: Path) -> None:
    secrets = tmp_path / "serve-users"
    secrets.write_text("alice:correct horse\nbob:battery staple\n")
    secrets.chmod(0o644)
    port = _free_port()
    out = subprocess.run([sys.executable, "-m", "labconsole", "serve", "--demo", "--port",
                          str(port), "--password-file", str(secrets)], capture_output=True,
                         text=True, timeout=60, check=False)
    assert out.returncode == 2 and "readable by group or others" in out.stderr
    secrets.chmod(0o600)
    served = _start("--password-file", str(secrets), port=port)
    try:
        assert served.token is None and "log in with a name from" in "".join(served.lines)
        status, headers, _ = _get(f"{served.base}/")
        assert status == 401 and headers["WWW-Authenticate"] == 'Basic realm="labconsole"'
        wrong = base64.b64encode(b"alice:wrong").decode()
        assert _get(f"{served.base}/", {"Authorization": f"Basic {wrong}"})[0] == 401
        good = base64.b64encode(b"alice:correct horse").decode()
        status, headers, _ = _get(f"{served.base}/", {"Authorization": f"Basic {good}"})
        assert status == 200
        cookie = headers["Set-Cookie"].split(";", 1)[0]
        received = asyncio.run(_screen_bytes(
            f"http://127.0.0.1:{port}/ws", {"Cookie": cookie}, b"3/3 quorate", 40))
        assert b"3/3 quorate" in received
    finally:
        children = _children_env(served.proc.pid)
        _stop(served)
    # The session's console was told who acts (its audit entries say "alice via serve").
    assert [env.get("LABCONSOLE_SERVE_USER") for env in children] == ["alice"]


def test_tls_serves_https_and_wss(tmp_path: Path) -> None:
    from tests.fixtures.pve_api_server import make_cert

    cert, key = make_cert(tmp_path)
    served = _start("--tls-cert", str(cert), "--tls-key", str(key))
    try:
        assert served.base == f"https://127.0.0.1:{served.port}"
        context = ssl.create_default_context(cafile=str(cert))
        assert _get(f"{served.base}/", context=context)[0] == 401
        cookie = _login(served, context)
        status, _, page = _get(f"{served.base}/", {"Cookie": cookie}, context)
        assert status == 200 and f"wss://127.0.0.1:{served.port}/ws" in page
        received = asyncio.run(_screen_bytes(
            f"https://127.0.0.1:{served.port}/ws", {"Cookie": cookie}, b"3/3 quorate", 40,
            context))
        assert b"3/3 quorate" in received
    finally:
        _stop(served)
