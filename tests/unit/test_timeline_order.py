"""The timeline keeps time order for late arrivals (a sender's clock, a slow source), stable
for equal times, bounded: the invariant the O(log n) insertion must keep."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from labconsole.incident.facts import Fact
from labconsole.incident.from_state import IncidentMark
from labconsole.state.timeline import Timeline, TimelineEntry
from labconsole.widgets.timeline_panel import MarkRow, place_marks, timeline_rows

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)


@given(st.lists(st.integers(min_value=0, max_value=20), max_size=60),
       st.integers(min_value=1, max_value=30), st.sampled_from([None, 0, 1, 5]))
def test_entries_stay_sorted_stable_and_bounded(offsets: list[int], capacity: int,
                                                slack: int | None) -> None:
    """The newest ``capacity`` entries at least, ``capacity + slack`` at most: the oldest go
    in batches, back down to ``capacity`` each time the bound is passed. What is kept: each
    drop keeps the latest-in-time part of what was held (arrival order per time); an entry
    added late after a drop stays until the next one, even if older than dropped ones."""
    timeline = Timeline(capacity=capacity, slack=slack)
    held: list[tuple[datetime, int]] = []  # the rule, by sorting everything held each time
    for n, off in enumerate(offsets):
        at = T0 + timedelta(seconds=off)
        timeline.add(TimelineEntry(at=at, kind="cef", node=None,
                                   fact=Fact(at=at, kind="cef_note", node=None, text=str(n))))
        held = sorted([*held, (at, n + 1)])
        if len(held) > capacity + timeline.slack:
            held = held[len(held) - capacity:]
        assert [(e.at, e.seq) for e in timeline.entries] == held
    assert min(len(offsets), capacity) <= len(timeline.entries) <= capacity + timeline.slack
    if timeline.slack == 0:  # one at a time: the latest-in-time part of everything added
        everything = sorted(((T0 + timedelta(seconds=o), n + 1) for n, o in enumerate(offsets)))
        assert held == everything[len(everything) - len(held):]


@settings(deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=30), max_size=40),
       st.lists(st.integers(min_value=-2, max_value=35), max_size=6, unique=True),
       st.sampled_from([None, "a"]))
def test_panel_rows_head_incidents_exactly_as_place_marks_says(
        offsets: list[int], starts: list[int], node: str | None) -> None:
    """The panel's row builder (bisection, slices) against place_marks (the rule)."""
    timeline = Timeline()
    for n, off in enumerate(offsets):
        at, who = T0 + timedelta(seconds=off), "a" if n % 3 else "b"
        timeline.add(TimelineEntry(at=at, kind="cef", node=who,
                                   fact=Fact(at=at, kind="cef_note", node=who, text=str(n))))
    marks = [IncidentMark(number=n, start=T0 + timedelta(seconds=s), end=T0,
                          status="resolved", cause=None)
             for n, s in enumerate(sorted(starts), start=1)]
    rows = timeline_rows(timeline, node, marks)
    shown = [e for e in timeline.entries if node is None or e.node in (None, node)]
    heads = place_marks(shown, marks)
    expected: list[object] = []
    for entry in shown:
        if entry.seq in heads:
            expected.append(("mark", heads[entry.seq].number))
        expected.append(entry.seq)
    assert [("mark", r.mark.number) if isinstance(r, MarkRow) else r.seq
            for r in rows] == expected
