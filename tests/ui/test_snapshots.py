"""Snapshots (pytest-textual-snapshot) of the dashboard, the hang folded and open, the timeline.

Deterministic: the demo replays at speed 0 to a fixed point, ages are measured against the
recording's time (not the wall clock) and the once-a-second tick is off.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from tests.ui.helpers import MID_INCIDENT, demo_app, settle

SIZES = [(80, 24), (120, 40), (200, 50)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_dashboard_after_the_fix(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(demo_app(), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_hang_folded_mid_incident(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(demo_app(MID_INCIDENT), terminal_size=size, run_before=settle)


async def _unfold(pilot: Pilot[int]) -> None:
    await settle(pilot)
    await pilot.press("slash", *"hang x", "enter", "enter")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_hang_unfolded(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(demo_app(MID_INCIDENT), terminal_size=size, run_before=_unfold)


async def _timeline(pilot: Pilot[int]) -> None:
    await settle(pilot)
    pilot.app.screen.query_one("#timeline").focus()
    await pilot.press("home")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_timeline_from_the_start(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(demo_app(), terminal_size=size, run_before=_timeline)
