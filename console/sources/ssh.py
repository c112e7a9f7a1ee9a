"""SSH connections to the nodes: one per node, shared by every source of that node.

asyncssh does the protocol, the OpenSSH client config (Host aliases, ProxyJump, IdentityFile),
agent and default keys, and known_hosts checking. This module adds what asyncssh leaves to the
caller: a connection that comes back by itself (capped exponential backoff with jitter), its
state as :class:`~labconsole.events.ConnectionChange` events, and a host key refusal that names
the SHA256 fingerprint the server offered (asyncssh only says "not trusted"), so the operator
can compare it out of band. Host keys are never auto-accepted, except for a node configured
with ``trust_on_first_use``: then a host *unknown* to known_hosts has the key it offers
written there (and the fingerprint reported); a *changed* key is refused all the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import asyncssh

from labconsole.clock import Clock, system_clock
from labconsole.events import ConnectionChange, ConnState, Event
from labconsole.sources.backoff import Backoff
from labconsole.sources.base import Emit

DEFAULT_KNOWN_HOSTS = "~/.ssh/known_hosts"
# Errors that mean "the node is not reachable right now": retried with backoff.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (OSError, asyncssh.Error, TimeoutError,
                                                      asyncio.TimeoutError)


class SshError(ConnectionError):
    """A node could not be reached or a command could not be run on it."""


class HostKeyError(SshError):
    """The node's host key is unknown or differs from known_hosts: never accepted silently."""

    def __init__(self, message: str, *, fingerprint: str | None, changed: bool) -> None:
        super().__init__(message)
        self.fingerprint = fingerprint
        self.changed = changed


@dataclass(frozen=True, slots=True)
class SshTarget:
    """How to reach one node. ``None`` means "what asyncssh / ~/.ssh/config would use"."""

    node: str
    host: str
    port: int | None = None
    username: str | None = None
    client_keys: tuple[str, ...] | None = None  # None: agent, ssh config, ~/.ssh/id_*
    known_hosts: str | None = None  # None: ~/.ssh/known_hosts
    ssh_config: tuple[str, ...] | None = None  # None: ~/.ssh/config
    jump_host: str | None = None  # [user@]host[:port], as ssh -J (ProxyJump) takes it
    keepalive_interval: float = 5.0
    keepalive_count_max: int = 3
    connect_timeout: float = 10.0
    trust_on_first_use: bool = False  # accept and record an unknown (never a changed) key
    # Other addresses of the same node (a management network, a second NIC), tried in order
    # when the primary cannot be reached. Each must be in known_hosts in its own right: the
    # host key is checked for the address actually connected to.
    alternates: tuple[str, ...] = ()

    def connect_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "known_hosts": os.path.expanduser(self.known_hosts or DEFAULT_KNOWN_HOSTS),
            "keepalive_interval": self.keepalive_interval,
            "keepalive_count_max": self.keepalive_count_max,
            "connect_timeout": self.connect_timeout,
        }
        if self.port is not None:
            kwargs["port"] = self.port
        if self.username is not None:
            kwargs["username"] = self.username
        if self.client_keys is not None:
            kwargs["client_keys"] = [os.path.expanduser(k) for k in self.client_keys]
            kwargs["agent_path"] = None  # explicit keys only: predictable in tests and ops
        if self.ssh_config is not None:
            kwargs["config"] = [os.path.expanduser(c) for c in self.ssh_config]
        if self.jump_host is not None:
            kwargs["tunnel"] = self.jump_host  # asyncssh opens the jump connection itself
        return kwargs


@dataclass(frozen=True, slots=True)
class CommandResult:
    stdout: str
    stderr: str
    exit_status: int | None


TrustListener = Callable[[str], None]


async def connect(target: SshTarget,
                  on_trust: TrustListener | None = None) -> asyncssh.SSHClientConnection:
    """One connection attempt; a host key refusal becomes :class:`HostKeyError`.

    With ``trust_on_first_use`` an unknown host's key is recorded (``on_trust`` gets the
    fingerprint) and the connection retried: it is then verified against that entry."""
    if target.trust_on_first_use:
        _ensure_known_hosts(Path(os.path.expanduser(target.known_hosts or DEFAULT_KNOWN_HOSTS)))
    try:
        return await asyncssh.connect(target.host, **target.connect_kwargs())
    except asyncssh.HostKeyNotVerifiable as exc:
        trusted = await trust_first_use(target) if target.trust_on_first_use else None
        if trusted is None:
            raise await host_key_error(target, exc) from exc
    if on_trust is not None:
        on_trust(trusted)
    try:
        return await asyncssh.connect(target.host, **target.connect_kwargs())
    except asyncssh.HostKeyNotVerifiable as exc:  # the key changed between the two connects
        raise await host_key_error(target, exc) from exc


