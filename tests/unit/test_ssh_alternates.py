"""A node's alternate addresses, against a real SSH server (asyncssh) on loopback: the
primary address refuses, the alternate answers with the host key known for it; the state
says which path is in use; a refused host key is not worked around through another path."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncssh
import pytest

from labconsole.events import ConnectionChange, Event
from labconsole.sources.backoff import Backoff
from labconsole.sources.ssh import SshPool, SshTarget

PRIMARY = "127.0.0.2"  # loopback, but the server listens on 127.0.0.1 only: refused
ALTERNATE = "127.0.0.1"


@dataclass
class Server:
    port: int
    known_hosts: Path
    client_key: Path


class _Session(asyncssh.SSHServer):
    pass


async def _echo(process: asyncssh.SSHServerProcess) -> None:
    process.stdout.write(f"ran: {process.command}\n")
    process.exit(0)


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    client_key = asyncssh.generate_private_key("ssh-ed25519")
    key_file = tmp_path / "client_key"
    key_file.write_bytes(client_key.export_private_key())
    key_file.chmod(0o600)
    srv = await asyncssh.create_server(
        _Session, ALTERNATE, 0, server_host_keys=[host_key],
        authorized_client_keys=asyncssh.import_authorized_keys(
            client_key.export_public_key().decode()),
        process_factory=_echo)
    port = srv.sockets[0].getsockname()[1]
    known = tmp_path / "known_hosts"
    known.write_text(f"[{ALTERNATE}]:{port} {host_key.export_public_key().decode()}")
    try:
        yield Server(port, known, key_file)
    finally:
        srv.close()
        await srv.wait_closed()


def target(s: Server, *, alternates: tuple[str, ...], known: Path | None = None
           ) -> SshTarget:
    return SshTarget(node="pve03", host=PRIMARY, port=s.port, username="root",
                     client_keys=(str(s.client_key),), known_hosts=str(known or s.known_hosts),
                     ssh_config=(), connect_timeout=5, alternates=alternates)


async def run_pool(pool: SshPool, until: asyncio.Event | None = None,
                   ) -> tuple[list[Event], asyncio.Task[None]]:
    got: list[Event] = []

    async def emit(e: Event) -> None:
        got.append(e)

    return got, asyncio.create_task(pool.run(emit))


async def test_the_alternate_address_is_used_when_the_primary_is_down(server: Server) -> None:
    pool = SshPool([target(server, alternates=("127.0.0.3", ALTERNATE))],
                   backoff=lambda: Backoff(base=0.05, cap=0.1, jitter=0))
    got, task = await run_pool(pool)
    node = pool.node("pve03")
    result = await node.run("ethtool -k eno1", wait=10)
    assert result.stdout == "ran: ethtool -k eno1\n" and result.exit_status == 0
    assert node.via == ALTERNATE
    connected = [e for e in got if isinstance(e, ConnectionChange) and e.state == "connected"]
    assert connected and connected[-1].detail == (
        f"via alternate address {ALTERNATE} (primary {PRIMARY}: connection refused (is sshd "
        "running and the port right?))")
    await pool.close()
    task.cancel()


async def test_without_alternates_the_primary_failure_stands(server: Server) -> None:
    pool = SshPool([target(server, alternates=())],
                   backoff=lambda: Backoff(base=0.05, cap=0.1, jitter=0))
    got, task = await run_pool(pool)
    for _ in range(100):
        if any(isinstance(e, ConnectionChange) and e.state == "reconnecting" for e in got):
            break
        await asyncio.sleep(0.05)
    states = [e.state for e in got if isinstance(e, ConnectionChange)]
    assert "reconnecting" in states and "connected" not in states
    await pool.close()
    task.cancel()


async def test_every_path_down_names_each_failure(server: Server) -> None:
    pool = SshPool([target(server, alternates=("127.0.0.3",))],
                   backoff=lambda: Backoff(base=0.05, cap=0.1, jitter=0))
    got, task = await run_pool(pool)
    for _ in range(100):
        if any(isinstance(e, ConnectionChange) and "no path" in e.detail for e in got):
            break
        await asyncio.sleep(0.05)
    detail = next(e.detail for e in got if isinstance(e, ConnectionChange)
                  and "no path" in e.detail)
    assert detail.startswith(f"no path to the node: {PRIMARY}: connection refused")
    assert "127.0.0.3: connection refused" in detail
    await pool.close()
    task.cancel()


async def test_an_unknown_host_key_on_the_alternate_is_refused(server: Server,
                                                              tmp_path: Path) -> None:
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    pool = SshPool([target(server, alternates=(ALTERNATE,), known=empty)],
                   backoff=lambda: Backoff(base=0.05, cap=0.1, jitter=0))
    got, task = await run_pool(pool)
    for _ in range(100):
        if any(isinstance(e, ConnectionChange) and e.state == "failed" for e in got):
            break
        await asyncio.sleep(0.05)
    failed = [e for e in got if isinstance(e, ConnectionChange) and e.state == "failed"]
    assert failed and "SHA256:" in failed[0].detail
    assert pool.node("pve03").via is None
    await pool.close()
    task.cancel()


def test_the_path_in_use_is_state_and_shown_in_the_status_bar() -> None:
    from datetime import datetime, timezone

    from labconsole.state.console_state import ConsoleState
    from labconsole.widgets.status_bar import render_status

    at = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
    state = ConsoleState()
    state.apply(ConnectionChange(at=at, source="ssh:pve03", node="pve03", state="connected",
                                 detail="via alternate address 10.99.0.13 (primary ...)",
                                 via="10.99.0.13"))
    assert state.health["ssh:pve03"].via == "10.99.0.13"
    line = render_status(state.health, at, recording=None, replay=None, errors=0).plain
    assert "ssh ✓ pve03 via 10.99.0.13" in line
    state.apply(ConnectionChange(at=at, source="ssh:pve03", node="pve03", state="connected"))
    line = render_status(state.health, at, recording=None, replay=None, errors=0).plain
    assert "via" not in line and "ssh ✓ pve03" in line
    assert state.timeline.entries[0].text.startswith(
        "ssh:pve03 connected: via alternate address 10.99.0.13")


def test_alternate_addresses_in_the_config(tmp_path: Path) -> None:
    from labconsole.config import ConfigError, load_config
    from labconsole.sources.live import ssh_target

    node = ('[[clusters]]\nname = "lab"\n[[clusters.nodes]]\nname = "pve03"\n'
            'address = "10.0.0.13"\n')
    good = tmp_path / "good.toml"
    good.write_text(node + 'alternate_addresses = ["10.99.0.13", "pve03-mgmt.lab"]\n')
    config = load_config(good)
    assert config.nodes[0].alternate_addresses == ("10.99.0.13", "pve03-mgmt.lab")
    assert ssh_target(config.nodes[0]).alternates == ("10.99.0.13", "pve03-mgmt.lab")
    bad = tmp_path / "bad.toml"
    bad.write_text(node + 'alternate_addresses = ["10.0.0.13", "not a host", 7, "10.9.0.1", '
                          '"10.9.0.1"]\n')
    with pytest.raises(ConfigError) as caught:
        load_config(bad)
    key = "clusters[0].nodes[0].alternate_addresses"
    assert [str(p).replace(str(bad), "c.toml") for p in caught.value.problems] == [
        f"c.toml: {key}[0]: duplicate address '10.0.0.13'",
        f"c.toml: {key}[1]: 'not a host' is not a hostname or IP address",
        f"c.toml: {key}[2]: expected a string, got an integer",
        f"c.toml: {key}[4]: duplicate address '10.9.0.1'"]


def test_the_path_round_trips_through_a_recording(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from labconsole.events import event_from_json

    at = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
    via = ConnectionChange(at=at, source="ssh:pve03", node="pve03", state="connected",
                           via="10.99.0.13")
    plain = ConnectionChange(at=at, source="ssh:pve03", node="pve03", state="connected")
    assert event_from_json(via.to_json()) == via and via.to_json()["via"] == "10.99.0.13"
    assert "via" not in plain.to_json() and event_from_json(plain.to_json()) == plain
