"""Timeline entries: everything notable on one time axis.

The timeline is where "two separate events" becomes visible (DESIGN.md step 3): CEF alerts, vote
changes, link changes, hang episodes, connection state and operator actions, in time order. The
console heads it with the incidents of the real correlation
(``labconsole.incident.from_state.incident_marks``: full recovery separates incidents, not a
quiet stretch).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from labconsole.incident.wording import words

if TYPE_CHECKING:
    from labconsole.incident.facts import Fact

Severity = Literal["info", "ok", "warning", "error"]
EntryKind = Literal["cef", "votes", "link", "hang", "conn", "action", "nic"]
NOTABLE: frozenset[str] = frozenset({"warning", "error"})


@dataclass(slots=True)
class TimelineEntry:
    """One thing that happened, as a typed fact. Mutable only for hang entries, whose fact is
    replaced as the episode grows. ``kind`` is the timeline's column (what the widget labels
    it), the fact says what happened."""

    at: datetime
    kind: EntryKind
    node: str | None
    fact: Fact
    severity: Severity = "info"
    episode_id: int | None = None
    seq: int = 0
    # A CEF sender's clock this far (s) from the receive time: the entry sits at the receive
    # time and the panel flags it (issue 19 item 4). None: not a CEF entry, or close enough.
    sender_skew_s: float | None = None

    @property
    def text(self) -> str:
        """The fact's one line of words (widgets render typed payloads themselves)."""
        return words(self.fact)


@dataclass(slots=True)
class TimelineChanges:
    """What changed in a timeline since its reader last took the changes (``Timeline.watch``):
    the earliest time at which an entry was added or its fact replaced, how many entries
    were dropped from the front and the latest time among them (``cut``: every dropped entry
    was at or before it, every entry after it is still held). Lets a reader (the live
    incident marks) redo only what follows the earliest change, or what the drop touched,
    instead of re-reading every entry."""

    earliest: datetime | None = None
    dropped: int = 0
    cut: datetime | None = None

    def note(self, at: datetime) -> None:
        if self.earliest is None or at < self.earliest:
            self.earliest = at

    def note_drop(self, count: int, last: datetime) -> None:
        self.dropped += count
        if self.cut is None or last > self.cut:
            self.cut = last

    def take(self) -> tuple[datetime | None, int, datetime | None]:
        """(earliest, dropped, cut) since the last take; starts over."""
        taken = (self.earliest, self.dropped, self.cut)
        self.earliest, self.dropped, self.cut = None, 0, None
        return taken


class Timeline:
    """Entries kept sorted by time (stable for equal times), bounded in number: the newest
    ``capacity`` at least, ``capacity + slack`` at most.

    The oldest are dropped in batches (``slack`` at a time, half of ``capacity`` by
    default) rather than one per entry added: dropping one moved every entry of the list
    (10,000 for each link event of a busy replay), and every drop that takes an incident's
    own facts makes the live incident marks correlate again what it touched
    (``live_marks``). In batches both happen once per ``slack`` entries added."""

    def __init__(self, capacity: int = 10_000, slack: int | None = None) -> None:
        self.capacity = capacity
        self.slack = capacity // 2 if slack is None else slack
        if capacity <= 0 or self.slack < 0:
            raise ValueError(f"capacity must be positive and slack not negative, got "
                             f"{capacity} and {self.slack}")
        self.entries: list[TimelineEntry] = []
        self._seq = 0
        self._watchers: list[TimelineChanges] = []

    def watch(self) -> TimelineChanges:
        """A record of the changes from now on (see ``TimelineChanges``)."""
        changes = TimelineChanges()
        self._watchers.append(changes)
        return changes

    def replaced(self, entry: TimelineEntry) -> None:
        """``entry``'s fact was replaced in place (a hang episode grew): tell the watchers."""
        for w in self._watchers:
            w.note(entry.at)

    def add(self, entry: TimelineEntry) -> TimelineEntry:
        self._seq += 1
        entry.seq = self._seq
        if not self.entries or entry.at >= self.entries[-1].at:
            self.entries.append(entry)
        else:  # late arrival from a slower source (or a sender's own clock): keep time order
            # bisect on the entries themselves: building the list of times first made every
            # late CEF record cost O(timeline), the intake decay of issue 19 item 3
            pos = bisect.bisect_right(self.entries, entry.at, key=_at)
            self.entries.insert(pos, entry)
        for w in self._watchers:
            w.note(entry.at)
        if len(self.entries) > self.capacity + self.slack:
            over = len(self.entries) - self.capacity
            last = self.entries[over - 1].at
            del self.entries[:over]
            for w in self._watchers:
                w.note_drop(over, last)
        return entry


def _at(entry: TimelineEntry) -> datetime:
    return entry.at
