"""Build the app on the bundled demo, deterministically: replay at speed 0 up to a fixed time."""

from __future__ import annotations

import io
from datetime import datetime, timezone

from textual.pilot import Pilot
from textual.screen import Screen

from labconsole.app import LabConsoleApp
from labconsole.demo import DEMO_RECORDING
from labconsole.incident.report import DataSource
from labconsole.screens.dashboard import DashboardScreen
from labconsole.sources.replay import ReplayControl, ReplaySource, load_events

END = datetime(2025, 11, 8, 6, 22, 0, tzinfo=timezone.utc)
# pve03 reachable again (06:20:24) and its hang reports just arrived; votes still 2/3, the
# offloads not yet off (06:20:30).
MID_INCIDENT = datetime(2025, 11, 8, 6, 20, 28, tzinfo=timezone.utc)


def demo_app(until: datetime = END, *, speed: float = 0, paused: bool = False) -> LabConsoleApp:
    events = [e for e in load_events([DEMO_RECORDING]) if e.at <= until]
    control = ReplayControl(speed=speed, paused=paused)
    source = ReplaySource(events, control=control)
    return LabConsoleApp([source], replay=control, tick_seconds=0,
                         subtitle="replay of pve03_incident.jsonl",
                         data_source=DataSource.demo())


async def settle(pilot: Pilot[int], turns: int = 400) -> None:
    """Let the replay run to its end (bounded number of turns), then let the UI catch up."""
    app = pilot.app
    assert isinstance(app, LabConsoleApp) and app.replay is not None
    for _ in range(turns):
        if app.replay.finished:
            break
        await pilot.pause()
    await pilot.pause()
    await pilot.pause()


async def b_on_first_episode(pilot: Pilot[int]) -> DashboardScreen:
    """Let the replay settle, put the kernel log's cursor on its first hang episode and press
    ``b`` (the runbook key); returns the dashboard (``pilot.app.screen`` is what ``b`` led
    to: the runbook screen, or still the dashboard with its message)."""
    await settle(pilot)
    dash = pilot.app.screen
    assert isinstance(dash, DashboardScreen)
    pane = dash.log_pane
    pane.follow = False
    pane.move_to(next(i for i, r in enumerate(pane.view.rows) if r.episode is not None))
    await pilot.press("b")
    await pilot.pause()
    return dash


def screen_lines(app: LabConsoleApp) -> list[str]:
    """The terminal as text rows, as an operator reads it (what capture-pane would give)."""
    from rich.console import Console

    width = app.size.width
    console = Console(width=width, height=app.size.height, file=io.StringIO(), record=True,
                      color_system=None, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False).splitlines()


class LayoutCounter:
    """Counts the layouts of a screen from now on (``_refresh_layout`` calls): the flood
    path's tests check that a redraw did not lay out the whole screen."""

    def __init__(self, screen: Screen[object]) -> None:
        self.count = 0
        laid_out = screen._refresh_layout

        def count(*args: object, **kwargs: object) -> None:
            self.count += 1
            laid_out(*args, **kwargs)  # type: ignore[arg-type]

        screen._refresh_layout = count  # type: ignore[method-assign]
