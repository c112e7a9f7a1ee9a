"""The console's incremental incident marks (``LiveMarks``) are the full correlation's
(``incident_marks``) after any sequence of events, checked after every few events: events
late and out of order, hang episodes growing in place, a small capped timeline that drops
its oldest entries (looked at straight after each drop, or with drops and late entries
between two looks), checkpoints every few facts, and a reset in the middle."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from labconsole.events import Event, KernelText, SyslogText
from labconsole.incident.from_state import incident_marks
from labconsole.incident.live_marks import LiveMarks
from labconsole.state.console_state import ConsoleState
from labconsole.state.kernel_log import KernelLogStore
from labconsole.state.timeline import Timeline
from tests.property.test_one_interpreter import T0, _hang, _kernel, event_lists


def _state(capacity: int) -> ConsoleState:
    return ConsoleState(log=KernelLogStore(), timeline=Timeline(capacity))


@st.composite
def shuffled(draw: st.DrawFn) -> list[Event]:
    """Events, some moved earlier in the list (a slower source delivers them late), with
    client disconnects (context facts that join an open incident) mixed in."""
    events = draw(event_lists())
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        if len(events) > 2:
            i = draw(st.integers(min_value=1, max_value=len(events) - 1))
            j = draw(st.integers(min_value=0, max_value=i - 1))
            events.insert(j, events.pop(i))
    for k in range(draw(st.integers(min_value=0, max_value=8))):
        at = T0 + timedelta(seconds=draw(st.integers(min_value=0, max_value=900)))
        events.insert(draw(st.integers(min_value=0, max_value=len(events))), SyslogText(
            at=at, source="syslog", node=None, text=(
                f"{at:%b %d %H:%M:%S} gw CEF:0|Ubiquiti|UniFi Network|9.0|401|Wired Client "
                f"Disconnected|2|UNIFIcategory=Monitoring msg=client-{k} left")))
    return events


def _same(live: LiveMarks, state: ConsoleState) -> None:
    assert live.marks(state) == incident_marks(state)


@settings(max_examples=200, deadline=None)
@given(shuffled(), st.integers(min_value=1, max_value=5), st.integers(min_value=1, max_value=4),
       st.sampled_from([4, 12, 10_000]), st.booleans())
def test_live_marks_are_the_full_correlation(events: list[Event], every: int, spacing: int,
                                             capacity: int, reset: bool) -> None:
    state = _state(capacity)
    live = LiveMarks(checkpoint_every=spacing, max_checkpoints=3)
    for i, event in enumerate(events):
        state.apply(event)
        if i % every == 0:
            _same(live, state)
        if reset and i == len(events) // 2:
            state.reset()
            _same(live, state)
    state.end_of_input()
    _same(live, state)


@settings(max_examples=300, deadline=None)
@given(shuffled(), st.sampled_from([(4, 2), (6, 1), (12, 6), (20, 3)]),
       st.integers(min_value=1, max_value=4), st.integers(min_value=1, max_value=4),
       st.booleans())
def test_live_marks_are_the_full_correlation_after_every_drop(
        events: list[Event], bounds: tuple[int, int], spacing: int, kept: int,
        each: bool) -> None:
    """A drop correlates again only what it touched (``same_future``, ``graft``): the marks
    are the full correlation's straight after each drop (``each``), or at a look that sees
    drops and late entries together; with few checkpoints (``kept``) a drop may find one to
    take the old fold's incidents from, or none."""
    capacity, slack = bounds
    state = ConsoleState(log=KernelLogStore(), timeline=Timeline(capacity, slack))
    live = LiveMarks(checkpoint_every=spacing, max_checkpoints=kept)
    drops = state.timeline.watch()
    for i, event in enumerate(events):
        state.apply(event)
        dropped = drops.take()[1]
        if (each and dropped) or i % 3 == 0:
            _same(live, state)
    state.end_of_input()
    _same(live, state)


def _link(state: ConsoleState, at: datetime, node: str, up: bool) -> None:
    word = "Up 1000 Mbps Full Duplex, Flow Control: None" if up else "Down"
    state.apply(KernelText(at=at, source=f"ssh:{node}", node=node,
                           text=f"{at:%b %d %H:%M:%S} {node} kernel: e1000e 0000:00:1f.6 "
                                f"eno1: NIC Link is {word}"))


