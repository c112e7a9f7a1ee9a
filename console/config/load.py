"""Read and validate ``config.toml`` into :class:`~labconsole.config.model.Config`.

The validation is written by hand on purpose: every problem must name the file and the TOML
key path (``clusters[0].nodes[2].address``) in the operator's words, ALL problems are
collected in one pass (in section order: console, syslog, clusters), an unknown key gets a
"did you mean" from the known keys, and a schema library (pydantic and friends) would add a
compiled dependency and its own error vocabulary for some thirty fields. Relative paths in
the file are relative to the file's folder; ``~`` is expanded.
"""

from __future__ import annotations

import datetime
import difflib
import ipaddress
import re
import stat
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from platformdirs import user_data_dir

from labconsole.config.errors import ConfigError, ConfigProblem
from labconsole.config.model import (
    DEFAULT_KERNEL_LOG_COMMAND,
    DEFAULT_NIC_REFRESH_INTERVAL,
    DEFAULT_PROXMOX_POLL_INTERVAL,
    DEFAULT_PROXMOX_PORT,
    DEFAULT_QUORUM_POLL_INTERVAL,
    DEFAULT_SYSLOG_ADDRESS,
    DEFAULT_SYSLOG_PORT,
    ClusterConfig,
    Config,
    NodeConfig,
    ProxmoxConfig,
    SshSettings,
    SyslogConfig,
    secret_text_problem,
)
from labconsole.model import timefmt

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

T = TypeVar("T")

# Not starting with "-": the name is passed to ethtool/ip, where it would read as an option
# (the sources refuse such a name too; refusing it here makes it a config error, not a crash).
INTERFACE_RE = re.compile(r"^(?!-)[A-Za-z0-9_.:@-]{1,15}$")
# A node name is one DNS label (what corosync and Proxmox call the node).
NODE_NAME_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOSTNAME_RE = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
USER_RE = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}$")
TOKEN_ID_RE = re.compile(r"^[^\s@!]+@[^\s@!]+![A-Za-z][A-Za-z0-9._-]*$")
_SYNTAX_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
PROTOCOLS = ("udp", "tcp")

TOP_KEYS = ("console", "syslog", "clusters", "watch")
CONSOLE_KEYS = ("recording_dir", "runbook_dir", "audit_log", "quorum_poll_interval",
                "nic_refresh_interval", "bell", "desktop_notification", "timezone")
SYSLOG_KEYS = ("enabled", "address", "port", "protocols", "senders")
CLUSTER_KEYS = ("name", "ssh", "proxmox", "nodes", "kernel_log_command")
NODE_KEYS = ("name", "address", "ssh", "kernel_log_command", "interfaces", "bridge",
             "trust_on_first_use", "alternate_addresses")
SSH_KEYS = ("user", "port", "key_file", "jump_host", "known_hosts")
PROXMOX_KEYS = ("host", "port", "token_id", "token_secret_file", "token_secret_env",
                "verify_tls", "ca_file", "tls_fingerprint", "poll_interval")

_TYPE_NAMES: dict[type, str] = {
    str: "a string", bool: "a boolean (true or false)", int: "an integer", float: "a number",
    list: "an array", dict: "a table", datetime.datetime: "a date-time", datetime.date: "a date",
    datetime.time: "a time",
}


