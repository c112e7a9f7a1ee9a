"""Cluster votes as ``pvecm status`` / ``corosync-quorumtool -s`` report them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class QuorumNode:
    nodeid: int
    votes: int
    name: str
    local: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"nodeid": self.nodeid, "votes": self.votes, "name": self.name, "local": self.local}


@dataclass(frozen=True, slots=True)
class QuorumStatus:
    quorate: bool
    total_votes: int
    expected_votes: int
    quorum: int | None = None
    nodes: tuple[QuorumNode, ...] = ()
    flags: tuple[str, ...] = ()
    cluster_name: str | None = None
    activity_blocked: bool = False
    qdevice: bool = False
    # Optional details printed by ``pvecm status`` / ``corosync-quorumtool``; None when the
    # pasted text did not carry them (fragments). Not part of the scan JSON contract.
    qdevice_votes: int | None = None
    local_nodeid: int | None = None
    node_count: int | None = None
    highest_expected: int | None = None
    ring_id: str | None = None
    date: str | None = None
    config_version: int | None = None
    transport: str | None = None
    secure_auth: str | None = None
    # True when the vote counts were derived (one vote per node) rather than printed by
    # votequorum, e.g. from the Proxmox API, which reports no votes.
    votes_inferred: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "quorate": self.quorate,
            "total_votes": self.total_votes,
            "expected_votes": self.expected_votes,
            "quorum": self.quorum,
            "nodes": [n.to_json() for n in self.nodes],
        }

    def node_names(self) -> list[str]:
        return [n.name for n in self.nodes]
