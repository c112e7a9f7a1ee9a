"""Proxmox VE API source: cluster status, nodes, node networks -> ApiJson events.

proxmoxer speaks the API (token auth header, ``{"data": ...}`` unwrapping, errors); it is
synchronous (requests), so every call runs in a worker thread (``asyncio.to_thread``) and
never blocks the event loop. TLS verification is on by default; ``verify`` may name a CA file
(PVE's own ``pve-root-ca.pem``) instead of turning verification off. Reachability changes are
ConnectionChange events like the SSH sources', so the UI shows them the same way.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from proxmoxer import ProxmoxAPI
from requests.adapters import HTTPAdapter

from labconsole.clock import Clock, system_clock
from labconsole.config.redact import Redactor, register_secret
from labconsole.events import ApiJson, ConnectionChange, ConnState
from labconsole.sources.backoff import Backoff
from labconsole.sources.base import Emit
from labconsole.sources.remote_command import CommandError

CLUSTER_PATHS = ("/cluster/status", "/nodes")


class PveApiError(ConnectionError):
    """An API call failed (unreachable, TLS, auth, HTTP error), with the path and reason."""


def split_token(token_id: str) -> tuple[str, str]:
    """``root@pam!name`` -> (``root@pam``, ``name``); raises CommandError when malformed."""
    user, sep, name = token_id.partition("!")
    if not sep or not user or not name or "@" not in user:
        raise CommandError(f"API token id {token_id!r} must look like USER@REALM!TOKENNAME")
    return user, name


# Node names end up in a URL path: ASCII DNS-label characters only (str.isalnum would let
# unicode lookalikes such as fullwidth letters through).
_NODE_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def _node_name_ok(name: str) -> bool:
    return _NODE_NAME.fullmatch(name) is not None


@dataclass
class PveApiSource:
    host: str
    token_id: str  # USER@REALM!TOKENNAME
    token_secret: str = field(repr=False)  # never in a repr, log line or error message
    port: int = 8006
    verify: bool | str = True  # True, False, or a CA file path
    # SHA-256 of the server certificate (64 hex digits), checked instead of a CA: the
    # handshake fails before any request (and so the token) is sent.
    fingerprint: str | None = None
    nodes: Sequence[str] = ()  # networks to fetch; empty: every node /nodes lists
    interval: float = 10.0  # poll period; each answer promises the next within it
    cluster: str | None = None  # the configured cluster: its API node's view is one of its
    timeout: float = 5.0
    clock: Clock = system_clock
    backoff: Backoff = field(default_factory=lambda: Backoff(base=1, cap=60))
    name: str = "pve_api"
    state: ConnState = "closed"
    errors: list[str] = field(default_factory=list)
    _api: Any = field(default=None, repr=False)
    api_factory: Callable[..., Any] = field(default=ProxmoxAPI, repr=False)

    def __post_init__(self) -> None:
        self._user, self._token_name = split_token(self.token_id)
        self._redactor = Redactor()
        self._redactor.add(self.token_secret)
        register_secret(self.token_secret)  # recordings and the audit log mask it too
        for node in self.nodes:
            if not _node_name_ok(node):
                raise CommandError(f"invalid node name {node!r} for the API")

    def api(self) -> Any:
        if self._api is None:
            pinned = self.fingerprint is not None
            api = self.api_factory(
                self.host, port=self.port, user=self._user, token_name=self._token_name,
                token_value=self.token_secret, verify_ssl=False if pinned else self.verify,
                timeout=self.timeout, service="PVE")
            if self.fingerprint is not None:
                pin_fingerprint(api, self.fingerprint)
            self._api = api
        return self._api

    def get(self, path: str) -> Any:
        """One GET (blocking; call via ``to_thread``), ``data`` unwrapped by proxmoxer."""
        try:
            return self.api().get(path.lstrip("/"))
        except Exception as exc:  # proxmoxer/requests raise many types; all mean "failed"
            text = f"{exc}"
            where = f"GET {path} on {self.host}:{self.port}"
            refusal = tls_refusal(exc)
            message = (f"{refusal} ({where})" if refusal else
                       f"{where}: {type(exc).__name__}: {self._hide(text)}")
            if self._hide(text) != text or self._hide(repr(exc.args)) != repr(exc.args):
                # the cause would show the secret in a traceback: do not chain it
                raise PveApiError(message) from None
            raise PveApiError(message) from exc

    def _hide(self, text: str) -> str:
        """``text`` with the secret masked in every form (raw, repr, escaped, quoted,
        URL-encoded, and each of its lines)."""
        return self._redactor.redact(text)

    async def fetch_all(self) -> list[ApiJson]:
        """Cluster status, nodes and each node's network, in that order. A node's network
        that cannot be read (PVE answers 595 for a node that is offline: it proxies the call
        to that node) is left out and noted in ``errors``; it never hides the cluster status,
        which is the API node's view of the votes and says the node is offline."""
        out = []
        for path in CLUSTER_PATHS:
            out.append(await self._fetch(path))
        nodes = list(self.nodes) or _node_names(out[1].body)
        for node in nodes:
            try:
                out.append(await self._fetch(f"/nodes/{node}/network", node))
            except PveApiError as exc:
                self._note(str(exc))
        return out

    def _note(self, message: str) -> None:
        self.errors.append(message)
        del self.errors[:-50]  # bounded: the latest reasons are what matter

    async def _fetch(self, path: str, node: str | None = None) -> ApiJson:
        body = await asyncio.to_thread(self.get, path)
        return ApiJson(at=self.clock(), source=self.name, node=node, path=path, body=body,
                       cluster=self.cluster, every=self.interval)

    async def run(self, emit: Emit) -> None:
        await self._set_state(emit, "connecting", "")
        while True:
            try:
                events = await self.fetch_all()
            except PveApiError as exc:
                self._note(str(exc))
                delay = self.backoff.next_delay()
                await self._set_state(emit, "reconnecting", str(exc), delay)
                await asyncio.sleep(delay)
                continue
            self.backoff.reset()
            await self._set_state(emit, "connected", "")
            for event in events:
                await emit(event)
            await asyncio.sleep(self.interval)

    async def _set_state(self, emit: Emit, state: ConnState, detail: str,
                         retry_in: float | None = None) -> None:
        if state == self.state and state == "connected":
            return
        self.state = state
        await emit(ConnectionChange(at=self.clock(), source=self.name, node=None, state=state,
                                    detail=detail, retry_in=retry_in))


