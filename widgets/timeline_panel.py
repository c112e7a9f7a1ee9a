"""Timeline panel: one time axis of everything notable, cut into incidents."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from labconsole.state.timeline import Timeline, group_incidents
from labconsole.widgets.style import SEVERITY_STYLE

KIND_LABEL = {"cef": "CEF", "votes": "VOTE", "link": "LINK", "hang": "HANG", "conn": "CONN",
              "action": "ACT", "nic": "NIC"}


def render_timeline(timeline: Timeline, node: str | None = None) -> Text:
    entries = [e for e in timeline.entries if node is None or e.node in (None, node)]
    if not entries:
        return Text("nothing yet", style="dim")
    incidents = {e.seq: inc for inc in group_incidents(entries) for e in inc.entries[:1]}
    text = Text(no_wrap=True, overflow="ellipsis")
    for entry in entries:
        inc = incidents.get(entry.seq)
        if inc is not None:
            text.append(f"── incident {inc.number} from {inc.start:%H:%M:%S} ──\n",
                        style="bold magenta")
        style = SEVERITY_STYLE.get(entry.severity, "")
        text.append(f"{entry.at:%H:%M:%S} ", style="dim")
        text.append(f"{KIND_LABEL.get(entry.kind, entry.kind):<4} ", style="bold " + style)
        text.append(entry.text + "\n", style=style)
    text.rstrip()
    return text


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

    def show(self, timeline: Timeline) -> None:
        at_end = self.scroll_y >= self.max_scroll_y - 1
        self.query_one("#timeline-body", Static).update(render_timeline(timeline, self.node))
        if at_end:
            self.call_after_refresh(self.scroll_end, animate=False)
