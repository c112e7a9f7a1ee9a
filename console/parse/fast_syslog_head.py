"""A faster header split for the corosync / pmxcfs lines of a ``journalctl -o short-iso`` log.

A corosync-heavy log has tens of thousands of lines that can state a quorum fact, each read by
``parse_syslog_header``, which tries every syslog form in turn. Nearly all of them are
``STAMP HOST APP[PID]: MESSAGE`` with one stamp shape, host and program.
:class:`FastSyslogHeads` reads those with one regular expression and a stamp cache, the way
:class:`~labconsole.parse.fast_head.FastHeads` reads kernel lines: the first line of each
shape (the stamp with its digits masked, the host, the program) is split both ways and the
shape is used only when the answers are equal; every ``VERIFY_EVERY``-th fast answer is
checked again, and one difference turns the fast path off for good.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from labconsole.parse.fast_head import (
    VERIFY_EVERY,
    cached_iso_time,
    judge_shape,
    stamp_shape,
)

# (message, host, time, source) as corosync_log's header split returns it.
Split = tuple[str | None, str | None, datetime | None, str | None]

_FAST = re.compile(
    r"(?P<stamp>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?)"
    r" (?P<host>[A-Za-z0-9][\w.-]*) (?P<app>[A-Za-z][\w.-]*)(?:\[\d{1,10}\])?: "
)
_MASK = str.maketrans("0123456789", "dddddddddd")


class FastSyslogHeads:
    """``split(text)`` returns what ``slow(text)`` returns; ``source`` names a program."""

    __slots__ = ("_count", "_shapes", "_slow", "_source", "_times", "enabled")

    def __init__(self, slow: Callable[[str], Split], source: Callable[[str], str | None]) -> None:
        self._slow = slow
        self._source = source
        self.enabled = True
        self._shapes: dict[tuple[str, str, str], bool] = {}
        self._times: dict[str, datetime | None] = {}
        self._count = 0

    def split(self, text: str) -> Split:
        if not self.enabled:
            return self._slow(text)
        m = _FAST.match(text)
        if m is None:
            return self._slow(text)
        stamp, host, app = m["stamp"], m["host"], m["app"]
        shape = (stamp.translate(_MASK), host, app)
        trusted = self._shapes.get(shape)
        if trusted is False:
            return self._slow(text)
        time = cached_iso_time(self._times, stamp)
        if time is None:
            return self._slow(text)
        fast: Split = (text[m.end():].rstrip("\r\n"), host, time, self._source(app))
        self._count += 1
        if trusted is None or self._count % VERIFY_EVERY == 0:
            return self._verify(text, fast, shape)
        return fast

    def known(self, stamp: str, host: str, app: str) -> tuple[datetime, str | None] | None:
        """The time and source :meth:`split` gives, fast and unchecked, a line whose header
        ``_FAST`` reads as ``stamp``, ``host`` and ``app`` (counted as one fast answer).
        None where :meth:`split` would not answer so now: the fast path off, the shape not
        trusted yet, an impossible date, or the next fast answer is a check; the caller then
        splits the whole line with :meth:`split`, which checks it."""
        if not self.enabled or self._shapes.get((stamp_shape(stamp), host, app)) is not True:
            return None
        if (self._count + 1) % VERIFY_EVERY == 0:
            return None
        time = cached_iso_time(self._times, stamp)
        if time is None:
            return None
        self._count += 1
        return time, self._source(app)

    def take_turn(self) -> bool:
        """Count one more fast answer a caller gives from an earlier :meth:`known` of the
        same header; False (nothing counted) when the fast path is off or this one is a
        check: the caller then splits the whole line with :meth:`split`."""
        if not self.enabled or (self._count + 1) % VERIFY_EVERY == 0:
            return False
        self._count += 1
        return True

    def _verify(self, text: str, fast: Split, shape: tuple[str, str, str]) -> Split:
        slow = self._slow(text)
        if not judge_shape(self._shapes, shape, slow == fast):
            self.enabled = False  # stop guessing
        return slow