def _type_name(value: object) -> str:
    for kind, name in _TYPE_NAMES.items():
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _join(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


class _Checker:
    """Collects problems for one file while reading typed values out of TOML tables."""

    def __init__(self, file: Path) -> None:
        self.file = file
        self.problems: list[ConfigProblem] = []

    def add(self, key: str, problem: str) -> None:
        self.problems.append(ConfigProblem(str(self.file), key, problem))

    def keys(self, table: dict[str, Any], path: str, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        for key in table:
            if key in allowed:
                continue
            if key == "token_secret" and "token_secret_file" in allowed:
                self.add(_join(path, key), "inline secrets are refused: use token_secret_file "
                         "(a file only you can read) or token_secret_env (a variable name)")
                continue
            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            self.add(_join(path, key), f"unknown key{hint}")

    def typed(self, table: dict[str, Any], path: str, key: str, kind: type[T],
              default: T | None = None, *, required: bool = False) -> T | None:
        """``table[key]`` if it has type ``kind``; else record why and return ``default``."""
        if key not in table:
            if required:
                self.add(_join(path, key), "missing required key")
            return default
        value = table[key]
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)  # type: ignore[return-value]
        if not ok:
            self.add(_join(path, key), f"expected {_TYPE_NAMES[kind]}, got {_type_name(value)}")
            return default
        return value

    def text(self, table: dict[str, Any], path: str, key: str, *, required: bool = False,
             pattern: re.Pattern[str] | None = None, what: str = "",
             default: str | None = None) -> str | None:
        value = self.typed(table, path, key, str, default, required=required)
        if value is None or value == default:
            return value
        if not value.strip():
            self.add(_join(path, key), "must not be empty")
            return default
        if pattern is not None and not pattern.fullmatch(value):
            self.add(_join(path, key), f"{value!r} is not {what}")
            return default
        return value

    def port(self, table: dict[str, Any], path: str, key: str, default: int) -> int:
        value = self.typed(table, path, key, int, default)
        assert value is not None
        if not 1 <= value <= 65535:
            self.add(_join(path, key), f"port {value} is out of range 1-65535")
            return default
        return value

    def interval(self, table: dict[str, Any], path: str, key: str, default: float) -> float:
        value = self.typed(table, path, key, float, default)
        assert value is not None
        if not 0.1 <= value <= 3600:
            self.add(_join(path, key), f"{value:g} seconds is out of range 0.1-3600")
            return default
        return value

    def path(self, table: dict[str, Any], path: str, key: str) -> Path | None:
        value = self.text(table, path, key)
        if value is None:
            return None
        resolved = Path(value).expanduser()
        return resolved if resolved.is_absolute() else self.file.parent / resolved

    def host(self, table: dict[str, Any], path: str, key: str, *, required: bool = False,
             default: str | None = None) -> str | None:
        value = self.text(table, path, key, required=required, default=default)
        if value is None or value == default or _is_host(value):
            return value
        self.add(_join(path, key), f"{value!r} is not a hostname or IP address")
        return default

    def table(self, parent: dict[str, Any], path: str, key: str) -> dict[str, Any]:
        value = self.typed(parent, path, key, dict, {})
        return value if value is not None else {}

    def tables(self, parent: dict[str, Any], path: str, key: str) -> list[dict[str, Any]]:
        """An array of tables, each checked to be a table (``[[clusters]]``)."""
        items = self.typed(parent, path, key, list, [])
        out: list[dict[str, Any]] = []
        for index, item in enumerate(items or []):
            if isinstance(item, dict):
                out.append(item)
            else:
                self.add(f"{_join(path, key)}[{index}]",
                         f"expected a table, got {_type_name(item)}")
                out.append({})
        return out

    def names(self, table: dict[str, Any], path: str, key: str, pattern: re.Pattern[str],
              what: str) -> tuple[str, ...]:
        items = self.typed(table, path, key, list, [])
        out: list[str] = []
        for index, item in enumerate(items or []):
            where = f"{_join(path, key)}[{index}]"
            if not isinstance(item, str):
                self.add(where, f"expected a string, got {_type_name(item)}")
            elif not pattern.fullmatch(item):
                self.add(where, f"{item!r} is not {what}")
            elif item in out:
                self.add(where, f"duplicate {item!r}")
            else:
                out.append(item)
        return tuple(out)


def _is_host(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return bool(HOSTNAME_RE.fullmatch(value))
    return True


def load_config(path: Path | str) -> Config:
    """Read, parse and validate ``path``; raise :class:`ConfigError` listing every problem."""
    file = Path(path)
    data = _read_toml(file)
    check = _Checker(file)
    config = _build(check, data)
    if check.problems:
        raise ConfigError(check.problems)
    return config


def _read_toml(file: Path) -> dict[str, Any]:
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(str(file), "", "no such file")]) from None
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(file), "", f"cannot read: {exc.strerror}")]) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 text (byte {exc.start})"
        raise ConfigError([ConfigProblem(str(file), "", problem)]) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([_syntax_problem(file, exc)]) from exc
    except RecursionError:  # tomllib recurses per nesting level: "a = [[[[..." kills it
        raise ConfigError([ConfigProblem(str(file), "", "invalid TOML: nested too deeply")]
                          ) from None


