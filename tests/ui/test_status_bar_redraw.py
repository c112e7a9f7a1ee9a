"""The status bar takes new text on every redraw without a layout of the screen (it is one
row as wide as the screen whatever it says), and shows the new text."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from labconsole.widgets.status_bar import StatusBar
from tests.ui.helpers import LayoutCounter


class _BarApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("above")
        yield StatusBar("short")


async def test_new_text_is_drawn_without_a_layout() -> None:
    app = _BarApp()
    async with app.run_test(size=(60, 5)) as pilot:
        bar = app.query_one(StatusBar)
        await pilot.pause()
        assert bar.region.width == 60 and bar.region.height == 1
        layouts = LayoutCounter(app.screen)
        for text in ("a much longer status text than before", "x", "rec: 12 lost"):
            bar.update(text)
            await pilot.pause()
            assert bar.region.width == 60 and bar.region.height == 1
            assert bar.render_line(0).text.rstrip() == text
        assert layouts.count == 0
