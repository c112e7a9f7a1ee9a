"""Several faults in one session: one incident each, with its cause from the facts, the
downtime of each node from the nodes' own views, and the remediation's final state.

The sessions are scripted as events (tests/unit/session_faults.py) and go through the one
interpreter (``report_from_events``), as ``labconsole report`` does with a recording.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from labconsole.incident.cause import explain
from labconsole.incident.correlate import correlate
from labconsole.incident.facts import ActionRecord, Fact
from labconsole.incident.from_state import report_from_events
from labconsole.incident.remediation import changes
from labconsole.incident.report import Report
from labconsole.parse.hang_detector import QUIET_GAP
from tests.unit.session_faults import ALL, CAUSE, SEVEN, at, session


def _summary(report: Report) -> list[tuple[str, dict[str, float]]]:
    return [(r.cause.kind, {n: d.total.total_seconds() for n, d in r.downtime.items()
                            if d.total})
            for r in report.incidents]


def test_seven_faults_are_seven_incidents_each_with_its_cause_and_downtime() -> None:
    events, faults = session(SEVEN)
    report = report_from_events(events)
    got = _summary(report)
    assert [k for k, _ in got] == [CAUSE[f.kind] for f in faults], \
        [r.cause.text for r in report.incidents]
    assert [d for _, d in got] == [f.truth for f in faults]
    for r, f in zip(report.incidents, faults, strict=True):
        assert r.incident.start >= at(f.start) and r.incident.end <= at(f.end + 1)


def test_each_cause_says_what_the_facts_say() -> None:
    events, _ = session(SEVEN)
    texts = [r.cause.text for r in report_from_events(events).incidents]
    assert texts[0].startswith("stuck TX ring on pve03 eno1 (e1000e), TDH frozen at <f6>")
    assert texts[1] == "link down on pve03 eno1 (cable, switch port or NIC)"
    for text in texts[2:4]:
        assert text.startswith("network outage: all nodes (pve01, pve02, pve03) lost each "
                               "other at ")
        assert "every node out of the votes" in text and "quorum lost" in text
    assert texts[4].startswith("pve03 cut off: its peers lost it at ")
    assert "link is up" in texts[4]
    assert texts[5].startswith("management (SSH) to pve03 lost from ")
    assert texts[5].endswith("the votes stayed (nobody left)")
    assert texts[6].startswith("corosync on pve03 down: it left the votes at ")
    assert "Cannot initialize QUORUM service" in texts[6]


def test_a_node_rejoining_alone_gives_the_healthy_nodes_no_downtime() -> None:
    """After a cable pull pve03's first view is itself alone, NOT quorate: pve01 and pve02,
    quorate all along, were never out (they were, by the old rule)."""
    events, _ = session([("cable", 12)])
    report = report_from_events(events)
    (r,) = report.incidents
    assert r.incident.nodes == ("pve03",)
    assert {n: d.total.total_seconds() for n, d in r.downtime.items()} == {"pve03": 11.0}
    assert {n: d.total.total_seconds() for n, d in report.downtime.items()} == \
        {"pve01": 0, "pve02": 0, "pve03": 11.0}


def test_a_switch_outage_is_the_nodes_time_alone_not_the_console_s() -> None:
    events, _ = session([("switch", 25)])
    (r,) = report_from_events(events).incidents
    assert r.cause.kind == "network_outage"
    assert {n: d.total.total_seconds() for n, d in r.downtime.items()} == \
        {n: 24.0 for n in ALL}


def test_management_loss_alone_is_no_downtime() -> None:
    events, _ = session([("sshd", 10)])
    (r,) = report_from_events(events).incidents
    assert r.cause.kind == "management_lost" and r.incident.nodes == ("pve03",)
    assert all(d.total == timedelta() for d in r.downtime.values())


def test_the_console_losing_every_connection_at_once_is_not_a_network_outage() -> None:
    """All SSH sessions dropping together, with no node's word that the nodes lost each
    other: the management path, not the cluster's network."""
    facts = [Fact(at=at(10 + i / 10), kind="conn_lost", node=n, text=f"connection {n} lost",
                  source=f"ssh:{n}") for i, n in enumerate(ALL)]
    facts += [Fact(at=at(30), kind="conn_back", node=n, text="back", source=f"ssh:{n}")
              for n in ALL]
    (inc,) = correlate(facts).incidents
    cause = explain(inc, set(ALL))
    assert cause.kind == "management_lost" and "all nodes" in cause.text


