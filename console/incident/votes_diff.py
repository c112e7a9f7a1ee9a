"""Vote changes from successive quorum snapshots: "pve03 left", "pve03 joined", quorum lost/back.

A snapshot lists only the current members, so a node is known once it was seen in any
snapshot, and *out* while the latest snapshot of any observer misses it. Why any observer: in
the e1000e case the stuck node still receives, believes it has 3/3, and only the others see 2/3;
after a switch reboot each node sees itself alone, and then every node is out from someone's
view, which is what happened. An observer's own name is never counted out by its own snapshot,
and a snapshot older than ``stale_after`` than the newest one of the cluster no longer votes (a
poller that went silent must not keep a node out forever).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from labconsole.incident.facts import Fact, FactKind
from labconsole.model.quorum import QuorumStatus

STALE_AFTER = timedelta(minutes=2)


@dataclass(slots=True)
class _Snapshot:
    at: datetime
    members: frozenset[str]
    quorate: bool
    summary: str


@dataclass(slots=True)
class _Cluster:
    known: set[str] = field(default_factory=set)
    views: dict[str, _Snapshot] = field(default_factory=dict)  # observer -> latest snapshot
    out: frozenset[str] = frozenset()
    quorate: bool = True


class VotesDiff:
    """Feed snapshots in time order; each call returns the facts of what changed."""

    def __init__(self, stale_after: timedelta = STALE_AFTER) -> None:
        self.stale_after = stale_after
        self.clusters: dict[str, _Cluster] = {}

    def apply(self, cluster: str, observer: str | None, status: QuorumStatus, at: datetime,
              source: str = "") -> list[Fact]:
        c = self.clusters.setdefault(cluster, _Cluster())
        members = frozenset(status.node_names())
        c.known |= members
        summary = f"{status.total_votes}/{status.expected_votes}" + (
            "" if status.quorate else " NOT quorate")
        c.views[observer or source or "?"] = _Snapshot(at, members, status.quorate, summary)
        fresh = {o: s for o, s in c.views.items() if at - s.at <= self.stale_after}
        out: set[str] = set()
        for seen_from, snap in fresh.items():
            out |= c.known - snap.members - {seen_from}
        quorate = all(s.quorate for s in fresh.values())
        facts = self._node_facts(cluster, c, frozenset(out), at, summary, source, observer)
        if quorate != c.quorate:
            kind: FactKind = "quorum_back" if quorate else "quorum_lost"
            word = "quorate again" if quorate else "lost quorum"
            facts.append(Fact(at=at, kind=kind, node=None, device=cluster,
                              text=f"{cluster} {word} ({summary} seen from {observer or '?'})",
                              source=source))
        c.out, c.quorate = frozenset(out), quorate
        return facts

    @staticmethod
    def _node_facts(cluster: str, c: _Cluster, out: frozenset[str], at: datetime, summary: str,
                    source: str, observer: str | None) -> list[Fact]:
        view = f" seen from {observer}" if observer else ""
        facts = [Fact(at=at, kind="vote_left", node=name, device=cluster,
                      text=f"{name} left {cluster} ({summary}{view})", source=source)
                 for name in sorted(out - c.out)]
        facts += [Fact(at=at, kind="vote_joined", node=name, device=cluster,
                       text=f"{name} rejoined {cluster} ({summary}{view})", source=source)
                  for name in sorted(c.out - out)]
        return facts
