"""The runbook's step list: one row per step with its status, the current one marked."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from labconsole.runbook.engine import StepRun
from labconsole.sanitize import visible_row

# status -> (mark, style): the same colours as the rest of the console (widgets/style.py)
STATUS_MARK: dict[str, tuple[str, str]] = {
    "pending": ("·", "dim"),
    "running": ("…", "bold cyan"),
    "waiting": ("?", "bold yellow"),
    "pass": ("✔", "green"),
    "done": ("✔", "green"),
    "skipped": ("»", "yellow"),
    "dry-run": ("○", "cyan"),
    "fail": ("✖", "bold red"),
    "error": ("✖", "bold red"),
    "refused": ("⊘", "bold red"),
    "aborted": ("■", "red"),
    "at-console": ("⌨", "bold yellow"),  # to type at the node's console
    "typed": ("✔", "yellow"),  # done by hand at the node's console
    "deferred": ("◷", "yellow"),  # a node check waiting for the node to be back
    "rehearsed": ("○", "cyan"),  # a rehearsal: shown from the recording / not sent
}
KIND_LABEL = {"check": "check ", "action": "ACTION", "note": "note  "}


class RunbookSteps(Static):
    DEFAULT_CSS = """
    RunbookSteps { border: round $primary; padding: 0 1; height: 100%;
                   text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def on_mount(self) -> None:
        self.border_title = "Steps"

    def show(self, runs: Sequence[StepRun], current: int, selected: int) -> None:
        self.update(render_steps(runs, current, selected))


def render_steps(runs: Sequence[StepRun], current: int, selected: int) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    for i, run in enumerate(runs):
        mark, style = STATUS_MARK.get(run.status, ("?", ""))
        pointer = "▶" if i == current else " "
        row = Text()
        row.append(f"{pointer}{mark} ", style=style)
        row.append(f"{i + 1:>2} ")
        row.append(KIND_LABEL[run.step.kind] + " ",
                   style="bold magenta" if run.step.kind == "action" else "dim")
        row.append(visible_row(run.step.title), style="bold" if i == current else "")
        if i == selected:
            row.stylize("reverse")
        text.append_text(row)
        if i < len(runs) - 1:
            text.append("\n")
    return text