def _syntax_problem(file: Path, exc: Exception) -> ConfigProblem:
    message = str(exc)
    found = _SYNTAX_POSITION.search(message)
    if found is None:
        return ConfigProblem(str(file), "", f"invalid TOML: {message}")
    where = f"line {found[1]}, column {found[2]}"
    return ConfigProblem(str(file), where, f"invalid TOML: {message[: found.start()]}")


def _build(check: _Checker, data: dict[str, Any]) -> Config:
    """Sections in file-layout order (console, syslog, clusters), so problems come in it too."""
    check.keys(data, "", TOP_KEYS)
    console = check.table(data, "", "console")
    check.keys(console, "console", CONSOLE_KEYS)
    data_dir = Path(user_data_dir("labconsole"))
    recording_dir = check.path(console, "console", "recording_dir")
    runbook_dir = check.path(console, "console", "runbook_dir")
    audit_log = check.path(console, "console", "audit_log")
    quorum_poll = check.interval(
        console, "console", "quorum_poll_interval", DEFAULT_QUORUM_POLL_INTERVAL)
    nic_refresh = check.interval(
        console, "console", "nic_refresh_interval", DEFAULT_NIC_REFRESH_INTERVAL)
    bell = _or(check.typed(console, "console", "bell", bool), True)
    desktop = _or(check.typed(console, "console", "desktop_notification", bool), True)
    zone = _or(check.typed(console, "console", "timezone", str), "UTC")
    try:
        timefmt.parse_zone(zone)
    except ValueError as exc:
        check.add("console.timezone", str(exc))
        zone = "UTC"
    syslog = _syslog(check, check.table(data, "", "syslog"))
    if "clusters" not in data:
        check.add("clusters", "missing required key (at least one [[clusters]] table)")
    clusters = _clusters(check, data)
    from labconsole.config.watch_load import load_watch  # imports this module's _Checker

    watch = load_watch(check, check.table(data, "", "watch"))
    return Config(
        path=check.file,
        clusters=clusters,
        syslog=syslog,
        recording_dir=recording_dir or data_dir / "recordings",
        runbook_dir=runbook_dir or data_dir / "runbooks",
        audit_log=audit_log or data_dir / "audit.jsonl",
        quorum_poll_interval=quorum_poll,
        nic_refresh_interval=nic_refresh,
        bell=bell,
        desktop_notification=desktop,
        timezone=zone,
        watch=watch,
    )


def _syslog(check: _Checker, table: dict[str, Any]) -> SyslogConfig:
    check.keys(table, "syslog", SYSLOG_KEYS)
    enabled = _or(check.typed(table, "syslog", "enabled", bool), True)
    address = _or(check.host(table, "syslog", "address"), DEFAULT_SYSLOG_ADDRESS)
    port = check.port(table, "syslog", "port", DEFAULT_SYSLOG_PORT)
    protocols = check.names(table, "syslog", "protocols", re.compile("udp|tcp"), "udp or tcp")
    if "protocols" in table and isinstance(table["protocols"], list) and not table["protocols"]:
        check.add("syslog.protocols", "must list at least one of udp, tcp")
    senders = _networks(check, table, "syslog", "senders")
    return SyslogConfig(enabled, address, port, protocols or PROTOCOLS, senders)


def _networks(check: _Checker, table: dict[str, Any], path: str, key: str) -> tuple[str, ...]:
    """A list of IP addresses or CIDRs, each checked (kept as written)."""
    out: list[str] = []
    for index, item in enumerate(check.typed(table, path, key, list, []) or []):
        where = f"{_join(path, key)}[{index}]"
        if not isinstance(item, str):
            check.add(where, f"expected a string, got {_type_name(item)}")
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            check.add(where, f"{item!r} is not an IP address or CIDR (like 192.168.1.0/24)")
            continue
        out.append(item)
    return tuple(out)


def _or(value: T | None, default: T) -> T:
    return default if value is None else value


