"""Host keys and secrets: unknown/changed host keys refused with the fingerprint, an explicit
per-node trust-on-first-use that records the key (never a changed one); the Proxmox token only
from a private file or an environment variable, and never in a repr, log, event or traceback;
TLS verification on by default.

The SSH tests run a real asyncssh server on loopback (no root needed)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import traceback
from collections.abc import AsyncIterator
from pathlib import Path

import asyncssh
import pytest

from labconsole.config import ConfigError, SecretUnavailableError, load_config
from labconsole.events import ConnectionChange, Event
from labconsole.sources.live import build_live, ssh_target
from labconsole.sources.pve_api import PveApiError, PveApiSource
from labconsole.sources.ssh import HostKeyError, NodeConnection, SshTarget, connect
from tests.fixtures.pve_api_server import MockPve

TOKEN_ID, SECRET = "root@pam!labconsole", "5ec7e7-7a11-4bad-8000-c0ffee123456"


# -- SSH host keys ----------------------------------------------------------------------------

class _NoAuth(asyncssh.SSHServer):
    def begin_auth(self, username: str) -> bool:
        return False  # no authentication needed: these tests are about the host key


@pytest.fixture
async def sshd() -> AsyncIterator[tuple[int, asyncssh.SSHKey]]:
    key = asyncssh.generate_private_key("ssh-ed25519")
    server = await asyncssh.create_server(_NoAuth, "127.0.0.1", 0, server_host_keys=[key])
    port = server.sockets[0].getsockname()[1]
    yield port, key
    server.close()
    await server.wait_closed()


def _target(port: int, known: Path, tofu: bool) -> SshTarget:
    return SshTarget(node="pve03", host="127.0.0.1", port=port, username="root",
                     client_keys=(), known_hosts=str(known), ssh_config=(),
                     trust_on_first_use=tofu, connect_timeout=5)


def _fp(key: asyncssh.SSHKey) -> str:
    return key.get_fingerprint("sha256")


async def test_unknown_host_key_is_refused_with_its_fingerprint_when_trust_is_off(
        sshd: tuple[int, asyncssh.SSHKey], tmp_path: Path) -> None:
    port, key = sshd
    known = tmp_path / "known_hosts"
    known.write_text("")
    with pytest.raises(HostKeyError) as info:
        await connect(_target(port, known, tofu=False))
    assert info.value.fingerprint == _fp(key) and _fp(key) in str(info.value)
    assert not info.value.changed
    assert known.read_text() == ""  # nothing recorded without the explicit option


async def test_trust_on_first_use_records_the_key_and_then_verifies_against_it(
        sshd: tuple[int, asyncssh.SSHKey], tmp_path: Path) -> None:
    port, key = sshd
    known = tmp_path / "ssh" / "known_hosts"  # folder and file created, private
    trusted: list[str] = []
    conn = await connect(_target(port, known, tofu=True), on_trust=trusted.append)
    conn.close()
    assert trusted == [f"ssh-ed25519 {_fp(key)}"]
    entry = known.read_text()
    assert entry.startswith(f"[127.0.0.1]:{port} ssh-ed25519 ") and entry.count("\n") == 1
    assert os.stat(known).st_mode & 0o077 == 0
    # the recorded entry is a real known_hosts entry: strict checking now accepts the host
    again = await connect(_target(port, known, tofu=False))
    again.close()
    assert known.read_text() == entry  # not recorded twice


async def test_trust_on_first_use_never_accepts_a_changed_key(
        sshd: tuple[int, asyncssh.SSHKey], tmp_path: Path) -> None:
    port, key = sshd
    other = asyncssh.generate_private_key("ssh-ed25519")
    known = tmp_path / "known_hosts"
    old = f"[127.0.0.1]:{port} {other.export_public_key('openssh').decode().strip()}\n"
    known.write_text(old)
    with pytest.raises(HostKeyError) as info:
        await connect(_target(port, known, tofu=True), on_trust=lambda fp: None)
    assert info.value.changed and "HOST KEY CHANGED" in str(info.value)
    assert _fp(key) in str(info.value) and _fp(other) in str(info.value)
    assert known.read_text() == old


async def test_node_connection_reports_the_trusted_fingerprint_as_a_state_change(
        sshd: tuple[int, asyncssh.SSHKey], tmp_path: Path) -> None:
    port, key = sshd
    changes: list[ConnectionChange] = []
    node = NodeConnection(_target(port, tmp_path / "kh", tofu=True), on_state=changes.append)
    await node.connection(timeout=10)
    await node.close()
    details = [c.detail for c in changes]
    assert any("trusted on first use" in d and _fp(key) in d for d in details), details
    assert [c.state for c in changes][-2:] == ["connected", "closed"]


def _write_config(tmp_path: Path, node_extra: str = "", proxmox: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        '[[clusters]]\nname = "lab"\n' + proxmox
        + '[[clusters.nodes]]\nname = "pve01"\naddress = "10.0.0.11"\n' + node_extra
        + '[[clusters.nodes]]\nname = "pve02"\naddress = "10.0.0.12"\n', encoding="utf-8")
    return path


def test_trust_on_first_use_is_per_node_and_off_by_default(tmp_path: Path) -> None:
    config = load_config(_write_config(tmp_path, "trust_on_first_use = true\n"))
    pve01, pve02 = config.nodes
    assert pve01.trust_on_first_use and not pve02.trust_on_first_use
    assert ssh_target(pve01).trust_on_first_use and not ssh_target(pve02).trust_on_first_use
    with pytest.raises(ConfigError, match=r"nodes\[0\]\.trust_on_first_use: expected a bool"):
        load_config(_write_config(tmp_path, 'trust_on_first_use = "yes"\n'))


# -- the Proxmox token ------------------------------------------------------------------------

def _proxmox_table(secret_line: str, extra: str = "") -> str:
    return (f'[clusters.proxmox]\nhost = "127.0.0.1"\ntoken_id = "{TOKEN_ID}"\n'
            f"{secret_line}\n{extra}")


def test_token_file_readable_by_others_is_refused_at_load_and_at_read(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text(SECRET)
    secret.chmod(0o644)
    with pytest.raises(ConfigError) as info:
        load_config(_write_config(tmp_path, proxmox=_proxmox_table(
            f'token_secret_file = "{secret}"')))
    assert "chmod 600" in str(info.value) and SECRET not in str(info.value)
    secret.chmod(0o600)
    config = load_config(_write_config(tmp_path, proxmox=_proxmox_table(
        f'token_secret_file = "{secret}"')))
    api = config.clusters[0].proxmox
    assert api is not None and api.token_secret() == SECRET
    secret.chmod(0o640)  # made readable after the config was loaded: refused when read
    with pytest.raises(SecretUnavailableError) as refused:
        api.token_secret()
    assert "group or others" in str(refused.value) and SECRET not in str(refused.value)
    live = build_live(config)
    assert any("Proxmox API disabled" in p for p in live.problems)
    assert not any(isinstance(s, PveApiSource) for s in live.sources)


def test_inline_token_is_refused_and_env_token_is_used(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="inline secrets are refused") as info:
        load_config(_write_config(tmp_path, proxmox=_proxmox_table(
            f'token_secret = "{SECRET}"\ntoken_secret_env = "X"')))
    assert SECRET not in str(info.value)
    config = load_config(_write_config(tmp_path, proxmox=_proxmox_table(
        'token_secret_env = "LABCONSOLE_TEST_TOKEN"')))
    live = build_live(config, env={"LABCONSOLE_TEST_TOKEN": SECRET})
    api = [s for s in live.sources if isinstance(s, PveApiSource)]
    assert len(api) == 1 and api[0].token_secret == SECRET
    assert api[0].verify is True  # TLS verification is on unless the config turns it off
    assert SECRET not in repr(api[0]) and SECRET not in repr(live) and SECRET not in str(config)


def test_api_errors_that_echo_the_secret_hide_it_and_do_not_chain_it() -> None:
    def leaky(*args: object, **kwargs: object) -> object:
        raise RuntimeError(f"auth failed for token value {kwargs['token_value']}")

    source = PveApiSource("127.0.0.1", TOKEN_ID, SECRET, api_factory=leaky)
    with pytest.raises(PveApiError) as info:
        source.get("/nodes")
    text = "".join(traceback.format_exception(info.value))
    assert SECRET not in text and "***" in text and "RuntimeError" in text


async def test_secret_never_reaches_logs_events_or_errors_against_the_https_mock(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    events: list[Event] = []

    async def emit(event: Event) -> None:
        events.append(event)

    with MockPve(tmp_path, token=f"{TOKEN_ID}={SECRET}") as pve:
        good = PveApiSource("127.0.0.1", TOKEN_ID, SECRET, port=pve.port, verify=str(pve.cert))
        events.extend(await good.fetch_all())
        # default verify=True against the self-signed mock: refused, reported, retried
        strict = PveApiSource("127.0.0.1", TOKEN_ID, SECRET, port=pve.port, interval=0.1)
        task = asyncio.create_task(strict.run(emit))
        for _ in range(100):
            if any(isinstance(e, ConnectionChange) and e.state == "reconnecting"
                   for e in events):
                break
            await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    states = [e for e in events if isinstance(e, ConnectionChange)]
    assert any("certificate" in e.detail.lower() or "ssl" in e.detail.lower() for e in states)
    recorded = "\n".join(json.dumps(e.to_json(), default=str) for e in events)
    assert "/cluster/status" in recorded
    for where in (recorded, caplog.text, repr(good), repr(strict), "\n".join(strict.errors)):
        assert SECRET not in where
