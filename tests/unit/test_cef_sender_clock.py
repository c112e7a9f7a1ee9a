"""Issue 19 item 4: a CEF sender chooses its record's time. A time far from the receive time
is kept on the typed record, flagged on the timeline, and never used to place the entry."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from labconsole.events import SyslogText
from labconsole.state.console_state import SENDER_SKEW_LIMIT_S, ConsoleState
from labconsole.widgets.timeline_panel import render_timeline, skew_words

RECEIVED = datetime(2026, 3, 2, 6, 19, 0, tzinfo=timezone.utc)


def _cef(sent: datetime) -> str:
    ms = int(sent.timestamp() * 1000)
    return (f"<14>Mar 02 06:19:00 unifi-gw CEF:0|Ubiquiti|UniFi Network|9.0.114|401|"
            f"Wired Client Disconnected|2|rt={ms} msg=pve03 left port 3")


def _apply(sent: datetime) -> ConsoleState:
    state = ConsoleState()
    state.apply(SyslogText(at=RECEIVED, source="syslog", node=None, text=_cef(sent),
                           peer="udp:127.0.0.1:514"))
    return state


@pytest.mark.parametrize("offset, words", [
    (timedelta(days=-400), "-400d"), (timedelta(hours=3, minutes=12), "+3h12m"),
    (timedelta(seconds=-SENDER_SKEW_LIMIT_S - 1), "-5m"),
])
def test_a_far_sender_time_is_flagged_and_the_entry_sits_at_the_receive_time(
        offset: timedelta, words: str) -> None:
    state = _apply(RECEIVED + offset)
    (entry,) = state.timeline.entries
    assert entry.at == RECEIVED
    assert entry.sender_skew_s == pytest.approx(offset.total_seconds())
    assert state.cef[-1].sender_skew_s == pytest.approx(offset.total_seconds())
    assert state.cef[-1].time is not None  # the sender's own time is kept, not replaced
    shown = render_timeline(state.timeline).plain
    assert f"06:19:00 CEF  [sender clock {words}] unifi-gw: Wired Client Disconnected" in shown
    assert skew_words(offset.total_seconds()) == words


def test_a_sender_time_close_to_the_receive_time_places_the_entry_unflagged() -> None:
    sent = RECEIVED - timedelta(seconds=20)
    state = _apply(sent)
    (entry,) = state.timeline.entries
    assert entry.at == sent and entry.sender_skew_s is None
    assert state.cef[-1].sender_skew_s is None
    assert "sender clock" not in render_timeline(state.timeline).plain