def _clusters(check: _Checker, data: dict[str, Any]) -> tuple[ClusterConfig, ...]:
    clusters: list[ClusterConfig] = []
    seen_clusters: dict[str, str] = {}
    seen_nodes: dict[str, str] = {}
    for index, table in enumerate(check.tables(data, "", "clusters")):
        path = f"clusters[{index}]"
        check.keys(table, path, CLUSTER_KEYS)
        name = check.text(table, path, "name", required=True)
        _unique(check, seen_clusters, name, _join(path, "name"), "cluster")
        ssh_defaults = _ssh(check, check.table(table, path, "ssh"), _join(path, "ssh"),
                            SshSettings())
        klog = check.text(table, path, "kernel_log_command") or DEFAULT_KERNEL_LOG_COMMAND
        nodes = []
        for n, node_table in enumerate(check.tables(table, path, "nodes")):
            node = _node(check, node_table, f"{path}.nodes[{n}]", ssh_defaults, klog)
            _unique(check, seen_nodes, node.name or None, f"{path}.nodes[{n}].name", "node")
            nodes.append(node)
        proxmox = None
        if "proxmox" in table:
            proxmox = _proxmox(check, check.table(table, path, "proxmox"), _join(path, "proxmox"))
        elif "nodes" not in table:  # an API-only cluster needs no SSH node
            check.add(_join(path, "nodes"), "missing required key (or a [clusters.proxmox] "
                      "table: a cluster watched through the Proxmox API only)")
        elif table["nodes"] == []:
            check.add(_join(path, "nodes"), "a cluster needs at least one node (or a "
                      "[clusters.proxmox] table)")
        clusters.append(ClusterConfig(name or "", tuple(nodes), proxmox, klog))
    return tuple(clusters)


def _unique(check: _Checker, seen: dict[str, str], name: str | None, where: str,
            what: str) -> None:
    if name is None:
        return
    if name in seen:
        check.add(where, f"duplicate {what} name {name!r} (first at {seen[name]})")
    else:
        seen[name] = where


def _ssh(check: _Checker, table: dict[str, Any], path: str, base: SshSettings) -> SshSettings:
    check.keys(table, path, SSH_KEYS)
    return SshSettings(
        user=_or(check.text(table, path, "user", pattern=USER_RE, what="a user name"),
                 base.user),
        port=check.port(table, path, "port", base.port),
        key_file=check.path(table, path, "key_file") or base.key_file,
        jump_host=_or(_jump_host(check, table, path), base.jump_host),
        known_hosts=check.path(table, path, "known_hosts") or base.known_hosts,
    )


_JUMP_RE = re.compile(r"^(?:[a-z_][a-z0-9_.-]{0,31}@)?(?P<host>[^@:\s]+|\[[0-9A-Fa-f:]+\])"
                      r"(?::(?P<port>\d{1,5}))?$")


def _jump_host(check: _Checker, table: dict[str, Any], path: str) -> str | None:
    """``[user@]host[:port]``, as ssh's ProxyJump takes it."""
    value = check.text(table, path, "jump_host")
    if value is None:
        return None
    found = _JUMP_RE.fullmatch(value)
    if found is None or not _is_host(found["host"].strip("[]")) or not (
        found["port"] is None or 1 <= int(found["port"]) <= 65535
    ):
        check.add(_join(path, "jump_host"), f"{value!r} is not [user@]host[:port]")
        return None
    return value


def _node(check: _Checker, table: dict[str, Any], path: str, ssh: SshSettings,
          kernel_log_command: str = DEFAULT_KERNEL_LOG_COMMAND) -> NodeConfig:
    """``kernel_log_command``: the cluster's default, used when the node names none."""
    check.keys(table, path, NODE_KEYS)
    iface = "an interface name (1-15 of A-Z a-z 0-9 _ . : @ -)"
    name = check.text(table, path, "name", required=True, pattern=NODE_NAME_RE,
                      what="a node name (a hostname label: letters, digits, '-')")
    address = check.host(table, path, "address", required=True)
    interfaces = check.names(table, path, "interfaces", INTERFACE_RE, iface)
    bridge = check.text(table, path, "bridge", pattern=INTERFACE_RE, what=iface)
    command = check.text(table, path, "kernel_log_command")
    tofu = _or(check.typed(table, path, "trust_on_first_use", bool), False)
    alternates = _alternates(check, table, path, address)
    return NodeConfig(
        name=name or "",
        address=address or "",
        ssh=_ssh(check, check.table(table, path, "ssh"), _join(path, "ssh"), ssh),
        kernel_log_command=command or kernel_log_command,
        interfaces=interfaces,
        bridge=bridge,
        trust_on_first_use=tofu,
        alternate_addresses=alternates,
    )


