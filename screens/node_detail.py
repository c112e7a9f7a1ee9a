"""Node detail: everything about one node (votes, every NIC feature, its log, its timeline)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Header, Static

from labconsole.incident.wording import votes_word
from labconsole.model import timefmt
from labconsole.sanitize import visible_row
from labconsole.state.health import SourceHealth
from labconsole.state.log_view import LogQuery, LogView
from labconsole.state.votes import VotesState
from labconsole.widgets.console_footer import ConsoleFooter
from labconsole.widgets.kernel_log import KernelLogPane
from labconsole.widgets.nic_panel import NicPanel
from labconsole.widgets.style import ago
from labconsole.widgets.timeline_panel import TimelinePanel

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from labconsole.app import LabConsoleApp


def render_node_votes(votes: VotesState, node: str, now: datetime) -> Text:
    """The node's own view of each cluster it is in, and whether the others count it."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for cluster in votes.clusters.values():
        if node not in cluster.known:
            continue
        text.append(f"{visible_row(cluster.name)}: ", style="bold")
        out = cluster.out_since.get(node)
        if out is not None:
            text.append(f"GONE for {ago((now - out).total_seconds())} ", style="bold red")
        unknown = cluster.picture(now).unknown
        lost = [u for u in unknown if u.node == node]
        view = cluster.views.get(node)
        if lost:
            since = timefmt.short(lost[0].since)
            text.append(f"unknown since {since} ({visible_row(lost[0].reason)})",
                        style="yellow")
        elif view is not None:
            word = votes_word(view.total_votes, view.expected_votes, view.quorate)
            sees = ", ".join(sorted(view.members)) or "nobody"
            text.append(f"its view: {word}, sees {visible_row(sees)}")
        else:
            text.append("no view of its own read", style="dim")
    if not text:
        text.append("not in any cluster status seen", style="dim")
    return text


def render_node_sources(health: Mapping[str, SourceHealth], node: str, now: datetime) -> Text:
    """Each source of the node (its SSH connection first) with its state in words."""
    text = Text(no_wrap=True, overflow="ellipsis")
    mine = sorted((h for h in health.values() if h.node == node and
                   not (h.state == "connecting" and h.events)),
                  key=lambda h: (not h.name.startswith("ssh:"), h.name))
    for h in mine:
        style = "green" if h.state == "connected" else "bold red" if h.state == "failed" \
            else "yellow"
        text.append(f"{visible_row(h.name.partition(':')[0])}: ", style="bold")
        text.append(visible_row(h.label(now)), style=style)
        down = h.down_for(now)
        if down is not None and down >= 1:
            text.append(f" for {ago(down)}", style="dim")
        text.append("  ")
    return text


class NodeDetailScreen(Screen[None]):
    DEFAULT_CSS = """
    NodeDetailScreen #node-votes { height: 4; border: round $primary; padding: 0 1; }
    NodeDetailScreen #node-top { height: 12; }
    NodeDetailScreen #node-nics { width: 1fr; }
    NodeDetailScreen #node-timeline { width: 1fr; }
    """
    BINDINGS = [Binding("escape,backspace", "app.pop_screen", "Back")]

    def __init__(self, node: str) -> None:
        super().__init__()
        self.node = node

    @property
    def lc(self) -> LabConsoleApp:
        return cast("LabConsoleApp", self.app)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="node-votes")
        with Horizontal(id="node-top"):
            yield NicPanel(node=self.node, show_all=True, id="node-nics")
            yield TimelinePanel(node=self.node, id="node-timeline")
        pane = KernelLogPane(LogView(self.lc.state.log, query=LogQuery(node=self.node)),
                             id="node-log")
        pane.merged = False
        yield pane
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.sub_title = f"node {visible_row(self.node)}"
        self.query_one("#node-votes", Static).border_title = f"Node {visible_row(self.node)}"
        self.query_one(KernelLogPane).focus()
        self.refresh_state({"reset"})

    def refresh_state(self, panels: set[str]) -> None:
        state = self.lc.state
        pane = self.query_one(KernelLogPane)
        if "reset" in panels:
            pane.set_view(LogView(state.log, query=LogQuery(node=self.node)))
        if panels & {"votes", "tick", "reset", "health"}:
            now = self.lc.now()
            self.query_one("#node-votes", Static).update(Text("\n").join([
                render_node_votes(state.votes, self.node, now),
                render_node_sources(state.health, self.node, now)]))
        if panels & {"nics", "reset", "health", "tick"}:
            self.query_one(NicPanel).show(state.nics, state.unreachable_nodes(), self.lc.now())
        if panels & {"timeline", "reset"}:
            self.query_one(TimelinePanel).show(state.timeline)
        if panels & {"log"}:
            pane.refresh_rows()
