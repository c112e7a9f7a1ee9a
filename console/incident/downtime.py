"""Downtime per node: how long each node was out of the cluster's votes.

Out of the votes is what costs the operator (the node's guests are cut off from the cluster), so
that is what is counted: from the snapshot that first missed the node ("left") to the one that
shows it back ("rejoined"). A node still out at the end of the data is counted up to ``until``
and marked open. Link-down time is counted separately: a link can bounce without costing a vote.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from labconsole.incident.facts import Fact


@dataclass(frozen=True, slots=True)
class Interval:
    start: datetime
    end: datetime
    open: bool = False  # still out when the data ended

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                "seconds": self.length.total_seconds(), "open": self.open}


@dataclass(frozen=True, slots=True)
class NodeDowntime:
    node: str
    out_of_votes: tuple[Interval, ...] = ()
    link_down: tuple[Interval, ...] = ()

    @property
    def total(self) -> timedelta:
        return sum((i.length for i in self.out_of_votes), timedelta())

    @property
    def link_total(self) -> timedelta:
        return sum((i.length for i in self.link_down), timedelta())

    def to_json(self) -> dict[str, Any]:
        return {"node": self.node, "seconds": self.total.total_seconds(),
                "intervals": [i.to_json() for i in self.out_of_votes],
                "link_down_seconds": self.link_total.total_seconds(),
                "link_down": [i.to_json() for i in self.link_down]}


@dataclass(slots=True)
class _Spans:
    done: list[Interval] = field(default_factory=list)
    since: datetime | None = None


def _intervals(facts: list[Fact], down: str, up: str, key: str,
               until: datetime) -> dict[str, list[Interval]]:
    spans: dict[str, _Spans] = {}
    for f in facts:
        if f.kind not in (down, up) or not f.node:
            continue
        name = f.node if key == "node" else f"{f.node}\0{f.device or ''}"
        s = spans.setdefault(name, _Spans())
        if f.kind == down and s.since is None:
            s.since = f.at
        elif f.kind == up and s.since is not None:
            s.done.append(Interval(s.since, f.at))
            s.since = None
    out: dict[str, list[Interval]] = {}
    for name, s in spans.items():
        if s.since is not None:
            s.done.append(Interval(s.since, max(until, s.since), open=True))
        out[name.split("\0")[0]] = out.get(name.split("\0")[0], []) + s.done
    return out


def downtime(facts: Iterable[Fact], until: datetime,
             nodes: Iterable[str] = ()) -> dict[str, NodeDowntime]:
    """Per node (every name in ``nodes`` too, with zero): intervals out of the votes and with a
    link down. ``facts`` may be in any order; they are taken in time order."""
    ordered = sorted(facts, key=Fact.sort_key)
    votes = _intervals(ordered, "vote_left", "vote_joined", "node", until)
    links = _intervals(ordered, "link_down", "link_up", "link", until)
    names = sorted(set(nodes) | set(votes) | set(links))
    return {n: NodeDowntime(node=n,
                            out_of_votes=tuple(sorted(votes.get(n, []), key=lambda i: i.start)),
                            link_down=tuple(sorted(links.get(n, []), key=lambda i: i.start)))
            for n in names}


def format_duration(d: timedelta) -> str:
    """``1 h 02 min``, ``8 min 05 s``, ``42 s``: readable at a glance in a table."""
    seconds = round(d.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"
