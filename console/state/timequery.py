"""Times typed by the operator: ``06:19``, ``06:19:02``, ``2025-11-08 06:19`` and windows
``SINCE..UNTIL`` (like ``journalctl --since/--until``), resolved against a reference time."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

_CLOCK = re.compile(r"^(?:(\d{4})-(\d{2})-(\d{2})[ T])?(\d{1,2}):(\d{2})(?::(\d{2}))?$")


class TimeQueryError(ValueError):
    """Text that is not a time the console understands (says what is expected)."""


def parse_clock(text: str, ref: datetime) -> datetime:
    """A wall-clock time on ``ref``'s date (or the date given), in ``ref``'s zone."""
    m = _CLOCK.match(text.strip())
    if not m:
        raise TimeQueryError(f"not a time: {text!r} (expected HH:MM[:SS] or "
                             "YYYY-MM-DD HH:MM[:SS])")
    year, month, day, hh, mm, ss = m.groups()
    try:
        base = ref if year is None else ref.replace(year=int(year), month=int(month),
                                                   day=int(day))
        return base.replace(hour=int(hh), minute=int(mm), second=int(ss or 0), microsecond=0)
    except ValueError as exc:
        raise TimeQueryError(f"not a time: {text!r} ({exc})") from exc


def parse_window(text: str, ref: datetime) -> tuple[datetime | None, datetime | None]:
    """``SINCE..UNTIL`` with either side optional; ``until`` before ``since`` is an error.

    A bare ``HH:MM`` until-time covers its whole minute (``..06:21`` includes 06:21:59).
    """
    if ".." not in text:
        raise TimeQueryError(f"not a window: {text!r} (expected SINCE..UNTIL)")
    left, right = (part.strip() for part in text.split("..", 1))
    since = parse_clock(left, ref) if left else None
    until = parse_clock(right, ref) if right else None
    if until is not None and right.count(":") == 1:
        until += timedelta(seconds=59)
    if since and until and until < since:
        raise TimeQueryError(f"window ends before it starts: {text!r}")
    return since, until
