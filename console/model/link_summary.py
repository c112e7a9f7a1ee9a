"""Link events folded per (host, device): what ``scan`` reports instead of every event.

A busy node logs link changes of many NICs (VM taps, flapping ports): keeping every event made
``scan``'s memory and time follow the number of link lines. A summary per device is a fixed
size whatever the log holds; ``scan --events`` still streams every event.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from labconsole.model.link import LinkEvent, LinkState
from labconsole.model.timefmt import iso_or_none

RECENT = 20  # events kept per device, the newest
MAX_DEVICES = 4096  # (host, device) pairs summarised; the rest are counted, not kept


@dataclass(slots=True)
class LinkSummary:
    """One device's link history: counts, span, the longest outage and the last events.

    ``flaps`` counts downs followed by an up. ``longest_down_s`` is the longest time from a
    down to the next up, by uptime when both lines carry one, else by wall time; ``None``
    until a down/up pair with comparable clocks was seen.
    """

    host: str | None
    device: str
    downs: int = 0
    ups: int = 0
    flaps: int = 0
    first: datetime | None = None
    last: datetime | None = None
    longest_down_s: float | None = None
    recent: deque[tuple[LinkState, datetime | None]] = field(
        default_factory=lambda: deque(maxlen=RECENT))
    # the down still waiting for its up: its time and uptime
    _down: tuple[datetime | None, float | None] | None = None

    def add(self, event: LinkEvent) -> None:
        self.add_fields(event.state, event.time, event.uptime)

    def add_fields(self, state: LinkState, time: datetime | None, uptime: float | None) -> None:
        """:meth:`add` of an event given by the fields the summary reads (no ``LinkEvent``
        needs building: a whole-file scan tallies a busy node's hundred thousand)."""
        if time is not None:
            if self.first is None:
                self.first = time
            self.last = time
        self.recent.append((state, time))
        if state == "down":
            self.downs += 1
            if self._down is None:
                self._down = (time, uptime)  # a second down keeps the outage's start
            return
        self.ups += 1
        down, self._down = self._down, None
        if down is None:
            return
        self.flaps += 1
        outage = _seconds_between(down[0], down[1], time, uptime)
        if outage is not None and (self.longest_down_s is None or outage > self.longest_down_s):
            self.longest_down_s = outage

    @property
    def at_rest(self) -> bool:
        """No down waiting for its up: what later events add (counts, flaps, outages, times)
        then no longer depends on the events before them, so :meth:`then` is exact."""
        return self._down is None

    def then(self, later: LinkSummary) -> None:
        """Take ``later``, the summary of this device's next events counted from a fresh
        summary, as if each of them had been added here. Exact when this one is
        :attr:`at_rest` (a fresh summary is too: every flap and outage of ``later`` lies
        within its own events), else ValueError."""
        if not self.at_rest:
            raise ValueError("a down still waits for its up")
        self.downs += later.downs
        self.ups += later.ups
        self.flaps += later.flaps
        if self.first is None:
            self.first = later.first
        if later.last is not None:
            self.last = later.last
        if later.longest_down_s is not None and (
                self.longest_down_s is None or later.longest_down_s > self.longest_down_s):
            self.longest_down_s = later.longest_down_s
        self.recent.extend(later.recent)
        self._down = later._down

    def to_json(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "device": self.device,
            "downs": self.downs,
            "ups": self.ups,
            "flaps": self.flaps,
            "first": iso_or_none(self.first),
            "last": iso_or_none(self.last),
            "longest_down_s": (None if self.longest_down_s is None
                               else round(self.longest_down_s, 6)),
            "recent": [{"state": state, "time": iso_or_none(time)}
                       for state, time in self.recent],
        }


def _seconds_between(down: datetime | None, down_uptime: float | None,
                     up: datetime | None, up_uptime: float | None) -> float | None:
    if down_uptime is not None and up_uptime is not None:
        gap = up_uptime - down_uptime
    elif (down is not None and up is not None
          and (down.tzinfo is None) == (up.tzinfo is None)):
        gap = (up - down).total_seconds()
    else:
        return None
    return gap if gap >= 0 else None  # a reboot between them: no outage length


@dataclass(slots=True)
class LinkTally:
    """Summaries of every (host, device) in order of first appearance."""

    devices: dict[tuple[str | None, str], LinkSummary] = field(default_factory=dict)
    events: int = 0
    untallied: int = 0  # events of devices past MAX_DEVICES

    def add(self, event: LinkEvent) -> None:
        self.add_fields(event.host, event.device, event.state, event.time, event.uptime)

    def add_fields(self, host: str | None, device: str, state: LinkState,
                   time: datetime | None, uptime: float | None) -> None:
        """:meth:`add` of an event given by its fields (see :meth:`LinkSummary.add_fields`)."""
        self.events += 1
        summary = self.devices.get((host, device))
        if summary is None:
            if len(self.devices) >= MAX_DEVICES:
                self.untallied += 1
                return
            summary = self.devices[host, device] = LinkSummary(host, device)
        summary.add_fields(state, time, uptime)

    def then(self, later: LinkTally) -> None:
        """Take ``later``, a fresh tally of the next events of devices that are all listed
        here (or past :data:`MAX_DEVICES` here) and :attr:`LinkSummary.at_rest`, as if each
        event had been added here. ``later`` must have tallied all its events."""
        if later.untallied:
            raise ValueError("the later tally is not whole")
        for key, summary in later.devices.items():
            mine = self.devices.get(key)
            if mine is None:
                if len(self.devices) < MAX_DEVICES:
                    raise ValueError(f"{key} is not listed here")
                self.untallied += summary.downs + summary.ups
            else:
                mine.then(summary)
        self.events += later.events

    def __len__(self) -> int:
        return len(self.devices)

    def __bool__(self) -> bool:
        return self.events > 0

    def summaries(self) -> list[LinkSummary]:
        return list(self.devices.values())

    def to_json(self) -> list[dict[str, Any]]:
        return [s.to_json() for s in self.devices.values()]
