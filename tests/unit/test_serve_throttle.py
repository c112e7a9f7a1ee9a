"""Guessing serve's token or password (issue 19): the failed-login delay cannot be sidestepped
by guessing in parallel, and failed logins are capped per address and in all. The pure
throttle with an injected clock, then serve's real middleware on a real loopback aiohttp
server hit by concurrent wrong guesses."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from labconsole.commands.serve_auth import Guard, LoginThrottle

aiohttp = pytest.importorskip("aiohttp", reason="aiohttp comes with the serve extra")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_one_check_at_a_time_per_address_and_a_bound_in_all() -> None:
    t = LoginThrottle(total_concurrent=3, clock=Clock())
    assert t.admit("10.0.0.1") is None
    assert "being checked" in (t.admit("10.0.0.1") or "")  # parallel guess: refused unchecked
    assert t.admit("10.0.0.2") is None and t.admit("10.0.0.3") is None
    assert "at once" in (t.admit("10.0.0.4") or "")
    t.done("10.0.0.1", ok=False)
    assert t.admit("10.0.0.4") is None and t.refused == 2


def test_failed_logins_are_capped_per_address_then_in_all_and_forgotten_after_the_window(
        ) -> None:
    clock = Clock()
    t = LoginThrottle(peer_failures=3, total_failures=5, window=600, clock=clock)
    for _ in range(3):
        assert t.admit("a") is None
        t.done("a", ok=False)
    assert (t.admit("a") or "").startswith("too many failed logins from a (3 in 10 min)")
    for _ in range(2):
        assert t.admit("b") is None
        t.done("b", ok=False)
    assert (t.admit("c") or "").startswith("too many failed logins (5 in 10 min)")
    clock.now += 601
    assert t.admit("a") is None
    t.done("a", ok=True)
    assert t.admit("c") is None


async def _serve(guard: Guard) -> Any:
    from aiohttp import web

    from labconsole.commands.serve import guard_middleware

    async def page(request: web.Request) -> web.Response:
        return web.Response(text="console")

    app = web.Application(middlewares=[guard_middleware(guard, secure=False, delay=0.2)])
    app.router.add_get("/", page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, port


async def test_parallel_guesses_are_refused_unchecked_and_the_address_is_locked_out() -> None:
    guard = Guard.for_server(bind_host="127.0.0.1", port=0, tls=False, public_url=None,
                             token="right-token")
    guard.throttle = LoginThrottle(peer_failures=4)
    runner, port = await _serve(guard)
    base = f"http://127.0.0.1:{port}"
    headers = {"Host": "127.0.0.1:0"}
    try:
        async with aiohttp.ClientSession() as http:
            async def guess(n: int) -> int:
                async with http.get(f"{base}/?token=wrong{n}", headers=headers,
                                    allow_redirects=False) as r:
                    return r.status

            statuses = await asyncio.gather(*(guess(n) for n in range(20)))
            checked = statuses.count(401)
            assert 1 <= checked <= 4 and statuses.count(429) == 20 - checked, statuses
            for n in range(8):  # one after another: each is checked until the cap
                if await guess(100 + n) == 429:
                    break
            assert len(guard.throttle._failed["127.0.0.1"]) == 4
            # Locked out: even the right token is not looked at from this address now.
            async with http.get(f"{base}/?token=right-token", headers=headers,
                                allow_redirects=False) as r:
                assert r.status == 429 and "too many failed logins" in await r.text()
            guard.throttle = LoginThrottle()  # a fresh window: the token works
            async with http.get(f"{base}/?token=right-token", headers=headers,
                                allow_redirects=False) as r:
                assert r.status == 303
    finally:
        await runner.cleanup()
