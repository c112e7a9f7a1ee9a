"""Who may use ``labconsole serve``, and from which page: the pure half of serve's guard.

``serve`` is a remote shell with root's SSH keys behind it, so every request but the static
files must be authenticated, and a browser request must come from serve's own page:

* **Credentials**: a random token printed once at start (``?token=...`` in the URL), or, with
  ``--password-file``, a ``name:password`` line of a file only its owner can read (HTTP Basic
  on the page). Either one opens a session: a random cookie (HttpOnly, SameSite=Strict) that
  the page's WebSocket carries. Comparisons are constant-time.
* **Origin**: a request with an ``Origin`` header (every browser WebSocket handshake has one)
  must come from one of serve's own origins; anything else (``http://evil.example``) is refused
  before any credential is looked at, so another page in the operator's browser cannot drive
  the console.
* **Host**: the ``Host`` header must name serve itself, so a DNS-rebound name is refused too.
* **Guessing**: a wrong credential is answered after a delay, and :class:`LoginThrottle` keeps
  the delay from being sidestepped by guessing in parallel: one login check at a time per
  address (8 at once in all), and at most 10 failed logins per address (100 in all) in 10
  minutes; past that, logins are refused (429) without looking at the credential. A browser
  that is already logged in (its session cookie) is never throttled.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import socket
import stat
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from labconsole.sanitize import visible

COOKIE = "labconsole_session"
TOKEN_BYTES = 32
TOKEN_SESSION = "token holder"  # the token names nobody: the audit says so ("... via serve")
MAX_SESSIONS = 64  # oldest dropped first: a session is a browser that logged in


class ServeAuthError(ValueError):
    """A password file or address that cannot be used (a clear one-line message)."""


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def read_password_file(path: Path) -> dict[str, str]:
    """``name:password`` per non-empty line (``#`` comments). Refused when group or others
    can read it, when a line has no ``:``, an empty name or password, or a name twice."""
    try:
        info = path.stat()
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ServeAuthError(f"password file {path}: cannot read it: {exc}") from None
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise ServeAuthError(f"password file {path}: readable by group or others "
                             f"(mode {stat.S_IMODE(info.st_mode):04o}); chmod 600 it")
    users: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, password = line.partition(":")
        name = name.strip()
        if not sep or not name or not password:
            raise ServeAuthError(f"password file {path}:{n}: expected name:password")
        if name in users:
            raise ServeAuthError(f"password file {path}:{n}: {visible(name)!r} appears twice")
        users[name] = password
    if not users:
        raise ServeAuthError(f"password file {path}: no name:password line")
    return users


def is_loopback(host: str) -> bool:
    """True when every address ``host`` names is a loopback one (``127.0.0.1``, ``::1``,
    ``localhost``); a wildcard (``0.0.0.0``, ``::``) or a LAN address is not."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(
        ipaddress.ip_address(str(a).split("%")[0]).is_loopback for a in addresses)


def is_wildcard(host: str) -> bool:
    """``0.0.0.0`` or ``::``: every address of the machine."""
    return host.strip("[]") in ("0.0.0.0", "::", "")


def machine_names() -> set[str]:
    """The names and addresses a browser may use for this machine (a wildcard bind): its host
    name, FQDN and what they resolve to. Anything else needs ``--public-url``."""
    names = {socket.gethostname(), socket.getfqdn()}
    for name in list(names):
        try:
            names |= {str(info[4][0]) for info in socket.getaddrinfo(name, None)}
        except (OSError, UnicodeError):
            continue
    return {n for n in names if n}


def _host_forms(host: str, port: int) -> set[str]:
    """What a Host header may say for ``host``: with the port and, for the default ports,
    without."""
    name = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return {f"{name}:{port}", name} if port in (80, 443) else {f"{name}:{port}"}


