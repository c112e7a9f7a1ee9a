"""Votes panel: each cluster as every node sees it (agreement, a split, nodes unknown).

The headline is the cluster picture (``ClusterViews.picture``), never one node's answer: all
views agree -> "homelab 3/3 quorate"; they disagree -> "homelab SPLIT" with one line per side
and its own view; then one line per node with its own view, how long it has held and where it
came from; a node that cannot be read is "unknown since HH:MM:SS" with the reason, in yellow,
and is never shown as healthy. Fits the 36-column panel of an 80x24 terminal.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from labconsole.incident.wording import picture_text, side_text, votes_word
from labconsole.model import timefmt
from labconsole.model.vote_view import ClusterPicture, NodeView, Unreadable
from labconsole.sanitize import visible_row
from labconsole.state.votes import ClusterViews, VotesState
from labconsole.widgets.style import ago

SOURCE_TAG = {"quorumtool": "qt", "corosync_log": "log"}


class VotesPanel(Static):
    """Renders ``VotesState``; a split, a node that left or cannot be read is red/yellow."""

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
        _cluster(text, cluster, now)
    text.rstrip()
    return text


def _headline_style(pic: ClusterPicture) -> str:
    if pic.kind != "agree" or pic.sides[0].quorate is not True:
        return "bold red" if pic.kind != "waiting" else "dim"
    s = pic.sides[0]
    degraded = pic.unknown or (s.total_votes is not None and s.expected_votes is not None
                               and s.total_votes < s.expected_votes)
    return "bold yellow" if degraded else "bold green"


def _cluster(text: Text, c: ClusterViews, now: datetime) -> None:
    pic = c.picture(now)
    style = _headline_style(pic)
    text.append(f"{visible_row(c.name)} ", style="bold")
    if pic.kind == "split":
        text.append("SPLIT", style="bold red reverse")
        text.append(f"  {len(pic.sides)} sides", style=style)
    else:
        text.append(visible_row(picture_text(pic)), style=style)
    since = max([t for t in (c.picture_since, *c.changed.values()) if t is not None],
                default=None)
    if since is not None:  # since the picture or any node's view last changed
        text.append(f"  {ago((now - since).total_seconds())}", style="dim")
    text.append("\n")
    if pic.kind == "split":
        for side in pic.sides:
            text.append(f"  {visible_row(side_text(side))}\n",
                        style="red" if not side.quorate else "yellow")
    unknown = {u.node: u for u in pic.unknown}
    for node in c.nodes:
        if node in unknown:
            _unknown(text, unknown[node])
        elif node in c.views:
            _own(text, c, c.views[node], now)
        else:
            _silent(text, c, node, now)


def _unknown(text: Text, u: Unreadable) -> None:
    text.append(" ? ", style="bold yellow")
    text.append(f"{visible_row(u.node):<6} unknown since {timefmt.short(u.since)}\n",
                style="yellow")
    text.append(f"     {visible_row(u.reason)}\n", style="dim yellow")


def _own(text: Text, c: ClusterViews, view: NodeView, now: datetime) -> None:
    out = view.node in c.out_since
    healthy = view.quorate is True and not out
    mark, style = ("●", "green") if healthy else ("✖", "bold red")
    text.append(f" {mark} ", style=style)
    text.append(f"{visible_row(view.node):<6} ", style=style)
    word = votes_word(view.total_votes, view.expected_votes, view.quorate)
    if view.alone and view.quorate is False:
        word = "alone, NOT quorate"
    text.append(word, style=style if not healthy else "")
    changed = c.changed.get(view.node)
    if changed is not None:
        text.append(f" {ago((now - changed).total_seconds())}", style="dim")
    tag = view.via if view.source == "api" else SOURCE_TAG.get(view.source, view.source)
    text.append(f" {visible_row(tag or '')}\n", style="dim")


def _silent(text: Text, c: ClusterViews, node: str, now: datetime) -> None:
    """A node only others speak of (an old recording polled one node)."""
    since = c.out_since.get(node)
    seen_by = ", ".join(n for n in sorted(c.views) if n not in c.out_since) or "others"
    if since is not None:
        text.append(" ✖ ", style="bold red")
        text.append(f"{visible_row(node):<6} GONE ", style="bold red")
        text.append(f"{ago((now - since).total_seconds())} ({visible_row(seen_by)})\n",
                    style="dim")
    else:
        text.append(" ● ", style="green")
        text.append(f"{visible_row(node):<6} member ", style="green")
        text.append(f"({visible_row(seen_by)})\n", style="dim")
