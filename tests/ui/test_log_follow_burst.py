"""The kernel log pane, following, shows the newest line after a burst of more lines than
it holds (a slow node's backlog arriving at once, a reconnect's catch-up): found in the lab
scenario test, where "following" stood in the title while the pane still showed row 0."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from textual.app import App, ComposeResult

from labconsole.state.kernel_log import KernelLogStore
from labconsole.state.log_view import LogView
from labconsole.widgets.kernel_log import KernelLogPane
from tests.ui.helpers import LayoutCounter


class _LogApp(App[None]):
    def __init__(self, store: KernelLogStore) -> None:
        super().__init__()
        self.store = store

    def compose(self) -> ComposeResult:
        yield KernelLogPane(LogView(self.store), id="log")


def _lines(store: KernelLogStore, first: int, last: int) -> None:
    at = datetime(2026, 6, 3, 6, 19, tzinfo=timezone.utc)
    for i in range(first, last):
        store.add("pve02", f"Jun 03 06:19:00 pve02 kernel: line {i}", at)


async def test_a_burst_larger_than_the_pane_ends_at_the_newest_line() -> None:
    store = KernelLogStore(spill=False)
    app = _LogApp(store)
    async with app.run_test(size=(100, 20)) as pilot:
        pane = app.query_one(KernelLogPane)
        _lines(store, 0, 3)
        pane.refresh_rows()
        await pilot.pause()
        _lines(store, 3, 63)  # one burst, three panes' worth
        pane.refresh_rows()
        await pilot.pause()
        assert pane.follow and pane.cursor == 62
        assert pane.max_scroll_y > 0 and pane.scroll_offset.y == pane.max_scroll_y
        # paused, a burst leaves the view where the operator put it
        pane.action_first()
        await pilot.pause()
        _lines(store, 63, 123)
        pane.refresh_rows()
        await pilot.pause()
        assert not pane.follow and pane.scroll_offset.y == 0


async def test_more_rows_under_a_shown_scrollbar_count_at_once_without_a_layout() -> None:
    """With the scrollbar shown, new rows move the scroll range and the view to the newest
    line at once, and the screen is not laid out again (the flood path: 20 redraws a
    second); fewer rows than the pane holds hide the scrollbar again (after a layout)."""
    store = KernelLogStore(spill=False)
    app = _LogApp(store)
    async with app.run_test(size=(100, 20)) as pilot:
        pane = app.query_one(KernelLogPane)
        _lines(store, 0, 63)
        pane.refresh_rows()
        await pilot.pause()
        assert pane.show_vertical_scrollbar
        layouts = LayoutCounter(app.screen)
        for burst in range(3):
            _lines(store, 63 + 40 * burst, 103 + 40 * burst)
            pane.refresh_rows()
            # at once: before any refresh of the screen
            assert pane.virtual_size.height == 103 + 40 * burst
            assert pane.vertical_scrollbar.window_virtual_size == 103 + 40 * burst
            assert pane.scroll_offset.y == pane.max_scroll_y > 0
            assert pane.cursor == 102 + 40 * burst
            await pilot.pause()
        assert layouts.count == 0
        assert pane.scroll_offset.y == pane.max_scroll_y
        # a query with a few rows: the scrollbar goes (a layout), the rows are all shown
        pane.show_query(replace(pane.log_query, text="line 10"))  # 10, 100..109, 1000..
        await pilot.pause()
        assert len(pane.view.rows) == 11 and layouts.count >= 1
        assert not pane.show_vertical_scrollbar and pane.scroll_offset.y == 0


async def test_a_redraw_draws_each_line_as_drawing_it_alone_does() -> None:
    """``render_lines`` reads the pane's style, width, scroll offset, focus and date question
    once for all its lines: the lines are the ones ``render_line`` draws by itself, on a
    day boundary (dated rows), with the cursor row focused, scrolled to the middle."""
    from textual.geometry import Region

    store = KernelLogStore(spill=False)
    app = _LogApp(store)
    async with app.run_test(size=(100, 20)) as pilot:
        pane = app.query_one(KernelLogPane)
        at = datetime(2026, 6, 3, 23, 59, 50, tzinfo=timezone.utc)
        for i in range(60):
            when = at + timedelta(seconds=i)
            store.add("pve02", f"{when:%b %d %H:%M:%S} pve02 kernel: line {i}", when)
        pane.refresh_rows()
        pane.focus()
        await pilot.pause()
        pane.move_to(30)
        await pilot.pause()
        height = pane.scrollable_content_region.height
        drawn = pane.render_lines(Region(0, 0, pane.outer_size.width, pane.outer_size.height))
        assert pane._redraw is None
        inside = drawn[1:-1]  # within the border
        alone = [pane.render_line(y) for y in range(len(inside))]
        assert 0 < len(inside) <= height
        for whole, line in zip(inside, alone, strict=True):
            assert line.text.rstrip() and line.text.rstrip() in whole.text
            styles = [s.style for s in line if s.text.strip()]
            assert all(st in [t.style for t in whole] for st in styles)
        cursor = [line for line in alone if "line 30" in line.text]
        assert len(cursor) == 1 and any("line 30" in w.text for w in inside)
        assert any("06-04" in line.text for line in alone)  # dated rows: a day boundary
