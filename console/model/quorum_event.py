"""What one node's corosync / pmxcfs / pacemaker log line says about cluster membership.

These are the cluster's own words made into facts: the node that wrote the line (``host``, from
the line's header) saw other nodes leave or join, lost or regained quorum, or saw a knet link to
another node go down or up. One line can give several facts (``Members left: 1 2`` is one fact
naming two nodes; a line that says both "left" and "joined" is two facts).

Kinds, and the lines they come from (examples, not an exhaustive list):

- ``member_left`` / ``member_joined``: corosync ``[TOTEM ] A new membership (1.1b0) was formed.
  Members left: 3`` / ``Members joined: 1``; pacemaker ``Node node1 state is now lost`` /
  ``... is now member``.
- ``quorum_lost`` / ``quorum_regained``: corosync ``[QUORUM] This node is within the non-primary
  component and will NOT provide any services.`` / ``... within the primary component and will
  provide service.``; pmxcfs ``[status] notice: node lost quorum`` / ``node has quorum``;
  pacemaker ``quorum lost`` / ``quorum acquired``.
- ``link_down`` / ``link_up``: corosync 3 knet ``[KNET  ] link: host: 3 link: 0 is down`` /
  ``rx: host: 2 link: 1 is up`` (``nodes`` is the peer's node id, ``link`` the knet link number).

``nodes`` are the node ids or names exactly as the line gives them (corosync prints ids,
pacemaker names); nothing is looked up. ``at`` is the wall-clock time of the line's header, or
None where the line carries none (a year-less stamp with no year known, the date-less corosync
logfile). ``text`` is the line's message as logged (untrusted: sanitise before display).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from labconsole.model.timefmt import iso_or_none

QuorumEventKind = Literal[
    "member_left", "member_joined", "quorum_lost", "quorum_regained", "link_down", "link_up"
]
QUORUM_EVENT_KINDS: tuple[QuorumEventKind, ...] = (
    "member_left", "member_joined", "quorum_lost", "quorum_regained", "link_down", "link_up",
)


@dataclass(frozen=True, slots=True)
class QuorumEvent:
    """One membership / quorum / knet-link fact, as logged by node ``host``.

    ``source`` names the program that logged it (``corosync``, ``pmxcfs``, ``pacemaker``);
    ``ring_id`` is the membership (ring) id where the line prints it (``1.1b0``,
    ``10.121.239.29:2016``); ``link`` the knet link number of a link fact; ``lineno`` the
    1-based physical line of the input. Only ``at``/``host``/``kind``/``nodes``/``text`` are in
    the ``scan --json`` contract.
    """

    kind: QuorumEventKind
    at: datetime | None
    host: str | None
    nodes: tuple[str, ...] = ()
    text: str = ""
    source: str | None = None
    ring_id: str | None = None
    link: int | None = None
    lineno: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "at": iso_or_none(self.at),
            "host": self.host,
            "kind": self.kind,
            "nodes": list(self.nodes),
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class MembershipSeen:
    """The member list one node reported (corosync ``[QUORUM] Members[2]: 1 2``).

    Not a change by itself (the same list is logged again after every re-formation); it is
    the node's own view of who is in its partition, for a per-node view of the cluster.
    """

    at: datetime | None
    host: str | None
    members: tuple[str, ...]
    text: str = ""
    lineno: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "at": iso_or_none(self.at),
            "host": self.host,
            "members": list(self.members),
            "text": self.text,
        }
