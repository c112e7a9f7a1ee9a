"""Proxmox VE API JSON -> records of :mod:`labconsole.model.pve`.

Accepts what ``pvesh get PATH --output-format json`` prints (a bare array) and what the HTTP
API returns (the same inside a ``{"data": ...}`` envelope), in any key order. A *trimmed*
capture (rows pasted without the surrounding ``[...]``, with trailing commas) is read too: it
is what ends up in tickets and test fixtures. JSON decoding is the standard library's; only the
mapping of rows to records lives here.

Endpoints are told apart by their rows, not by a URL the body does not carry:
``/nodes/{node}/network`` rows have ``iface``; ``/nodes`` rows have ``node`` (and ``status``);
``/cluster/status`` rows have ``type`` ``cluster`` or ``node`` with ``name``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from labconsole.model.pve import (
    PveApiBody,
    PveClusterRow,
    PveClusterStatus,
    PveEndpoint,
    PveNetIface,
    PveNode,
    PveNodeRow,
)
from labconsole.model.quorum import QuorumNode, QuorumStatus

__all__ = [
    "PveApiParseError",
    "detect_endpoint",
    "endpoint_of",
    "load_pve_json",
    "parse_cluster_status",
    "parse_network",
    "parse_nodes",
    "parse_pve_api",
    "quorum_from_cluster_status",
]


class PveApiParseError(ValueError):
    """Not Proxmox API JSON, or a row whose fields have the wrong shape."""


T = TypeVar("T")


def load_pve_json(text: str) -> list[dict[str, Any]]:
    """Decode, unwrap ``{"data": ...}``, and check it is a list of objects (the rows)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as first_error:
        data = _trimmed_rows(text, first_error)
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise PveApiParseError(f"not JSON: {exc}") from None
    except RecursionError:  # json.loads recurses per nesting level: "[[[[..." kills it
        raise PveApiParseError("not JSON: nested too deeply") from None
    if isinstance(data, dict) and "data" in data:
        if data["data"] is None:
            raise PveApiParseError(f"API envelope without data (errors: {data.get('errors')!r})")
        data = data["data"]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise PveApiParseError("API body is not a list of objects")
    return data


def _trimmed_rows(text: str, first_error: json.JSONDecodeError) -> Any:
    """Rows pasted without their array: ``{...},\\n{...},`` -> ``[{...}, {...}]``."""
    body = text.strip().rstrip(",")
    if not body.startswith("{"):
        raise PveApiParseError(f"not JSON: {first_error}") from None
    try:
        return json.loads(f"[{body}]")
    except (ValueError, RecursionError):
        raise PveApiParseError(f"not JSON: {first_error}") from None


def detect_endpoint(rows: list[dict[str, Any]]) -> PveEndpoint | None:
    """Which endpoint these rows come from; None when no row tells (or for an empty list)."""
    for row in rows:
        if "iface" in row:
            return "network"
        if "node" in row and ("status" in row or row.get("type") == "node"):
            return "nodes"
        if row.get("type") == "cluster" or (row.get("type") == "node" and "name" in row):
            return "cluster_status"
    return None


def endpoint_of(text: str) -> PveEndpoint | None:
    """Which endpoint a JSON body (bare, enveloped or trimmed) is; None if not PVE API JSON."""
    try:
        return detect_endpoint(load_pve_json(text))
    except PveApiParseError:
        return None


def parse_pve_api(text: str) -> PveApiBody:
    """Parse a body of any of the three endpoints; :class:`PveApiParseError` otherwise."""
    rows = load_pve_json(text)
    endpoint = detect_endpoint(rows)
    if endpoint == "cluster_status":
        return PveApiBody(endpoint, cluster_status=parse_cluster_status(rows))
    if endpoint == "nodes":
        return PveApiBody(endpoint, nodes=parse_nodes(rows))
    if endpoint == "network":
        return PveApiBody(endpoint, network=parse_network(rows))
    raise PveApiParseError("JSON rows of no known endpoint (/cluster/status, /nodes, network)")


def parse_cluster_status(body: str | list[dict[str, Any]]) -> PveClusterStatus:
    """``/cluster/status``. Rows of other types are ignored (the endpoint has only two)."""
    rows = load_pve_json(body) if isinstance(body, str) else body
    cluster: PveClusterRow | None = None
    nodes: list[PveNodeRow] = []
    for index, row in enumerate(rows):
        get = _Getter(row, index)
        if row.get("type") == "cluster":
            cluster = PveClusterRow(
                name=get.required("name", str),
                quorate=get.flag("quorate"),
                nodes=get.opt("nodes", int),
                version=get.opt("version", int),
                extra=get.rest("type", "id"),
            )
        elif row.get("type") == "node":
            nodes.append(
                PveNodeRow(
                    name=get.required("name", str),
                    nodeid=get.opt("nodeid", int),
                    ip=get.opt("ip", str),
                    online=get.flag("online"),
                    local=get.flag("local"),
                    level=get.opt("level", str),
                    extra=get.rest("type", "id"),
                )
            )
    return PveClusterStatus(cluster=cluster, nodes=tuple(nodes))


