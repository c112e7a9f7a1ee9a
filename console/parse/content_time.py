"""The times a plain log file's lines carry, from their content only (never the file's mtime).

Each line's own time comes from its header (syslog RFC 3164/5424, journal, ISO, OpenWrt,
Home Assistant, Talos, ``dmesg -T``, a relay's zoned stamp) or, for a CEF record, from the
record itself (``UNIFIutcTime``, ``rt``, ``end``), else its syslog prefix. Then:

- **Zones**: a stamp with a zone is converted to UTC; a stamp without one is read as UTC
  (``labconsole.model.timefmt``: one zone in every view, named where times are shown).
- **The year of year-less stamps** (RFC 3164, journal ``short``): ``--year`` when given; else
  the year that puts the stamp nearest the input's own dated times (the last one before it,
  else the first one after: an ISO stamp, a CEF record's time), so a Dec 31 -> Jan 1 span
  comes out right; else the year is unknown and the stamp keeps the placeholder year
  ``YEAR_UNKNOWN`` (rolled over when the months go back), shown without a year.
- **Lines without a time** (a hang dump's indented lines, a glued fragment) take the previous
  line's time; lines before the first timed one take that first time.
- **journalctl ``-o json`` / ``-o export``**: the entry's ``__REALTIME_TIMESTAMP``.
- **A file with no wall-clock time at all** (dmesg ``[ secs]``): times are the kernel uptime
  (``timefmt.from_uptime``), shown as such; with no uptime either, one "no timestamps" time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from labconsole.model.timefmt import UPTIME_BASE, YEAR_UNKNOWN, TimeBasis, from_uptime
from labconsole.parse.cef import CefParseError, find_cef, parse_cef, record_time
from labconsole.parse.kernel_journal import JournalError, parse_json_entry
from labconsole.parse.kernel_line import parse_line_head

# Year-less stamps are read in this (leap) year first, then moved to the year they belong to.
_PROBE_YEAR = 2000
_YEARLESS = frozenset({"rfc3164"})
_HALF_YEAR = timedelta(days=183)
_EXPORT_TIME = "__REALTIME_TIMESTAMP="
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def from_micros(micros: int) -> datetime | None:
    try:
        return _EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        return None


@dataclass(frozen=True, slots=True)
class _Own:
    """What one line says about its time."""

    time: datetime | None = None  # wall-clock (year-less ones in _PROBE_YEAR, no zone)
    yearless: bool = False
    uptime: float | None = None


@dataclass(frozen=True, slots=True)
class FileTimes:
    """Per line, its time (aware, UTC, or a ``timefmt`` placeholder), and the input's basis."""

    times: list[datetime]
    basis: TimeBasis


def own_time(text: str) -> _Own:
    """The time ``text`` itself carries (see the module docstring)."""
    if text.startswith("{"):  # journalctl -o json
        try:
            entry = parse_json_entry(text)
        except JournalError:
            entry = None
        if entry is not None and (entry.time is not None or entry.uptime is not None):
            return _Own(time=entry.time, uptime=entry.uptime)
    if text.startswith(_EXPORT_TIME):  # journalctl -o export: the entry's own field
        micros = text[len(_EXPORT_TIME):].strip()
        if micros.isdigit():
            return _Own(time=from_micros(int(micros)))
    head = parse_line_head(text, default_year=_PROBE_YEAR)
    if find_cef(text) >= 0:
        try:
            rec = parse_cef(text, default_year=_PROBE_YEAR)
        except CefParseError:
            rec = None
        when = record_time(rec.extensions) if rec is not None else None
        if when is not None:
            return _Own(time=when)
    if head.time is not None:
        return _Own(time=head.time, yearless=head.format in _YEARLESS, uptime=head.uptime)
    return _Own(uptime=head.uptime)


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)


def _in_year(stamp: datetime, year: int) -> datetime | None:
    try:
        return _utc(stamp.replace(year=year))
    except ValueError:  # Feb 29 in a year without one
        return None


def _nearest(stamp: datetime, ref: datetime) -> datetime | None:
    """``stamp`` (year-less) in the year that puts it nearest ``ref``."""
    options = [t for y in (ref.year - 1, ref.year, ref.year + 1)
               if (t := _in_year(stamp, y)) is not None]
    return min(options, key=lambda t: abs(t - ref), default=None)


class _Unknown:
    """Year-less stamps with nothing to date them: the placeholder year, rolled over when
    the months go back by more than half a year (Dec 31 -> Jan 1)."""

    def __init__(self) -> None:
        self.year = YEAR_UNKNOWN
        self.prev: datetime | None = None

    def place(self, stamp: datetime) -> datetime | None:
        t = _in_year(stamp, self.year)
        if t is not None and self.prev is not None and t < self.prev - _HALF_YEAR:
            self.year += 1
            t = _in_year(stamp, self.year)
        if t is not None:
            self.prev = t
        return t


def file_times(texts: Sequence[str], *, year: int | None = None) -> FileTimes:
    """The time of every line of one input (``year``: the ``--year`` of year-less stamps)."""
    owns = [own_time(text) for text in texts]
    dated = [(i, _utc(o.time)) for i, o in enumerate(owns) if o.time is not None and not o.yearless]
    walls: list[datetime | None] = []
    unknown = _Unknown()
    next_dated = 0
    last_dated: datetime | None = None
    year_unknown = False
    for i, own in enumerate(owns):
        while next_dated < len(dated) and dated[next_dated][0] <= i:
            last_dated = dated[next_dated][1]
            next_dated += 1
        if own.time is None:
            walls.append(None)
        elif not own.yearless:
            walls.append(_utc(own.time))
        elif year is not None:
            walls.append(_in_year(own.time, year))
        elif last_dated is not None or dated:
            walls.append(_nearest(own.time, last_dated or dated[0][1]))
        else:
            year_unknown = True
            walls.append(unknown.place(own.time))
    if any(w is not None for w in walls):
        return FileTimes(_fill(walls), "year unknown" if year_unknown else "wall-clock")
    uptimes = [None if o.uptime is None else from_uptime(o.uptime) for o in owns]
    return FileTimes(_fill(uptimes), "no timestamps")


def _fill(times: list[datetime | None]) -> list[datetime]:
    """Lines without a time: the previous line's; leading ones the first time found."""
    first = next((t for t in times if t is not None), UPTIME_BASE)
    out: list[datetime] = []
    prev = first
    for t in times:
        prev = t if t is not None else prev
        out.append(prev)
    return out


def content_year(texts: Sequence[str]) -> int | None:
    """The year of the first dated time among ``texts`` (for year-less stamps), else None."""
    for text in texts:
        own = own_time(text)
        if own.time is not None and not own.yearless:
            return _utc(own.time).year
    return None
