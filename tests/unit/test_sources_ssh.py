"""SSH connection manager without a network: target options, state events, backoff, close."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from labconsole.events import ConnectionChange, Event
from labconsole.sources import ssh
from labconsole.sources.backoff import Backoff
from labconsole.sources.ssh import HostKeyError, SshError, SshPool, SshTarget


def test_target_maps_to_asyncssh_options() -> None:
    t = SshTarget(node="pve01", host="10.0.0.1", port=2222, username="ops",
                  client_keys=("~/k",), known_hosts="/kh", ssh_config=(),
                  jump_host="admin@bastion:22", keepalive_interval=2, keepalive_count_max=4)
    kw = t.connect_kwargs()
    assert kw["port"] == 2222 and kw["username"] == "ops" and kw["known_hosts"] == "/kh"
    assert kw["client_keys"][0].endswith("/k") and not kw["client_keys"][0].startswith("~")
    assert kw["agent_path"] is None and kw["config"] == [] and kw["tunnel"] == "admin@bastion:22"
    assert (kw["keepalive_interval"], kw["keepalive_count_max"]) == (2, 4)
    # defaults: known_hosts is always set (checking never off), agent and ~/.ssh/config apply
    d = SshTarget(node="n", host="alias").connect_kwargs()
    assert d["known_hosts"].endswith("/.ssh/known_hosts")
    assert "client_keys" not in d and "config" not in d and "agent_path" not in d


class _FakeConn:
    def __init__(self) -> None:
        self.closed = asyncio.Event()

    def close(self) -> None:
        self.closed.set()

    async def wait_closed(self) -> None:
        await self.closed.wait()


async def test_failures_back_off_then_connect_and_reconnect_after_loss(
        monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[int] = []
    conns: list[_FakeConn] = []

    async def fake_connect(target: SshTarget) -> Any:
        attempts.append(1)
        if len(attempts) <= 2:
            raise OSError(113, "No route to host")
        conns.append(_FakeConn())
        return conns[-1]

    monkeypatch.setattr(ssh, "connect", fake_connect)
    pool = SshPool([SshTarget(node="pve03", host="h")],
                   backoff=lambda: Backoff(base=0.01, cap=0.02, jitter=0))
    got: list[Event] = []

    async def emit(e: Event) -> None:
        got.append(e)

    task = asyncio.create_task(pool.run(emit))
    conn = await asyncio.wait_for(pool.node("pve03").connection(), 5)
    assert conn is conns[0]
    conns[0].close()  # the connection drops
    await asyncio.sleep(0.05)
    assert await asyncio.wait_for(pool.node("pve03").connection(), 5) is conns[1]
    await pool.close()
    await asyncio.sleep(0.01)
    task.cancel()
    changes = [e for e in got if isinstance(e, ConnectionChange)]
    assert [c.state for c in changes] == ["connecting", "reconnecting", "reconnecting",
                                          "connected", "reconnecting", "connected", "closed"]
    assert [c.retry_in for c in changes[1:3]] == [0.01, 0.02]
    assert changes[1].detail == "no route to host"
    assert changes[4].detail == "connection lost" and changes[4].retry_in is None
    with pytest.raises(SshError, match="closed"):
        await pool.node("pve03").connection()


async def test_host_key_refusal_is_reported_as_failed_with_the_message(
        monkeypatch: pytest.MonkeyPatch) -> None:
    async def refuse(target: SshTarget) -> Any:
        raise HostKeyError("unknown host key for pve03: server offers ssh-ed25519 SHA256:abc",
                           fingerprint="SHA256:abc", changed=False)

    monkeypatch.setattr(ssh, "connect", refuse)
    pool = SshPool([SshTarget(node="pve03", host="h")],
                   backoff=lambda: Backoff(base=0.05, cap=0.05, jitter=0))
    got: list[Event] = []

    async def emit(e: Event) -> None:
        got.append(e)

    task = asyncio.create_task(pool.run(emit))
    # waiting callers get the reason, not an empty timeout
    with pytest.raises(SshError, match=r"not connected: unknown host key .*SHA256:abc"):
        await pool.node("pve03").connection(timeout=0.2)
    await pool.close()
    task.cancel()
    failed = [e for e in got if isinstance(e, ConnectionChange) and e.state == "failed"]
    assert failed and "SHA256:abc" in failed[0].detail


def test_a_node_configured_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        SshPool([SshTarget(node="a", host="h"), SshTarget(node="a", host="i")])
