"""Membership facts from every node's own view: "pve03 left", "pve03 rejoined", quorum lost/back.

A view lists only the members its node sees, so a node is known once it was seen in any view.
A node is *out* of the votes when

- its own fresh view says it is not quorate (after a switch reboot each node sees itself
  alone: each is out by its own word), or
- a fresh *quorate* view of another node misses it (in the e1000e case the stuck node still
  receives and believes it has 3/3; the quorate others see 2/3 without it).

Only a quorate view can put *other* nodes out: a node that is itself cut off (alone, not
quorate) says nothing about the health of the others. Without that, a node rejoining after a
cable pull, whose first view is itself alone, gave every healthy node downtime. A view older
than ``stale_after`` than the reading no longer votes (a poller that went silent must not keep a
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
        why = out_of_votes(fresh, known)
        out = set(why)
        quorate = all(v.quorate is not False for v in fresh.values())
        seen = views.get(observer)
        facts = _node_facts(cluster, c.out, why, at, seen, source, observer)
        if quorate != c.quorate:
            kind: FactKind = "quorum_back" if quorate else "quorum_lost"
            facts.append(Fact(at=at, kind=kind, node=None, device=cluster, source=source,
                              observer=observer, seen=seen))
        c.out, c.quorate = frozenset(out), quorate
        return facts


def out_of_votes(views: Mapping[str, NodeView], known: Iterable[str]) -> dict[str, NodeView]:
    """The nodes out of the votes by these views (the rules in the module docstring), each
    with the view that says so: a quorate peer's view that misses it before its own word."""
    known = set(known)
    out: dict[str, NodeView] = {}
    for node in sorted(views):
        view = views[node]
        if not _quorate(view, known):
            out.setdefault(node, view)
        else:
            for name in sorted(known - set(view.members) - {node}):
                if name not in out or out[name].node == name:
                    out[name] = view
    return out


def _quorate(view: NodeView, known: set[str]) -> bool:
    """The view's own word; a log line that gave members but no quorum state is taken as
    quorate when its members are a majority of the known nodes (one vote each)."""
    if view.quorate is not None:
        return view.quorate
    return 2 * len(view.members) > len(known | set(view.members))


def _node_facts(cluster: str, before: frozenset[str], why: Mapping[str, NodeView],
                at: datetime, seen: NodeView | None, source: str, observer: str) -> list[Fact]:
    """A left fact carries the view that put the node out (``Fact.view``): its own view
    (not quorate) or a quorate peer's view that misses it; a rejoined fact the reading that
    let it back (``observer``, ``seen``)."""
    facts = [Fact(at=at, kind="vote_left", node=name, device=cluster, source=source,
                  view=why[name]) for name in sorted(set(why) - before)]
    facts += [Fact(at=at, kind="vote_joined", node=name, device=cluster, source=source,
                   observer=observer, seen=seen) for name in sorted(before - set(why))]
    return facts
