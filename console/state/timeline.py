"""Timeline entries: everything notable on one time axis.

The timeline is where "two separate events" becomes visible (DESIGN.md step 3): CEF alerts, vote
changes, link changes, hang episodes, connection state and operator actions, in time order. The
console heads it with the incidents of the real correlation
(``labconsole.incident.from_state.incident_marks``: full recovery separates incidents, not a
quiet stretch). ``group_incidents`` below is the older time-gap cut, kept only while a demo test
still checks against it; nothing in the console uses it.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Severity = Literal["info", "ok", "warning", "error"]
EntryKind = Literal["cef", "votes", "link", "hang", "conn", "action", "nic"]
NOTABLE: frozenset[str] = frozenset({"warning", "error"})
DEFAULT_INCIDENT_GAP = timedelta(minutes=5)


@dataclass(slots=True)
class TimelineEntry:
    """One thing that happened. Mutable only for hang entries, whose count grows."""

    at: datetime
    kind: EntryKind
    node: str | None
    text: str
    severity: Severity = "info"
    episode_id: int | None = None
    seq: int = 0


@dataclass(frozen=True, slots=True)
class Incident:
    """A run of entries with no quiet stretch longer than the gap between notable ones."""

    number: int
    start: datetime
    end: datetime
    entries: tuple[TimelineEntry, ...]

    @property
    def notable(self) -> int:
        return sum(1 for e in self.entries if e.severity in NOTABLE)


class Timeline:
    """Entries kept sorted by time (stable for equal times), bounded in number."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self.entries: list[TimelineEntry] = []
        self._seq = 0

    def add(self, entry: TimelineEntry) -> TimelineEntry:
        self._seq += 1
        entry.seq = self._seq
        if not self.entries or entry.at >= self.entries[-1].at:
            self.entries.append(entry)
        else:  # late arrival from a slower source: keep time order
            pos = bisect.bisect_right([e.at for e in self.entries], entry.at)
            self.entries.insert(pos, entry)
        if len(self.entries) > self.capacity:
            del self.entries[: len(self.entries) - self.capacity]
        return entry


def group_incidents(entries: list[TimelineEntry],
                    gap: timedelta = DEFAULT_INCIDENT_GAP) -> list[Incident]:
    """Cut notable entries into incidents where two of them are more than ``gap`` apart.

    Informational entries (a node rejoining, a fix that worked) belong to the incident they
    fall in or right after; ones before the first notable entry are not an incident.
    """
    groups: list[list[TimelineEntry]] = []
    last_notable: datetime | None = None
    for entry in entries:
        notable = entry.severity in NOTABLE
        if notable and (last_notable is None or entry.at - last_notable > gap):
            groups.append([])
        if groups and (notable or (last_notable is not None
                                   and entry.at - last_notable <= gap)):
            groups[-1].append(entry)
        if notable:
            last_notable = entry.at
    return [Incident(number=i + 1, start=g[0].at, end=g[-1].at, entries=tuple(g))
            for i, g in enumerate(groups)]
