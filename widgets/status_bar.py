"""Status bar: source health, recording on/off, replay position and speed, errors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from labconsole.state.health import SourceHealth


def render_status(health: dict[str, SourceHealth], now: datetime, *, recording: str | None,
                  replay: str | None, errors: int, message: str = "",
                  problems: Sequence[str] = ()) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    if replay:
        text.append(f" {replay} ", style="bold black on cyan")
        text.append(" ")
    if message:
        text.append(f"{message}  ", style="bold")
    if problems:
        # Before the source list, so that a disabled source is not cut off at 80 columns.
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        text.append(f" PROBLEM: {problems[-1]}{more} ", style="bold white on red")
        text.append(" ")
    text.append("REC " if recording else "rec off ", style="bold red" if recording else "dim")
    for h in sorted(health.values(), key=lambda h: h.name):
        label = h.label(now)
        style = ("green" if label == "connected" else "red" if label == "failed"
                 else "yellow")
        if h.state == "connecting" and h.events:
            continue  # a replayed or passive source that never reported a connection
        text.append(f"{h.name}:", style="dim")
        text.append(f"{label} ", style=style)
    if errors:
        text.append(f" {errors} input errors", style="bold red")
    return text


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; text-wrap: nowrap; }
    """
