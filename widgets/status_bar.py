"""Status bar: source health, recording on/off, replay position and speed, errors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from labconsole.events import IntakeLoss
from labconsole.sanitize import visible_row
from labconsole.state.health import SourceHealth


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
    text.append("REC " if recording else "rec off ", style="bold red" if recording else "dim")
    for h in sorted(health.values(), key=lambda h: h.name):
        label = h.label(now)
        style = ("green" if label == "connected" else "red" if label == "failed"
                 else "yellow")
        if h.state == "connecting" and h.events:
            continue  # a replayed or passive source that never reported a connection
        text.append(f"{visible_row(h.name)}:", style="dim")
        text.append(f"{visible_row(label)} ", style=style)
    if errors:
        text.append(f" {errors} input errors", style="bold red")
    return text


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; text-wrap: nowrap; }
    """