def _alternates(check: _Checker, table: dict[str, Any], path: str,
                address: str | None) -> tuple[str, ...]:
    """``alternate_addresses``: hosts, none twice and none the primary address."""
    items = check.typed(table, path, "alternate_addresses", list, [])
    out: list[str] = []
    for index, item in enumerate(items or []):
        where = f"{_join(path, 'alternate_addresses')}[{index}]"
        if not isinstance(item, str):
            check.add(where, f"expected a string, got {_type_name(item)}")
        elif not _is_host(item):
            check.add(where, f"{item!r} is not a hostname or IP address")
        elif item == address or item in out:
            check.add(where, f"duplicate address {item!r}")
        else:
            out.append(item)
    return tuple(out)


def _proxmox(check: _Checker, table: dict[str, Any], path: str) -> ProxmoxConfig:
    check.keys(table, path, PROXMOX_KEYS)
    host = check.host(table, path, "host", required=True)
    port = check.port(table, path, "port", DEFAULT_PROXMOX_PORT)
    token_id = check.text(table, path, "token_id", required=True, pattern=TOKEN_ID_RE,
                          what="a token id (user@realm!tokenname)")
    secret_file = check.path(table, path, "token_secret_file")
    secret_env = check.text(table, path, "token_secret_env", pattern=ENV_NAME_RE,
                            what="an environment variable name")
    if "token_secret_file" in table and "token_secret_env" in table:
        check.add(path, "set token_secret_file or token_secret_env, not both")
    elif "token_secret_file" not in table and "token_secret_env" not in table:
        check.add(_join(path, "token_secret_file"),
                  "missing required key (or token_secret_env)")
    if secret_file is not None:
        _check_secret_file(check, secret_file, _join(path, "token_secret_file"))
    verify_tls = _or(check.typed(table, path, "verify_tls", bool), True)
    fingerprint = _fingerprint(check, table, path, verify_tls)
    return ProxmoxConfig(
        host=host or "",
        token_id=token_id or "",
        port=port,
        token_secret_file=secret_file,
        token_secret_env=secret_env,
        verify_tls=verify_tls,
        ca_file=_existing_file(check, table, path, "ca_file"),
        tls_fingerprint=fingerprint,
        poll_interval=check.interval(table, path, "poll_interval",
                                     DEFAULT_PROXMOX_POLL_INTERVAL),
    )


def _fingerprint(check: _Checker, table: dict[str, Any], path: str, verify_tls: bool
                 ) -> str | None:
    """``tls_fingerprint``: SHA-256, hex with or without colons -> 64 lower-case digits."""
    text = check.text(table, path, "tls_fingerprint")
    if text is None:
        return None
    where = _join(path, "tls_fingerprint")
    digits = text.strip().lower().removeprefix("sha256:").replace(":", "")
    if not re.fullmatch(r"[0-9a-f]{64}", digits):
        check.add(where, f"{text!r} is not a SHA-256 fingerprint (64 hex digits, colons "
                         "allowed; `openssl x509 -noout -fingerprint -sha256 -in CERT`)")
        return None
    if "ca_file" in table:
        check.add(where, "set ca_file or tls_fingerprint, not both")
    if not verify_tls:
        check.add(where, "verify_tls = false turns checking off; a pinned fingerprint is "
                         "checked: drop one of the two")
    return digits


def _existing_file(check: _Checker, table: dict[str, Any], path: str, key: str) -> Path | None:
    file = check.path(table, path, key)
    if file is not None and not file.is_file():
        check.add(_join(path, key), f"no such file: {file}")
    return file


def _check_secret_file(check: _Checker, file: Path, key: str) -> None:
    """The secret file must exist, be readable, and be readable by its owner only."""
    try:
        info = file.stat()
    except OSError as exc:
        check.add(key, f"cannot read secret file {file}: {exc.strerror}")
        return
    if not stat.S_ISREG(info.st_mode):
        check.add(key, f"secret file {file} is not a regular file")
        return
    if info.st_mode & (stat.S_IRGRP | stat.S_IROTH):
        check.add(key, f"secret file {file} is readable by group or others "
                       f"(mode {stat.S_IMODE(info.st_mode):04o}): chmod 600 it")
        return
    try:
        with file.open("rb") as fh:
            data = fh.read(65536)
    except OSError as exc:
        check.add(key, f"cannot read secret file {file}: {exc.strerror}")
        return
    try:
        problem = secret_text_problem(data.decode("utf-8"))
    except UnicodeDecodeError:
        problem = "is not UTF-8 text"
    if problem:
        check.add(key, f"secret file {file} {problem}")

