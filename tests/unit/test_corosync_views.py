"""A node's corosync/pmxcfs log lines move its own view of the votes (with the node names its
quorumtool answers gave); knet link lines are link facts; a bare log still yields facts."""

from __future__ import annotations

from datetime import datetime, timezone

from labconsole.demo.generate import pvecm_status
from labconsole.events import KernelText, QuorumText
from labconsole.incident.from_state import report_from_events
from labconsole.state.console_state import ConsoleState

T0 = datetime(2025, 11, 8, 6, 19, 0, tzinfo=timezone.utc)
ALL = ("pve01", "pve02", "pve03")


def _log(s: ConsoleState, second: int, node: str, ident: str, message: str) -> None:
    at = T0.replace(second=second)
    s.apply(KernelText(at=at, source=f"ssh:{node}", node=node,
                       text=f"Nov 08 06:19:{second:02d} {node} {ident}[1234]: {message}"))


def test_corosync_lines_move_the_logging_nodes_view() -> None:
    s = ConsoleState()
    s.apply(QuorumText(at=T0, source="quorum:homelab", node="pve01", cluster="homelab",
                       text=pvecm_status(T0, ALL, seen_from="pve01")))
    _log(s, 5, "pve01", "corosync", "[KNET  ] link: host: 3 link: 0 is down")
    _log(s, 6, "pve01", "corosync",
         "[TOTEM ] A new membership (1.2d) was formed. Members left: 3")
    _log(s, 6, "pve01", "corosync", "[QUORUM] Members[2]: 1 2")
    c = s.votes.clusters["homelab"]
    view = c.views["pve01"]
    assert view.source == "corosync_log" and view.members == {"pve01", "pve02"}
    assert (view.total_votes, view.expected_votes, view.ring_id) == (2, 3, "1.2d")
    assert set(c.out_since) == {"pve03"}
    kinds = [(e.fact.kind, e.fact.node, e.fact.device) for e in s.timeline.entries]
    assert ("link_down", "pve01", "knet0:3") in kinds and ("vote_left", "pve03", "homelab") in kinds
    _log(s, 9, "pve01", "pmxcfs", "[status] notice: node lost quorum")
    assert c.views["pve01"].quorate is False
    assert any(e.fact.kind == "quorum_lost" for e in s.timeline.entries)


def test_a_not_quorate_log_alone_is_an_incident() -> None:
    events = [KernelText(at=T0, source="file", node="pve02",
                         text="Nov 08 06:19:00 pve02 pmxcfs[99]: [status] notice: node lost "
                              "quorum")]
    report = report_from_events(events)
    assert [r.cause.kind for r in report.incidents] == ["quorum_lost"]
