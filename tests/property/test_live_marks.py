"""The console's incremental incident marks (``LiveMarks``) are the full correlation's
(``incident_marks``) after any sequence of events, checked after every few events: events
late and out of order, hang episodes growing in place, a small capped timeline that drops
its oldest entries, checkpoints every few facts, and a reset in the middle."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from labconsole.events import Event, KernelText, SyslogText
from labconsole.incident.from_state import incident_marks
from labconsole.incident.live_marks import LiveMarks
from labconsole.state.console_state import ConsoleState
from labconsole.state.kernel_log import KernelLogStore
from labconsole.state.timeline import Timeline
from tests.property.test_one_interpreter import T0, event_lists


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


def test_a_flapping_link_off_the_capped_timeline_redoes_everything_once_a_batch() -> None:
    """Link entries falling off the front of a full timeline (a busy replay) are incidents'
    own facts, so dropping them makes the marks correlate everything again: the timeline
    drops them ``slack`` at a time, so that happens once per ``slack`` entries added, not at
    every look, and the marks stay the full correlation's."""
    state = ConsoleState(log=KernelLogStore(), timeline=Timeline(40, slack=10))
    live = LiveMarks(checkpoint_every=8)
    looks = 0
    for i in range(300):
        at = T0 + timedelta(seconds=i)
        word = "Down" if i % 2 == 0 else "Up 1000 Mbps Full Duplex, Flow Control: None"
        state.apply(KernelText(at=at, source="ssh:pve03", node="pve03",
                               text=f"{at:%b %d %H:%M:%S} pve03 kernel: e1000e 0000:00:1f.6 "
                                    f"eno1: NIC Link is {word}"))
        if i % 3 == 0:
            _same(live, state)
            looks += 1
    added = 300  # one link entry per line
    assert live.stats.full <= (added - 40) // 10 + 2 < looks // 2
