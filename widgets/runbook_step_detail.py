"""One runbook step in full: why, the exact command, what happened, and its output."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from labconsole.runbook.engine import StepRun
from labconsole.sanitize import visible_lines, visible_row
from labconsole.widgets.runbook_steps import STATUS_MARK

OUTPUT_LINES = 200  # the audit log keeps the full (bounded) output; the pane shows the end


class RunbookStepDetail(VerticalScroll):
    DEFAULT_CSS = """
    RunbookStepDetail { border: round $primary; padding: 0 1; height: 100%; }
    RunbookStepDetail > Static { width: 100%; }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="rb-detail-body")

    def on_mount(self) -> None:
        self.border_title = "Step"

    def show(self, run: StepRun | None, number: int, *, dry_run: bool, waiting: bool,
             rehearsal: bool = False) -> None:
        self.query_one("#rb-detail-body", Static).update(
            render_step_detail(run, number, dry_run=dry_run, waiting=waiting,
                               rehearsal=rehearsal))


def render_step_detail(run: StepRun | None, number: int, *, dry_run: bool,
                       waiting: bool, rehearsal: bool = False) -> Text:
    text = Text()
    if run is None:
        text.append("no step", style="dim")
        return text
    step = run.step
    mark, style = STATUS_MARK.get(run.status, ("?", ""))
    text.append(f"{number}. {visible_row(step.title)}\n", style="bold")
    text.append(f"{step.kind}", style="bold magenta" if step.kind == "action" else "dim")
    text.append("  status ")
    text.append(f"{mark} {run.status}", style=style)
    if run.resumed:
        text.append("  (earlier session)", style="dim")
    text.append("\n")
    if step.why:
        text.append(visible_lines(step.why.strip()) + "\n", style="italic")
    if run.command:
        text.append("command", style="dim")
        note = ", not sent (rehearsal)" if rehearsal else " (dry run: shown, not sent)"
        text.append(note if dry_run and step.kind == "action" else "", style="cyan")
        text.append(":\n")
        text.append(f"  {visible_row(run.command)}\n", style="bold cyan")
    if waiting and step.kind == "action":
        verb = "rehearse it (not sent)" if rehearsal else \
            "record (dry run)" if dry_run else "run it"
        text.append(f"press c to {verb}" +
                    ", s to skip, a to abort\n", style="bold yellow")
    if run.detail:
        text.append(visible_lines(run.detail) + "\n", style=style if run.status in ("fail", "error",
                                                                     "refused") else "")
    if run.exit_status is not None:
        text.append(f"exit status {run.exit_status}\n", style="dim")
    if run.output:
        lines = visible_lines(run.output).rstrip("\n").split("\n")
        if len(lines) > OUTPUT_LINES:
            text.append(f"... {len(lines) - OUTPUT_LINES} earlier lines in the audit log\n",
                        style="dim")
            lines = lines[-OUTPUT_LINES:]
        text.append("\n".join(lines), style="")
    return text