def known_hosts_pattern(host: str, port: int | None) -> str:
    """How OpenSSH names a host in known_hosts (``[host]:port`` for a non-default port)."""
    return host if port in (None, 22) else f"[{host}]:{port}"


async def trust_first_use(target: SshTarget) -> str | None:
    """Append the key an *unknown* host offers to known_hosts; its fingerprint, else None.

    Refuses (None) when known_hosts already has a key for the host (a changed key is never
    trusted) or when the offered key cannot be fetched."""
    known_path = Path(os.path.expanduser(target.known_hosts or DEFAULT_KNOWN_HOSTS))
    if _known_fingerprints(str(known_path), target):
        return None
    key = await _offered_key(target)
    if key is None:
        return None
    algorithm, blob = key.export_public_key("openssh").decode("ascii").split()[:2]
    line = f"{known_hosts_pattern(target.host, target.port)} {algorithm} {blob}\n"
    _ensure_known_hosts(known_path)
    fd = os.open(known_path, os.O_WRONLY | os.O_APPEND)
    with os.fdopen(fd, "a", encoding="ascii") as out:
        if known_path.stat().st_size and not _ends_with_newline(known_path):
            out.write("\n")
        out.write(line)
    return f"{key.get_algorithm()} {key.get_fingerprint('sha256')}"


def _ensure_known_hosts(path: Path) -> None:
    """An empty, private known_hosts (asyncssh fails on a missing file before any key)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.close(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"


async def _offered_key(target: SshTarget) -> asyncssh.SSHKey | None:
    with contextlib.suppress(*TRANSIENT_ERRORS):
        kwargs: dict[str, Any] = {}
        if target.ssh_config is not None:
            kwargs["config"] = list(target.ssh_config)
        if target.jump_host is not None:
            kwargs["tunnel"] = target.jump_host
        return await asyncssh.get_server_host_key(
            target.host, target.port if target.port is not None else (), **kwargs)
    return None


async def host_key_error(target: SshTarget, exc: Exception) -> HostKeyError:
    """Build the refusal message: offered key's fingerprint, and whether it *changed*."""
    offered = None
    key = await _offered_key(target)
    if key is not None:
        offered = f"{key.get_algorithm()} {key.get_fingerprint('sha256')}"
    known_path = os.path.expanduser(target.known_hosts or DEFAULT_KNOWN_HOSTS)
    known = _known_fingerprints(known_path, target)
    where = f"{target.node} ({target.host}:{target.port or 22})"
    shown = offered or "(could not fetch the offered key)"
    if known:
        msg = (f"HOST KEY CHANGED for {where}: server offers {shown}, {known_path} has "
               f"{', '.join(known)}; refusing to connect")
    else:
        msg = (f"unknown host key for {where}: server offers {shown}, not in {known_path}; "
               "verify it out of band and add it to known_hosts")
    return HostKeyError(f"{msg} ({exc})", fingerprint=offered and offered.split()[-1],
                        changed=bool(known))


def _known_fingerprints(path: str, target: SshTarget) -> list[str]:
    try:
        known = asyncssh.read_known_hosts(path)
    except (OSError, ValueError, asyncssh.KeyImportError):
        return []
    keys = known.match(target.host, target.host, target.port)[0]
    return [f"{k.get_algorithm()} {k.get_fingerprint('sha256')}" for k in keys]


StateListener = Callable[[ConnectionChange], None]


