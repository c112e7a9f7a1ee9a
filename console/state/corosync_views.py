"""A node's corosync / pmxcfs log lines as one more source of its own view of the votes.

The lines are parsed by ``parse.corosync_log`` (typed ``QuorumEvent`` / ``MembershipSeen``);
here each one moves the logging node's view from its previous state: ``Members[2]: 1 2`` is
its member list, ``Members left: 3`` / ``joined`` change it, the (non-)primary component and
pmxcfs's quorum notices set quorate. Node ids are named with the ids the node's quorumtool
answers gave (a bare log keeps the ids). knet link down/up lines are link facts of the node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from labconsole.model.kernel_line import KernelLine
from labconsole.model.quorum_event import MembershipSeen, QuorumEvent
from labconsole.model.vote_view import NodeView
from labconsole.parse.corosync_log import (
    WORDS,
    QuorumFactReader,
    membership_in_message,
    source_of,
)
from labconsole.state.kernel_log import aware


@dataclass(slots=True)
class LogReading:
    """What one log line said: the node's new view (if any) and its knet link facts."""

    view: NodeView | None = None
    links: list[QuorumEvent] = field(default_factory=list)
    left: set[str] = field(default_factory=set)  # nodes it saw leave: members until then


class CorosyncLogViews:
    """Reads corosync/pmxcfs lines of every node's log stream into view changes."""

    def __init__(self) -> None:
        self.reader = QuorumFactReader()

    def read(self, node: str, line: KernelLine, at: datetime, previous: NodeView | None,
             cluster: str, nodeids: dict[int, str], via: str) -> LogReading:
        out = LogReading()
        if line.is_kernel or line.continuation or not any(w in line.message for w in WORDS):
            return out
        host = line.host or node
        when = (aware(line.time) or at) if line.time is not None and line.time.tzinfo else at
        facts = self.reader.feed_message(line.message, host=host, at=when,
                                         source=source_of(line.app))
        seen = membership_in_message(line.message, host=host, at=when)
        view = previous
        for fact in facts:
            if fact.kind in ("link_down", "link_up"):
                out.links.append(fact)
            else:
                if fact.kind == "member_left":
                    out.left |= {_name(i, nodeids) for i in fact.nodes}
                view = _moved(view, fact, seen=None, base=_base(host, cluster, when, via),
                              names=nodeids)
        if seen is not None:
            view = _moved(view, None, seen=seen, base=_base(host, cluster, when, via),
                          names=nodeids)
        if view is not previous and view is not None:
            out.view = view
        return out


def _base(host: str, cluster: str, at: datetime, via: str) -> NodeView:
    return NodeView(node=host, cluster=cluster, at=at, source="corosync_log", quorate=None,
                    members=frozenset({host}), via=via)


def _name(ident: str, names: dict[int, str]) -> str:
    return names.get(int(ident), ident) if ident.isdigit() else ident


def _moved(view: NodeView | None, fact: QuorumEvent | None, *, seen: MembershipSeen | None,
           base: NodeView, names: dict[int, str]) -> NodeView:
    prev = view or base
    members, quorate = set(prev.members), prev.quorate
    if seen is not None:
        members = {_name(i, names) for i in seen.members} | {prev.node}
    elif fact is not None and fact.kind == "member_left":
        members -= {_name(i, names) for i in fact.nodes}
    elif fact is not None and fact.kind == "member_joined":
        members |= {_name(i, names) for i in fact.nodes}
    elif fact is not None:
        quorate = fact.kind == "quorum_regained"
    one_each = prev.total_votes is not None and prev.total_votes == len(prev.members)
    return NodeView(node=prev.node, cluster=prev.cluster, at=base.at, source="corosync_log",
                    quorate=quorate, members=frozenset(members),
                    total_votes=len(members) if one_each else None,
                    expected_votes=prev.expected_votes,
                    ring_id=(fact.ring_id if fact is not None and fact.ring_id else prev.ring_id),
                    via=base.via)
