"""``labconsole check --connect``: probe every node as the console would reach it.

Per node, one SSH connection with the console's own settings (host key checked against
known_hosts, never trusted by this check, even for a trust_on_first_use node: it writes
nothing), then three commands: which of the needed commands exist, which interfaces the node
has, and whether corosync answers. Per cluster with a Proxmox API, one authenticated GET.
Nodes are probed concurrently; every wait is bounded by ``timeout``.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import replace

import asyncssh

from labconsole.config import ClusterConfig, Config, NodeConfig, SecretUnavailableError
from labconsole.preflight.finding import Finding
from labconsole.preflight.needed import Need, needs, probe_names
from labconsole.runbook.load import load_all
from labconsole.runbook.model import Runbook
from labconsole.sources.live import ssh_target
from labconsole.sources.pve_api import PveApiError, PveApiSource
from labconsole.sources.quorum_poll import DEFAULT_COMMAND as QUORUM_COMMAND
from labconsole.sources.quorum_poll import is_answer
from labconsole.sources.ssh import (
    TRANSIENT_ERRORS,
    HostKeyError,
    SshTarget,
    connect,
    describe_error,
)

COMMAND_NOT_FOUND = 127


async def check_connect(config: Config, *, timeout: float = 10.0,
                        env: Mapping[str, str] | None = None) -> list[Finding]:
    """Every problem found by contacting the nodes and APIs, in config order."""
    books, _problems = load_all(config.runbook_dir)  # the offline pass reports those
    jobs = [probe_node(node, books, timeout) for node in config.nodes]
    jobs += [probe_api(c, timeout, env) for c in config.clusters if c.proxmox is not None]
    results = await asyncio.gather(*jobs)
    return [finding for found in results for finding in found]


def _ssh_fix(exc: BaseException, target: SshTarget) -> str:
    where = f"{target.host}:{target.port or 22}"
    if isinstance(exc, asyncssh.PermissionDenied):
        keys = ", ".join(f"{k}.pub" for k in target.client_keys or ()) or "your public key"
        return (f"add {keys} to ~{target.username or 'root'}/.ssh/authorized_keys on the "
                "node, or set ssh.user/ssh.key_file")
    if isinstance(exc, ConnectionRefusedError):
        return f"start sshd on the node (systemctl start ssh), or fix address/port ({where})"
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return f"check that {where} is reachable from here (address, firewall, jump_host)"
    if isinstance(exc, (FileNotFoundError, asyncssh.KeyImportError)):
        return "set ssh.key_file to an existing, unencrypted private key"
    return f"check the node's address and port ({where}) and its sshd"


def _host_key_fix(exc: HostKeyError, target: SshTarget) -> str:
    scan = f"ssh-keyscan -p {target.port or 22} {target.host}"
    if exc.changed:
        return ("find out why the key changed (reinstall? another machine on the address?); "
                "only then replace the old line in known_hosts")
    return (f"verify the fingerprint on the node (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), "
            f"then append `{scan}` output to known_hosts")


async def probe_node(node: NodeConfig, books: Mapping[str, Runbook],
                     timeout: float) -> list[Finding]:
    target = replace(ssh_target(node), connect_timeout=timeout, trust_on_first_use=False)
    try:
        conn = await asyncio.wait_for(connect(target), timeout + 5)
    except HostKeyError as exc:
        if not node.trust_on_first_use or exc.changed:
            return [Finding(node.name, "host key", _first_clause(str(exc)),
                            _host_key_fix(exc, target))]
        # The console would trust this unknown key on first use: probe without checking it.
        try:
            conn = await asyncio.wait_for(
                asyncssh.connect(target.host, **{**target.connect_kwargs(),
                                                 "known_hosts": None}), timeout + 5)
        except TRANSIENT_ERRORS as exc2:
            return [Finding(node.name, "ssh", describe_error(exc2), _ssh_fix(exc2, target))]
    except TRANSIENT_ERRORS as exc:
        return [Finding(node.name, "ssh", describe_error(exc), _ssh_fix(exc, target))]
    try:
        return await _probe_commands(conn, node, books, timeout)
    finally:
        conn.close()


def _first_clause(message: str) -> str:
    """The host key message without asyncssh's own repetition in parentheses."""
    return message.rsplit(" (", 1)[0] if message.endswith(")") else message


async def _run(conn: asyncssh.SSHClientConnection, command: str, timeout: float
               ) -> asyncssh.SSHCompletedProcess:
    return await asyncio.wait_for(
        conn.run(command, check=False, encoding="utf-8", errors="replace"), timeout)