@dataclass
class NodeConnection:
    """The shared, self-healing SSH connection to one node.

    ``connection()`` waits until connected; when the connection drops, a supervisor task
    reconnects with backoff while sources wait. Every state change is reported to
    ``on_state`` as a ConnectionChange event.
    """

    target: SshTarget
    clock: Clock = system_clock
    backoff: Backoff = field(default_factory=Backoff)
    on_state: StateListener | None = None
    state: ConnState = "closed"
    last_error: str = ""
    via: str | None = None  # the alternate address in use (None: the primary, or none)
    _conn: asyncssh.SSHClientConnection | None = field(default=None, repr=False)
    _ready: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _task: asyncio.Task[None] | None = field(default=None, repr=False)
    _closing: bool = False
    _primary_error: str = ""

    @property
    def node(self) -> str:
        return self.target.node

    @property
    def closed(self) -> bool:
        return self._closing

    def start(self) -> None:
        """Start the supervisor (idempotent); needs a running event loop."""
        if self._closing:
            raise SshError(f"{self.node}: connection closed")
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._supervise(), name=f"ssh-{self.node}")

    async def connection(self, timeout: float | None = None) -> asyncssh.SSHClientConnection:
        """The live connection, waiting (up to ``timeout``) for a (re)connect if needed."""
        self.start()
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except (TimeoutError, asyncio.TimeoutError):
            raise SshError(f"not connected: {self.last_error or 'still connecting'}") from None
        if self._conn is None:  # closed while waiting
            raise SshError(f"{self.node}: connection closed")
        return self._conn

    async def run(self, command: str, *, timeout: float = 15.0,
                  wait: float | None = None) -> CommandResult:
        """Run one command; raises SshError when the node is unreachable or it times out."""
        try:
            conn = await self.connection(wait)
            res = await asyncio.wait_for(
                conn.run(command, check=False, encoding="utf-8", errors="replace"), timeout)
        except TRANSIENT_ERRORS as exc:
            raise SshError(f"{self.node}: {command!r} failed: {_describe(exc)}") from exc
        return CommandResult(_text(res.stdout), _text(res.stderr), res.exit_status)

    async def close(self) -> None:
        self._closing = True
        self._ready.set()  # wake waiters: they see the closed state
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None
        self._set_state("closed", "")

    async def _supervise(self) -> None:
        self._set_state("connecting", "")
        while not self._closing:
            try:
                conn = await self._connect()
            except TRANSIENT_ERRORS as exc:
                state: ConnState = "failed" if is_permanent(exc) else "reconnecting"
                await self._wait_retry(state, describe_error(exc))
                continue
            self._conn, self.last_error = conn, ""
            self.backoff.reset()
            self._ready.set()
            self._set_state("connected", self._path_detail(), via=self.via)
            await conn.wait_closed()
            if self._closing:
                return
            self._ready.clear()
            self._conn = None
            self.last_error = "connection lost"
            self._set_state("reconnecting", self.last_error)

    async def _connect(self) -> asyncssh.SSHClientConnection:
        """The primary address first, then each alternate while the failure is one of
        reachability (a refused host key or login is the operator's to fix: not worked
        around through another path)."""
        self.via, self._primary_error = None, ""
        try:
            return await self._connect_to(self.target)
        except TRANSIENT_ERRORS as exc:
            if not self.target.alternates or is_permanent(exc):
                raise
            first: BaseException = exc
        self._primary_error = describe_error(first)
        failures = [f"{self.target.host}: {self._primary_error}"]
        for alt in self.target.alternates:
            try:
                conn = await self._connect_to(replace(self.target, host=alt, alternates=()))
            except TRANSIENT_ERRORS as exc:
                if is_permanent(exc):
                    raise
                failures.append(f"{alt}: {describe_error(exc)}")
                continue
            self.via = alt
            return conn
        raise SshError("no path to the node: " + "; ".join(failures)) from first

    async def _connect_to(self, target: SshTarget) -> asyncssh.SSHClientConnection:
        if target.trust_on_first_use:
            return await connect(target, on_trust=self._trusted)
        return await connect(target)

    def _path_detail(self) -> str:
        """Shown with "connected": which path, when it is not the primary."""
        if self.via is None:
            return ""
        return (f"via alternate address {self.via} (primary {self.target.host}: "
                f"{self._primary_error})")

    def _trusted(self, fingerprint: str) -> None:
        self._set_state("connecting", f"host key trusted on first use and added to "
                                      f"known_hosts: {fingerprint}")

    async def _wait_retry(self, state: ConnState, detail: str) -> None:
        self.last_error = detail
        delay = self.backoff.next_delay()
        self._set_state(state, detail, retry_in=delay)
        await asyncio.sleep(delay)

    def _set_state(self, state: ConnState, detail: str, retry_in: float | None = None,
                   via: str | None = None) -> None:
        self.state = state
        if self.on_state is not None:
            self.on_state(ConnectionChange(at=self.clock(), source=f"ssh:{self.node}",
                                           node=self.node, state=state, detail=detail,
                                           retry_in=retry_in, via=via))


