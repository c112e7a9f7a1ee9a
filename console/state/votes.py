"""Cluster votes per cluster and node, with how long since each one last changed.

Built from parsed ``pvecm status`` / ``corosync-quorumtool -s`` snapshots. A snapshot lists
only the current members, so a node that was seen before and is missing now is a node that
left: it stays in the table with 0 votes and ``present=False`` (that is the red line on screen).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from labconsole.model.quorum import QuorumStatus
from labconsole.state.timeline import Severity, TimelineEntry


@dataclass(slots=True)
class NodeVote:
    name: str
    nodeid: int
    votes: int
    present: bool
    since: datetime
    local: bool = False


@dataclass(slots=True)
class ClusterVotes:
    name: str
    quorate: bool
    total_votes: int
    expected_votes: int
    quorum: int | None
    updated: datetime
    since: datetime
    seen_from: str | None = None
    nodes: dict[str, NodeVote] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        word = "quorate" if self.quorate else "NOT quorate"
        return f"{self.total_votes}/{self.expected_votes} {word}"


class VotesState:
    """Votes of every cluster the console watches, keyed by cluster name."""

    def __init__(self) -> None:
        self.clusters: dict[str, ClusterVotes] = {}

    def apply(self, cluster: str, status: QuorumStatus, at: datetime,
              seen_from: str | None) -> list[TimelineEntry]:
        """Merge one snapshot; returns timeline entries for what changed."""
        current = self.clusters.get(cluster)
        if current is None:
            current = ClusterVotes(name=cluster, quorate=status.quorate,
                                   total_votes=status.total_votes,
                                   expected_votes=status.expected_votes, quorum=status.quorum,
                                   updated=at, since=at, seen_from=seen_from)
            self.clusters[cluster] = current
            entries = [TimelineEntry(at=at, kind="votes", node=None,
                                     text=f"{cluster}: {current.summary}",
                                     severity="ok" if status.quorate else "error")]
        else:
            entries = self._cluster_changes(current, status, at)
        entries.extend(self._node_changes(current, status, at))
        current.updated = at
        current.seen_from = seen_from
        return entries

    def _cluster_changes(self, c: ClusterVotes, status: QuorumStatus,
                         at: datetime) -> list[TimelineEntry]:
        changed = (c.quorate, c.total_votes, c.expected_votes) != (
            status.quorate, status.total_votes, status.expected_votes)
        c.quorate, c.total_votes = status.quorate, status.total_votes
        c.expected_votes, c.quorum = status.expected_votes, status.quorum
        if not changed:
            return []
        c.since = at
        severity: Severity
        if not status.quorate:
            severity = "error"
        elif status.total_votes < status.expected_votes:
            severity = "warning"
        else:
            severity = "ok"
        return [TimelineEntry(at=at, kind="votes", node=None, text=f"{c.name}: {c.summary}",
                              severity=severity)]

    def _node_changes(self, c: ClusterVotes, status: QuorumStatus,
                      at: datetime) -> list[TimelineEntry]:
        entries: list[TimelineEntry] = []
        members = {n.name: n for n in status.nodes}
        for name, member in members.items():
            old = c.nodes.get(name)
            if old is None:
                c.nodes[name] = NodeVote(name=name, nodeid=member.nodeid, votes=member.votes,
                                         present=True, since=at, local=member.local)
                continue
            if not old.present or old.votes != member.votes:
                if not old.present:
                    entries.append(TimelineEntry(at=at, kind="votes", node=name,
                                                 text=f"{name} rejoined {c.name}",
                                                 severity="ok"))
                old.present, old.votes, old.since = True, member.votes, at
            old.local = member.local
        for name, old in c.nodes.items():
            if old.present and name not in members:
                old.present, old.votes, old.since = False, 0, at
                entries.append(TimelineEntry(at=at, kind="votes", node=name,
                                             text=f"{name} left {c.name} "
                                                  f"({status.total_votes}/"
                                                  f"{status.expected_votes})",
                                             severity="error"))
        return entries
