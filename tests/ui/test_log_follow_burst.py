"""The kernel log pane, following, shows the newest line after a burst of more lines than
it holds (a slow node's backlog arriving at once, a reconnect's catch-up): found in the lab
scenario test, where "following" stood in the title while the pane still showed row 0."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from textual.app import App, ComposeResult

from labconsole.state.kernel_log import KernelLogStore
from labconsole.state.log_view import LogView
from labconsole.widgets.kernel_log import KernelLogPane


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
        layouts = 0
        screen = app.screen
        laid_out = screen._refresh_layout

        def count(*args: object, **kwargs: object) -> None:
            nonlocal layouts
            layouts += 1
            laid_out(*args, **kwargs)  # type: ignore[arg-type]

        screen._refresh_layout = count  # type: ignore[method-assign]
        for burst in range(3):
            _lines(store, 63 + 40 * burst, 103 + 40 * burst)
            pane.refresh_rows()
            # at once: before any refresh of the screen
            assert pane.virtual_size.height == 103 + 40 * burst
            assert pane.vertical_scrollbar.window_virtual_size == 103 + 40 * burst
            assert pane.scroll_offset.y == pane.max_scroll_y > 0
            assert pane.cursor == 102 + 40 * burst
            await pilot.pause()
        assert layouts == 0
        assert pane.scroll_offset.y == pane.max_scroll_y
        # a query with a few rows: the scrollbar goes (a layout), the rows are all shown
        pane.show_query(replace(pane.log_query, text="line 10"))  # 10, 100..109, 1000..
        await pilot.pause()
        assert len(pane.view.rows) == 11 and layouts >= 1
        assert not pane.show_vertical_scrollbar and pane.scroll_offset.y == 0
