"""A faster :func:`~labconsole.parse.kernel_line.parse_line_head` for the commonest kernel lines.

``parse_line_head`` tries every syslog form in turn and parses the stamp field by field: about
10 us a line, the largest single cost of a link or hang line in a big scan. Most kernel logs
are one shape from the first line to the last: ``2024-06-03T06:19:02+0200 pve03 kernel: ...``
(``journalctl -o short-iso``) or ``Jun  3 06:19:02 pve03 kernel: ...`` (syslog, ``journalctl``
short), and the register lines of a hang dump are indented text with no header at all.
:class:`FastHeads` reads those with one regular expression and a stamp cache.

It never guesses: the first line of each shape (the stamp with its digits masked, and the
host) is parsed both ways and the shape is used only when the answers are equal; every
``VERIFY_EVERY``-th fast answer is checked again, and one difference turns the fast path off
for good. Anything else (other formats, a dmesg stamp inside the message, a prompt, an odd
host) goes to ``parse_line_head`` unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from datetime import datetime
from typing import TypeVar

from labconsole.parse.kernel_line import LineHead, parse_line_head
from labconsole.parse.syslog_header import MONTHS, parse_iso_time

VERIFY_EVERY = 256
MAX_STAMPS = 4096  # cached stamp -> time entries (cleared when full: a log moves forward)
MAX_SHAPES = 64

_FAST = re.compile(
    r"(?:(?P<iso>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?)"
    r"|(?P<mon>[A-Z][a-z]{2}) (?P<day>[ \d]\d) (?P<hh>\d\d):(?P<mi>\d\d):(?P<ss>\d\d))"
    r" (?P<host>[A-Za-z0-9][\w.-]*) kernel: (?![\[\s])"
)
_MASK = str.maketrans("0123456789", "dddddddddd")
Shape = TypeVar("Shape", bound=Hashable)
_INDENT = (" ", "\t")
_INDENTED = ("indented", "")


def stamp_shape(stamp: str) -> str:
    """A stamp with its digits masked: what :class:`FastHeads` trusts, with the host."""
    return stamp.translate(_MASK)


def cached_iso_time(times: dict[str, datetime | None], stamp: str) -> datetime | None:
    """``parse_iso_time(stamp)`` through ``times`` (a log repeats each stamp many times),
    which is emptied when it holds ``MAX_STAMPS``."""
    if stamp in times:
        return times[stamp]
    if len(times) >= MAX_STAMPS:
        times.clear()
    time = times[stamp] = parse_iso_time(stamp)
    return time


def judge_shape(shapes: dict[Shape, bool], shape: Shape, same: bool) -> bool:
    """Take one check of a fast answer against the slow parser (``same``: they agreed) into
    ``shapes`` (shape -> trusted): the first check of a shape decides whether it is trusted,
    while fewer than ``MAX_SHAPES`` are known. False when the fast path must stop: a shape
    judged before (or one that found no room) answered differently."""
    if shape not in shapes and len(shapes) < MAX_SHAPES:
        shapes[shape] = same
        return True
    return same


class FastHeads:
    """``parse(text)`` returns what ``parse_line_head(text, default_year=...)`` returns."""

    __slots__ = ("_checked", "_count", "_shapes", "_times", "_trusted", "default_year",
                 "enabled")

    def __init__(self, default_year: int | None = None) -> None:
        self.default_year = default_year
        self.enabled = True
        self._shapes: dict[tuple[str, str], bool] = {}  # (masked stamp, host) -> trusted
        self._times: dict[str, datetime | None] = {}
        self._count = 0
        self._checked = 0
        self._trusted: tuple[str, str] | None = None  # the last (stamp, host) trusted

    def parse(self, text: str) -> LineHead:
        if not self.enabled:
            return parse_line_head(text, default_year=self.default_year)
        if text[:1] in _INDENT:
            return self._indented(text)
        m = _FAST.match(text)
        if m is None:
            return parse_line_head(text, default_year=self.default_year)
        stamp = m["iso"] or text[: m.start("host") - 1]
        host = m["host"]
        shape = (stamp.translate(_MASK), host)
        trusted = self._shapes.get(shape)
        if trusted is False:
            return parse_line_head(text, default_year=self.default_year)
        time = self._time(stamp, m)
        if time is None:  # an impossible date: the slow parser decides what it is
            return parse_line_head(text, default_year=self.default_year)
        head = LineHead(text[m.end():], True, "iso" if m["iso"] else "rfc3164", time, None,
                        host)
        self._count += 1
        if trusted is None or self._count % VERIFY_EVERY == 0:
            return self._verify(text, head, shape)
        return head

    def trusts(self, stamp: str, host: str) -> bool:
        """Lines ``STAMP HOST kernel: ...`` of this stamp's shape are read by the fast path
        (it was checked against the slow parser and nothing contradicted it)."""
        if not self.enabled:
            return False
        last = self._trusted
        if last is not None and stamp == last[0] and host == last[1]:
            return True  # a shape's answer never changes once given (``_verify``)
        if self._shapes.get((stamp.translate(_MASK), host)) is not True:
            return False
        self._trusted = (stamp, host)
        return True

    def trusts_shape(self, shape: str, host: str) -> bool:
        """:meth:`trusts` of a stamp whose :func:`stamp_shape` is ``shape``."""
        return self.enabled and self._shapes.get((shape, host)) is True

    def iso_time(self, stamp: str) -> datetime | None:
        """The time of an ISO ``stamp``, as :meth:`parse` reads it (from the same cache)."""
        return cached_iso_time(self._times, stamp)

    def trusts_indented(self) -> bool:
        """Indented lines were checked to carry no header (and nothing contradicted it)."""
        return self.enabled and self._shapes.get(_INDENTED) is True

    def _indented(self, text: str) -> LineHead:
        """An indented line (a register line of a dump) carries no header in any format."""
        head = LineHead(text, False, "plain")
        trusted = self._shapes.get(_INDENTED)
        if trusted is False:
            return parse_line_head(text, default_year=self.default_year)
        self._count += 1
        if trusted is None or self._count % VERIFY_EVERY == 0:
            return self._verify(text, head, _INDENTED)
        return head

    def _time(self, stamp: str, m: re.Match[str]) -> datetime | None:
        times = self._times
        if stamp in times:
            return times[stamp]
        if len(times) >= MAX_STAMPS:
            times.clear()
        if m["iso"]:
            time = parse_iso_time(stamp)
        elif self.default_year is None:
            time = None
        else:
            try:
                time = datetime(self.default_year, MONTHS[m["mon"]], int(m["day"]),
                                int(m["hh"]), int(m["mi"]), int(m["ss"]))
            except (KeyError, ValueError):
                time = None
        times[stamp] = time
        return time

    def _verify(self, text: str, head: LineHead, shape: tuple[str, str]) -> LineHead:
        """Parse ``text`` the slow way; trust the shape (or not) by the answer."""
        slow = parse_line_head(text, default_year=self.default_year)
        self._checked += 1
        if not judge_shape(self._shapes, shape, slow == head):
            self.enabled = False  # stop guessing
        return slow
