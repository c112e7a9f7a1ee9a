"""Timeline panel: one time axis of everything notable, headed by the correlated incidents."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from labconsole.incident.from_state import IncidentMark
from labconsole.sanitize import visible_row
from labconsole.state.timeline import Timeline, TimelineEntry
from labconsole.widgets.style import SEVERITY_STYLE

KIND_LABEL = {"cef": "CEF", "votes": "VOTE", "link": "LINK", "hang": "HANG", "conn": "CONN",
              "action": "ACT", "nic": "NIC"}


@runtime_checkable
class IncidentSource(Protocol):
    """What the panel asks for the incidents when its caller does not pass them (the app
    keeps them, recomputed once per timeline change for every panel showing them)."""

    def incident_marks(self) -> list[IncidentMark]: ...


def place_marks(entries: Sequence[TimelineEntry], marks: Sequence[IncidentMark]
                ) -> dict[int, IncidentMark]:
    """Entry seq -> the incident headed just above it: the first shown entry at or after the
    incident's start, provided it comes before the next incident starts (a node's timeline may
    show nothing of an incident that did not touch it)."""
    placed: dict[int, IncidentMark] = {}
    i = 0
    for n, mark in enumerate(marks):
        while i < len(entries) and entries[i].at < mark.start:
            i += 1
        if i == len(entries):
            break
        nxt = marks[n + 1].start if n + 1 < len(marks) else None
        if nxt is None or entries[i].at < nxt:
            placed[entries[i].seq] = mark
    return placed


# Rows rendered at most: the whole Static is rebuilt and re-laid-out on every refresh (up to
# 20 a second), so its cost grows with the rows; 10,000 CEF rows made each refresh take
# hundreds of ms and starved intake and keys (issue 19 item 3, bench/cef_flood.py).
MAX_ROWS = 200


def render_timeline(timeline: Timeline, node: str | None = None,
                    incidents: Sequence[IncidentMark] = (), max_rows: int = MAX_ROWS) -> Text:
    entries = [e for e in timeline.entries if node is None or e.node in (None, node)]
    if not entries:
        return Text("nothing yet", style="dim")
    hidden = max(0, len(entries) - max_rows)
    heads = place_marks(entries, incidents)
    entries = entries[hidden:]
    text = Text(no_wrap=True, overflow="ellipsis")
    if hidden:
        text.append(f"... {hidden:,} earlier entries not shown (the report has every one)\n",
                    style="dim")
    for entry in entries:
        mark = heads.get(entry.seq)
        if mark is not None:
            header = visible_row(mark.header(entry.at.tzinfo))
            text.append(f"── {header} ──\n", style="bold magenta")
        style = SEVERITY_STYLE.get(entry.severity, "")
        text.append(f"{entry.at:%H:%M:%S} ", style="dim")
        text.append(f"{KIND_LABEL.get(entry.kind, entry.kind):<4} ", style="bold " + style)
        if entry.sender_skew_s is not None:
            text.append(f"[sender clock {skew_words(entry.sender_skew_s)}] ",
                        style="bold black on yellow")
        body = visible_row(entry.text)
        if node is None:  # merged: every row says which node it is about
            text.append(node_prefix(entry.node, body), style="bold")
        text.append(body + "\n", style=style)
    text.rstrip()
    return text


def node_prefix(node: str | None, body: str) -> str:
    """``pve03 `` in front of a row about pve03 whose own words do not start with it
    (``HANG e1000e eno1 hang x 37`` does not; ``pve03 left homelab``, ``ssh:pve03 ...`` do)."""
    if not node or node in body.split(" ", 1)[0]:
        return ""
    return visible_row(node) + " "


def skew_words(seconds: float) -> str:
    """``+3h12m`` / ``-2d4h`` / ``+7m``: how far ahead or behind the receive time."""
    sign = "+" if seconds >= 0 else "-"
    left = int(abs(seconds))
    days, left = divmod(left, 86400)
    hours, left = divmod(left, 3600)
    minutes = left // 60
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "",
             f"{minutes}m" if minutes and not days else ""]
    return sign + ("".join(parts) or f"{int(abs(seconds))}s")


class TimelinePanel(VerticalScroll, can_focus=True):
    """Scrolls to the newest entry unless the operator scrolled up."""

    DEFAULT_CSS = """
    TimelinePanel { border: round $primary; height: 100%; }
    TimelinePanel:focus { border: round $accent; }
    TimelinePanel > Static { width: 100%; text-wrap: nowrap; text-overflow: ellipsis; }
    """
    BINDINGS = [Binding("up,k", "scroll_up", "Up", show=False),
                Binding("down,j", "scroll_down", "Down", show=False)]

    def __init__(self, *, node: str | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.node = node

    def compose(self) -> ComposeResult:
        yield Static(id="timeline-body")

    def on_mount(self) -> None:
        self.border_title = "Timeline"

    def show(self, timeline: Timeline, incidents: Sequence[IncidentMark] | None = None) -> None:
        """``incidents`` default: the app's (when it keeps them), so every screen showing a
        timeline heads it the same way."""
        if incidents is None:
            app = self.app
            incidents = app.incident_marks() if isinstance(app, IncidentSource) else []
        at_end = self.scroll_y >= self.max_scroll_y - 1
        self.query_one("#timeline-body", Static).update(
            render_timeline(timeline, self.node, incidents))
        if at_end:
            self.call_after_refresh(self.scroll_end, animate=False)
