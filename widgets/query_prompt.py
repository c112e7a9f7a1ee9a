"""A one-line prompt for filter, search, jump-to-time, time window and replay seek."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input

PROMPTS: dict[str, str] = {
    "filter": "filter (re:REGEX for a regex, empty clears)",
    "search": "search (re:REGEX for a regex)",
    "jump": "jump to time HH:MM[:SS]",
    "window": "time window SINCE..UNTIL (HH:MM[:SS], either side may be empty)",
    "seek": "replay: seek to time HH:MM[:SS]",
}


class QueryPrompt(Input):
    """Hidden until asked for; Enter submits an ``Asked`` message, Escape cancels."""

    DEFAULT_CSS = """
    QueryPrompt, QueryPrompt:focus { display: none; border: none; height: 1; padding: 0 1; }
    QueryPrompt.-active { display: block; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    @dataclass
    class Asked(Message):
        kind: str
        value: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.kind = ""

    def ask(self, kind: str, value: str = "") -> None:
        self.kind = kind
        self.placeholder = PROMPTS.get(kind, kind)
        self.value = value
        self.add_class("-active")
        # Focus now, not via call_later as focus() does: keys typed right after the prompt
        # key (a fast typist, tmux send-keys) must land here, not in the previous widget.
        self.screen.set_focus(self)

    def action_cancel(self) -> None:
        self.remove_class("-active")
        self.kind = ""
        self.screen.focus_next()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        kind = self.kind
        self.remove_class("-active")
        self.kind = ""
        self.post_message(self.Asked(kind=kind, value=event.value))
