"""Proxmox VE API responses -> the API node's own view of the votes, and NIC link states.

``/cluster/status`` is answered by one node (the row with ``local: 1``) from its own pmxcfs:
its ``quorate`` flag and the ``online`` flags of the node rows are *that node's* view, so they
become that node's ``NodeView`` (source "api", via "API from pve01"), never the cluster's.
``/nodes/{node}/network`` gives each interface's ``active`` flag: the link state of the NIC
panel. Parsing is ``parse.pve_api``'s; bad bodies are errors named by path, never a crash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from labconsole.events import ApiJson
from labconsole.model.vote_view import NodeView
from labconsole.parse.pve_api import (
    PveApiParseError,
    parse_cluster_status,
    parse_network,
    quorum_from_cluster_status,
)

_NIC_TYPES = frozenset({"eth"})  # physical ports; bridges and bonds are configuration


@dataclass(frozen=True, slots=True)
class ApiNic:
    node: str
    iface: str
    link: str | None


@dataclass(slots=True)
class ApiChanges:
    """What one API response says: views, node ids, NIC links, and what could not be read."""

    views: list[NodeView] = field(default_factory=list)
    nodeids: dict[int, str] = field(default_factory=dict)
    nics: list[ApiNic] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    every: float | None = None


def api_changes(event: ApiJson, at: datetime) -> ApiChanges:
    out = ApiChanges(every=event.every)
    body = event.body.get("data") if isinstance(event.body, dict) else event.body
    try:
        if event.path == "/cluster/status":
            _cluster_status(event, body, at, out)
        elif event.path.startswith("/nodes/") and event.path.endswith("/network"):
            _network(event.path.split("/")[2], body, out)
    except (PveApiParseError, TypeError, ValueError, AttributeError) as exc:
        out.errors.append(f"{event.path}: not understood: {exc}")
    return out


def _cluster_status(event: ApiJson, body: object, at: datetime, out: ApiChanges) -> None:
    if not isinstance(body, list):
        raise PveApiParseError(f"expected a list of rows, got {type(body).__name__}")
    status = parse_cluster_status(body)
    local = [n for n in status.nodes if n.local]
    if status.cluster is None:
        return  # a standalone node: no cluster, no votes to show
    if len(local) != 1:
        out.errors.append(f"{event.path}: no cluster row or no single local node row: "
                          "whose view it is cannot be told")
        return
    me = local[0].name
    quorum = quorum_from_cluster_status(status)
    members = frozenset(n.name for n in status.nodes if n.online)
    out.nodeids = {n.nodeid: n.name for n in status.nodes if n.nodeid}
    out.views.append(NodeView(
        node=me, cluster=event.cluster or status.cluster.name, at=at, source="api",
        quorate=status.cluster.quorate, members=members,
        total_votes=quorum.total_votes if quorum else None,
        expected_votes=quorum.expected_votes if quorum else status.cluster.nodes,
        via=f"API from {me}"))


def _network(node: str, body: object, out: ApiChanges) -> None:
    if not isinstance(body, list):
        raise PveApiParseError(f"expected a list of rows, got {type(body).__name__}")
    for iface in parse_network(body):
        if iface.type in _NIC_TYPES:
            link = None if iface.active is None else "up" if iface.active else "down"
            out.nics.append(ApiNic(node=node, iface=iface.iface, link=link))
