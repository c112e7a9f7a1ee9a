"""Membership facts from every node's own view: "pve03 left", "pve03 rejoined", quorum lost/back.

A view lists only the members its node sees, so a node is known once it was seen in any view,
and *out* while a fresh view of any other node misses it. Why any observer: in the e1000e case
the stuck node still receives, believes it has 3/3, and only the others see 2/3; after a switch
reboot each node sees itself alone, and then every node is out from someone's view, which is
what happened. While any fresh view is quorate, only the quorate views judge: when pve03 alone
(NOT quorate) misses pve01 and pve02, they are still in the votes of their quorate side; only
pve03 is out. A node's own view never counts itself out, and a view older than ``stale_after``
than the newest one of the cluster no longer votes (a poller that went silent must not keep a
node out forever). The cluster is quorate while every fresh view says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from labconsole.incident.facts import Fact, FactKind
from labconsole.model.vote_view import NodeView

STALE_AFTER = timedelta(minutes=2)


@dataclass(slots=True)
class _Cluster:
    out: frozenset[str] = frozenset()
    quorate: bool = True


class VotesDiff:
    """Feed the views in time order; each call returns the facts of what changed."""

    def __init__(self, stale_after: timedelta = STALE_AFTER) -> None:
        self.stale_after = stale_after
        self.clusters: dict[str, _Cluster] = {}

    def views(self, cluster: str, views: Mapping[str, NodeView], known: Iterable[str],
              at: datetime, observer: str, source: str = "") -> list[Fact]:
        """Facts of the change ``observer``'s new reading (or loss) made to the views."""
        c = self.clusters.setdefault(cluster, _Cluster())
        known = set(known)
        fresh = {n: v for n, v in views.items() if at - v.at <= self.stale_after}
        # While some view is quorate, only quorate views say who is out: a node cut off
        # alone (NOT quorate) does not put the quorate side out of the votes.
        judges = {n: v for n, v in fresh.items() if v.quorate is not False} or fresh
        out: set[str] = set()
        for node, view in judges.items():
            out |= known - set(view.members) - {node}
        quorate = all(v.quorate is not False for v in fresh.values())
        seen = views.get(observer)
        summary = _summary(seen) if seen is not None else "view unknown"
        facts = _node_facts(cluster, c.out, frozenset(out), at, summary, source, observer)
        if quorate != c.quorate:
            kind: FactKind = "quorum_back" if quorate else "quorum_lost"
            word = "quorate again" if quorate else "lost quorum"
            facts.append(Fact(at=at, kind=kind, node=None, device=cluster,
                              text=f"{cluster} {word} ({summary} seen from {observer})",
                              source=source))
        c.out, c.quorate = frozenset(out), quorate
        return facts


def _summary(view: NodeView) -> str:
    votes = (f"{view.total_votes}/{view.expected_votes}" if view.total_votes is not None
             else f"{len(view.members)} members")
    return votes + ("" if view.quorate is not False else " NOT quorate")


def _node_facts(cluster: str, before: frozenset[str], out: frozenset[str], at: datetime,
                summary: str, source: str, observer: str) -> list[Fact]:
    view = f" seen from {observer}"
    facts = [Fact(at=at, kind="vote_left", node=name, device=cluster,
                  text=f"{name} left {cluster} ({summary}{view})", source=source)
             for name in sorted(out - before)]
    facts += [Fact(at=at, kind="vote_joined", node=name, device=cluster,
                   text=f"{name} rejoined {cluster} ({summary}{view})", source=source)
              for name in sorted(before - out)]
    return facts
