"""The footer, with ``? Help`` and ``q Quit`` first so that a narrow terminal cuts the others.

Textual's Footer lists the focused widget's keys, then the screen's, then the app's: at 80
columns the app's ``?`` and ``q`` (the two a new user needs most) were the ones cut off. This
footer shows the same keys with those two moved to the front, compact below 120 columns.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PINNED = ("help", "quit")  # actions shown first, whatever has focus
COMPACT_BELOW = 120


class ConsoleFooter(Footer):
    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        active = self.screen.active_bindings
        shown: dict[str, tuple[Binding, bool, str]] = {}
        for _node, binding, enabled, tooltip in active.values():
            if binding.show and binding.action not in shown:
                shown[binding.action] = (binding, enabled, tooltip)
        order = sorted(shown, key=lambda a: PINNED.index(a) if a in PINNED else len(PINNED))
        self.styles.grid_size_columns = len(order) + 1
        for action in order:
            binding, enabled, tooltip = shown[action]
            yield FooterKey(binding.key, self.app.get_key_display(binding),
                            binding.description, binding.action,
                            disabled=not enabled, tooltip=tooltip
                            ).data_bind(compact=Footer.compact)
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            entry = active.get(self.app.COMMAND_PALETTE_BINDING)
            if entry is not None:
                _node, binding, enabled, tooltip = entry
                yield FooterKey(binding.key, self.app.get_key_display(binding),
                                binding.description, binding.action,
                                classes="-command-palette", disabled=not enabled,
                                tooltip=binding.tooltip or binding.description)

    def on_resize(self, event: Resize) -> None:
        self.compact = event.size.width < COMPACT_BELOW
