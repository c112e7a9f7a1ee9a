"""The console rings when an incident starts: the bell once per new incident, a desktop
notification escape with it (safe text only), both switchable; and the escapes themselves."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from labconsole.alert.ring import Ringer, desktop_escapes, safe_text
from labconsole.app import LabConsoleApp
from labconsole.demo import DEMO_RECORDING
from labconsole.events import Event
from labconsole.incident.from_state import IncidentMark
from labconsole.sources.replay import load_events

AT = datetime(2025, 11, 8, 6, 0, tzinfo=timezone.utc)


class Spy:
    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []

    def __call__(self, *args: object) -> None:
        self.calls.append(args)


async def feed(app: LabConsoleApp, pilot: object, events: list[Event]) -> None:
    for ev in events:
        await app.pipeline.emit(ev)
    for _ in range(5):
        await pilot.pause()  # type: ignore[attr-defined]


def cut(until: str) -> list[Event]:
    return [e for e in load_events([DEMO_RECORDING]) if e.at.strftime("%H:%M:%S") < until]


@pytest.mark.parametrize(("bell", "desktop"), [(True, True), (False, False), (True, False)])
async def test_bell_once_per_new_incident(bell: bool, desktop: bool) -> None:
    app = LabConsoleApp([], tick_seconds=0, bell=bell, desktop_notification=desktop)
    bells, notes = Spy(), Spy()
    app.bell = bells  # type: ignore[method-assign]
    app.notify_desktop = notes  # type: ignore[method-assign]
    events = load_events([DEMO_RECORDING])
    first, second = cut("06:09:30"), cut("06:19:20")
    async with app.run_test(size=(120, 40)) as pilot:
        await feed(app, pilot, first)
        assert len(bells.calls) == (1 if bell else 0)
        await feed(app, pilot, second[len(first):])
        await feed(app, pilot, events[len(second):])
    assert len(bells.calls) == (2 if bell else 0)
    if not desktop:
        assert notes.calls == []
        return
    assert [c[0] for c in notes.calls] == ["labconsole: incident 1 started",
                                           "labconsole: incident 2 started"]
    assert "switch USW-Lite-16 offline" in str(notes.calls[0][1])
    # Rung when pve03 was lost (its stuck TX ring sent nothing); the hang reports that
    # arrive later move the incident's start earlier: the same incident, no second ring.
    assert "pve03 cut off: its peers lost it" in str(notes.calls[1][1])


def mark(number: int, minute: int, status: str, cause: str | None = "x") -> IncidentMark:
    start = AT.replace(minute=minute)
    return IncidentMark(number=number, start=start, end=start, status=status,  # type: ignore[arg-type]
                        cause=cause)


def test_ringer_rings_each_incident_once_and_never_a_resolved_one() -> None:
    ringer = Ringer()
    assert [m.number for m in ringer.new([mark(1, 1, "resolved"), mark(2, 9, "ongoing")])] == [2]
    assert ringer.new([mark(1, 1, "resolved"), mark(2, 9, "recovered")]) == []
    assert [m.number for m in ringer.new([mark(3, 30, "recovered")])] == [3]


def test_escapes_carry_no_control_character_from_the_text() -> None:
    hostile = "eno1\x07\x1b]0;pwned\x1b\\; rm -rf /\u202e\x9b"
    seq = desktop_escapes("labconsole: incident 2 started", hostile)
    title_body = seq.replace("\x1b]9;", "").replace("\x1b]777;notify;", "")
    assert title_body.count("\x07") == 2  # only the two terminators
    assert "\x1b" not in title_body.replace("\x07", "")
    assert "\u202e" not in seq and "\x9b" not in seq
    assert seq.count(";") == 4  # OSC 9; and 777;notify;TITLE;BODY: none from the text
    assert safe_text(hostile) == "eno1???0?pwned??? rm -rf /??"


def test_inside_tmux_the_escapes_use_its_passthrough() -> None:
    seq = desktop_escapes("t", "b", tmux=True)
    assert seq == ("\x1bPtmux;\x1b\x1b]9;t: b\x07\x1b\\"
                   "\x1bPtmux;\x1b\x1b]777;notify;t;b\x07\x1b\\")