def parse_nodes(body: str | list[dict[str, Any]]) -> tuple[PveNode, ...]:
    """``/nodes``: one record per node."""
    rows = load_pve_json(body) if isinstance(body, str) else body
    out = []
    for index, row in enumerate(rows):
        get = _Getter(row, index)
        out.append(
            PveNode(
                node=get.required("node", str),
                status=get.opt("status", str),
                cpu=get.opt("cpu", float),
                maxcpu=get.opt("maxcpu", int),
                mem=get.opt("mem", int),
                maxmem=get.opt("maxmem", int),
                disk=get.opt("disk", int),
                maxdisk=get.opt("maxdisk", int),
                uptime=get.opt("uptime", int),
                level=get.opt("level", str),
                ssl_fingerprint=get.opt("ssl_fingerprint", str),
                extra=get.rest("type", "id"),
            )
        )
    return tuple(out)


def parse_network(body: str | list[dict[str, Any]]) -> tuple[PveNetIface, ...]:
    """``/nodes/{node}/network``: one record per interface (bridges, NICs, bonds, VLANs)."""
    rows = load_pve_json(body) if isinstance(body, str) else body
    out = []
    for index, row in enumerate(rows):
        get = _Getter(row, index)
        out.append(
            PveNetIface(
                iface=get.required("iface", str),
                type=get.opt("type", str),
                active=get.flag("active"),
                autostart=get.flag("autostart"),
                exists=get.flag("exists"),
                method=get.opt("method", str),
                method6=get.opt("method6", str),
                families=get.words("families"),
                bridge_ports=get.words("bridge_ports"),
                altnames=get.words("altnames"),
                cidr=get.opt("cidr", str),
                address=get.opt("address", str),
                netmask=get.opt("netmask", str),
                gateway=get.opt("gateway", str),
                comments=get.opt("comments", str),
                extra=get.rest(),
            )
        )
    return tuple(out)


def quorum_from_cluster_status(status: PveClusterStatus) -> QuorumStatus | None:
    """Votes as far as ``/cluster/status`` implies them, else None.

    The API reports no votes. A :class:`QuorumStatus` is returned only when there is a
    ``cluster`` row with ``quorate`` and ``nodes``, and one node row per configured node, each
    with ``nodeid`` and ``online``. Then, with one vote per node (the Proxmox default; the
    result is marked ``votes_inferred=True``): ``expected_votes`` = the cluster's ``nodes``,
    ``total_votes`` = the online node rows, which are also the ``nodes`` listed (members, as
    in corosync's membership list); ``quorum`` stays None (not reported). A standalone node
    (no cluster row) or a trimmed capture gives None: use ``status.cluster.quorate`` for the
    bare flag.
    """
    cluster = status.cluster
    if cluster is None or cluster.quorate is None or cluster.nodes is None:
        return None
    if len(status.nodes) != cluster.nodes:
        return None
    if any(n.nodeid is None or n.online is None for n in status.nodes):
        return None
    members = tuple(
        QuorumNode(nodeid=n.nodeid or 0, votes=1, name=n.name, local=bool(n.local))
        for n in status.nodes
        if n.online
    )
    return QuorumStatus(
        quorate=cluster.quorate,
        total_votes=len(members),
        expected_votes=cluster.nodes,
        nodes=members,
        cluster_name=cluster.name,
        config_version=cluster.version,
        node_count=len(members),
        votes_inferred=True,
    )


class _Getter:
    """Typed access to one row's fields, with errors that name the row and the field."""

    def __init__(self, row: dict[str, Any], index: int) -> None:
        self.row = row
        self.index = index
        self.used: set[str] = set()

    def _fail(self, key: str, want: str) -> PveApiParseError:
        return PveApiParseError(f"row {self.index}: {key!r} is {self.row[key]!r}, not {want}")

    def opt(self, key: str, kind: Callable[[Any], T]) -> T | None:
        self.used.add(key)
        value = self.row.get(key)
        if value is None:
            return None
        if kind is str:
            if not isinstance(value, str):
                raise self._fail(key, "text")
            return value  # type: ignore[return-value]
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self._fail(key, "a number")
        try:
            number = kind(value)
            exact = kind is not int or float(value) == number  # 1.5 is not an int
        except (ValueError, OverflowError):
            raise self._fail(key, "a number") from None
        if not exact:
            raise self._fail(key, "an integer")
        return number

    def required(self, key: str, kind: Callable[[Any], T]) -> T:
        value = self.opt(key, kind)
        if value is None:
            raise PveApiParseError(f"row {self.index}: no {key!r} field")
        return value

    def flag(self, key: str) -> bool | None:
        """PVE booleans are 0/1 integers; JSON true/false and "0"/"1" are accepted too."""
        self.used.add(key)
        value = self.row.get(key)
        if value is None:
            return None
        if value in (0, 1, "0", "1") or isinstance(value, bool):
            return bool(int(value))
        raise self._fail(key, "0 or 1")

    def words(self, key: str) -> tuple[str, ...]:
        """A list of names, or one string of space separated names (``bridge_ports``)."""
        self.used.add(key)
        value = self.row.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return tuple(value.split())
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise self._fail(key, "a list of names")

    def rest(self, *ignored: str) -> dict[str, Any]:
        skip = self.used | set(ignored)
        return {k: v for k, v in self.row.items() if k not in skip}
