"""A redraw due while the app shuts down is skipped, not an error.

Textual's shutdown removes every screen's widgets; a state change landing then (a deferred
redraw's timer, a flood's last event) made the dashboard query a panel that was gone and the
app died with ``NoMatches`` (seen in a full test run under load, in the CEF flood bench). The
test lands the redraw exactly in that window: after the dashboard's widgets are removed."""

from __future__ import annotations

from labconsole.app import LabConsoleApp


async def test_a_redraw_during_shutdown_is_skipped() -> None:
    app = LabConsoleApp([])
    close_all = app._close_all
    outcome: list[str] = []

    async def close_with_a_redraw_due() -> None:
        for screen in list(app.screen_stack):
            await screen.remove_children()
        app._pending |= {"votes", "nics", "log", "timeline", "health"}
        try:
            app._refresh()
            outcome.append("skipped")
        except Exception as exc:  # the failure this test is about
            outcome.append(repr(exc))
        await close_all()

    app._close_all = close_with_a_redraw_due  # type: ignore[method-assign]
    async with app.run_test(size=(110, 32)) as pilot:
        await pilot.pause()
        assert app.is_running
    assert outcome == ["skipped"]
