"""NIC panel: per node and interface link, offloads, driver, firmware and speed, with warnings.

The offload flags come right after the link, before driver/firmware/speed, so a narrow panel
cuts the details, never the flags. Below ``COMPACT_WIDTH`` columns a row is only
``⚠ pve01 eno1 up tso on gso on gro on`` and each distinct warning is one line under the rows
(``⚠ e1000e tso/gso on: known TX hang race``), so three NICs and their warning fit the five
rows an 80x24 terminal gives the panel. A node that cannot be reached shows its NICs as
unknown, dimmed, with the age of the last reading: never its old link and offloads as current.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from rich.text import Text
from textual.binding import Binding
from textual.events import Resize
from textual.widgets import Static

from labconsole.sanitize import visible_row
from labconsole.state.health import SourceHealth
from labconsole.state.nics import NicsState, NicState
from labconsole.widgets.style import ago

COMPACT_WIDTH = 60  # content columns below which rows drop driver, firmware and speed


def _flag(value: bool | None) -> tuple[str, str]:
    if value is None:
        return "?", "dim"
    return ("on", "yellow") if value else ("off", "green")


class NicPanel(Static, can_focus=True):
    """Renders ``NicsState``; ``a`` shows every offload feature."""

    DEFAULT_CSS = """
    NicPanel { border: round $primary; padding: 0 1; height: 100%; overflow-y: auto;
               text-wrap: nowrap; text-overflow: ellipsis; }
    NicPanel:focus { border: round $accent; }
    """
    BINDINGS = [Binding("a", "toggle_all", "All features")]

    def __init__(self, *, node: str | None = None, show_all: bool = False,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.node = node
        self.show_all = show_all
        self._nics: NicsState | None = None
        self._down: Mapping[str, SourceHealth] = {}
        self._now: datetime | None = None

    def on_mount(self) -> None:
        self.border_title = "NICs"

    def show(self, nics: NicsState, down: Mapping[str, SourceHealth] | None = None,
             now: datetime | None = None) -> None:
        """``down``: unreachable nodes (``state.health.unreachable``); ``now`` for ages."""
        self._nics = nics
        self._down = down or {}
        self._now = now
        self._redraw()

    def _redraw(self) -> None:
        if self._nics is None:
            return
        width = self.content_size.width or self.size.width
        self.update(render_nics(self._nics, node=self.node, show_all=self.show_all,
                                compact=0 < width < COMPACT_WIDTH, down=self._down,
                                now=self._now))

    def on_resize(self, _: Resize) -> None:
        self._redraw()

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        self._redraw()


def _head(text: Text, nic: NicState, mark: str) -> None:
    text.append(mark, style="bold red")
    text.append(visible_row(f"{nic.node} {nic.iface:<5}"), style="bold")


def _flags(text: Text, nic: NicState, compact: bool) -> None:
    off = nic.offloads
    flags = (("tso", off.tso), ("gso", off.gso), ("gro", off.gro)) if off else ()
    for name, value in flags:
        word, flag_style = _flag(value)
        text.append(f" {name} ")
        text.append(word if compact else f"{word:<3}", style=flag_style)


def render_unknown(nic: NicState, down: SourceHealth, now: datetime | None,
                   compact: bool) -> Text:
    """An unreachable node's NIC: unknown, dimmed, how old the last reading is."""
    text = Text(no_wrap=True, overflow="ellipsis", style="dim")
    _head(text, nic, "? ")
    age = f", read {ago((now - nic.updated).total_seconds())} ago" if now else ""
    text.append(f" unknown{age}", style="yellow")
    if not compact:
        text.append(f" ({visible_row(down.label(now or nic.updated))})")
    return text


def render_nic(nic: NicState, show_all: bool, compact: bool = False) -> Text:
    text = Text(no_wrap=not show_all, overflow="ellipsis")
    warn = nic.warning
    _head(text, nic, "⚠ " if warn else "  ")
    link = visible_row(nic.link or "?")
    text.append(f" {link}" if compact else f" {link:<4}",
                style="bold red" if link == "down" else "green")
    _flags(text, nic, compact)
    if not compact:
        text.append(f"  {visible_row(nic.driver or '?')}")
        if nic.firmware:
            text.append(f" {visible_row(nic.firmware)}", style="dim")
        if nic.speed:
            text.append(f" {visible_row(str(nic.speed))}", style="dim")
        if warn:
            text.append(f"\n  ↳ {visible_row(warn)}", style="bold red")
    if nic.error:
        text.append(f"\n    {visible_row(nic.error)}", style="red")
    if show_all and nic.offloads is not None:
        for feature, setting in nic.offloads.features.items():
            text.append(f"\n    {visible_row(f'{feature}: {setting}')}", style="dim")
    return text


def render_nics(nics: NicsState, *, node: str | None = None, show_all: bool = False,
                compact: bool = False, down: Mapping[str, SourceHealth] | None = None,
                now: datetime | None = None) -> Text:
    items = [n for key, n in sorted(nics.nics.items()) if node is None or key[0] == node]
    if not items:
        return Text("no NIC data yet", style="dim")
    down = down or {}
    rows = [render_unknown(n, down[n.node], now, compact) if n.node in down
            else render_nic(n, show_all, compact) for n in items]
    if compact:
        warnings = dict.fromkeys(n.warning for n in items if n.node not in down and n.warning)
        rows += [Text(f"⚠ {visible_row(w)}", style="bold red", no_wrap=True,
                      overflow="ellipsis") for w in warnings if w]
    return Text("\n").join(rows)
