"""Status bar: source health, recording on/off, replay position and speed, errors.

What is wrong comes first (a problem, then each source that is not connected, with its reason
in words and how long it has been so), what is fine last and compact (``ssh ✓ pve01 pve02``):
at 80 columns the end of the line is what gets cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text
from textual.visual import VisualType
from textual.widgets import Static

from labconsole.events import IntakeLoss
from labconsole.sanitize import visible_row
from labconsole.state.health import SourceHealth
from labconsole.widgets.style import ago


def loss_words(loss: IntakeLoss) -> str:
    """``cef: 497,578 dropped in the last 10 s (kernel 497,000, queue 578)``."""
    causes = [(name, n) for name, n in (("kernel", loss.kernel or 0), ("queue", loss.queue),
                                        ("malformed", loss.malformed),
                                        ("rejected", loss.rejected),
                                        ("refused", loss.refused)) if n]
    detail = ", ".join(f"{name} {n:,}" for name, n in causes)
    return (f"{loss.source}: {loss.dropped:,} dropped in the last {loss.window:g} s"
            + (f" ({detail})" if detail else ""))


def render_status(health: dict[str, SourceHealth], now: datetime, *, recording: str | None,
                  replay: str | None, errors: int, message: str = "",
                  problems: Sequence[str] = (), losses: Sequence[IntakeLoss] = ()) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    if replay:
        text.append(f" {replay} ", style="bold black on cyan")
        text.append(" ")
    if message:
        text.append(f"{visible_row(message)}  ", style="bold")
    if problems:
        # Before the source list, so that a disabled source is not cut off at 80 columns.
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        text.append(f" PROBLEM: {visible_row(problems[-1])}{more} ", style="bold white on red")
        text.append(" ")
    for loss in losses:
        if loss.dropped:  # before the sources too: a flood must show at 80 columns
            text.append(f" {visible_row(loss_words(loss))} ", style="bold black on yellow")
            text.append(" ")
    shown = [h for h in sorted(health.values(), key=lambda h: h.name)
             # a replayed or passive source that never reported a connection
             if not (h.state == "connecting" and h.events)]
    for h in shown:
        if h.state not in ("connected", "connecting"):
            _append_down(text, h, now)
    text.append("REC " if recording else "rec off ", style="bold red" if recording else "dim")
    _append_fine(text, [h for h in shown if h.state in ("connected", "connecting")])
    if errors:
        text.append(f" {errors} input errors", style="bold red")
    return text


def _append_down(text: Text, h: SourceHealth, now: datetime) -> None:
    style = "bold red" if h.state == "failed" else "yellow"
    text.append(f"{visible_row(h.name)} ", style="bold")
    text.append(visible_row(h.label(now)), style=style)
    down = h.down_for(now)
    if down is not None and down >= 1:
        text.append(f" ({ago(down)})", style="dim")
    text.append("  ")


def _append_fine(text: Text, fine: list[SourceHealth]) -> None:
    """``ssh ✓ pve01 pve02  quorum … homelab``: grouped by kind (the part before ':')."""
    groups: dict[tuple[str, str], list[str]] = {}
    for h in fine:
        kind, _, rest = visible_row(h.name).partition(":")
        names = groups.setdefault((kind, h.state), [])
        if rest:
            names.append(rest + (f" via {visible_row(h.via)}" if h.via else ""))
    for (kind, state), names in groups.items():
        mark, style = ("✓", "green") if state == "connected" else ("…", "yellow")
        text.append(f"{kind} ", style="dim")
        text.append(mark, style=style)
        text.append("".join(f" {n}" for n in names) + "  ", style=style)


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; text-wrap: nowrap; width: 1fr; }
    """

    def update(self, content: VisualType = "", *, layout: bool = False) -> None:
        """New text without a layout of the screen: the bar is one row as wide as the screen
        whatever it says (the dashboard sets it on every redraw, 20 a second in a flood of
        lines, and Static's default layout of every widget cost more than the redraw)."""
        super().update(content, layout=layout)
