"""The corosync / pmxcfs lines of a big scan, read from what the scan remembers of them.

A corosync-heavy log has a few hundred thousand lines holding a corosync word, each decoded,
its header split and its message searched by :meth:`QuorumLineScan.line` (about 7 us a line,
15 us a fact). Yet its lines repeat: a live node's few dozen messages with a new stamp every
second (``2024-06-03T00:00:00+0200 pve03 corosync[1187]:   [KNET  ] link: host: 3 link: 0 is
down``), and a pasted sample the very same lines again and again.
:class:`FastQuorumLines` reads such a line from the bytes of the block scan with what it
remembers:

- a ``journalctl -o short-iso`` line of printable ASCII (``STAMP HOST APP[PID]: MESSAGE``)
  from its stamp (its time, read once per distinct stamp), the rest of its header (host and
  program, once per distinct text), both answered as the checked :class:`FastSyslogHeads`
  answers them (only for a header shape it trusts, each line counted as one of its fast
  answers, so that every 256th goes the long way and is checked against the slow parse),
  and its message, read once per distinct message by :func:`facts_in_message`. Such a line
  holds no glued record when its message holds no clock (a glued header needs one, and the
  header's own stamp cannot start one);
- any other line (another stamp form, a clock in the message, a check turn of the fast
  header split) from the whole line's own answer, read once per distinct line as
  :meth:`QuorumLineScan.line` reads it.

Either way the facts go through the reader's repeat rule as :meth:`QuorumLineScan.line`
sends them, and a fact past the listed ones is only counted unless ``scan --events`` streams
it. Lines the caller must read the long way are refused (False, nothing done): JSON entries,
long lines, and any line ``refuse`` finds something in (the block scan's keywords and divert
word: found in a message, a header's host and program or a whole line, once per distinct
text; none of them holds ": ", so none spans a header's end).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from labconsole.parse.corosync_log import (
    MAX_TEXT,
    FactShape,
    QuorumLineScan,
    fact_shape,
    facts_in_message,
)
from labconsole.parse.fast_head import stamp_shape
from labconsole.parse.syslog_header import parse_iso_time

# Longer lines are read the long way (and never remembered). At most MAX_TEXT: a line over
# it states no fact even where its message alone is short enough to.
MAX_LINE = 512
assert MAX_LINE <= MAX_TEXT
MAX_REMEMBERED = 4096  # entries of each memory below (cleared when full: a log moves on)

# FastSyslogHeads' shape, on bytes, with the message of printable ASCII to the line's end:
# groups 1 the header, 2 its stamp, 3 the host, 4 the program.
_ISO_LINE = re.compile(
    rb"((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?)"
    rb" ([A-Za-z0-9][\w.-]*) ([A-Za-z][\w.-]*)(?:\[\d{1,10}\])?: )[ -~]*\n"
)
# kernel_reader.glued_header needs a clock for any glued header.
_CLOCK = re.compile(rb"\d\d:\d\d:\d\d")
# corosync's new membership: the ring id is new in every one. Where a message holds this
# once, facts_in_message reads it in its membership branch, and its facts differ from those
# of the same message with another ring only by their ring and text. The ring's letters
# cannot spell a keyword, a divert word, "Members[" or any fact word.
_MEMBERSHIP = b"A new membership ("
_RING = re.compile(rb"A new membership \(([0-9a-f.:]{1,64})\) was formed\. Members")

Refuse = Callable[[bytes], object]  # a search: not None where the line must go the long way
# A stamp's parse_iso_time and stamp_shape, None where it is no valid time (read from its
# minute's: KernelBlockScan._stamp).
StampTime = Callable[[bytes], tuple[datetime, str] | None]


class _Who:
    """What the header of a short-iso line says after its stamp (`` HOST APP[PID]: ``)."""

    __slots__ = ("app", "host", "members", "refused", "source", "trusted")

    def __init__(self, host: str, app: str, members: bool, refused: bool) -> None:
        self.host = host
        self.app = app
        self.source: str | None = None  # set when a shape of it is first trusted
        self.members = members  # it holds "Members[" (a program named so, with a pid)
        self.refused = refused
        self.trusted: set[str] = set()  # stamp shapes FastSyslogHeads trusts with it


# A message's answer: its facts' shapes, whether it holds "Members[", whether it is refused.
_Message = tuple[tuple[FactShape, ...], bool, bool]
_CLOCKED: _Message = ((), False, True)  # a message with a clock: the whole line is read
# A whole line's answer: its facts grouped by header, whether it holds "Members[", whether it
# is refused.
_Group = tuple[str | None, datetime | None, str | None, tuple[FactShape, ...]]
_Line = tuple[tuple[_Group, ...], bool, bool]


class FastQuorumLines:
    """``take(block, start, end, lineno)`` does what ``scan.line(text, lineno)`` does with
    the line ``block[start:end]`` (its newline included), or returns False having done
    nothing."""

    __slots__ = ("_lines", "_messages", "_minute_stamp", "_refuse", "_rings", "_scan", "_split",
                 "_stamps", "_who")

    def __init__(self, scan: QuorumLineScan, refuse: Refuse,
                 minute_stamp: StampTime | None = None) -> None:
        self._scan = scan
        self._split = scan.heads
        self._refuse = refuse
        self._minute_stamp = minute_stamp
        self._messages: dict[bytes, _Message] = {}
        self._rings: dict[bytes, _Message] = {}  # a new membership's message without its ring
        self._who: dict[bytes, _Who] = {}
        self._stamps: dict[bytes, tuple[datetime | None, str]] = {}
        self._lines: dict[bytes, _Line] = {}

    def take(self, block: bytes, start: int, end: int, lineno: int) -> bool:
        if end - start > MAX_LINE:
            return False
        m = _ISO_LINE.match(block, start, end)
        if m is None:
            return self._whole(block, start, end, lineno)
        after = m.end(1)
        message = self._messages.get(block[after:end - 1])
        if message is None:
            message = self._message(block[after:end - 1])
        if message is _CLOCKED:
            return self._whole(block, start, end, lineno)
        shapes, members, refused = message
        if refused:
            return False
        host_at = m.end(2)
        who = self._who.get(block[host_at:after])
        if who is None:
            who = self._new_who(block[host_at:after], m)
        if who.refused:
            return False
        stamp = self._stamps.get(m[2])
        if stamp is None:
            stamp = self._new_stamp(m[2])
        time, shape = stamp
        if shape not in who.trusted:
            if not self._trust(who, m[2], shape):
                return self._whole(block, start, end, lineno)
        elif not self._split.take_turn():
            return self._whole(block, start, end, lineno)
        scan = self._scan
        if shapes:
            scan.take_facts(who.host, time, who.source, shapes, lineno)
        if members or who.members:
            scan.members_seen += 1
        return True

    def _trust(self, who: _Who, stamp: bytes, shape: str) -> bool:
        """Ask the fast header split whether it answers this header fast (counted as one
        fast answer); remember the shape when it does."""
        known = self._split.known(stamp.decode(), who.host, who.app)
        if known is None:
            return False
        who.source = known[1]
        who.trusted.add(shape)
        return True

    def _whole(self, block: bytes, start: int, end: int, lineno: int) -> bool:
        """A line read by its whole text's remembered answer."""
        if block[start] == 0x7B:  # "{": a JSON entry
            return False
        raw = block[start:end]
        found = self._lines.get(raw)
        if found is None:
            found = self._line(raw)
        groups, members, refused = found
        if refused:
            return False
        scan = self._scan
        for host, at, source, shapes in groups:
            scan.take_facts(host, at, source, shapes, lineno)
        if members:
            scan.members_seen += 1
        return True

    def _message(self, raw: bytes) -> _Message:
        """A message's facts (as ``facts_in_message`` reads it under any header), remembered;
        :data:`_CLOCKED` when it holds a clock. A new membership's are those of the same
        message with any other ring (:data:`_RING`), with its own ring and text."""
        found = _CLOCKED
        if _CLOCK.search(raw) is None:
            ring = _RING.search(raw) if _MEMBERSHIP in raw else None
            if ring is not None and raw.count(_MEMBERSHIP) == 1:
                found = self._membership(raw, ring)
            else:
                found = self._read_message(raw)
        if len(self._messages) >= MAX_REMEMBERED:
            self._messages.clear()
        self._messages[raw] = found
        return found

    def _read_message(self, raw: bytes) -> _Message:
        message = raw.decode("ascii")
        return (tuple(fact_shape(f) for f in facts_in_message(message, host=None, at=None)),
                "Members[" in message, self._refuse(raw) is not None)

    def _membership(self, raw: bytes, ring: re.Match[bytes]) -> _Message:
        """A new membership's message from the answer of its text without the ring."""
        key = raw[:ring.start(1)] + raw[ring.end(1):]
        known = self._rings.get(key)
        if known is None:
            known = self._read_message(raw)
            if len(self._rings) >= MAX_REMEMBERED:
                self._rings.clear()
            self._rings[key] = known
        shapes, members, refused = known
        ring_id, text = ring[1].decode(), raw.decode("ascii").strip()
        return (tuple((kind, nodes, text, ring_id, link) for kind, nodes, _, _, link in shapes),
                members, refused)

    def _new_who(self, raw: bytes, m: re.Match[bytes]) -> _Who:
        who = _Who(m[3].decode(), m[4].decode(), b"Members[" in raw,
                   self._refuse(raw) is not None)
        if len(self._who) >= MAX_REMEMBERED:
            self._who.clear()
        self._who[raw] = who
        return who

    def _new_stamp(self, raw: bytes) -> tuple[datetime | None, str]:
        """A stamp's time (None for an impossible date: such a line is never trusted) and
        shape (its digits masked), remembered."""
        found: tuple[datetime | None, str] | None
        if self._minute_stamp is not None:
            found = self._minute_stamp(raw)
        else:
            text = raw.decode()
            found = (parse_iso_time(text), stamp_shape(text))
        if found is None or found[0] is None:
            found = (None, "")  # "" is never a trusted shape
        if len(self._stamps) >= MAX_REMEMBERED:
            self._stamps.clear()
        self._stamps[raw] = found
        return found

    def _line(self, raw: bytes) -> _Line:
        """A whole line's facts and member list as :meth:`QuorumLineScan.line` reads it,
        remembered."""
        refused = self._refuse(raw) is not None
        groups: list[_Group] = []
        members = False
        if not refused:
            text = raw.decode("utf-8", "surrogateescape").rstrip("\r\n")
            facts, members = self._scan.line_facts(text)
            for fact in facts:
                if groups and groups[-1][:3] == (fact.host, fact.at, fact.source):
                    groups[-1] = (*groups[-1][:3], (*groups[-1][3], fact_shape(fact)))
                else:
                    groups.append((fact.host, fact.at, fact.source, (fact_shape(fact),)))
        found = (tuple(groups), members, refused)
        if len(self._lines) >= MAX_REMEMBERED:
            self._lines.clear()
        self._lines[raw] = found
        return found