@dataclass
class Guard:
    """Credentials, sessions and the origins serve answers to."""

    origins: frozenset[str]
    hosts: frozenset[str]
    token: str | None = None
    users: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)  # cookie value -> name
    throttle: LoginThrottle = field(default_factory=lambda: LoginThrottle())

    @classmethod
    def for_server(cls, *, bind_host: str, port: int, tls: bool, public_url: str | None,
                   token: str | None, users: dict[str, str] | None = None) -> Guard:
        """The origins and hosts serve's own page has: the bound address (and, on loopback,
        every loopback name for it), plus the public URL when serve sits behind a proxy."""
        scheme = "https" if tls else "http"
        names = {bind_host}
        if is_loopback(bind_host) or is_wildcard(bind_host):
            names |= {"127.0.0.1", "localhost", "::1"}
        if is_wildcard(bind_host):
            names |= machine_names()
        hosts: set[str] = set()
        for name in names:
            hosts |= _host_forms(name, port)
        origins = {f"{scheme}://{h}" for h in hosts}
        if public_url:
            base = public_url.rstrip("/")
            scheme_part, _, rest = base.partition("://")
            netloc = rest.split("/", 1)[0]
            origins.add(f"{scheme_part}://{netloc}")
            hosts.add(netloc)
        return cls(origins=frozenset(origins), hosts=frozenset(hosts), token=token,
                   users=dict(users or {}))

    def origin_ok(self, origin: str | None) -> bool:
        """No Origin (not a browser page) or one of ours."""
        return origin is None or origin in self.origins

    def host_ok(self, host: str | None) -> bool:
        return host is not None and host in self.hosts

    def check_token(self, offered: str | None) -> str | None:
        """The session name for a right token, else None."""
        if self.token is None or not offered:
            return None
        if hmac.compare_digest(offered.encode("utf-8", "surrogateescape"),
                               self.token.encode()):
            return TOKEN_SESSION
        return None

    def check_password(self, name: str, password: str) -> str | None:
        """``name`` when its password is right, else None (the same work either way)."""
        expected = self.users.get(name)
        good = hmac.compare_digest(password.encode("utf-8", "surrogateescape"),
                                   (expected or "\0" * len(password)).encode())
        return name if expected is not None and good else None

    def open_session(self, name: str) -> str:
        cookie = secrets.token_urlsafe(TOKEN_BYTES)
        self.sessions[cookie] = name
        while len(self.sessions) > MAX_SESSIONS:
            del self.sessions[next(iter(self.sessions))]
        return cookie

    def session_name(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        for known, name in self.sessions.items():
            if hmac.compare_digest(cookie.encode("utf-8", "surrogateescape"), known.encode()):
                return name
        return None


def bind_problem(host: str, allow_remote: bool) -> str | None:
    """Why serve will not bind ``host`` (None: it may). A non-loopback address serves root's
    SSH keys to the network: only with ``--allow-remote``."""
    if is_loopback(host) or allow_remote:
        return None
    return (f"refusing to serve on {host}: not a loopback address; the console can run "
            "remediation with this user's SSH keys. Pass --allow-remote to do it anyway "
            "(with --tls-cert/--tls-key, or behind an authenticating TLS proxy)")


PEER_CONCURRENT = 1  # login checks in flight per address
TOTAL_CONCURRENT = 8  # ... from all addresses
PEER_FAILURES = 10  # failed logins per address in WINDOW before its logins are refused
TOTAL_FAILURES = 100  # ... from all addresses
WINDOW = 600.0  # seconds


@dataclass
class LoginThrottle:
    """Bounds on login guessing, per address and in all (pure: the clock is injected).

    ``admit`` before looking at a credential (None: go ahead, else why not), ``done`` after,
    whatever the outcome: the slot it took is held through the failed-login delay, so
    parallel guesses from one address are refused rather than checked."""

    peer_concurrent: int = PEER_CONCURRENT
    total_concurrent: int = TOTAL_CONCURRENT
    peer_failures: int = PEER_FAILURES
    total_failures: int = TOTAL_FAILURES
    window: float = WINDOW
    clock: Callable[[], float] = time.monotonic
    refused: int = 0  # attempts refused unchecked (shown by serve)
    _failed: dict[str, deque[float]] = field(default_factory=dict)
    _all_failed: deque[float] = field(default_factory=deque)
    _busy: dict[str, int] = field(default_factory=dict)

    def admit(self, peer: str) -> str | None:
        now = self.clock()
        self._forget(now)
        why = self._why_not(peer, now)
        if why is not None:
            self.refused += 1
            return why
        self._busy[peer] = self._busy.get(peer, 0) + 1
        return None

    def done(self, peer: str, ok: bool) -> None:
        left = self._busy.get(peer, 0) - 1
        if left > 0:
            self._busy[peer] = left
        else:
            self._busy.pop(peer, None)
        if ok:
            self._failed.pop(peer, None)
            return
        now = self.clock()
        self._failed.setdefault(peer, deque()).append(now)
        self._all_failed.append(now)

    def _why_not(self, peer: str, now: float) -> str | None:
        mine = self._failed.get(peer) or deque()
        if len(mine) >= self.peer_failures:
            wait = mine[0] + self.window - now
            return (f"too many failed logins from {peer} ({len(mine)} in "
                    f"{self.window / 60:.0f} min): try again in {wait:.0f} s")
        if len(self._all_failed) >= self.total_failures:
            wait = self._all_failed[0] + self.window - now
            return (f"too many failed logins ({len(self._all_failed)} in "
                    f"{self.window / 60:.0f} min): try again in {wait:.0f} s")
        if self._busy.get(peer, 0) >= self.peer_concurrent:
            return f"another login from {peer} is being checked: one at a time"
        if sum(self._busy.values()) >= self.total_concurrent:
            return "too many logins being checked at once: try again shortly"
        return None

    def _forget(self, now: float) -> None:
        cutoff = now - self.window
        while self._all_failed and self._all_failed[0] <= cutoff:
            self._all_failed.popleft()
        for peer in list(self._failed):
            times = self._failed[peer]
            while times and times[0] <= cutoff:
                times.popleft()
            if not times:
                del self._failed[peer]
