"""NIC panel: per node and interface driver, firmware, link, speed and offloads, with warnings."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Static

from labconsole.sanitize import visible_row
from labconsole.state.nics import NicsState, NicState


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

    def on_mount(self) -> None:
        self.border_title = "NICs"

    def show(self, nics: NicsState) -> None:
        self._nics = nics
        self.update(render_nics(nics, node=self.node, show_all=self.show_all))

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        if self._nics is not None:
            self.show(self._nics)


def render_nic(nic: NicState, show_all: bool) -> Text:
    text = Text(no_wrap=not show_all, overflow="ellipsis")
    warn = nic.warning
    text.append("⚠ " if warn else "  ", style="bold red")
    text.append(visible_row(f"{nic.node} {nic.iface:<5}"), style="bold")
    link = visible_row(nic.link or "?")
    text.append(f" {link:<4}", style="bold red" if link == "down" else "green")
    text.append(f" {visible_row(nic.driver or '?')}")
    if nic.firmware:
        text.append(f" {visible_row(nic.firmware)}", style="dim")
    if nic.speed:
        text.append(f" {visible_row(str(nic.speed))}", style="dim")
    off = nic.offloads
    flags = (("tso", off.tso), ("gso", off.gso), ("gro", off.gro)) if off else ()
    for name, value in flags:
        word, flag_style = _flag(value)
        text.append(f" {name} ")
        text.append(word, style=flag_style)
    if warn:
        text.append(f"\n  ↳ {visible_row(warn)}", style="bold red")
    if nic.error:
        text.append(f"\n    {visible_row(nic.error)}", style="red")
    if show_all and nic.offloads is not None:
        for feature, setting in nic.offloads.features.items():
            text.append(f"\n    {visible_row(f'{feature}: {setting}')}", style="dim")
    return text


def render_nics(nics: NicsState, *, node: str | None = None, show_all: bool = False) -> Text:
    items = [n for key, n in sorted(nics.nics.items()) if node is None or key[0] == node]
    if not items:
        return Text("no NIC data yet", style="dim")
    return Text("\n").join(render_nic(n, show_all) for n in items)