def test_knet_lines_of_every_node_make_a_network_outage() -> None:
    """From corosync's own log lines (a file): every node's knet links down at once."""
    facts = [Fact(at=at(10 + i), kind="link_down", node=n, device=f"knet0:{i % 3 + 1}",
                  text=f"{n} knet0 link down") for i, n in enumerate(ALL)]
    facts += [Fact(at=at(20), kind="link_up", node=n, device=f"knet0:{i % 3 + 1}",
                   text="up") for i, n in enumerate(ALL)]
    (inc,) = correlate(facts).incidents
    assert explain(inc, set(ALL)).kind == "network_outage"


def test_faults_far_apart_in_time_but_overlapping_are_one_incident() -> None:
    """Nothing outstanding between them is what splits, not a gap: a node still out keeps
    the incident open however long."""
    events, _ = session([("tx_stall", 12), ("sshd", 10)], gap=20)
    report = report_from_events(events)
    assert len(report.incidents) == 2
    merged, _ = session([("corosync", 200)])
    assert len(report_from_events(merged).incidents) == 1


@settings(max_examples=25, deadline=None)
@example(plan=[("hang", 6), ("cable", 6), ("hang", 6)], gap=6)  # once found at random
@given(plan=st.lists(st.tuples(st.sampled_from(sorted(CAUSE)),
                               st.integers(min_value=6, max_value=40)), min_size=1,
                     max_size=5),
       gap=st.integers(min_value=6, max_value=200))
def test_any_session_of_separate_faults_is_one_incident_each(
        plan: list[tuple[str, int]], gap: int) -> None:
    """Segmentation and causes on any order of faults, any durations, any healthy gap that
    every view confirms (even one shorter than the settle time). Two hangs of one NIC less
    than the hang detector's quiet gap apart are one episode by design (also with another
    fault between them: hang, cable pull, hang), so they are apart."""
    if sum(kind == "hang" for kind, _ in plan) >= 2:
        gap = max(gap, int(QUIET_GAP) + 5)
    events, faults = session([(k, float(s)) for k, s in plan], gap=float(gap))
    got = _summary(report_from_events(events))
    assert got == [(CAUSE[f.kind], f.truth) for f in faults]


def _record(s: float, step: str, kind: str, result: str = "done") -> ActionRecord:
    return ActionRecord(at=at(s), runbook="e1000e-tx-hang", step=step, command=f"{step} cmd",
                        result=result, node="pve03", kind=kind)


def test_a_rolled_back_change_says_so_and_one_left_alone_is_in_place() -> None:
    records = [_record(1, "kernel-log", "check", "pass"), _record(2, "offloads-off", "action"),
               _record(3, "persist", "action"), _record(9, "persist", "rollback")]
    got = [(c.step, c.state, c.rolled_back_at) for c in changes(records)]
    assert got == [("offloads-off", "in place", None), ("persist", "rolled back", at(9))]
    assert changes(records)[1].sentence().endswith("rolled back at 06:00:09")


def test_a_change_done_again_after_its_rollback_is_in_place() -> None:
    records = [_record(3, "persist", "action"), _record(9, "persist", "rollback"),
               _record(12, "persist", "action")]
    assert [c.state for c in changes(records)] == ["rolled back", "in place"]


def test_dry_runs_failures_and_skips_change_nothing() -> None:
    records = [_record(2, "offloads-off", "action", "skipped"),
               _record(3, "persist", "action", "error"),
               ActionRecord(at=at(4), runbook="r", step="reload", command="x", result="done",
                            kind="action", dry_run=True)]
    assert changes(records) == []


def test_the_report_says_a_rolled_back_change_was_rolled_back() -> None:
    """JSON ``remediation_state`` and the Markdown's final state, from the audit records."""
    from labconsole.incident.report_json import report_json
    from labconsole.incident.report_md import render_markdown

    events, faults = session([("hang", 16)])
    hang = faults[0]
    records = [_record(hang.start + 5, "offloads-off", "action"),
               _record(hang.start + 6, "persist", "action"),
               _record(hang.start + 8, "persist", "rollback")]
    report = report_from_events(events, actions=records)
    (inc,) = report_json(report)["incidents"]
    assert [(c["step"], c["state"], c["rolled_back_at"]) for c in inc["remediation_state"]] == [
        ("offloads-off", "in place", None),
        ("persist", "rolled back", at(hang.start + 8).isoformat())]
    md = render_markdown(report)
    assert "rolled back at 06:00:28" in md and "offloads-off on pve03" in md