class SshPool:
    """All node connections; as a Source it emits their ConnectionChange events."""

    name = "ssh"

    def __init__(self, targets: Iterable[SshTarget], *, clock: Clock = system_clock,
                 backoff: Callable[[], Backoff] = Backoff, queue_size: int = 1000) -> None:
        # Bounded: when nobody drains it (UI stalled) the oldest state changes are dropped
        # and counted; the newest state of each node is the one that matters.
        self._events: asyncio.Queue[Event] = asyncio.Queue(queue_size)
        self.overflow = 0
        self.nodes: dict[str, NodeConnection] = {}
        for t in targets:
            if t.node in self.nodes:
                raise ValueError(f"node {t.node!r} configured twice")
            self.nodes[t.node] = NodeConnection(t, clock=clock, backoff=backoff(),
                                                on_state=self._push)

    def _push(self, event: Event) -> None:
        if self._events.full():
            self._events.get_nowait()
            self.overflow += 1
        self._events.put_nowait(event)

    def node(self, name: str) -> NodeConnection:
        try:
            return self.nodes[name]
        except KeyError:
            raise SshError(f"no SSH target configured for node {name!r}") from None

    async def run(self, emit: Emit) -> None:
        for conn in self.nodes.values():
            conn.start()
        while True:
            await emit(await self._events.get())

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self.nodes.values()))


def _describe(exc: BaseException) -> str:
    return describe_error(exc)


# errno -> what the operator reads (the OS's own strerror is fine for the rest).
_ERRNO_WORDS: dict[int, str] = {
    errno.ECONNREFUSED: "connection refused (is sshd running and the port right?)",
    errno.ETIMEDOUT: "timed out",
    errno.EHOSTUNREACH: "no route to host",
    errno.ENETUNREACH: "network unreachable",
    errno.ECONNRESET: "connection reset by the node",
    errno.EACCES: "permission denied",
}


def describe_error(exc: BaseException) -> str:
    """An SSH failure in the operator's words, never empty: connection refused, timed out,
    authentication failed, host key unknown or changed, a key file that is missing...

    asyncssh's and the OS's messages are kept after the words where they add something."""
    if isinstance(exc, SshError):  # ours: already in words
        return str(exc) or "SSH error"
    if isinstance(exc, asyncssh.HostKeyNotVerifiable):
        return f"host key unknown or changed ({exc.reason or 'not trusted'})"
    if isinstance(exc, asyncssh.PermissionDenied):
        return "authentication failed: the node accepted none of the offered keys"
    if isinstance(exc, asyncssh.KeyImportError):
        return f"cannot use the SSH key: {exc}"
    if isinstance(exc, asyncssh.ConnectionLost):
        return f"connection lost ({exc.reason})" if exc.reason else "connection lost"
    if isinstance(exc, asyncssh.DisconnectError):
        return f"disconnected by the node: {exc.reason or type(exc).__name__}"
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return "timed out"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the host name: {exc.strerror or exc}"
    if isinstance(exc, FileNotFoundError):
        name = f": {exc.filename}" if exc.filename else ""
        return f"file not found{name}"
    if isinstance(exc, OSError) and exc.errno in _ERRNO_WORDS:
        return _ERRNO_WORDS[exc.errno]
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def describe_exit(command: str, status: int | None, stderr: str = "") -> str:
    """Why a remote command ended, in words: ``command not found: journalctl`` (the shell's
    127), ``not executable`` (126), else the exit status and the first line it printed."""
    name = command.split(maxsplit=1)[0] if command.strip() else command
    if status == 127:
        return f"command not found on the node: {name}"
    if status == 126:
        return f"cannot execute on the node: {name} (permission denied?)"
    said = next((line.strip() for line in stderr.splitlines() if line.strip()), "")
    ended = "was killed by a signal" if status is None else f"exited {status}"
    return f"{name} {ended}" + (f": {said[:160]}" if said else "")


def is_permanent(exc: BaseException) -> bool:
    """A failure that retrying alone will not fix (the operator must act): the node's state
    is then "failed" rather than "reconnecting" (it is still retried, with backoff)."""
    return isinstance(exc, (HostKeyError, asyncssh.HostKeyNotVerifiable,
                            asyncssh.PermissionDenied, asyncssh.KeyImportError,
                            FileNotFoundError, PermissionError))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def explicit_target(node: str, host: str, key: Path, known_hosts: Path, **kw: Any) -> SshTarget:
    """A target with explicit key and known_hosts, no agent and no ~/.ssh/config."""
    return SshTarget(node=node, host=host, username=kw.pop("username", "root"),
                     client_keys=(str(key),), known_hosts=str(known_hosts), ssh_config=(),
                     **kw)
