"""Votes panel: each cluster quorate or not, votes, and each node with state and age."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from labconsole.sanitize import visible_row
from labconsole.state.votes import VotesState
from labconsole.widgets.style import ago


class VotesPanel(Static):
    """Renders ``VotesState``; a node that left is red at once."""

    DEFAULT_CSS = """
    VotesPanel { border: round $primary; padding: 0 1; height: 100%;
                 text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def on_mount(self) -> None:
        self.border_title = "Votes"

    def show(self, votes: VotesState, now: datetime) -> None:
        self.update(render_votes(votes, now))


def render_votes(votes: VotesState, now: datetime) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    if not votes.clusters:
        text.append("waiting for quorum status...", style="dim")
        return text
    for cluster in votes.clusters.values():
        degraded = cluster.total_votes < cluster.expected_votes
        style = "bold red" if not cluster.quorate else "bold yellow" if degraded else "bold green"
        text.append(f"{visible_row(cluster.name)} ", style="bold")
        text.append(f"{cluster.total_votes}/{cluster.expected_votes} ", style=style)
        text.append("quorate" if cluster.quorate else "NOT QUORATE", style=style)
        text.append(f"  {ago((now - cluster.since).total_seconds())}\n", style="dim")
        for node in sorted(cluster.nodes.values(), key=lambda n: n.nodeid):
            mark, nstyle = ("●", "green") if node.present else ("✖", "bold red")
            text.append(f" {mark} ", style=nstyle)
            text.append(f"{visible_row(node.name):<8}", style=nstyle)
            text.append(f" {node.votes} ")
            text.append("member " if node.present else "GONE   ", style=nstyle)
            text.append(ago((now - node.since).total_seconds()), style="dim")
            text.append("\n")
    text.rstrip()
    return text
