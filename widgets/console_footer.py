"""The footer, with ``? Help`` and ``q Quit`` first so that a narrow terminal cuts the others.

Textual's Footer lists the focused widget's keys, then the screen's, then the app's: at 80
columns the app's ``?`` and ``q`` (the two a new user needs most) were the ones cut off. This
footer shows the same keys with those two moved to the front, compact below 120 columns.

Textual rebuilds a footer (every key a new widget, styled again) whenever the screen's
bindings are refreshed, which happens on focus changes and after actions even when the keys
shown stay the same: this one rebuilds only when what it shows changed (issue 13 items 4-5:
it was rebuilt dozens of times before the first frame, and after keystrokes).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PINNED = ("help", "quit")  # actions shown first, whatever has focus
COMPACT_BELOW = 120

Shown = tuple[tuple[Binding, bool, str], ...]


class ConsoleFooter(Footer):
    _shown: tuple[Shown, tuple[Binding, bool, str] | None] | None = None  # as last composed

    def _keys(self) -> tuple[Shown, tuple[Binding, bool, str] | None]:
        """The keys to show in order, and the command palette's (None: not shown)."""
        active = self.screen.active_bindings
        shown: dict[str, tuple[Binding, bool, str]] = {}
        for _node, binding, enabled, tooltip in active.values():
            if binding.show and binding.action not in shown:
                shown[binding.action] = (binding, enabled, tooltip)
        order = sorted(shown, key=lambda a: PINNED.index(a) if a in PINNED else len(PINNED))
        palette = None
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            entry = active.get(self.app.COMMAND_PALETTE_BINDING)
            if entry is not None:
                _node, binding, enabled, _tooltip = entry
                palette = (binding, enabled, binding.tooltip or binding.description)
        return tuple(shown[a] for a in order), palette

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        keys, palette = self._shown = self._keys()
        self.styles.grid_size_columns = len(keys) + 1
        for binding, enabled, tooltip in keys:
            yield FooterKey(binding.key, self.app.get_key_display(binding),
                            binding.description, binding.action,
                            disabled=not enabled, tooltip=tooltip
                            ).data_bind(compact=Footer.compact)
        if palette is not None:
            binding, enabled, tooltip = palette
            yield FooterKey(binding.key, self.app.get_key_display(binding),
                            binding.description, binding.action,
                            classes="-command-palette", disabled=not enabled, tooltip=tooltip)

    def bindings_changed(self, screen: Screen[object]) -> None:
        if (self._shown is not None and self.is_attached and screen is self.screen
                and self._keys() == self._shown):
            return  # the same keys: nothing to rebuild
        super().bindings_changed(screen)

    def on_resize(self, event: Resize) -> None:
        self.compact = event.size.width < COMPACT_BELOW
