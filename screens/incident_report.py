"""The incident report screen: the write-up of one incident as the console sees it now.

The report is the same Markdown ``labconsole report`` writes (``report_md.render_markdown``),
built from the console's state plus the runbook audit log, cut down to one incident. It is a
snapshot taken when the screen opens: a report that rewrites itself while being read (or
written) would not be one document. ``w`` writes it into the recording directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Markdown, Static

from labconsole.commands.report import write_atomic
from labconsole.incident.audit_read import read_audit
from labconsole.incident.correlate import incident_at
from labconsole.incident.facts import ActionRecord
from labconsole.incident.from_state import report_from_state, single_incident
from labconsole.incident.report import DataSource, Report
from labconsole.incident.report_md import render_markdown
from labconsole.sanitize import visible_row
from labconsole.widgets.console_footer import ConsoleFooter

if TYPE_CHECKING:
    from labconsole.screens.dashboard import DashboardScreen
    from labconsole.state.console_state import ConsoleState

# (binding key, action, description, show in footer): bindings, help and palette.
INCIDENT_REPORT_KEYS: list[tuple[str, str, str, bool]] = [
    ("w", "write", "Write the report to a file", True),
    ("left_square_bracket", "other(-1)", "Previous incident", True),
    ("right_square_bracket", "other(1)", "Next incident", True),
    ("escape", "close", "Back", True),
]


@dataclass
class AuditActions:
    """Remediation records of an audit log, and why some could not be read."""

    records: list[ActionRecord] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def audit_actions(path: Path | None) -> AuditActions:
    """The steps of the audit log at ``path`` (none when there is no log yet)."""
    if path is None or not path.exists():
        return AuditActions()
    try:
        read = read_audit(path)
    except OSError as exc:
        return AuditActions(problems=[f"audit log {path}: {exc.strerror or exc}"])
    return AuditActions(list(read.records), [f"audit log {path}: {e}" for e in read.errors])


def console_report(state: ConsoleState, origin: DataSource, audit: AuditActions) -> Report:
    """The console's report: ``labconsole report``'s own object (``report_from_state`` on the
    state the console built from the same events), naming the data as it does."""
    report = report_from_state(state, actions=audit.records, sources=list(origin.paths),
                               origin=origin)
    report.errors.extend(audit.problems)
    return report


def report_file(out_dir: Path, report: Report) -> Path:
    """``<dir>/incident-20251108T061902Z.md``: the incident's stable id, so writing the same
    incident again updates its file instead of piling up copies."""
    return out_dir / f"{report.incidents[0].incident.id}.md"


class IncidentReportScreen(Screen[None]):
    DEFAULT_CSS = """
    IncidentReportScreen #ir-state { height: auto; max-height: 3; padding: 0 1; }
    IncidentReportScreen #ir-scroll { height: 1fr; }
    """
    BINDINGS = [Binding(k, a, d, show=s) for k, a, d, s in INCIDENT_REPORT_KEYS]

    def __init__(self, report: Report, number: int, out_dir: Path) -> None:
        super().__init__()
        self.report = report
        self.number = number
        self.out_dir = out_dir
        self.written: Path | None = None

    @property
    def numbers(self) -> list[int]:
        return [r.incident.number for r in self.report.incidents]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="ir-state")
        with VerticalScroll(id="ir-scroll", can_focus=True):
            yield Markdown(id="ir-body")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.query_one("#ir-scroll").focus()
        self.show()

    def single(self) -> Report:
        return single_incident(self.report, self.number)

    def markdown(self) -> str:
        total = len(self.report.incidents)
        return render_markdown(self.single(), title=f"Incident {self.number} of {total}")

    def show(self) -> None:
        self.query_one("#ir-body", Markdown).update(self.markdown())
        self.query_one("#ir-scroll", VerticalScroll).scroll_home(animate=False)
        self.say(f"incident {self.number} of {len(self.numbers)}: w writes it to "
                 f"{report_file(self.out_dir, self.single())}")

    def say(self, message: str) -> None:
        self.query_one("#ir-state", Static).update(Text(visible_row(message)))

    def action_write(self) -> None:
        path = report_file(self.out_dir, self.single())
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # reports are private
            write_atomic(path, self.markdown())
        except OSError as exc:
            self.say(f"cannot write {path}: {exc.strerror or exc}")
            self.notify(visible_row(f"cannot write {path}: {exc.strerror or exc}"),
                        severity="error", markup=False)
            return
        self.written = path
        self.say(f"wrote {path}")
        self.notify(visible_row(f"report written to {path}"), markup=False)

    def action_other(self, delta: int) -> None:
        numbers = self.numbers
        index = numbers.index(self.number) + delta
        if not 0 <= index < len(numbers):
            self.say("no " + ("earlier" if delta < 0 else "later") + " incident")
            return
        self.number = numbers[index]
        self.show()

    def action_close(self) -> None:
        self.app.pop_screen()


def _cursor_time(dashboard: DashboardScreen) -> datetime | None:
    """The time of the kernel log line the operator moved to (None while following)."""
    pane = dashboard.log_pane
    row = pane.current_row
    return row.at if row is not None and not pane.follow else None


def open_incident_report(dashboard: DashboardScreen) -> str:
    """Open the report on the incident under the kernel log cursor, else the latest one.
    Returns what happened (for the status line)."""
    app = dashboard.lc
    from labconsole.screens.runbook import launcher_for

    audit = audit_actions(launcher_for(app).audit_path)
    report = console_report(app.state, app.data_source, audit)
    if not report.incidents:
        return "no incident seen yet"
    incidents = [r.incident for r in report.incidents]
    when = _cursor_time(dashboard)
    chosen = (incident_at(incidents, when) if when is not None else None) or incidents[-1]
    app.push_screen(IncidentReportScreen(report, chosen.number, app.report_dir))
    return f"report on incident {chosen.number}"