class _PinnedAdapter(HTTPAdapter):
    """HTTPS whose only trust is the certificate's SHA-256 (urllib3 ``assert_fingerprint``,
    checked in the handshake, before the request and its token header are sent)."""

    def __init__(self, fingerprint: str) -> None:
        self._fingerprint = fingerprint
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["assert_fingerprint"] = self._fingerprint
        super().init_poolmanager(*args, **kwargs)


def pin_fingerprint(api: Any, fingerprint: str) -> None:
    """Make a proxmoxer API object's session trust exactly one certificate. proxmoxer has no
    hook for it: its requests session is in ``_store`` (checked, so a proxmoxer that moves it
    fails loudly rather than falling back to an unverified connection)."""
    session = getattr(api, "_store", {}).get("session")
    if session is None or not hasattr(session, "mount"):
        raise PveApiError("cannot pin the certificate fingerprint with this proxmoxer")
    session.mount("https://", _PinnedAdapter(fingerprint))


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and what it wraps (cause, context, exception args, urllib3 ``reason``),
    breadth first, bounded."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo and len(seen) < 20:
        e = todo.pop(0)
        if any(e is s for s in seen):
            continue
        seen.append(e)
        inner = [e.__cause__, e.__context__, getattr(e, "reason", None), *e.args]
        todo.extend(x for x in inner if isinstance(x, BaseException))
    return seen


def tls_refusal(exc: BaseException) -> str | None:
    """A refused certificate in words, the reason first (a status line cut at 80 columns
    still says it); None when ``exc`` is not about the certificate."""
    for e in _causes(exc):
        if isinstance(e, ssl.SSLCertVerificationError):
            why = e.verify_message or e.reason or "not trusted"
            return (f"TLS certificate refused: {why} (code {e.verify_code}); trust it with "
                    "ca_file or tls_fingerprint")
        text = str(e)
        if "Fingerprints did not match" in text:
            got = re.search(r'got "?([0-9a-fA-F]{64})', text)
            return ("TLS certificate refused: its SHA-256 fingerprint is not the pinned one"
                    + (f" (server presents {got.group(1).lower()})" if got else ""))
    return None


def _node_names(body: Any) -> list[str]:
    if not isinstance(body, list):
        return []
    names = [row.get("node") for row in body if isinstance(row, dict)]
    return [n for n in names if isinstance(n, str) and _node_name_ok(n)]
