"""Timeline panel: one time axis of everything notable, headed by the correlated incidents.

Each row is a typed fact in the words every reader of facts uses (``incident.wording.words``:
the reports say the same), styled here: its time, kind label, severity colour and, in the
merged panel, the node it is about when its words do not name it."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Protocol, TypeAlias, runtime_checkable

from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from labconsole.incident.wording import words
from labconsole.model import timefmt
from labconsole.sanitize import visible_row
from labconsole.state.timeline import Timeline, TimelineEntry
from labconsole.widgets.style import SEVERITY_STYLE

if TYPE_CHECKING:  # the marks come with the correlation, after the first frame
    from labconsole.incident.mark import IncidentMark

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


@dataclass(frozen=True, slots=True)
class MarkRow:
    """The header row of an incident, above the entry it heads (whose zone it is shown in)."""

    mark: IncidentMark
    tz: tzinfo | None


TimelineRow: TypeAlias = "MarkRow | TimelineEntry"


def timeline_rows(timeline: Timeline, node: str | None = None,
                  incidents: Sequence[IncidentMark] = ()) -> list[TimelineRow]:
    """The panel's rows in order: entries (of ``node`` and of no node, or all) with each
    incident's header above the entry it heads. Cheap (no text is made here): the panel
    words only the rows on screen."""
    entries = (timeline.entries if node is None
               else [e for e in timeline.entries if e.node in (None, node)])
    # place_marks' rule, found by bisection and copied in slices: 10,000 entries a refresh
    rows: list[TimelineRow] = []
    done = 0
    for n, mark in enumerate(incidents):
        i = bisect.bisect_left(entries, mark.start, lo=done, key=_entry_at)
        if i == len(entries):
            break
        nxt = incidents[n + 1].start if n + 1 < len(incidents) else None
        if nxt is None or entries[i].at < nxt:
            rows.extend(entries[done:i])
            rows.append(MarkRow(mark, None))  # in the display zone
            done = i
    rows.extend(entries[done:])
    return rows


def spans_days(rows: Sequence[TimelineRow]) -> bool:
    """True when the rows' entries fall on more than one date (shown with dates then)."""
    entries = [r for r in (*rows[:2], *rows[-2:]) if not isinstance(r, MarkRow)]
    return len(entries) > 1 and timefmt.spans_days(entries[0].at, entries[-1].at)


def _entry_at(entry: TimelineEntry) -> datetime:
    return entry.at


def row_text(row: TimelineRow, node: str | None = None, *, dated: bool = False) -> Text:
    """One row in words (``node``: the panel's node; None shows every row's node; ``dated``:
    the timeline spans days, so each time has its date)."""
    if isinstance(row, MarkRow):
        # as a styled span, not the text's base style: Text.render drops a base style
        # when there are no spans, and the panel renders rows one by one
        header = visible_row(row.mark.header(row.tz, date=dated))
        return Text.assemble((f"── {header} ──", "bold magenta"))
    text = Text(no_wrap=True, overflow="ellipsis")
    style = SEVERITY_STYLE.get(row.severity, "")
    text.append(f"{timefmt.short(row.at, date=dated)} ", style="dim")
    text.append(f"{KIND_LABEL.get(row.kind, row.kind):<4} ", style="bold " + style)
    if row.sender_skew_s is not None:
        text.append(f"[sender clock {skew_words(row.sender_skew_s)}] ",
                    style="bold black on yellow")
    body = visible_row(words(row.fact))
    if node is None:  # merged: every row says which node it is about
        text.append(node_prefix(row.node, body), style="bold")
    text.append(body, style=style)
    return text


def render_timeline(timeline: Timeline, node: str | None = None,
                    incidents: Sequence[IncidentMark] = ()) -> Text:
    """Every row as one text (reports, tests); the panel itself words only what is shown."""
    rows = timeline_rows(timeline, node, incidents)
    if not rows:
        return Text("nothing yet", style="dim")
    dated = spans_days(rows)
    text = Text("\n", no_wrap=True, overflow="ellipsis").join(row_text(r, node, dated=dated)
                                                              for r in rows)
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


def node_prefix(node: str | None, body: str) -> str:
    """``pve03 `` in front of a row about pve03 whose own words do not name it
    (``HANG e1000e eno1 hang x 37`` does not; ``pve03 left homelab``, ``connection ssh:pve03
    to pve03 ...`` do)."""
    if not node or re.search(rf"(?<![\w-]){re.escape(node)}(?![\w-])", body):
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


class TimelinePanel(ScrollView, can_focus=True):
    """Scrolls to the newest entry unless the operator scrolled up.

    Draws only the rows on screen (``render_line``), like the kernel log pane: a ``Static``
    holding every row was laid out and rendered whole on each refresh, the largest cost
    left under a CEF flood (issue 19 item 3, bench/cef_flood.py)."""

    DEFAULT_CSS = """
    TimelinePanel { border: round $primary; height: 100%; }
    TimelinePanel:focus { border: round $accent; }
    """
    BINDINGS = [Binding("up,k", "scroll_up", "Up", show=False),
                Binding("down,j", "scroll_down", "Down", show=False)]

    def __init__(self, *, node: str | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.node = node
        self._rows: list[TimelineRow] = []

    def on_mount(self) -> None:
        self.border_title = "Timeline"

    def show(self, timeline: Timeline, incidents: Sequence[IncidentMark] | None = None) -> None:
        """``incidents`` default: the app's (when it keeps them), so every screen showing a
        timeline heads it the same way."""
        if incidents is None:
            app = self.app
            incidents = app.incident_marks() if isinstance(app, IncidentSource) else []
        at_end = self.scroll_y >= self.max_scroll_y - 1
        self._rows = timeline_rows(timeline, self.node, incidents)
        # Width 0: long rows are cut at the panel's edge (with an ellipsis), never scrolled.
        self.virtual_size = Size(0, max(1, len(self._rows)))
        self.refresh()
        if at_end:
            self.call_after_refresh(self.scroll_end, animate=False)

    @property
    def text(self) -> Text:
        """Every row the panel holds, as one text (what scrolling through it would show)."""
        if not self._rows:
            return Text("nothing yet", style="dim")
        dated = spans_days(self._rows)
        return Text("\n").join(row_text(r, self.node, dated=dated) for r in self._rows)

    def render_line(self, y: int) -> Strip:
        _, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        if not self._rows and index == 0 and width > 0:
            row = Text.assemble(("nothing yet", "dim"))
        elif index >= len(self._rows) or width <= 0:
            return Strip.blank(width, self.rich_style)
        else:
            row = row_text(self._rows[index], self.node, dated=spans_days(self._rows))
        row.truncate(width, overflow="ellipsis")
        strip = Strip(list(row.render(self.app.console))).crop(0, width)
        return strip.extend_cell_length(width, self.rich_style)
