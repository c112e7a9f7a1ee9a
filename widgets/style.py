"""Colours shared by the widgets: one place that maps a severity to a Rich style."""

from __future__ import annotations

SEVERITY_STYLE: dict[str, str] = {
    "error": "bold red",
    "warning": "yellow",
    "ok": "green",
    "info": "",
}
EPISODE_STYLE = "bold white on dark_red"
CURSOR_STYLE = "reverse"
MATCH_STYLE = "black on yellow"


def ago(seconds: float) -> str:
    """``42s``, ``3m05s``, ``2h04m``: compact age for narrow panels."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"
