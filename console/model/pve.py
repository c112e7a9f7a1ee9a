"""Records of the Proxmox VE API: ``/cluster/status``, ``/nodes``, ``/nodes/{node}/network``.

Fields the API may leave out (trimmed captures, standalone nodes, older releases) are None;
everything a row carries beyond the named fields is kept in ``extra``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

PveEndpoint = Literal["cluster_status", "nodes", "network"]


def _json(record: Any) -> dict[str, Any]:
    data = asdict(record)
    for key, value in data.items():
        if isinstance(value, tuple):
            data[key] = list(value)
    return data


@dataclass(frozen=True, slots=True)
class PveClusterRow:
    """The ``type: cluster`` row: ``nodes`` is the node count of the cluster configuration."""

    name: str
    quorate: bool | None = None
    nodes: int | None = None
    version: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return _json(self)


@dataclass(frozen=True, slots=True)
class PveNodeRow:
    """A ``type: node`` row of ``/cluster/status`` (``nodeid`` is 0 on a standalone node)."""

    name: str
    nodeid: int | None = None
    ip: str | None = None
    online: bool | None = None
    local: bool | None = None
    level: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return _json(self)


@dataclass(frozen=True, slots=True)
class PveClusterStatus:
    """``/cluster/status``: the cluster row (absent on a standalone node) and the node rows."""

    cluster: PveClusterRow | None
    nodes: tuple[PveNodeRow, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster.to_json() if self.cluster else None,
            "nodes": [n.to_json() for n in self.nodes],
        }


@dataclass(frozen=True, slots=True)
class PveNode:
    """A row of ``/nodes``; resource numbers as the API gives them (bytes, seconds, 0..1)."""

    node: str
    status: str | None = None
    cpu: float | None = None
    maxcpu: int | None = None
    mem: int | None = None
    maxmem: int | None = None
    disk: int | None = None
    maxdisk: int | None = None
    uptime: int | None = None
    level: str | None = None
    ssl_fingerprint: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return _json(self)


@dataclass(frozen=True, slots=True)
class PveNetIface:
    """A row of ``/nodes/{node}/network``; ``bridge_ports`` split into names."""

    iface: str
    type: str | None = None
    active: bool | None = None
    autostart: bool | None = None
    exists: bool | None = None
    method: str | None = None
    method6: str | None = None
    families: tuple[str, ...] = ()
    bridge_ports: tuple[str, ...] = ()
    altnames: tuple[str, ...] = ()
    cidr: str | None = None
    address: str | None = None
    netmask: str | None = None
    gateway: str | None = None
    comments: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return _json(self)


@dataclass(frozen=True, slots=True)
class PveApiBody:
    """One parsed API body: which endpoint it is and its records (the others stay empty)."""

    endpoint: PveEndpoint
    cluster_status: PveClusterStatus | None = None
    nodes: tuple[PveNode, ...] = ()
    network: tuple[PveNetIface, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "cluster_status": self.cluster_status.to_json() if self.cluster_status else None,
            "nodes": [n.to_json() for n in self.nodes],
            "network": [n.to_json() for n in self.network],
        }
