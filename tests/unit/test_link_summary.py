"""Link events folded per (host, device): counts, flaps, the longest outage, the last 20."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from labconsole.model.link import LinkEvent, LinkState
from labconsole.model.link_summary import RECENT, LinkTally

T0 = datetime(2026, 3, 14, 6, 0, tzinfo=timezone.utc)


def ev(state: LinkState, secs: float | None, *, device: str = "eno1", host: str | None = "pve03",
       uptime: float | None = None) -> LinkEvent:
    time = None if secs is None else T0 + timedelta(seconds=secs)
    return LinkEvent(device=device, state=state, time=time, host=host, uptime=uptime)


def tally(*events: LinkEvent) -> LinkTally:
    out = LinkTally()
    for e in events:
        out.add(e)
    return out


def test_flaps_and_longest_outage() -> None:
    (s,) = tally(ev("down", 0), ev("up", 4), ev("up", 5), ev("down", 10), ev("down", 11),
                 ev("up", 30)).summaries()
    assert (s.downs, s.ups, s.flaps) == (3, 3, 2)
    assert s.longest_down_s == 20.0  # from the first of two downs to the up
    assert (s.first, s.last) == (T0, T0 + timedelta(seconds=30))


def test_uptime_wins_over_wall_time_and_a_reboot_gives_no_length() -> None:
    (s,) = tally(ev("down", 0, uptime=100.0), ev("up", 60, uptime=102.5)).summaries()
    assert s.longest_down_s == 2.5
    (r,) = tally(ev("down", 0, uptime=100.0), ev("up", 60, uptime=3.0)).summaries()
    assert (r.flaps, r.longest_down_s) == (1, None)


def test_no_clock_no_length_and_no_span() -> None:
    (s,) = tally(ev("down", None), ev("up", None)).to_json()
    assert (s["flaps"], s["longest_down_s"], s["first"], s["last"]) == (1, None, None, None)


def test_devices_and_hosts_are_apart_in_order_of_first_sight() -> None:
    t = tally(ev("down", 0, device="eno2"), ev("down", 1), ev("up", 2, host="pve01"),
              ev("up", 3, device="eno2"))
    assert [(s["host"], s["device"], s["downs"], s["ups"]) for s in t.to_json()] == [
        ("pve03", "eno2", 1, 1), ("pve03", "eno1", 1, 0), ("pve01", "eno1", 0, 1)]
    assert t.events == 4 and len(t) == 3


def test_recent_keeps_the_last_events_only() -> None:
    events = [ev("down" if i % 2 == 0 else "up", i) for i in range(RECENT + 7)]
    (s,) = tally(*events).to_json()
    assert len(s["recent"]) == RECENT
    assert s["recent"][-1]["time"] == (T0 + timedelta(seconds=RECENT + 6)).isoformat()
    assert s["downs"] + s["ups"] == RECENT + 7


def test_devices_past_the_limit_are_counted(monkeypatch) -> None:
    import labconsole.model.link_summary as mod

    monkeypatch.setattr(mod, "MAX_DEVICES", 2)
    t = tally(*(ev("down", i, device=f"eth{i}") for i in range(5)))
    assert (len(t), t.events, t.untallied) == (2, 5, 3)
