"""bench/ui_memory.py at a tiny size: its child measurement counts what it says it counts."""

from __future__ import annotations

from bench.ui_memory import child


def test_child_spills_all_but_capacity_and_the_view_sees_every_line() -> None:
    got = child(60_000, 1_000)
    hang_lines = 3 * 15  # one hang episode (3 reports) after 50 000 lines
    assert got["lines"] == 60_000 + hang_lines
    assert got["in_memory"] == 1_000 and got["on_disk"] == 60_000 + hang_lines - 1_000
    assert got["rows"] == 60_000 + 1  # the episode folds into one row
    assert float(got["disk_mb"]) > 0 and float(got["rss_mb"]) > 0


def test_child_with_room_for_everything_writes_nothing_to_disk() -> None:
    got = child(2_000, 10_000)
    assert got["on_disk"] == 0 and got["disk_mb"] == 0 and got["in_memory"] == 2_000
