"""Every node's own view of its cluster's votes, per cluster; facts of what changed.

A reading of one node (its ``corosync-quorumtool -s``, its corosync log, the Proxmox API of that
node) replaces that node's view and nobody else's. The cluster picture (agreement, a split, who
cannot be read) is derived from the views by ``model.vote_view.cluster_picture``. A node that
cannot be read is unknown with its reason, and its last view no longer counts. A node whose
source promised a heartbeat (``expect``) and went silent for ``STALE_FACTOR`` heartbeats is
unknown too: silence of a source that should speak, never the quiet of a healthy log.

Membership facts (a node left/rejoined, quorum lost/back) are those of ``VotesDiff``: a node
is out while any fresh view but its own misses it (in the e1000e case the stuck node still sees
3/3; only the others see it gone).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from labconsole.incident.facts import Fact
from labconsole.incident.votes_diff import VotesDiff
from labconsole.model.vote_view import ClusterPicture, NodeView, Unreadable, cluster_picture
from labconsole.state.timeline import Severity, TimelineEntry

STALE_FACTOR = 3.0  # heartbeats missed before a node's view is no longer current


@dataclass(slots=True)
class ClusterViews:
    """The views of one cluster's nodes, and what the console knows around them."""

    name: str
    views: dict[str, NodeView] = field(default_factory=dict)
    unknown: dict[str, Unreadable] = field(default_factory=dict)
    confirmed: dict[str, datetime] = field(default_factory=dict)  # node -> last confirmation
    every: dict[str, float] = field(default_factory=dict)  # node -> promised heartbeat (s)
    changed: dict[str, datetime] = field(default_factory=dict)  # node -> view last changed
    known: set[str] = field(default_factory=set)
    nodeids: dict[int, str] = field(default_factory=dict)
    out_since: dict[str, datetime] = field(default_factory=dict)  # out of the votes since
    last_picture: ClusterPicture | None = None
    picture_since: datetime | None = None

    @property
    def nodes(self) -> list[str]:
        """Every node of the cluster the console has heard of, sorted."""
        return sorted(self.known)

    def stale(self, now: datetime) -> dict[str, Unreadable]:
        """Nodes whose promised heartbeat has not come (unknown since their last one)."""
        out: dict[str, Unreadable] = {}
        for node, every in self.every.items():
            last = self.confirmed.get(node)
            if node in self.unknown or last is None or node not in self.views:
                continue
            if (now - last).total_seconds() > STALE_FACTOR * every:
                out[node] = Unreadable(node=node, since=last,
                                       reason=f"no answer for {(now - last).total_seconds():.0f}s")
        return out

    def picture(self, now: datetime | None = None) -> ClusterPicture:
        """The cluster picture now (``now`` None: staleness not judged)."""
        unknown = dict(self.unknown)
        if now is not None:
            unknown.update(self.stale(now))
        return cluster_picture(self.name, self.views, unknown, self.known)

    def peers(self, node: str) -> list[str]:
        """The other nodes still in the votes (the runbook's "ask a peer")."""
        return [n for n in self.nodes if n != node and n not in self.out_since]


class VotesState:
    """Views of every cluster the console watches, keyed by cluster name."""

    def __init__(self) -> None:
        self.clusters: dict[str, ClusterViews] = {}
        self.diff = VotesDiff()

    def cluster(self, name: str) -> ClusterViews:
        c = self.clusters.get(name)
        if c is None:
            c = self.clusters[name] = ClusterViews(name=name)
        return c

    def view(self, view: NodeView, nodeids: dict[int, str] | None = None,
             every: float | None = None) -> list[TimelineEntry]:
        """One node's new reading; returns timeline entries for what changed."""
        c = self.cluster(view.cluster)
        c.known |= view.members | {view.node} | set((nodeids or {}).values())
        c.nodeids.update(nodeids or {})
        old = c.views.get(view.node)
        was_unknown = c.unknown.pop(view.node, None)
        c.views[view.node] = view
        c.confirmed[view.node] = view.at
        if every is not None:
            c.every[view.node] = every
        entries: list[TimelineEntry] = []
        if old is None or old.state_key() != view.state_key() or was_unknown is not None:
            c.changed[view.node] = view.at
            entries.append(_view_entry(view, old))
        entries += self._membership(c, view.at, view.node, view.source)
        return entries + self._picture(c, view.at)

    def unreadable(self, cluster: str, node: str, at: datetime,
                   reason: str) -> list[TimelineEntry]:
        """``node`` cannot be read: its view stops counting, the first time is an entry."""
        c = self.cluster(cluster)
        c.known.add(node)
        if node in c.unknown:
            return []
        c.unknown[node] = Unreadable(node=node, since=at, reason=reason)
        c.changed[node] = at
        entry = _entry(at, "view_unknown", node, cluster, "warning", reason,
                       last=c.views.get(node))
        return [entry, *self._membership(c, at, node, "quorumtool"), *self._picture(c, at)]

    def heartbeat(self, node: str, at: datetime, every: float | None) -> None:
        """The source of ``node``'s view says its last answer still holds."""
        for c in self.clusters.values():
            if node in c.views and node not in c.unknown:
                c.confirmed[node] = at
                if every is not None:
                    c.every[node] = every

    def _membership(self, c: ClusterViews, at: datetime, observer: str,
                    source: str) -> list[TimelineEntry]:
        fresh = {n: v for n, v in c.views.items() if n not in c.unknown}
        facts = self.diff.views(c.name, fresh, c.known, at, observer, source)
        for f in facts:
            if f.kind == "vote_left" and f.node:
                c.out_since[f.node] = f.at
            elif f.kind == "vote_joined" and f.node:
                c.out_since.pop(f.node, None)
        return [TimelineEntry(at=f.at, kind="votes", node=f.node, fact=f,
                              severity=_severity(f)) for f in facts]

    @staticmethod
    def _picture(c: ClusterViews, at: datetime) -> list[TimelineEntry]:
        """An entry when the picture's shape flips (agree <-> split, quorate, unknown)."""
        pic = c.picture()
        before = c.last_picture
        c.last_picture = pic
        if before is not None and before.state_key() == pic.state_key():
            return []
        c.picture_since = at
        if before is None and pic.kind == "agree" and pic.quorate:
            return []
        sev: Severity = "ok" if pic.kind == "agree" and pic.quorate else "error"
        fact = Fact(at=at, kind="picture_changed", node=None, device=c.name, picture=pic)
        return [TimelineEntry(at=at, kind="votes", node=None, fact=fact, severity=sev)]


def _severity(f: Fact) -> Severity:
    return "error" if f.is_trouble else "ok" if f.is_recovery else "info"


def _entry(at: datetime, kind: str, node: str, cluster: str, severity: Severity,
           reason: str, last: NodeView | None = None) -> TimelineEntry:
    """``last``: for a view that cannot be read, the node's last view (None: never read,
    e.g. not yet connected at start: no trouble, see incident/facts.py)."""
    fact = Fact(at=at, kind=kind, node=node, device=cluster,  # type: ignore[arg-type]
                reason=reason, view=last)
    return TimelineEntry(at=at, kind="votes", node=node, fact=fact, severity=severity)


def _view_entry(view: NodeView, old: NodeView | None) -> TimelineEntry:
    sev: Severity = "ok" if view.quorate else "error"
    if old is not None and old.quorate and view.quorate and (
            len(view.members) < len(old.members)):
        sev = "warning"
    fact = Fact(at=view.at, kind="view_changed", node=view.node, device=view.cluster, view=view)
    return TimelineEntry(at=view.at, kind="votes", node=view.node, fact=fact, severity=sev)
