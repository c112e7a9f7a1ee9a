"""Times as the data gives them, shown in one zone: the one place that turns them into text.

Every time shown comes from the content (a syslog header, a journal stamp, a CEF record's
``rt``/``UNIFIutcTime``, a recording's event time, the console's clock while live), never from
a file's mtime. Three kinds of time, told apart by the datetime itself so that no flag has to
travel through events, state and facts:

- **wall-clock**: a real date and time (aware; stamps without a zone are read as UTC).
- **year unknown**: an RFC 3164 / journal ``short`` stamp has no year, and nothing else in the
  same input (an ISO stamp, a CEF record's time) gave one. The stamp is kept with the
  placeholder year ``YEAR_UNKNOWN`` (a leap year, so Feb 29 survives; never a plausible year)
  and shown without a year ("Nov 16 13:33:09").
- **no timestamps**: a log with no wall-clock time at all (dmesg ``[ secs]``): times are
  ``UPTIME_BASE`` plus the kernel's uptime where the line has one, and are shown as uptime.

One zone in every view: UTC, or the configured one (``[console] timezone``, ``--tz``; set
once by the entry point with ``set_display_zone``), named wherever times are shown. Machine
forms (scan and report JSON) are always UTC.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from typing import Literal

TimeBasis = Literal["wall-clock", "year unknown", "no timestamps"]

DISPLAY_ZONE: tzinfo = timezone.utc  # the default
_zone: list[tzinfo] = [DISPLAY_ZONE]
# Times of a log without wall-clock stamps: this base plus the kernel uptime (year 2, so that
# rules reaching minutes before the first line never underflow datetime.min).
UPTIME_BASE = datetime(2, 1, 1, tzinfo=timezone.utc)
# The year of a year-less stamp that nothing dated: a leap year far from any real one.
YEAR_UNKNOWN = 8
_UNKNOWN_BELOW = 1000  # years from YEAR_UNKNOWN up (a Dec -> Jan rollover adds one)


def display_zone() -> tzinfo:
    """The zone screens and Markdown show times in."""
    return _zone[0]


def set_display_zone(zone: tzinfo) -> None:
    """Set by an entry point (the config's ``timezone``, ``--tz``) before anything is shown."""
    _zone[0] = zone


def parse_zone(name: str) -> tzinfo:
    """``UTC`` or an IANA zone name (``Europe/Berlin``); ValueError saying why not."""
    if name.strip().upper() in ("UTC", "Z", "ETC/UTC"):
        return timezone.utc
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (an IANA name like Europe/Berlin, "
                         "or UTC)") from None


def basis(t: datetime) -> TimeBasis:
    """Which kind of time ``t`` is (see the module docstring)."""
    if t.year < YEAR_UNKNOWN:
        return "no timestamps"
    if t.year < _UNKNOWN_BELOW:
        return "year unknown"
    return "wall-clock"


def worst_basis(times: list[datetime | None]) -> TimeBasis:
    """The weakest basis among ``times`` (a report says so once, for all of them)."""
    kinds = {basis(t) for t in times if t is not None}
    if "no timestamps" in kinds:
        return "no timestamps"
    if "year unknown" in kinds:
        return "year unknown"
    return "wall-clock"


def in_zone(t: datetime, zone: tzinfo | None = None) -> datetime:
    """``t`` in the display zone (a time without a zone is read as UTC)."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    if basis(t) != "wall-clock":
        return t.astimezone(timezone.utc)  # placeholder years stay clear of any zone shift
    return t.astimezone(zone or _zone[0])


def uptime_of(t: datetime) -> float:
    """Seconds since boot of a "no timestamps" time."""
    return (in_zone(t) - UPTIME_BASE).total_seconds()


def from_uptime(seconds: float) -> datetime:
    """The time standing for kernel uptime ``seconds`` in a log without wall-clock stamps."""
    return UPTIME_BASE + timedelta(seconds=max(0.0, min(seconds, 5 * 365 * 86400.0)))


def spans_days(start: datetime | None, end: datetime | None,
               zone: tzinfo | None = None) -> bool:
    """True when ``start`` and ``end`` fall on different dates in the display zone."""
    if start is None or end is None:
        return False
    return in_zone(start, zone).date() != in_zone(end, zone).date()


def clock(t: datetime, *, date: bool = False, zone: tzinfo | None = None) -> str:
    """``06:19:02``; with ``date``: ``2025-11-08 06:19:02``, ``Nov 16 13:33:09`` (year
    unknown); a time of a log without timestamps is its uptime, ``uptime 9327.470 s``."""
    t = in_zone(t, zone)
    kind = basis(t)
    if kind == "no timestamps":
        return f"uptime {uptime_of(t):.3f} s"
    if not date:
        return f"{t:%H:%M:%S}"
    if kind == "year unknown":
        return f"{t:%b %d %H:%M:%S}"
    return f"{t:%Y-%m-%d %H:%M:%S}"


def short(t: datetime, *, date: bool = False, zone: tzinfo | None = None) -> str:
    """A row's time on screen: ``06:19:02``; with ``date`` (the view's data spans days)
    ``11-08 06:19:02``; a time of a log without timestamps as its uptime, ``[9327.471]``."""
    t = in_zone(t, zone)
    if basis(t) == "no timestamps":
        return f"[{uptime_of(t):.3f}]"
    return f"{t:%m-%d %H:%M:%S}" if date else f"{t:%H:%M:%S}"


def span(start: datetime, end: datetime) -> str:
    """``06:19:02-06:19:12``; in a log without timestamps ``uptime 663.202-667.190 s``."""
    if basis(in_zone(start)) == "no timestamps":
        return f"uptime {uptime_of(start):.3f}-{uptime_of(end):.3f} s"
    return f"{clock(start)}-{clock(end)}"


def zone_name(zone: tzinfo | None = None) -> str:
    """``UTC``, ``Europe/Berlin``: the zone's name as configured."""
    zone = zone or _zone[0]
    return str(getattr(zone, "key", None) or zone.tzname(None) or "UTC")


def iso(t: datetime) -> str:
    """ISO 8601 in UTC, for machine forms (placeholder years as they are: see ``basis``)."""
    return in_zone(t, timezone.utc).isoformat()


def iso_or_none(value: datetime | None) -> str | None:
    """ISO 8601 for a wall-clock time; ``None`` where the source had none (dmesg uptime).
    A time with a zone is given in UTC (one zone in every view); a stamp that carried no zone
    stays without one (saying UTC would be a guess)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.isoformat()
    return value.astimezone(timezone.utc).isoformat()
