"""The app's redraw path under a flood: many state changes cost one message and at most one
redraw per ``REFRESH_SECONDS``, none is lost, and an isolated change shows at once."""

from __future__ import annotations

import asyncio

import pytest

from labconsole import app as app_module
from labconsole.app import LabConsoleApp, StateChanged
from labconsole.screens.dashboard import DashboardScreen


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[set[str]]:
    """Record the panels of every dashboard redraw (the real one still runs)."""
    seen: list[set[str]] = []
    original = DashboardScreen.refresh_state

    def spy(self: DashboardScreen, panels: set[str]) -> None:
        seen.append(set(panels))
        original(self, panels)

    monkeypatch.setattr(DashboardScreen, "refresh_state", spy)
    return seen


async def test_a_flood_of_changes_posts_one_message_and_loses_no_panel(
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _counting(monkeypatch)
    posted: list[StateChanged] = []
    app = LabConsoleApp([], tick_seconds=0)
    original_post = app.post_message

    def post(message: object) -> bool:
        if isinstance(message, StateChanged):
            posted.append(message)
        return original_post(message)  # type: ignore[arg-type]

    async with app.run_test() as pilot:
        await pilot.pause()
        seen.clear()
        monkeypatch.setattr(app, "post_message", post)
        for i in range(1000):  # as a source's chunk of lines does: no yield in between
            app._changed({"log"} if i % 2 else {"health"})
        app._changed({"timeline"})
        assert len(posted) == 1
        for _ in range(100):  # the first redraw, then at most one deferred by the timer
            await asyncio.sleep(app_module.REFRESH_SECONDS / 5)
            if not app._pending and app._refresh_timer is None:
                break
        assert 1 <= len(seen) <= 2
        assert set().union(*seen) == {"log", "health", "timeline"}


async def test_changes_during_the_refresh_window_wait_for_one_deferred_redraw(
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _counting(monkeypatch)
    monkeypatch.setattr(app_module, "REFRESH_SECONDS", 3600.0)  # the window never ends itself
    app = LabConsoleApp([], tick_seconds=0)
    async with app.run_test() as pilot:
        await pilot.pause()
        seen.clear()
        app._last_refresh = float("-inf")  # long quiet: the next change shows at once
        app._changed({"votes"})
        await pilot.pause()
        assert seen == [{"votes"}]
        app._changed({"log"})  # inside the window: pooled, not drawn yet
        await pilot.pause()
        app._changed({"nics"})
        await pilot.pause()
        assert seen == [{"votes"}] and app._refresh_timer is not None
        assert app._pending == {"log", "nics"}
        app._refresh_timer.stop()
        app._deferred_refresh()  # the timer firing: one redraw with both
        assert seen == [{"votes"}, {"log", "nics"}]