async def _probe_commands(conn: asyncssh.SSHClientConnection, node: NodeConfig,
                          books: Mapping[str, Runbook], timeout: float) -> list[Finding]:
    found: list[Finding] = []
    wanted = needs(node, books)
    try:
        present = await _present(conn, probe_names(wanted), timeout)
        found += _missing(node.name, wanted, present)
        found += await _interfaces(conn, node, timeout)
        if "corosync-quorumtool" in present:
            found += await _quorum(conn, node, timeout)
    except TRANSIENT_ERRORS as exc:
        found.append(Finding(node.name, "ssh", f"lost during the probe: {describe_error(exc)}",
                             "run the check again; see the node's sshd log if it repeats"))
    return found


async def _present(conn: asyncssh.SSHClientConnection, names: Sequence[str],
                   timeout: float) -> set[str]:
    """The names a non-interactive shell (what the console gets) can run: ``command -v``
    finds them and, for a file, it is an executable regular file (bash's ``command -v``
    also names a file it could not execute)."""
    script = (f"for c in {' '.join(shlex.quote(n) for n in names)}; do "
              'p=$(command -v "$c" 2>/dev/null) || continue; '
              'case $p in /*) [ -f "$p" ] && [ -x "$p" ] || continue;; esac; '
              'echo "$c"; done')
    res = await _run(conn, script, timeout)
    return {line.strip() for line in str(res.stdout or "").splitlines() if line.strip()}


def _missing(node: str, wanted: Sequence[Need], present: set[str]) -> list[Finding]:
    found, reported = [], set()
    for need in wanted:
        missing = need.missing(present)
        if not missing or missing in reported:
            continue
        reported.add(missing)
        names = " and ".join(missing)
        alt = " (or " + " / ".join(" and ".join(o) for o in need.alternatives[1:]) + ")" \
            if len(need.alternatives) > 1 else ""
        found.append(Finding(node, f"command {names}", f"command not found{alt}, needed by "
                             f"{need.why}", "install it on the node (or put it on root's PATH "
                             "for non-interactive SSH)"))
    return found


async def _interfaces(conn: asyncssh.SSHClientConnection, node: NodeConfig,
                      timeout: float) -> list[Finding]:
    wanted = [*node.interfaces, *([node.bridge] if node.bridge else [])]
    if not wanted:
        return []
    res = await _run(conn, "ls /sys/class/net", timeout)
    have = str(res.stdout or "").split()
    return [Finding(node.name, f"interface {name}", "not on the node (has: "
                    f"{', '.join(sorted(have)) or 'none'})",
                    "fix interfaces/bridge in the node's config")
            for name in wanted if name not in have]


async def _quorum(conn: asyncssh.SSHClientConnection, node: NodeConfig,
                  timeout: float) -> list[Finding]:
    res = await _run(conn, QUORUM_COMMAND, timeout)
    if is_answer(str(res.stdout or "")):
        return []
    said = (str(res.stderr or "") or str(res.stdout or "")).strip().splitlines()
    why = said[0][:160] if said else "no output"
    return [Finding(node.name, QUORUM_COMMAND, f"no quorum answer (exit {res.exit_status}: "
                    f"{why})", "start corosync on the node (systemctl start corosync)")]


async def probe_api(cluster: ClusterConfig, timeout: float,
                    env: Mapping[str, str] | None) -> list[Finding]:
    api = cluster.proxmox
    assert api is not None
    where, what = f"cluster {cluster.name}", f"proxmox API {api.host}:{api.port}"
    try:
        secret = api.token_secret(env)
    except SecretUnavailableError:
        return []  # the offline pass reports it
    verify: bool | str = str(api.ca_file) if api.ca_file is not None else api.verify_tls
    source = PveApiSource(api.host, api.token_id, secret, port=api.port, verify=verify,
                          fingerprint=api.tls_fingerprint, timeout=timeout)
    try:  # what the console reads first (needs the token and its PVEAuditor rights)
        await asyncio.wait_for(asyncio.to_thread(source.get, "/cluster/status"), timeout + 5)
    except PveApiError as exc:
        return [Finding(where, what, str(exc), _api_fix(str(exc)))]
    except (TimeoutError, asyncio.TimeoutError):
        return [Finding(where, what, "timed out", "check host, port and firewall")]
    return []


def _api_fix(message: str) -> str:
    if "401" in message or "authentication" in message.lower():
        return "check token_id and the secret (Datacenter > Permissions > API Tokens)"
    if "403" in message:
        return "give the token PVEAuditor on / (Datacenter > Permissions)"
    if "SSL" in message or "certificate" in message.lower():
        return "set ca_file to the cluster's CA (pve-root-ca.pem) or tls_fingerprint"
    return "check host and port (the API listens on 8006) and the firewall"
