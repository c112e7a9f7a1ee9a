"""Help: every key of the console, generated from the bindings themselves."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def key_label(key: str) -> str:
    names = {"slash": "/", "full_stop": ".", "plus": "+", "minus": "-",
             "left_square_bracket": "[", "right_square_bracket": "]", "question_mark": "?",
             "space": "space", "escape": "esc"}
    return ",".join(names.get(k, k) for k in key.split(","))


def binding_rows(groups: Iterable[tuple[str, Iterable[BindingType]]]) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column("key", style="bold cyan", no_wrap=True)
    table.add_column("what")
    for title, bindings in groups:
        table.add_row(f"[bold magenta]{title}[/]", "")
        for b in bindings:
            if isinstance(b, Binding):
                table.add_row(key_label(b.key), b.description or b.action)
            elif isinstance(b, tuple):
                table.add_row(key_label(b[0]), b[2] if len(b) > 2 else b[1])
    return table


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 72; max-width: 100%; height: 90%;
                                  border: round $accent; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,q,question_mark", "app.pop_screen", "Close help")]

    def __init__(self, groups: list[tuple[str, list[BindingType]]]) -> None:
        super().__init__()
        self.groups = groups

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "Keys (esc closes; ctrl+p finds any action by name)"
            yield Static(binding_rows(self.groups), id="help-body")
