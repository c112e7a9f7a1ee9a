"""Validation of the ``[watch]`` table and its ``[[watch.sinks]]`` (see ``config.load``).

Each sink type has its own keys: a key another type uses is named as not valid for this
type, an unknown one gets a "did you mean". Secrets are never inline (a file or a variable
name), and an SMTP password is refused over an unencrypted connection that leaves the host.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from labconsole.config.watch_model import (
    SINK_TYPES,
    AlertPolicy,
    SecretRef,
    SinkConfig,
    WatchConfig,
)

if TYPE_CHECKING:
    from labconsole.config.load import _Checker

N = TypeVar("N", int, float)  # a [watch] number: a count or seconds/sizes

WATCH_KEYS = ("recording", "rotate_mb", "rotate_hours", "keep", "hold", "dedup_window",
              "rate_limit", "rate_window", "retries", "retry_delay", "retry_max_delay", "sinks")
_COMMON = ("name", "type", "timeout")
SINK_KEYS: dict[str, tuple[str, ...]] = {
    "webhook": (*_COMMON, "url"),
    "ntfy": (*_COMMON, "url", "token_file", "token_env"),
    "gotify": (*_COMMON, "url", "token_file", "token_env"),
    "smtp": (*_COMMON, "host", "port", "security", "from", "to", "user", "password_file",
             "password_env"),
    "command": (*_COMMON, "argv"),
}
ALL_SINK_KEYS = tuple(dict.fromkeys(k for keys in SINK_KEYS.values() for k in keys))
SINK_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
ADDRESS_RE = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$")
SMTP_PORTS = {"starttls": 587, "tls": 465, "none": 25}
SECURITY_RE = re.compile("starttls|tls|none")


def _join(parent: str, key: str) -> str:
    return f"{parent}.{key}" if parent else key


def _ranged(check: _Checker, table: dict[str, Any], key: str, default: N, low: N, high: N
            ) -> N:
    """``watch.KEY`` of the default's type (int or float) within ``low``-``high``, else the
    default (and the problem noted)."""
    value = check.typed(table, "watch", key, type(default), default)
    assert value is not None
    if not low <= value <= high:
        check.add(_join("watch", key), f"{value:g} is out of range {low:g}-{high:g}")
        return default
    return value


def load_watch(check: _Checker, table: dict[str, Any]) -> WatchConfig:
    path = "watch"
    check.keys(table, path, WATCH_KEYS)
    d, p = WatchConfig(), AlertPolicy()
    return WatchConfig(
        recording=check.path(table, path, "recording"),
        rotate_mb=_ranged(check, table, "rotate_mb", d.rotate_mb, 0.01, 1_000_000.0),
        rotate_hours=_ranged(check, table, "rotate_hours", d.rotate_hours, 0.0, 24 * 366.0),
        keep=_ranged(check, table, "keep", d.keep, 0, 1000),
        hold=_ranged(check, table, "hold", d.hold, 0.0, 600.0),
        policy=AlertPolicy(
            dedup_window=_ranged(check, table, "dedup_window", p.dedup_window, 0.0,
                                 86400 * 7.0),
            rate_limit=_ranged(check, table, "rate_limit", p.rate_limit, 1, 100_000),
            rate_window=_ranged(check, table, "rate_window", p.rate_window, 1.0, 86400 * 7.0),
            retries=_ranged(check, table, "retries", p.retries, 0, 20),
            retry_delay=_ranged(check, table, "retry_delay", p.retry_delay, 0.01, 3600.0),
            retry_max_delay=_ranged(check, table, "retry_max_delay", p.retry_max_delay, 0.01,
                                    86400.0)),
        sinks=_sinks(check, table),
    )


def _sinks(check: _Checker, table: dict[str, Any]) -> tuple[SinkConfig, ...]:
    sinks: list[SinkConfig] = []
    seen: dict[str, str] = {}
    for index, item in enumerate(check.tables(table, "watch", "sinks")):
        path = f"watch.sinks[{index}]"
        sink = _sink(check, item, path)
        if sink is None:
            continue
        if sink.name in seen:
            check.add(_join(path, "name"), f"duplicate sink name {sink.name!r} (first at "
                                           f"{seen[sink.name]}): give each sink a name")
        else:
            seen[sink.name] = _join(path, "name")
        sinks.append(sink)
    return tuple(sinks)


def _sink(check: _Checker, table: dict[str, Any], path: str) -> SinkConfig | None:
    kind = check.text(table, path, "type", required=True)
    if kind is not None and kind not in SINK_TYPES:
        check.add(_join(path, "type"), f"{kind!r} is not one of {', '.join(SINK_TYPES)}")
        kind = None
    if kind is None:
        check.keys(table, path, ALL_SINK_KEYS)
        return None
    allowed = SINK_KEYS[kind]
    for key in table:
        if key in ALL_SINK_KEYS and key not in allowed:
            check.add(_join(path, key), f"not a key of a {kind} sink")
    inline = {"smtp": "password", "ntfy": "token", "gotify": "token"}.get(kind)
    check.keys({k: v for k, v in table.items() if k != inline}, path, ALL_SINK_KEYS)
    name = check.text(table, path, "name", pattern=SINK_NAME_RE,
                      what="a sink name (1-40 of A-Z a-z 0-9 _ . -)") or kind
    timeout = check.interval(table, path, "timeout", 20.0 if kind == "smtp" else 10.0)
    if kind == "command":
        return SinkConfig(name, kind, timeout=timeout, argv=_argv(check, table, path))
    if kind == "smtp":
        return _smtp(check, table, path, name, timeout)
    url = _url(check, table, path)
    token = None if kind == "webhook" else _secret(check, table, path, "token",
                                                    required=kind == "gotify")
    return SinkConfig(name, kind, timeout=timeout, url=url, token=token)


def _url(check: _Checker, table: dict[str, Any], path: str) -> str:
    value = check.text(table, path, "url", required=True)
    if value is None:
        return ""
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(
            c.isspace() for c in value):
        check.add(_join(path, "url"), f"{value!r} is not an http:// or https:// URL")
        return ""
    if parts.password is not None:
        check.add(_join(path, "url"), "no password in the URL: use token_file or token_env")
        return ""
    return value


def _argv(check: _Checker, table: dict[str, Any], path: str) -> tuple[str, ...]:
    items = check.typed(table, path, "argv", list, None, required=True)
    if items is None:
        return ()
    if not items:
        check.add(_join(path, "argv"), "must name the program to run")
    out: list[str] = []
    for i, item in enumerate(items):
        if not isinstance(item, str) or not item or "\0" in item:
            check.add(f"{_join(path, 'argv')}[{i}]", "expected a non-empty string")
        else:
            out.append(item)
    return tuple(out)


def _secret(check: _Checker, table: dict[str, Any], path: str, what: str, *,
            required: bool) -> SecretRef | None:
    file_key, env_key = f"{what}_file", f"{what}_env"
    if what in table:
        check.add(_join(path, what), f"inline secrets are refused: use {file_key} (a file "
                                     f"only you can read) or {env_key} (a variable name)")
    if file_key in table and env_key in table:
        check.add(path, f"set {file_key} or {env_key}, not both")
        return None
    file = check.path(table, path, file_key)
    env = check.text(table, path, env_key, pattern=re.compile(r"[A-Za-z_][A-Za-z0-9_]*"),
                     what="an environment variable name")
    if file is None and env is None:
        if required and file_key not in table and env_key not in table:
            check.add(_join(path, file_key), f"missing required key (or {env_key})")
        return None
    if file is not None:
        _check_secret_file(check, file, _join(path, file_key))
    return SecretRef(file=file, env=env)


def _check_secret_file(check: _Checker, file: Path, key: str) -> None:
    from labconsole.config.load import _check_secret_file as check_file

    check_file(check, file, key)


def _smtp(check: _Checker, table: dict[str, Any], path: str, name: str,
          timeout: float) -> SinkConfig:
    host = check.host(table, path, "host", required=True) or ""
    security = check.text(table, path, "security", pattern=SECURITY_RE,
                          what="starttls, tls or none") or "starttls"
    port = check.port(table, path, "port", SMTP_PORTS[security])
    sender = check.text(table, path, "from", required=True, pattern=ADDRESS_RE,
                        what="an e-mail address") or ""
    recipients = check.names(table, path, "to", ADDRESS_RE, "an e-mail address")
    if "to" not in table:
        check.add(_join(path, "to"), "missing required key (a list of addresses)")
    elif not recipients and isinstance(table["to"], list) and not table["to"]:
        check.add(_join(path, "to"), "must list at least one address")
    user = check.text(table, path, "user")
    password = _secret(check, table, path, "password", required=user is not None)
    if password is not None and user is None:
        check.add(_join(path, "user"), "missing required key (a password needs a user)")
    if password is not None and security == "none" and host and not _loopback(host):
        check.add(_join(path, "security"), "refusing to send a password unencrypted to "
                                           f"{host}: use starttls or tls")
    return SinkConfig(name, "smtp", timeout=timeout, host=host, port=port, security=security,
                      sender=sender, recipients=recipients, user=user, password=password)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
