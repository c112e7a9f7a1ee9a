"""The console's incidents from its own state: evidence lines through the store (spilled ones
too), the timeline's incident marks by the real correlation, one incident's report."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from labconsole.demo.generate import events
from labconsole.events import KernelText
from labconsole.incident.from_state import (
    IncidentMark,
    facts_from_state,
    incident_marks,
    report_from_state,
    single_incident,
)
from labconsole.incident.report_md import render_markdown
from labconsole.state.console_state import ConsoleState
from labconsole.state.kernel_log import KernelLogStore

T0 = datetime(2026, 3, 1, 9, 0, 0, tzinfo=timezone.utc)


def _demo_state(log: KernelLogStore | None = None) -> ConsoleState:
    state = ConsoleState(log=log) if log is not None else ConsoleState()
    for e in events():
        state.apply(e)
    return state


def _report(at: datetime, tdh: str) -> list[str]:
    """One synthetic e1000e report (header plus register lines), journal short style."""
    stamp = f"{at:%b %d %H:%M:%S} pve07 kernel:"
    regs = [f"TDH                  <{tdh}>", "TDT                  <1c>",
            "next_to_use          <1c>", f"next_to_clean        <{tdh}>",
            "next_to_watch.status <0>"]
    return [f"{stamp} e1000e 0000:00:19.0 enp0s25: Detected Hardware Unit Hang:",
            *(f"{stamp}   {r}" for r in regs)]


def _reports(count: int, tdh: str = "a4") -> list[tuple[datetime, str]]:
    return [(T0 + timedelta(seconds=2 * i), line) for i in range(count)
            for line in _report(T0 + timedelta(seconds=2 * i), tdh)]


def _feed(state: ConsoleState, lines: list[tuple[datetime, str]]) -> None:
    for at, text in lines:
        state.apply(KernelText(at=at, source="ssh:pve07", node="pve07", text=text))


def test_hang_evidence_includes_lines_spilled_to_disk(tmp_path: Path) -> None:
    # Three reports; a store that keeps 4 lines in memory has spilled the first report by the
    # time the third arrives. The evidence is the first block plus the last header, verbatim.
    lines = _reports(3)
    texts = [t for _, t in lines]
    spilled = ConsoleState(log=KernelLogStore(capacity=4, spill_dir=tmp_path))
    _feed(spilled, lines)
    assert spilled.log.dropped >= 14 and spilled.log.archive is not None
    facts = [f for f in facts_from_state(spilled).facts if f.kind == "hang"]
    assert len(facts) == 1
    assert facts[0].hang is not None and facts[0].hang.reports == 3
    assert facts[0].lines == (*texts[:6], texts[12])
    kept = ConsoleState(log=KernelLogStore(capacity=1000))
    _feed(kept, lines)
    assert [f.lines for f in facts_from_state(kept).facts if f.kind == "hang"] == [
        facts[0].lines]


def test_lines_dropped_without_spilling_are_left_out_not_a_crash() -> None:
    lines = _reports(3)
    state = ConsoleState(log=KernelLogStore(capacity=4, spill=False))
    _feed(state, lines)
    hang = [f for f in facts_from_state(state).facts if f.kind == "hang"]
    # only the last four register lines are still there; no header is left to add
    assert [f.lines for f in hang] == [tuple(t for _, t in lines[14:])]


def test_without_lines_the_facts_carry_no_log_text() -> None:
    state = _demo_state()
    hangs = [f for f in facts_from_state(state, lines=False).facts if f.kind == "hang"]
    assert len(hangs) == 1 and hangs[0].lines == ()
    assert hangs[0].hang is not None and hangs[0].hang.reports == 37


def test_demo_marks_are_the_two_correlated_incidents_with_causes() -> None:
    marks = incident_marks(_demo_state())
    assert [(m.number, f"{m.start:%H:%M:%S}", m.status) for m in marks] == [
        (1, "06:08:12", "resolved"), (2, "06:19:02", "recovered")]
    assert marks[0].cause is not None and marks[0].cause.startswith("switch USW-Lite-16 offline")
    assert marks[1].cause == ("stuck TX ring on pve03 eno1 (e1000e), TDH frozen at <f6> "
                              "for 37 reports")


def test_marks_agree_with_the_full_report() -> None:
    state = _demo_state()
    report = report_from_state(state)
    assert [(m.start, m.end, m.cause) for m in incident_marks(state)] == [
        (r.incident.start, r.incident.end, r.cause.text) for r in report.incidents]


def test_mark_header() -> None:
    mark = IncidentMark(number=3, start=T0, end=T0, status="ongoing", cause="link down on x")
    assert mark.header() == "incident 3 from 09:00:00 (ongoing): link down on x"
    plus_two = timezone(timedelta(hours=2))
    quiet = IncidentMark(number=1, start=T0, end=T0, status="resolved", cause=None)
    assert quiet.header(plus_two) == "incident 1 from 11:00:00"


def test_an_empty_console_has_no_incidents() -> None:
    assert incident_marks(ConsoleState()) == []


def test_single_incident_report_holds_only_that_incident() -> None:
    report = report_from_state(_demo_state())
    one = single_incident(report, 1)
    assert [r.incident.number for r in one.incidents] == [1]
    assert one.timeline and all(f.at < report.incidents[1].incident.start for f in one.timeline)
    inc = report.incidents[0].incident
    assert (one.start, one.end) == (inc.start, max(f.last for f in inc.facts))
    md = render_markdown(one, title="Incident 1 of 2")
    assert "Incident 1 of 2 (this write-up covers it alone)." in md
    assert "1 incident found" not in md  # not under an "Incident 1 of 2" title
    assert "## Incident 1: switch USW-Lite-16 offline" in md
    assert "## Incident 2" not in md and "stuck TX ring" not in md
    assert len(report.incidents) == 2  # the full report is left as it was
    with pytest.raises(KeyError, match="no incident 3"):
        single_incident(report, 3)
