"""One node's own view of its cluster's votes, and the cluster picture made of every node's view.

Why per node: during a partition every node is right about what *it* sees and the views
disagree. Showing one node's answer as the cluster's (what the console did) showed "3/3
quorate" while every node was alone. The cluster picture is derived by a pure function from all
the views, so the panel, the timeline and the tests read the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

# Where a view came from: the node's corosync-quorumtool (over SSH), its own corosync/pmxcfs
# log lines, or the Proxmox API (which answers with the API node's pmxcfs view).
ViewSource = Literal["quorumtool", "corosync_log", "api"]
PictureKind = Literal["agree", "split", "unknown", "waiting"]


@dataclass(frozen=True, slots=True)
class NodeView:
    """What ``node`` itself says about ``cluster`` at ``at`` (a reading, never a guess).

    ``members`` are the node names it sees (itself included when it is a member);
    ``total_votes``/``expected_votes`` are None when the source does not report them (a log
    line). ``via`` names what delivered it ("pve01" for the API of pve01, the SSH source name).
    """

    node: str
    cluster: str
    at: datetime
    source: ViewSource
    quorate: bool | None
    members: frozenset[str]
    total_votes: int | None = None
    expected_votes: int | None = None
    ring_id: str | None = None
    via: str | None = None

    def state_key(self) -> tuple[object, ...]:
        """What a change of view is (the reading time and transport are not)."""
        return (self.quorate, self.members, self.total_votes, self.expected_votes)

    def side_key(self) -> tuple[object, ...]:
        """What two nodes must both say to be on one side: quorate and the same members (a
        log line carries no vote counts, so counts alone never split the picture)."""
        return (self.quorate, self.members)

    @property
    def alone(self) -> bool:
        return self.members <= {self.node}


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A node whose view cannot be read now: since when and why (never its last answer)."""

    node: str
    since: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class Side:
    """Nodes sharing one view of the cluster (one side of a partition, or all of them)."""

    nodes: tuple[str, ...]
    members: tuple[str, ...]
    quorate: bool | None
    total_votes: int | None
    expected_votes: int | None

    @property
    def alone(self) -> bool:
        return len(self.nodes) == 1 and set(self.members) <= set(self.nodes)


@dataclass(frozen=True, slots=True)
class ClusterPicture:
    """The cluster as an operator must read it: agreement, a split, or nothing readable.

    ``kind``: "agree" when every readable view is the same, "split" when they differ,
    "unknown" when no node can be read, "waiting" before any reading. ``unknown`` lists the
    nodes that cannot be read (never counted healthy); ``silent`` the nodes known only from
    others' views (old recordings polled one node).
    """

    cluster: str
    kind: PictureKind
    sides: tuple[Side, ...]
    unknown: tuple[Unreadable, ...] = ()
    silent: tuple[str, ...] = ()

    @property
    def quorate(self) -> bool | None:
        """True only when every readable node agrees it is quorate and none is unknown."""
        if self.kind != "agree" or self.unknown:
            return None if self.kind in ("unknown", "waiting") else False
        return self.sides[0].quorate

    def state_key(self) -> tuple[object, ...]:
        """What a flip is: agreement <-> split (and a split's sides), quorate or not, who
        cannot be read. Not the counts of an agreement: each node's view entry says those."""
        sides = tuple((s.nodes, s.members, s.quorate) for s in self.sides) \
            if self.kind == "split" else ()
        return (self.kind, self.quorate, sides, tuple(u.node for u in self.unknown))


def cluster_picture(cluster: str, views: Mapping[str, NodeView],
                    unknown: Mapping[str, Unreadable], known: Iterable[str] = ()
                    ) -> ClusterPicture:
    """Group the readable views by what they say; a node in ``unknown`` has no view here."""
    readable = {n: v for n, v in views.items() if n not in unknown}
    groups: dict[tuple[object, ...], list[NodeView]] = {}
    for name in sorted(readable):
        view = readable[name]
        groups.setdefault(view.side_key(), []).append(view)
    sides = tuple(sorted((_side(group) for group in groups.values()),
                         key=lambda s: (len(s.nodes), s.nodes)))
    lost = tuple(unknown[n] for n in sorted(unknown))
    seen = set(readable) | set(unknown)
    members = {m for v in readable.values() for m in v.members}
    silent = tuple(sorted((members | set(known)) - seen))
    kind: PictureKind
    if len(sides) > 1:
        kind = "split"
    elif sides:
        kind = "agree"
    else:
        kind = "unknown" if lost else "waiting"
    return ClusterPicture(cluster=cluster, kind=kind, sides=sides, unknown=lost, silent=silent)


def _side(group: list[NodeView]) -> Side:
    counted = [v for v in group if v.total_votes is not None] or group
    return Side(nodes=tuple(v.node for v in group), members=tuple(sorted(group[0].members)),
                quorate=group[0].quorate, total_votes=counted[0].total_votes,
                expected_votes=counted[0].expected_votes)
