"""The validated configuration: frozen records, built only by ``labconsole.config.load``."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labconsole.config.watch_model import WatchConfig

from platformdirs import user_data_dir

DEFAULT_KERNEL_LOG_COMMAND = "journalctl -k -f -o json"
DEFAULT_SYSLOG_ADDRESS = "127.0.0.1"
DEFAULT_SYSLOG_PORT = 5514  # unprivileged: the console need not run as root to listen
DEFAULT_PROXMOX_PORT = 8006
DEFAULT_PROXMOX_POLL_INTERVAL = 10.0
# Half a second keeps a vote change on screen within 1 s of corosync reporting it.
DEFAULT_QUORUM_POLL_INTERVAL = 0.25
DEFAULT_NIC_REFRESH_INTERVAL = 30.0


def default_data_dir() -> Path:
    """The user data dir (recordings, runbooks and the audit log live under it by default)."""
    return Path(user_data_dir("labconsole"))


class SecretUnavailableError(RuntimeError):
    """The Proxmox token secret could not be read when it was needed."""


def secret_text_problem(text: str) -> str | None:
    """Why ``text`` is not a usable token secret (worded to follow its source's name), or
    None. Never quotes the text: the message goes to the screen and to ``check``'s output.

    A secret is one line: a second non-empty line is a pasted mistake, and the HTTP library's
    error about the bad header would carry the secret in an escaped form (issue 19 item 6)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return "is empty"
    if len(lines) > 1:
        return (f"has {len(lines)} non-empty lines; a token secret is exactly one line "
                "(the secret itself, nothing else)")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in lines[0].strip()):
        return "contains control characters; a token secret is one line of printable text"
    return None


@dataclass(frozen=True, slots=True)
class SshSettings:
    """How to reach a node over SSH; host keys are always checked against ``known_hosts``."""

    user: str = "root"
    port: int = 22
    key_file: Path | None = None
    jump_host: str | None = None
    known_hosts: Path | None = None  # None: the user's default known_hosts


@dataclass(frozen=True, slots=True)
class NodeConfig:
    name: str
    address: str
    ssh: SshSettings = SshSettings()
    kernel_log_command: str = DEFAULT_KERNEL_LOG_COMMAND
    interfaces: tuple[str, ...] = ()
    bridge: str | None = None
    # Accept and record this node's host key the first time it is seen (never a changed one).
    # Per node, off by default: an explicit choice for a freshly installed node.
    trust_on_first_use: bool = False
    # Other addresses of the node (management network, second NIC), tried in order when the
    # primary cannot be reached; shown as such when in use.
    alternate_addresses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ProxmoxConfig:
    """Proxmox VE API access. The token secret is never stored in the config itself."""

    host: str
    token_id: str
    port: int = DEFAULT_PROXMOX_PORT
    token_secret_file: Path | None = None
    token_secret_env: str | None = None
    verify_tls: bool = True
    ca_file: Path | None = None
    # The server certificate's SHA-256 fingerprint (64 hex digits, lower case, no colons),
    # pinned instead of a CA file: PVE's self-signed certificate without its CA.
    tls_fingerprint: str | None = None
    poll_interval: float = DEFAULT_PROXMOX_POLL_INTERVAL  # seconds between API polls

    def token_secret(self, env: Mapping[str, str] | None = None) -> str:
        """Read the secret now (file or environment variable), stripped of surrounding space.

        The file's mode is checked again here, not only when the config was loaded: a file
        made group/world-readable since then is refused, as at load time."""
        if self.token_secret_file is not None:
            try:
                mode = self.token_secret_file.stat().st_mode
                if mode & (stat.S_IRGRP | stat.S_IROTH):
                    raise SecretUnavailableError(
                        f"token secret file {self.token_secret_file} is readable by group or "
                        f"others (mode {stat.S_IMODE(mode):04o}): chmod 600 it")
                text = self.token_secret_file.read_text(encoding="utf-8")
            except OSError as exc:
                raise SecretUnavailableError(
                    f"cannot read token secret file {self.token_secret_file}: {exc.strerror}"
                ) from exc
            except UnicodeDecodeError:
                raise SecretUnavailableError(
                    f"token secret file {self.token_secret_file} is not UTF-8 text") from None
            problem = secret_text_problem(text)
            if problem:
                raise SecretUnavailableError(f"token secret file {self.token_secret_file} "
                                             f"{problem}")
            return text.strip()
        name = self.token_secret_env or ""
        value = (os.environ if env is None else env).get(name, "")
        if not value:
            raise SecretUnavailableError(f"environment variable {name} is not set or empty")
        problem = secret_text_problem(value)
        if problem:
            raise SecretUnavailableError(f"environment variable {name} {problem}")
        return value.strip()


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    name: str
    nodes: tuple[NodeConfig, ...]
    proxmox: ProxmoxConfig | None = None
    # The cluster's default kernel log command (a node's own kernel_log_command wins).
    kernel_log_command: str = DEFAULT_KERNEL_LOG_COMMAND


@dataclass(frozen=True, slots=True)
class SyslogConfig:
    """The CEF syslog listener (UniFi alerts)."""

    enabled: bool = True
    address: str = DEFAULT_SYSLOG_ADDRESS
    port: int = DEFAULT_SYSLOG_PORT
    protocols: tuple[str, ...] = ("udp", "tcp")
    # Who may send (addresses or CIDRs: the UniFi console/switches), besides loopback, which
    # is always allowed; anything else is rejected and counted.
    senders: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Config:
    path: Path
    clusters: tuple[ClusterConfig, ...]
    syslog: SyslogConfig
    recording_dir: Path
    runbook_dir: Path
    quorum_poll_interval: float = DEFAULT_QUORUM_POLL_INTERVAL
    nic_refresh_interval: float = DEFAULT_NIC_REFRESH_INTERVAL
    # The runbooks' append-only audit log (JSON lines).
    audit_log: Path = field(default_factory=lambda: default_data_dir() / "audit.jsonl")
    # The console rings when an incident starts: a terminal bell, and a desktop notification
    # escape (OSC 9 / OSC 777) where the terminal shows one.
    bell: bool = True
    desktop_notification: bool = True
    # The zone every screen and Markdown report shows times in (IANA name or UTC).
    timezone: str = "UTC"
    watch: WatchConfig = field(default_factory=lambda: _watch_default())

    @property
    def nodes(self) -> tuple[NodeConfig, ...]:
        return tuple(node for cluster in self.clusters for node in cluster.nodes)


def _watch_default() -> WatchConfig:
    from labconsole.config.watch_model import WatchConfig

    return WatchConfig()