def test_a_drop_of_closed_incidents_correlates_again_only_what_it_touched() -> None:
    """Short outages five minutes apart (each its own incident) falling off the front of a
    capped timeline: each drop re-correlates the facts up to the first checkpoint where the
    new fold goes on as the old one does, not the whole timeline, and the marks stay the
    full correlation's (their numbers shift as the oldest incidents go)."""
    state = ConsoleState(log=KernelLogStore(), timeline=Timeline(40, slack=10))
    live = LiveMarks(checkpoint_every=4)
    drops = state.timeline.watch()
    dropped = 0
    for i in range(100):
        at = T0 + timedelta(minutes=5 * i)
        node = f"pve0{i % 3 + 1}"
        _link(state, at, node, up=False)
        _link(state, at + timedelta(seconds=10), node, up=True)
        if drops.take()[1]:
            dropped += 1
            fed, full = live.stats.fed, live.stats.full
            _same(live, state)
            assert live.stats.full == full  # taken from the old fold, not all again
            assert live.stats.fed - fed < 12  # of 40 held
        elif i % 2 == 0:
            _same(live, state)
    assert live.stats.grafted == dropped >= 10


def test_a_closed_incidents_cause_follows_the_register_lines_of_its_hang() -> None:
    """A hang's register lines complete its episode after its report line, and the timeline
    hears only of reports: a closed incident's kept cause is named again when they come
    (found by the drop test: the marks said "2 reports" where the full correlation, with
    the registers, said "stuck TX ring ... TDH frozen")."""
    state = _state(10_000)
    live = LiveMarks()
    state.apply(SyslogText(at=T0 + timedelta(minutes=2), source="syslog", node=None, text=(
        f"{T0 + timedelta(minutes=2):%b %d %H:%M:%S} gw CEF:0|Ubiquiti|UniFi Network|9.0|401|"
        "Wired Client Disconnected|2|UNIFIcategory=Monitoring msg=client left")))
    first, second = _hang(T0, "pve01"), _hang(T0, "pve01")
    late = _kernel(T0 + timedelta(seconds=1), "pve01", "  TDH                  <f6>")
    for event in [*first, *second[:2]]:  # two reports, the second's TDH line and no more
        state.apply(event)
    _same(live, state)  # closed by the later fact (quiet for ``settle``): its cause is kept
    for event in [late, *second[2:]]:  # the second report's registers: TDH frozen
        state.apply(event)
        _same(live, state)


def test_a_flood_of_appended_facts_resumes_from_a_checkpoint() -> None:
    """Appending facts re-feeds only those after the last checkpoint, not the whole timeline."""
    state = _state(10_000)
    live = LiveMarks(checkpoint_every=16)
    for i in range(600):
        at = T0 + timedelta(milliseconds=100 * i)
        state.apply(SyslogText(at=at, source="syslog", node=None, text=(
            f"{at:%b %d %H:%M:%S} gw CEF:0|Ubiquiti|UniFi Network|9.0|401|Device Offline|5|"
            f"UNIFIdeviceName=USW-{i % 3} msg=switch {i}")))
        if i % 50 == 0:
            _same(live, state)
    fed, full = live.stats.fed, live.stats.full
    for i in range(600, 610):
        at = T0 + timedelta(milliseconds=100 * i)
        state.apply(SyslogText(at=at, source="syslog", node=None, text=(
            f"{at:%b %d %H:%M:%S} gw CEF:0|Ubiquiti|UniFi Network|9.0|401|Device Offline|5|"
            f"UNIFIdeviceName=USW-{i % 3} msg=switch {i}")))
    _same(live, state)
    assert live.stats.full == full  # resumed from a checkpoint
    # the 59 facts since the last look and the few before them since a checkpoint, not all 610
    assert live.stats.fed - fed <= 59 + 2 * 16


def test_a_flapping_link_off_the_capped_timeline_is_taken_over_after_the_cut() -> None:
    """Link entries falling off the front of a full timeline (a busy replay) are incidents'
    own facts; a link flapping every second is one incident from the first fact held to the
    last, so every drop touches it. Its outstanding state (the link down or up, the last
    trouble and recovery) is the same in the new fold at the first checkpoint after the cut,
    so the old fold's incident is taken over there with the held facts before it, not
    correlated again whole; and the marks stay the full correlation's."""
    state = ConsoleState(log=KernelLogStore(), timeline=Timeline(40, slack=10))
    live = LiveMarks(checkpoint_every=8)
    drops = state.timeline.watch()
    dropped = 0
    for i in range(300):
        at = T0 + timedelta(seconds=i)
        _link(state, at, "pve03", up=i % 2 == 1)
        dropped += drops.take()[1] > 0
        if i % 3 == 0:
            fed, full = live.stats.fed, live.stats.full
            _same(live, state)
            if live.stats.full == full:
                assert live.stats.fed - fed <= 3 + 2 * 8  # of 40 to 50 held
    assert dropped >= 20 and live.stats.grafted == dropped
