"""SSH failures in words (issue 14): real sockets on loopback, no mocks of the network.

Connection refused (a port nobody listens on), timed out (a listener that never speaks SSH),
a missing key file; and the reason reaches the node's state and a runbook command's error,
never an empty string after the colon."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import asyncssh
import pytest

from labconsole.events import ConnectionChange
from labconsole.runbook.executor import ExecutorError, SshExecutor
from labconsole.sources.backoff import Backoff
from labconsole.sources.ssh import SshPool, SshTarget, connect, describe_error, is_permanent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _target(tmp_path: Path, port: int, key: Path | None = None) -> SshTarget:
    known = tmp_path / "known_hosts"
    known.write_text("")
    if key is None:
        key = tmp_path / "id"
        asyncssh.generate_private_key("ssh-ed25519").write_private_key(str(key))
    return SshTarget(node="pve03", host="127.0.0.1", port=port, client_keys=(str(key),),
                     known_hosts=str(known), ssh_config=(), connect_timeout=0.5)


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A TCP listener that accepts and never says anything (an SSH banner never comes)."""
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()


async def _failure(target: SshTarget) -> BaseException:
    with pytest.raises(Exception) as info:
        await asyncio.wait_for(connect(target), 10)
    return info.value


async def test_connection_refused(tmp_path: Path) -> None:
    exc = await _failure(_target(tmp_path, _free_port()))
    assert describe_error(exc) == "connection refused (is sshd running and the port right?)"
    assert not is_permanent(exc)


async def test_timed_out(tmp_path: Path, silent_port: int) -> None:
    exc = await _failure(_target(tmp_path, silent_port))
    assert describe_error(exc) == "timed out"


async def test_missing_key_file_is_named_and_permanent(tmp_path: Path) -> None:
    exc = await _failure(_target(tmp_path, _free_port(), key=tmp_path / "nokey"))
    assert describe_error(exc) == f"file not found: {tmp_path / 'nokey'}"
    assert is_permanent(exc)


def test_an_exception_without_text_still_says_what_it_was() -> None:
    assert describe_error(asyncio.TimeoutError()) == "timed out"
    assert describe_error(RuntimeError()) == "RuntimeError"
    assert describe_error(asyncssh.PermissionDenied("")) == \
        "authentication failed: the node accepted none of the offered keys"


async def test_the_reason_reaches_the_state_and_the_runbook_error(tmp_path: Path) -> None:
    pool = SshPool([_target(tmp_path, _free_port())],
                   backoff=lambda: Backoff(base=0.05, cap=0.05, jitter=0))
    got: list[ConnectionChange] = []

    async def emit(event: object) -> None:
        if isinstance(event, ConnectionChange):
            got.append(event)

    task = asyncio.create_task(pool.run(emit))
    try:
        executor = SshExecutor(pool.nodes, connect_wait=0.5)
        with pytest.raises(ExecutorError) as info:
            await executor.run("pve03", "corosync-quorumtool -s")
    finally:
        await pool.close()
        task.cancel()
    assert str(info.value) == ("pve03: cannot run 'corosync-quorumtool -s': not connected: "
                               "connection refused (is sshd running and the port right?)")
    retry = [c for c in got if c.state == "reconnecting"]
    assert retry and retry[0].detail.startswith("connection refused")
