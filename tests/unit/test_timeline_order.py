"""The timeline keeps time order for late arrivals (a sender's clock, a slow source), stable
for equal times, bounded: the invariant the O(log n) insertion must keep."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from labconsole.state.timeline import Timeline, TimelineEntry

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)


@given(st.lists(st.integers(min_value=0, max_value=20), max_size=60),
       st.integers(min_value=1, max_value=30))
def test_entries_stay_sorted_stable_and_bounded(offsets: list[int], capacity: int) -> None:
    timeline = Timeline(capacity=capacity)
    for n, off in enumerate(offsets):
        timeline.add(TimelineEntry(at=T0 + timedelta(seconds=off), kind="cef", node=None,
                                   text=str(n)))
    keys = [(e.at, e.seq) for e in timeline.entries]
    assert keys == sorted(keys)
    assert len(timeline.entries) == min(len(offsets), capacity)
    # what is kept is the latest-in-time part of everything added, in arrival order per time
    everything = sorted(((T0 + timedelta(seconds=o), n + 1) for n, o in enumerate(offsets)))
    assert keys == everything[len(everything) - len(keys):]
