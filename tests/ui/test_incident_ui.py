"""Pilot: the timeline headed by correlated incidents, the incident report screen (i, w, [, ]),
the runbook and report keys in help and the command palette."""

from __future__ import annotations

import inspect
import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Markdown, Static

from labconsole.app import LabConsoleApp
from labconsole.clock import system_clock
from labconsole.events import KernelText
from labconsole.incident import from_state
from labconsole.incident.facts import Fact
from labconsole.incident.from_state import IncidentMark
from labconsole.incident.live_marks import LiveMarks
from labconsole.runbook.session import RunbookLauncher
from labconsole.screens.dashboard import DashboardScreen
from labconsole.screens.help import HelpScreen, key_label
from labconsole.screens.incident_report import INCIDENT_REPORT_KEYS, IncidentReportScreen
from labconsole.screens.runbook import RUNBOOK_KEYS, RunbookScreen
from labconsole.state.console_state import ConsoleState
from labconsole.state.timeline import Timeline, TimelineEntry
from labconsole.widgets.timeline_panel import TimelinePanel, place_marks, render_timeline
from tests.ui.helpers import MID_INCIDENT, demo_app, settle

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


def _text(widget: Static) -> str:
    console = Console(width=300, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def _with_audit(app: LabConsoleApp, audit: Path, report_dir: Path) -> LabConsoleApp:
    """The demo app with its runbooks' audit log and report directory in the test's hands."""
    app.runbook_launcher = RunbookLauncher.offline(operator="ops", clock=system_clock,
                                                   audit_path=audit)
    app.report_dir = report_dir
    return app


def _report_text(screen: IncidentReportScreen) -> str:
    return screen.markdown()


async def test_demo_timeline_shows_both_incidents_with_their_causes() -> None:
    app = demo_app()
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        body = app.screen.query_one(TimelinePanel).text.plain
        heads = [line.strip(" │") for line in body.splitlines() if "── incident" in line]
        assert heads == [
            "── incident 1 from 06:08:12: switch USW-Lite-16 offline (CEF 'Device Offline'), "
            "pve03 lost contact ──",
            "── incident 2 from 06:19:02: stuck TX ring on pve03 eno1 (e1000e), TDH frozen at "
            "<f6> for 37 reports ──"]


async def test_mid_incident_header_says_ongoing() -> None:
    app = demo_app(MID_INCIDENT)
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        body = app.screen.query_one(TimelinePanel).text.plain
        assert "incident 2 from 06:19:02 (ongoing): stuck TX ring on pve03 eno1 (e1000e)" in body


async def test_marks_are_recomputed_per_timeline_change_not_per_log_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = LiveMarks.marks

    def counting(self: LiveMarks, state: ConsoleState) -> list[IncidentMark]:
        calls.append(1)
        assert real(self, state) == from_state.incident_marks(state)  # same as the full run
        return real(self, state)

    monkeypatch.setattr(LiveMarks, "marks", counting)
    app = demo_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        before = len(calls)
        assert before >= 1
        at = app.state.latest or T0
        for i in range(20):  # plain kernel lines: the log changes, the timeline does not
            await app.pipeline.emit(KernelText(
                at=at + timedelta(seconds=i), source="ssh:pve01", node="pve01",
                text=f"{at:%b %d %H:%M:%S} pve01 kernel: audit: type=1400 msg={i}"))
        await pilot.pause()
        await pilot.pause()
        assert len(calls) == before
        later = at + timedelta(minutes=10)  # after incident 2 settled: a new incident
        await app.pipeline.emit(KernelText(
            at=later, source="ssh:pve01", node="pve01",
            text=f"{later:%b %d %H:%M:%S} pve01 kernel: e1000e 0000:00:19.0 eno1: NIC Link is "
                 "Down"))
        await pilot.pause()
        await pilot.pause()
        assert len(calls) == before + 1
        body = app.screen.query_one(TimelinePanel).text.plain
        assert f"incident 3 from {later:%H:%M:%S} (ongoing): link down on pve01 eno1" in body


def test_a_node_timeline_heads_only_incidents_it_shows() -> None:
    timeline = Timeline()
    for minute, node in ((0, "a"), (5, "b"), (6, "a")):
        at = T0 + timedelta(minutes=minute)
        timeline.add(TimelineEntry(at=at, kind="link", node=node, severity="warning",
                                   fact=Fact(at=at, kind="link_down", node=node, device="eno1",
                                             text=f"{node} eno1 link down")))
    marks = [IncidentMark(number=n, start=T0 + timedelta(minutes=m), end=T0, status="resolved",
                          cause=f"cause {n}") for n, m in ((1, 0), (2, 5))]
    assert len(place_marks(timeline.entries, marks)) == 2
    only_a = [e for e in timeline.entries if e.node == "a"]
    # incident 2 starts at 5 min; node a's next entry (6 min) is still in it
    assert [m.number for m in place_marks(only_a, marks).values()] == [1, 2]
    only_b = [e for e in timeline.entries if e.node == "b"]
    assert [m.number for m in place_marks(only_b, marks).values()] == [2]
    text = render_timeline(timeline, "b", marks).plain
    assert "incident 1" not in text and "── incident 2 from 09:05:00: cause 2 ──" in text


async def test_i_opens_the_latest_incident_report_with_audit_steps(
        tmp_path: Path, fixtures: Path) -> None:
    audit = fixtures / "report" / "audit_pve03.jsonl"
    app = _with_audit(demo_app(), audit, tmp_path / "recs")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        screen = app.screen
        assert isinstance(screen, IncidentReportScreen) and screen.number == 2
        md = _report_text(screen)
        assert md.startswith("# Incident 2 of 2\n")
        assert "## Incident 2: stuck TX ring on pve03 eno1 (e1000e)" in md
        assert "## Incident 1" not in md
        # the data is named as labconsole report names it (issue 12 item 7)
        assert "- **From:** demo: replay of the bundled recording " \
               "`labconsole/demo/pve03_incident.jsonl`" in md
        assert "live console" not in md
        # steps from the audit log (check-offloads is only there), and from the recording
        assert "e1000e-offloads/check-offloads" in md and "e1000e-offloads/persist" in md
        assert "not json at all" not in md and "audit log" in md  # the bad line is reported
        assert isinstance(screen.query_one("#ir-body"), Markdown)
        state = _text(screen.query_one("#ir-state", Static))
        assert "incident-20251108T061902Z.md" in state
        scroll = screen.query_one("#ir-scroll")
        assert scroll.has_focus and scroll.scroll_y == 0 and scroll.max_scroll_y > 0
        await pilot.press("pagedown")
        await pilot.pause()
        assert scroll.scroll_y > 0
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_brackets_move_between_incidents_and_w_writes_the_shown_one(
        tmp_path: Path, fixtures: Path) -> None:
    app = _with_audit(demo_app(), fixtures / "report" / "audit_pve03.jsonl", tmp_path / "recs")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("i", "left_square_bracket")
        screen = app.screen
        assert isinstance(screen, IncidentReportScreen) and screen.number == 1
        await pilot.press("left_square_bracket")
        assert screen.number == 1 and "no earlier incident" in _text(
            screen.query_one("#ir-state", Static))
        await pilot.press("w")
        written = tmp_path / "recs" / "incident-20251108T060812Z.md"
        assert screen.written == written and written.is_file()
        assert oct(written.stat().st_mode & 0o777) == "0o600"  # private (issue 19 item 6)
        assert oct(written.parent.stat().st_mode & 0o777) == "0o700"
        assert written.read_text() == screen.markdown()
        assert "## Incident 1: switch USW-Lite-16 offline" in written.read_text()
        assert str(written) in _text(screen.query_one("#ir-state", Static))
        await pilot.press("right_square_bracket", "w")
        assert sorted(p.name for p in (tmp_path / "recs").iterdir()) == [
            "incident-20251108T060812Z.md", "incident-20251108T061902Z.md"]


async def test_w_says_why_it_cannot_write(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory\n")
    app = _with_audit(demo_app(), tmp_path / "no-audit.jsonl", blocker / "recs")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("i", "w")
        screen = app.screen
        assert isinstance(screen, IncidentReportScreen) and screen.written is None
        assert "cannot write" in _text(screen.query_one("#ir-state", Static))


async def test_i_on_a_log_line_of_the_first_incident_opens_that_one(tmp_path: Path) -> None:
    app = _with_audit(demo_app(), tmp_path / "audit.jsonl", tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("t", *"06:09", "enter", "i")
        screen = app.screen
        assert isinstance(screen, IncidentReportScreen) and screen.number == 1


async def test_i_before_any_incident_says_so(tmp_path: Path) -> None:
    app = _with_audit(demo_app(datetime(2025, 11, 8, 6, 6, tzinfo=timezone.utc)),
                      tmp_path / "audit.jsonl", tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        assert isinstance(app.screen, DashboardScreen)
        assert app.screen.message == "no incident seen yet"


async def test_help_lists_runbook_and_report_keys_and_b() -> None:
    app = demo_app()
    async with app.run_test(size=(100, 100)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        body = _text(app.screen.query_one("#help-body", Static))
        assert "Runbook" in body and "Incident report" in body
        rows = {" ".join(line.split()) for line in body.splitlines()}
        for key, _action, description, _show in [*RUNBOOK_KEYS, *INCIDENT_REPORT_KEYS]:
            assert f"{key_label(key)} {description}" in rows
        assert "b Runbook for the selected hang or lost node" in rows
        assert "i Incident report (latest, or at the log cursor)" in rows


async def test_palette_offers_b_i_and_the_keys_of_the_screen_shown(tmp_path: Path) -> None:
    app = _with_audit(demo_app(MID_INCIDENT), tmp_path / "audit.jsonl", tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Runbook for the selected hang or lost node",
                "Incident report (latest, or at the log cursor)"} <= titles
        assert not any(t.startswith(("Runbook: ", "Report: ")) for t in titles)
        await pilot.press("i")
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {f"Report: {d}" for _, _, d, _ in INCIDENT_REPORT_KEYS} <= titles
        await pilot.press("escape", "t", *"06:19", "enter", "b")
        assert isinstance(app.screen, RunbookScreen)
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert {f"Runbook: {d}" for _, _, d, _ in RUNBOOK_KEYS} <= set(commands)
        done = commands["Runbook: Back"].callback()
        if inspect.isawaitable(done):
            await done
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)


async def test_node_detail_timeline_is_headed_by_the_same_incidents() -> None:
    app = demo_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("t", *"06:19", "enter", "d")
        body = app.screen.query_one("#node-timeline", TimelinePanel).text.plain
        assert "── incident 2 from 06:19:02: stuck TX ring on pve03 eno1 (e1000e)" in body
