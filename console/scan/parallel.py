"""One big log file scanned in parts by forked worker processes, merged into exactly the report
a single scan gives (issue 13 item 1: use the machine's CPUs).

Why it is exact. The parts run the real :class:`KernelBlockScan` on their bytes; what a line
means never depends on anything but the lines before it, and only in two ways:

- the *reading* state (a register block being followed, the reader's context, an open journal
  entry). :attr:`KernelBlockScan.at_rest` says when there is none: then a scan started fresh
  at the next line reads every later line exactly as the scan that got there. Each part
  records where it is at rest in its first :data:`EARLY_LINES` lines; the part before it reads
  on past its end, one line at a time, to the first place where both are at rest (the "resume
  point"), and stops there. No line is read twice in the result: the earlier part is the
  truth up to the resume point, the later part after it; what the later part found before it
  is dropped (its counters are snapshotted at every rest point).
- the *facts* state (hang episodes folding reports seconds apart, link tallies, repeated
  corosync facts, the CEF cap). A part after the first runs the real :class:`HangDetector`
  from a fresh state (:class:`_PartDetector`) and records every call the scan makes to it
  until its first "fact rest point" past the part's first lines
  (:attr:`HangDetector.at_rest`: no episode open, no report collecting: from there on a
  fresh detector and one with any history give the same facts). The parent replays the
  calls before that point, in file order, into the one real detector (whose link events
  feed the one real tally), and then, when its detector is at rest too, takes the part's
  own episodes, detached NICs and open episodes as they are (:meth:`_Merge._take_handed`,
  which also shows when episodes the parent holds open may stay so). The part's link
  events from that point reach the one real tally as each device's events up to its first
  up (after which the real summary is at rest: :attr:`LinkSummary.at_rest`) and a tally of
  the rest, taken by :meth:`LinkTally.then`. When the parent's detector is not at rest
  there, the part is scanned again in the parent tracing every call (the same calls), and
  the calls past those replayed are replayed; a part whose detector never rests is traced
  whole. So every fold is the detector's or the tally's own code over the same calls in
  the same order: nothing here re-implements a fold. CEF lines go to the one real CEF
  divert as traced lines. corosync facts are merged by the reader's own rule (a fact equal
  to the previous fact of its host is dropped), which only the first fact of each host in
  a part can meet.

Line numbers of a part are renumbered by what came before its resume point. Where exactness
cannot be shown cheaply (no common rest point near a boundary, thousands of hosts, more than
a part's worth of reader errors, a worker that failed), :func:`scan_in_parts` returns ``None``
and the caller scans in one process: slower, never different.

The first part runs in the calling process; the others in ``fork``ed children that write their
results, call traces and episodes to a private temporary directory (streamed in batches, so
memory stays flat; the parent reads their episodes back from there when it writes the
report); gzip, stdin and small files are scanned in one process by the caller.
"""

from __future__ import annotations

import contextlib
import functools
import io
import itertools
import json
import operator
import os
import pickle
import re
import resource
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol, cast

from labconsole.model.cef import CefEvent
from labconsole.model.kernel_line import KernelLine
from labconsole.model.link import LinkEvent, LinkState
from labconsole.model.link_summary import LinkTally
from labconsole.model.nic_event import NicDetached
from labconsole.model.quorum_event import QuorumEvent
from labconsole.parse.corosync_log import MAX_SCAN_FACTS, CountedFacts
from labconsole.parse.hang_detector import DetectorUpdate, HangDetector
from labconsole.parse.kernel_reader import MAX_ERRORS as READER_MAX_ERRORS
from labconsole.parse.kernel_scan import KernelScanResult, ScanSinks
from labconsole.parse.kernel_scan_blocks import KernelBlockScan
from labconsole.scan.hang_spill import HangSpill, KeptSinks, SpillPart
from labconsole.scan.report import FileReport

# Rest points recorded at the start of each part (a register block is at most 64 lines long:
# a resume point is nearly always within the first few dozen lines).
EARLY_LINES = 512
MAX_PARTS = 4
# Smaller parts are not worth a process (fork, the replay, the first lines read twice).
MIN_PART_BYTES = 24 << 20
READ_BYTES = 1 << 18
# What a worker's part costs it beyond this process's part of the same size (forking, its
# detector's trace up to the hand-over, writing its episodes and result), as a share of the
# scan: the first part is the larger by it, so that both end together (see _boundaries).
# Measured as per-process CPU, 2 parts, 1M-line mixes: 0.07 (hang storm, journal JSON) to
# 0.10 (corosync, busy, realdata) and 0.21-0.26 (CEF, quiet); 0.10 gives the least time
# over all of them and on the slowest (it was 0.15 while this process replayed every call).
TRACE_SHARE = 0.10
# A worker's detector hands over at a fact rest point (tests turn it off: the reference),
# sought a line at a time over this many lines after the part's first lines, then at the end
# of each block.
HAND_OVER = True
HAND_OVER_LINES = 4096
_MAX_HOSTS = 4000  # QuorumFactReader forgets its hosts at 4096: merged only below that
_LINE_N = re.compile(r"line (\d+): ")
_MORE = re.compile(r"\.\.\. and (\d+) more$")
PARTS_ENV = "LABCONSOLE_SCAN_PARTS"  # a number of parts (1: never split), for benchmarks
STATS_ENV = "LABCONSOLE_SCAN_STATS"  # a file (or -) for the processes' peak RSS sum


class CefSink(Protocol):
    """What ``scanner._CefDivert`` offers: take a line holding ``CEF:`` (True when it was a
    record), and the records listed so far."""

    events: list[CefEvent]

    def take(self, line: str, n: int) -> bool: ...

    def count_only(self, raw: bytes) -> int | None: ...


DivertFor = Callable[[FileReport], CefSink]


class _Unmergeable(Exception):
    """A case this module does not merge exactly: the caller scans in one process."""


@dataclass(frozen=True, slots=True)
class _Part:
    start: int
    end: int  # a line boundary; the last part reads to the end of the file
    rests: frozenset[int] = frozenset()  # byte offsets where a fresh scan of it is at rest


@dataclass(frozen=True, slots=True)
class _Snap:
    """A part's counters at one of its rest points."""

    lines: int
    diverted: int
    calls: int
    cef_lines: int
    cef_counted: int
    facts: int


class _Facts(CountedFacts):
    """The corosync facts of one part as they come: held (the first part, whose facts are
    listed first) or written to ``out`` in batches (the others: only the parent knows whether
    any of them will be listed). Per host, what the merge needs for the repeat rule: the last
    fact, and the first ones (every fact in the part's first lines, where the resume point
    is, then the first fact after them).

    Facts the merge can no longer list are counted, not built (``building`` turns False):
    the first part's past :data:`MAX_SCAN_FACTS`; a later part's once :data:`MAX_SCAN_FACTS`
    facts past its first lines are not the first of their host there. The merge drops only
    a host's first fact of a part from its resume point on (which is in the first lines),
    so by the time it reaches a fact not built it has listed at least that many of this
    part's facts and reads no further."""

    def __init__(self, out: IO[bytes] | None = None) -> None:
        self.out = out
        self.held: list[QuorumEvent] = []
        self._pending: list[QuorumEvent] = []
        self.count = 0
        self.last: dict[str | None, tuple[int, tuple[Any, ...]]] = {}
        self.firsts: dict[str | None, list[tuple[int, tuple[Any, ...]]]] = {}
        self.early_end: int | None = None if out is not None else 0
        self.building = True
        self._past = 0  # facts past the first lines that are not their host's first there

    def __call__(self, fact: object) -> None:
        """``on_fact`` of the part's scan: only corosync facts reach it (its sinks are ours)."""
        fact = cast(QuorumEvent, fact)
        if self.building:
            if self.out is not None:
                self._pending.append(fact)
            else:
                self.held.append(fact)
        self.count_fact(fact.host, _fact_key(fact))

    def count_only(self, host: str | None, key: tuple[object, ...]) -> None:
        """A fresh fact not built (``building`` is False)."""
        self.count_fact(host, key)

    def count_fact(self, host: str | None, key: tuple[Any, ...]) -> None:
        firsts = self.firsts.setdefault(host, [])
        if self.early_end is None or not firsts or firsts[-1][0] < self.early_end:
            firsts.append((self.count, key))
        else:
            self._past += 1
        self.last[host] = (self.count, key)
        self.count += 1
        if self.out is None:
            self.building = self.count < MAX_SCAN_FACTS
        elif self._past >= MAX_SCAN_FACTS:
            self.building = False

    def first_lines_done(self) -> None:
        self.early_end = self.count

    def spill(self) -> None:
        if self.out is not None and self._pending:
            pickle.dump(self._pending, self.out, protocol=pickle.HIGHEST_PROTOCOL)
            self._pending = []

    def __getstate__(self) -> dict[str, Any]:  # what the parent needs, not the file
        return {"count": self.count, "last": self.last, "firsts": self.firsts,
                "held": self.held, "early_end": self.early_end, "building": self.building,
                "_past": self._past}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]
        self.__dict__.update(state)


def _fact_key(fact: QuorumEvent) -> tuple[Any, ...]:
    """What ``QuorumFactReader`` compares to drop a repeated fact of a host."""
    return (fact.kind, fact.nodes, fact.at)


class _LaterLinks:
    """The link events of a later part from its detector's hand-over on: each device's events
    up to and including its first up as they are (``first``, a handful), the rest in a
    fresh tally. After that up the real tally's summary of the device is
    :attr:`LinkSummary.at_rest`, so :meth:`LinkTally.then` takes the rest exactly."""

    def __init__(self) -> None:
        self.first: list[_LinkFields] = []
        self.tally = LinkTally()
        self._rested: set[tuple[str | None, str]] = set()

    def add_fields(self, host: str | None, device: str, state: LinkState,
                   time: datetime | None, uptime: float | None) -> None:
        """An event, as :meth:`LinkTally.add_fields` takes it."""
        if (host, device) in self._rested:
            self.tally.add_fields(host, device, state, time, uptime)
            return
        self.first.append((host, device, state, time, uptime))
        if state == "up":
            self._rested.add((host, device))

    def ups(self) -> set[tuple[str | None, str]]:
        """The devices a link up came for (each pops that device's open episodes)."""
        return self._rested


_LinkFields = tuple[str | None, str, LinkState, datetime | None, float | None]
_TRACED = ("feed", "unit_hang", "unit_hang_registers", "register_lines", "report_registers",
           "link_line", "finish")


class _PartDetector(HangDetector):
    """The real :class:`HangDetector` of a part after the first, fresh at the part's start,
    that also records every call the scan makes (a ``KernelLine`` fed or taken as a unit hang
    report, a register run or a whole e1000e register block, a finish, a link-only line) for
    the parent to replay into its detector, until :meth:`hand_over`: from then on it is the
    part's own (no call recorded, its link events to ``later``). The recording methods are
    instance attributes shadowing the class's, deleted at the hand-over."""

    def __init__(self) -> None:
        self.later = _LaterLinks()  # the link events from the hand-over on
        super().__init__(on_link=self._part_link, on_link_fields=self._part_link_fields)
        self.calls: list[object] = []
        self.count = 0
        self.tracing = True
        self._unsure = True  # until a record after the first lines closes any report
        self._armed = False
        for name in _TRACED:
            setattr(self, name, getattr(self, "_traced_" + name))

    @property
    def collecting(self) -> bool:
        """Might the parent's detector be collecting a report's registers now? Never a wrong
        False: True until a record read after the part's first lines (before it, the report
        of a line before the part may be open there), then this detector's own answer (its
        test spelled out: the scan asks at every link-only line)."""
        return self._unsure or self._report is not None

    def _part_link(self, link: LinkEvent) -> None:
        """``on_link``: an event a traced call gave (its replay gives it), or the part's."""
        if not self.tracing:
            self.later.add_fields(link.host, link.device, link.state, link.time, link.uptime)

    def _part_link_fields(self, host: str | None, device: str, state: LinkState,
                          time: datetime | None, uptime: float | None) -> None:
        """``on_link_fields``, which only :meth:`HangDetector.link_fields` calls (the scan
        keeps that method from its start): recorded as the event while tracing (the
        replay's ``link_line`` of it feeds the tally and ends the device's open episodes
        as ``link_fields`` does; nothing reads its line number), else the part's."""
        if self.tracing:
            self.calls.append(LinkEvent(device, state, time, host, uptime))
        else:
            self.later.add_fields(host, device, state, time, uptime)

    def first_lines_done(self) -> None:
        """The part's first lines (where its resume point is) are read: the next record
        closes whatever report the parent's detector might be collecting."""
        self._armed = True

    @property
    def may_hand_over(self) -> bool:
        """Past the first lines, sure of ``collecting``, and at a fact rest point."""
        return self.tracing and not self._unsure and self.at_rest

    def hand_over(self) -> int:
        """Stop recording (the calls so far are the parent's to replay, :meth:`spill` them
        first); forget the facts they gave (the parent's replay gives them); return their
        number. Only when :attr:`may_hand_over`."""
        assert self.may_hand_over and not self.calls
        self.tracing = False
        for name in _TRACED:
            delattr(self, name)
        self.episodes = []
        self.detached = []
        self.unattached_resets = 0
        return self.count

    def _traced_feed(self, line: KernelLine) -> list[DetectorUpdate]:
        if self.tracing:
            self.calls.append(line)
            if self._armed and not line.continuation:
                self._unsure = False
        return HangDetector.feed(self, line)

    def _traced_unit_hang(self, line: KernelLine) -> list[DetectorUpdate]:
        """Recorded as the line itself: the replay's ``feed`` of it gives the same updates."""
        if self.tracing:
            self.calls.append(line)
            if self._armed:
                self._unsure = False
        return HangDetector.unit_hang(self, line)

    def _traced_register_lines(
        self, lines: Sequence[tuple[tuple[str, str], ...] | None],
    ) -> list[DetectorUpdate]:
        if self.tracing:
            self.calls.append(list(lines))
        return HangDetector.register_lines(self, lines)

    def _traced_report_registers(self, registers: dict[str, str], final: bool) -> None:
        if self.tracing:  # a copy: the detector takes ``registers`` over and adds to it
            self.calls.append((dict(registers), final))
        HangDetector.report_registers(self, registers, final)

    def _traced_unit_hang_registers(self, line: KernelLine, registers: dict[str, str],
                                    final: bool, updates: bool = True) -> list[DetectorUpdate]:
        """Recorded as its two calls: the line (the replay's ``feed`` of it gives the same
        updates), then the registers (a copy, as :meth:`_traced_report_registers`)."""
        if self.tracing:
            self.calls.append(line)
            self.calls.append((dict(registers), final))
            if self._armed:
                self._unsure = False
        return HangDetector.unit_hang_registers(self, line, registers, final, updates)

    def _traced_link_line(self, link: LinkEvent) -> None:
        if self.tracing:
            self.calls.append(link)
        HangDetector.link_line(self, link)

    def _traced_finish(self) -> list[DetectorUpdate]:
        if self.tracing:
            self.calls.append(None)
            if self._armed:
                self._unsure = False
        return HangDetector.finish(self)

    def spill(self, out: IO[bytes]) -> None:
        if self.calls:
            pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
            pickler.dispatch_table = _BY_FIELDS  # type: ignore[assignment]
            pickler.dump(self.calls)
            self.count += len(self.calls)
            self.calls = []


def _by_fields(cls: type, names: tuple[str, ...]) -> Callable[[object], tuple[Any, ...]]:
    """Pickle a frozen dataclass as its constructor and field values: read back twice as
    fast as the default (which sets each field through ``object.__setattr__`` after looking
    the fields up again for every record)."""

    values = operator.attrgetter(*names)  # a tuple of them, in C

    def reduce(obj: object) -> tuple[Any, ...]:
        return cls, values(obj)

    return reduce


_BY_FIELDS = {cls: _by_fields(cls, tuple(f.name for f in fields(cls)))
              for cls in (KernelLine, LinkEvent)}


class _TraceSinks(ScanSinks):
    def __init__(self) -> None:
        super().__init__(None)
        self.trace = _PartDetector()

    def detector(self) -> HangDetector:
        return self.trace


@dataclass(slots=True)
class _Handed:
    """A later part's own facts from its detector's hand-over on (after ``calls`` traced
    calls): its episodes (in ``episodes-N``), detached NICs and link events, the devices it
    may have looked up (a hang report or reset of the device, or a link up: see
    :meth:`_Merge._take_handed`), and, when parts follow, its detector (its open episodes
    are among ``spill``'s held ones)."""

    calls: int
    spill: SpillPart
    detached: list[NicDetached]
    links: _LaterLinks
    devices: set[tuple[str | None, str]]
    resets: int
    detector: _PartDetector | None = None


class _CefLines:
    """The CEF divert of a part after the first: a line is taken exactly when the real divert
    would take it (a record is found in it), and recorded for the parent to hand to the real
    divert, until the part's own divert has listed ``MAX_CEF`` records; past that the real
    divert is full too (it saw at least as many) and only counts, as the part's does here."""

    def __init__(self, divert: CefSink, scratch: FileReport) -> None:
        self.divert = divert
        self.scratch = scratch
        self.lines: list[tuple[int, str]] = []
        self.counted = 0

    def take(self, line: str, n: int) -> bool:
        from labconsole.scan import scanner  # the cap as the divert reads it (tests patch it)

        if len(self.divert.events) >= scanner.MAX_CEF:
            before = self.scratch.extra.get("cef_not_listed", 0)
            taken = self.divert.take(line, n)
            self.counted += self.scratch.extra.get("cef_not_listed", 0) - before
            return taken
        taken = self.divert.take(line, n)
        if taken:
            self.lines.append((n, line))
        return taken

    def count_only(self, raw: bytes) -> int | None:
        """The divert's ``count_only``, once it only counts (as :meth:`take` then does)."""
        from labconsole.scan import scanner

        if len(self.divert.events) < scanner.MAX_CEF:
            return None
        count = self.divert.count_only(raw)
        if count:
            self.counted += count
        return count


@dataclass(slots=True)
class _PartResult:
    """What a part hands the parent (pickled by a worker)."""

    lines: int
    diverted: int
    kernel_lines: int
    members_seen: int
    errors: list[str]
    errors_dropped: int
    facts: _Facts
    cef_lines: list[tuple[int, str]]
    cef_counted: int
    calls: int
    snaps: dict[int, _Snap]
    stop: tuple[int, int] | None  # (offset, part) where the next part resumes; None: EOF
    handed: _Handed | None = None  # None: every call traced
    maxrss_kb: int = 0


class _PartScan:
    """One part's scan: its first lines one at a time (rest points), the rest in blocks, then
    on past its end to a resume point of a later part."""

    def __init__(self, path: str, parts: list[_Part], index: int, default_year: int | None,
                 divert_for: DivertFor, *, sinks: ScanSinks | None = None,
                 divert: CefSink | None = None, trace_out: IO[bytes] | None = None,
                 facts_out: IO[bytes] | None = None, spill: HangSpill | None = None,
                 episodes_out: IO[bytes] | None = None, retrace: bool = False) -> None:
        self.path = path
        self.parts = parts
        self.index = index
        self.part = parts[index]
        self.facts = _Facts(facts_out) if index > 0 else _Facts()
        self.trace_out = trace_out
        self.cef: _CefLines | None = None
        if divert is None:
            scratch = FileReport(path=path)
            self.cef = _CefLines(divert_for(scratch), scratch)
            take, count = self.cef.take, self.cef.count_only
        else:
            take, count = divert.take, divert.count_only
        self.sinks = sinks if sinks is not None else _TraceSinks()
        self.scan = KernelBlockScan(
            default_year=default_year, divert=take, divert_word=b"CEF:", divert_find=b"|",
            divert_count=count,
            exact_kernel_lines=False, on_fact=self.facts, sinks=self.sinks,
            mid_input=index > 0)
        self.snaps: dict[int, _Snap] = {}
        self.stop: tuple[int, int] | None = None
        self.spill = spill
        # A worker's detector hands over at its first fact rest point past the first lines:
        # its episodes then go to ``episodes_out``. ``retrace`` reads the part as a worker
        # that may hand over does (the same calls) and hands over nothing.
        self.episodes_out = episodes_out if HAND_OVER else None
        self.seek_rest = HAND_OVER and index > 0 and (episodes_out is not None or retrace)
        self.handed_at: int | None = None
        self.devices: set[tuple[str | None, str]] = set()

    # -- reading -----------------------------------------------------------------------------

    def rests(self) -> frozenset[int]:
        """Where a fresh scan of this part is at rest in its first lines (a dry run)."""
        with open(self.path, "rb") as f:
            self._first_lines(f)
        return frozenset(self.snaps)

    def run(self) -> _PartResult:
        with open(self.path, "rb") as f:
            pos = self._first_lines(f) if self.index > 0 else self.part.start
            if self.index == 0:
                f.seek(pos)
            pos = self._to_hand_over(f, pos)
            last = self.index == len(self.parts) - 1
            pos = self._blocks(f, pos, None if last else self.part.end)
            if not last:
                self.stop = self._read_on(f, pos)
        result = self.scan.finish()
        self._spill()
        errors, dropped = _split_errors(result.errors)
        return _PartResult(
            lines=self.scan.lines, diverted=self.scan.diverted,
            kernel_lines=result.kernel_lines, members_seen=result.members_seen,
            errors=errors, errors_dropped=dropped, facts=self.facts,
            cef_lines=self.cef.lines if self.cef else [],
            cef_counted=self.cef.counted if self.cef else 0,
            calls=self._calls(), snaps=self.snaps, stop=self.stop, handed=self._handed())

    def _first_lines(self, f: IO[bytes]) -> int:
        pos = self.part.start
        f.seek(pos)
        self._snap(pos)
        pos = self._line_by_line(f, pos, EARLY_LINES, after=self._snap_at_rest)
        if isinstance(self.sinks, _TraceSinks):
            self.sinks.trace.first_lines_done()
        self.facts.first_lines_done()
        return pos

    def _blocks(self, f: IO[bytes], pos: int, end: int | None) -> int:
        """Feed from ``pos`` to ``end`` (None: the end of the file) in blocks."""
        while end is None or pos < end:
            block = f.read(READ_BYTES if end is None else min(READ_BYTES, end - pos))
            if not block:
                break
            self.scan.feed(block)
            pos += len(block)
            self._spill()
            if self.spill is not None:
                self._note_devices()
                self.spill.settle()
            else:
                self._maybe_hand_over()
        return pos

    def _read_on(self, f: IO[bytes], pos: int) -> tuple[int, int] | None:
        """Read past this part's end, a line at a time near each later part's rest points,
        to the first offset where this scan and that part's are both at rest."""
        j = self.index + 1
        while j < len(self.parts):
            later = self.parts[j]
            if self.scan.at_rest and pos in later.rests:
                return pos, j
            if pos >= later.end:
                j += 1
                continue
            if pos > max(later.rests):  # no resume point left in that part: take it whole
                pos = self._blocks(f, pos, later.end)
                j += 1
                continue
            line = f.readline()
            if not line:
                return None
            self.scan.feed(line)
            pos += len(line)
        self._blocks(f, pos, None)  # every later part taken: read to the end
        return None

    # -- book-keeping ------------------------------------------------------------------------

    def _snap(self, pos: int) -> None:
        self.snaps[pos] = _Snap(
            lines=self.scan.lines, diverted=self.scan.diverted, calls=self._calls(),
            cef_lines=len(self.cef.lines) if self.cef else 0,
            cef_counted=self.cef.counted if self.cef else 0, facts=self.facts.count)

    def _calls(self) -> int:
        if isinstance(self.sinks, _TraceSinks):
            return self.sinks.trace.count + len(self.sinks.trace.calls)
        return 0

    def _spill(self) -> None:
        if isinstance(self.sinks, _TraceSinks) and self.trace_out is not None:
            self.sinks.trace.spill(self.trace_out)
        self.facts.spill()

    # -- the hand-over -----------------------------------------------------------------------

    def _to_hand_over(self, f: IO[bytes], pos: int) -> int:
        """Read on a line at a time (at most :data:`HAND_OVER_LINES`) to the first line after
        which a worker's detector may hand over (a rest point lasts from a device's link up
        to its next report: a block's end seldom falls in one)."""
        if not isinstance(self.sinks, _TraceSinks) or not self.seek_rest:
            return pos
        det = self.sinks.trace
        pos = self._line_by_line(f, pos, HAND_OVER_LINES, stop=lambda: det.may_hand_over)
        self._maybe_hand_over()
        return pos

    def _line_by_line(self, f: IO[bytes], pos: int, limit: int,
                      stop: Callable[[], bool] | None = None,
                      after: Callable[[int], None] | None = None) -> int:
        """Feed whole lines from ``pos`` (at most ``limit``, never past the part's end) until
        ``stop()`` says so before a line; ``after(pos)`` is told where each line ended.
        Returns where the last line fed ends."""
        for _ in range(limit):
            if pos >= self.part.end or (stop is not None and stop()):
                break
            line = f.readline()
            if not line:
                break
            self.scan.feed(line)
            pos += len(line)
            if after is not None:
                after(pos)
        return pos

    def _snap_at_rest(self, pos: int) -> None:
        if self.scan.at_rest:
            self._snap(pos)

    def _maybe_hand_over(self) -> None:
        """A worker's detector at its first fact rest point past the part's first lines
        becomes the part's own: the calls traced so far are the parent's to replay, the
        facts after them this part's (:class:`_Handed`). Until then the facts the traced
        calls give here are dropped as they come (the replay gives them)."""
        if not isinstance(self.sinks, _TraceSinks):
            return
        det = self.sinks.trace
        if not det.may_hand_over or self.episodes_out is None:
            det.episodes, det.detached = [], []  # the replay gives them
            return
        self._spill()
        self.handed_at = det.hand_over()
        self.spill = HangSpill(det, keep=0, file=self.episodes_out)

    def _note_devices(self) -> None:
        """The devices of the part's own new episodes (before the spill takes them)."""
        if self.handed_at is not None:
            self.devices.update((ep.host, ep.device) for ep in self.sinks.detector().episodes)

    def _handed(self) -> _Handed | None:
        if self.handed_at is None or self.spill is None:
            return None
        det = cast(_TraceSinks, self.sinks).trace
        links = det.later
        self._note_devices()
        if self.stop is None:  # nothing after it: every episode is final
            self.spill.close()
        return _Handed(
            calls=self.handed_at, spill=self.spill.export(), detached=det.detached,
            links=links, devices=self.devices | links.ups(), resets=det.unattached_resets,
            detector=None if self.stop is None else det)


def _split_errors(report: list[str]) -> tuple[list[str], int]:
    """``KernelLogReader.error_report()`` back into its errors and the count not kept."""
    if report and (m := _MORE.match(report[-1])) is not None:
        return report[:-1], int(m.group(1))
    return list(report), 0


# -- planning ----------------------------------------------------------------------------------


def part_count(size: int) -> int:
    """How many parts a regular file of ``size`` bytes is scanned in (1: one process): one per
    CPU that is free (the CPUs this process may use less the 1-minute load average: on a
    machine whose CPUs are all busy, parts only add their overhead), at most
    :data:`MAX_PARTS`, none under :data:`MIN_PART_BYTES`. ``$LABCONSOLE_SCAN_PARTS`` decides
    instead when set."""
    wanted = os.environ.get(PARTS_ENV)
    if wanted is not None:
        with contextlib.suppress(ValueError):
            return max(1, int(wanted))
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except OSError:
        busy = 0.0
    free = 1 + int(max(0.0, cpus - busy) + 0.5)  # this scan's own CPU, and the idle ones
    return max(1, min(cpus, free, MAX_PARTS, size // MIN_PART_BYTES))


def _boundaries(path: str, size: int, count: int) -> list[int]:
    """``count`` parts, each starting right after a newline. The first is larger than the
    others by :data:`TRACE_SHARE`, so that it ends when they do (a worker's part costs it
    a little more than this process's)."""
    rest = count - 1
    first = (1 + TRACE_SHARE) / (count + TRACE_SHARE)
    cuts = [0]
    with open(path, "rb") as f:
        for i in range(1, count):
            at = max(int(size * (first + (1 - first) * (i - 1) / rest)), cuts[-1])
            f.seek(at - 1 if at > 0 else 0)
            if at > 0:
                f.readline()  # to just after the newline at or after ``at - 1``
            cut = f.tell()
            if cuts[-1] < cut < size:
                cuts.append(cut)
    return cuts


def _plan(path: str, size: int, count: int, default_year: int | None,
          divert_for: DivertFor) -> list[_Part]:
    cuts = _boundaries(path, size, count)
    ends = [*cuts[1:], size]
    parts = [_Part(start, end) for start, end in zip(cuts, ends, strict=True)]
    for i in range(1, len(parts)):  # where a fresh scan of each part is at rest (dry run)
        parts[i] = replace(parts[i], rests=_PartScan(
            path, parts, i, default_year, divert_for).rests())
    return parts


# -- running -----------------------------------------------------------------------------------


@dataclass(slots=True)
class PartsOutcome:
    """The merged scan: the kernel result (its ``hangs`` in ``hangs``, written out as they
    became final), the CEF records listed, and the CEF divert's report (its errors and
    ``cef_not_listed``, for the caller to carry into the file's report)."""

    result: KernelScanResult
    cef: list[CefEvent]
    cef_report: FileReport
    lines: int
    processes: int
    maxrss_kb_sum: int
    hangs: HangSpill
    cpu_s: list[float] = field(default_factory=list)  # this process's, then each worker's


def scan_in_parts(path: str, size: int, default_year: int | None, divert_for: DivertFor, *,
                  parts: int | None = None, fork: bool = True) -> PartsOutcome | None:
    """Scan the regular file ``path`` (``size`` bytes, uncompressed) in parts; ``None`` when it
    is scanned in one part or cannot be merged exactly (then scan it in one process).
    ``fork=False`` runs the parts one after the other in this process (the same merge)."""
    count = part_count(size) if parts is None else parts
    if count < 2 or size <= 0:
        return None
    plan = _plan(path, size, count, default_year, divert_for)
    if len(plan) < 2:
        return None
    with tempfile.TemporaryDirectory(prefix="labconsole-scan-") as tmp:
        try:
            outcome = _run(path, plan, default_year, divert_for, Path(tmp), fork=fork)
        except _Unmergeable:
            return None
    _report_stats(path, outcome)
    return outcome


def _report_stats(path: str, outcome: PartsOutcome) -> None:
    """With ``$LABCONSOLE_SCAN_STATS`` set: how many processes scanned ``path`` and the sum
    of their peak RSS (GNU time's ``%M`` shows only the largest), as a JSON line appended to
    the file it names, or on stderr when it is ``-``."""
    where = os.environ.get(STATS_ENV)
    if not where:
        return
    line = json.dumps({"path": path, "processes": outcome.processes,
                       "peak_rss_kb_sum": outcome.maxrss_kb_sum,
                       "cpu_s": [round(c, 3) for c in outcome.cpu_s]})
    if where == "-":
        print(f"labconsole scan: {line}", file=sys.stderr)
        return
    with contextlib.suppress(OSError), open(where, "a", encoding="utf-8") as out:
        out.write(line + "\n")


def _run(path: str, plan: list[_Part], default_year: int | None, divert_for: DivertFor,
         tmp: Path, *, fork: bool) -> PartsOutcome:
    workers = _Workers(path, plan, default_year, divert_for, tmp)
    try:
        if fork:
            workers.start()
        cef_report = FileReport(path=path)
        divert = divert_for(cef_report)
        sinks = KeptSinks(None)
        first = _PartScan(path, plan, 0, default_year, divert_for, sinks=sinks, divert=divert)
        assert sinks.made is not None
        first.spill = spill = HangSpill(sinks.made)
        merge = _Merge(first.run(), divert, cef_report, sinks, spill)
        for i in range(1, len(plan)):
            result = workers.result(i)
            if merge.resume is not None and merge.resume[1] == i:
                with (open(tmp / f"trace-{i}", "rb") as trace,
                      open(tmp / f"facts-{i}", "rb") as facts):
                    merge.take(result, _batches(trace), _batches(facts),
                               tmp / f"episodes-{i}", functools.partial(workers.retrace, i))
        outcome = merge.outcome(len(plan) if fork else 1, _own_maxrss_kb() + workers.maxrss_kb)
        own = resource.getrusage(resource.RUSAGE_SELF)
        outcome.cpu_s = [own.ru_utime + own.ru_stime, *workers.cpu_s]
        return outcome
    finally:
        workers.stop()


def _batches(f: IO[bytes]) -> Iterator[list[object]]:
    while True:
        try:
            yield pickle.load(f)  # our own worker's file, in our own temp dir
        except EOFError:
            return


def _own_maxrss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class _Workers:
    """The parts after the first, each in a forked child (or, unstarted, run in place)."""

    def __init__(self, path: str, plan: list[_Part], default_year: int | None,
                 divert_for: DivertFor, tmp: Path) -> None:
        self.path = path
        self.plan = plan
        self.default_year = default_year
        self.divert_for = divert_for
        self.tmp = tmp
        self.pids: dict[int, int] = {}
        self.maxrss_kb = 0
        self.cpu_s: list[float] = []

    def start(self) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        for i in range(1, len(self.plan)):
            try:
                pid = os.fork()
            except OSError as exc:  # no more processes: the caller scans in one
                raise _Unmergeable(f"cannot start a worker: {exc}") from exc
            if pid == 0:  # the child: never returns
                code = 1
                try:
                    self._work(i)
                    code = 0
                finally:
                    os._exit(code)
            self.pids[i] = pid

    def _work(self, i: int) -> None:
        with (open(self.tmp / f"trace-{i}", "wb") as trace,
              open(self.tmp / f"facts-{i}", "wb") as facts,
              open(self.tmp / f"episodes-{i}", "w+b") as episodes):
            result = _PartScan(self.path, self.plan, i, self.default_year, self.divert_for,
                               trace_out=trace, facts_out=facts,
                               episodes_out=episodes).run()
        result.maxrss_kb = _own_maxrss_kb()
        done = self.tmp / f"result-{i}"
        with open(done.with_suffix(".tmp"), "wb") as out:
            pickle.dump(result, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(done.with_suffix(".tmp"), done)

    def retrace(self, i: int) -> Iterator[list[object]]:
        """Part ``i`` scanned again in this process, every detector call traced: the
        calls, read back."""
        path = self.tmp / f"retrace-{i}"
        with open(path, "wb") as trace:
            _PartScan(self.path, self.plan, i, self.default_year, self.divert_for,
                      trace_out=trace, facts_out=io.BytesIO(), retrace=True).run()
        with open(path, "rb") as trace:
            yield from _batches(trace)

    def result(self, i: int) -> _PartResult:
        pid = self.pids.pop(i, None)
        if pid is None:  # not forked: run it here
            self._work(i)
        else:
            _, status, usage = os.wait4(pid, 0)
            self.maxrss_kb += usage.ru_maxrss
            self.cpu_s.append(usage.ru_utime + usage.ru_stime)
            if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
                raise _Unmergeable(f"part {i} failed")
        try:
            with open(self.tmp / f"result-{i}", "rb") as f:
                return cast(_PartResult, pickle.load(f))  # our own worker's file
        except FileNotFoundError:
            raise _Unmergeable(f"part {i} left no result") from None

    def stop(self) -> None:
        for pid in self.pids.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid in self.pids.values():
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        self.pids.clear()


# -- merging -----------------------------------------------------------------------------------


class _Merge:
    """The parts' results folded in file order into one scan's result."""

    def __init__(self, first: _PartResult, divert: CefSink, cef_report: FileReport,
                 sinks: KeptSinks, spill: HangSpill) -> None:
        assert sinks.made is not None
        self.detector = sinks.made
        self.spill = spill
        self.sinks = sinks
        self.divert = divert
        self.cef_report = cef_report
        self.lines = first.lines
        self.diverted = first.diverted
        self.kernel_lines = first.kernel_lines
        self.members_seen = first.members_seen
        self.errors = list(first.errors)
        self.errors_dropped = first.errors_dropped
        self.facts: list[QuorumEvent] = []
        self.fact_count = 0
        self.last_fact: dict[str | None, tuple[Any, ...]] = {}
        self._take_facts(first.facts, 0, 0, iter(first.facts.held))
        self.resume = first.stop

    def take(self, part: _PartResult, calls: Iterator[list[object]],
             facts: Iterator[list[object]], episodes: Path,
             retrace: Callable[[], Iterator[list[object]]]) -> None:
        """The part the last one stopped for, from its resume point on. When its own facts
        cannot be taken, ``retrace`` scans it again here tracing every call, and the calls
        past those already replayed are replayed (the same scan of the same bytes makes the
        same calls)."""
        assert self.resume is not None
        snap = part.snaps.get(self.resume[0])
        if snap is None:
            raise _Unmergeable("no snapshot at the resume point")
        shift = self.lines - snap.lines  # physical line numbers
        reader_shift = shift - (self.diverted - snap.diverted)  # the reader's (no CEF lines)
        self._replay(calls, snap.calls, reader_shift)
        if part.handed is not None and not self._take_handed(
                part.handed, reader_shift, episodes):
            self._replay(retrace(), part.handed.calls, reader_shift)
        for n, line in part.cef_lines[snap.cef_lines:]:
            self.divert.take(line, n + shift)
        counted = part.cef_counted - snap.cef_counted
        if counted:
            extra = self.cef_report.extra
            extra["cef_not_listed"] = extra.get("cef_not_listed", 0) + counted
        self._take_errors(part, snap, reader_shift)
        self._take_facts(part.facts, snap.facts, shift,
                         cast(Iterator[QuorumEvent], itertools.chain.from_iterable(facts)))
        self.lines += part.lines - snap.lines
        self.diverted += part.diverted - snap.diverted
        self.kernel_lines += part.kernel_lines
        self.members_seen += part.members_seen
        self.resume = part.stop

    def _replay(self, batches: Iterator[list[object]], skip: int, shift: int) -> None:
        """The part's detector calls, past the first ``skip``, into the real detector."""
        det = self.detector
        seen = 0
        for batch in batches:
            start = max(0, skip - seen)
            seen += len(batch)
            for call in batch[start:] if start else batch:
                if type(call) is KernelLine:
                    if shift:
                        object.__setattr__(call, "lineno", call.lineno + shift)
                    det.feed(call)
                elif type(call) is list:
                    det.register_lines(call)
                elif type(call) is tuple:  # a whole e1000e register block
                    det.report_registers(*call)
                elif call is None:
                    det.finish()
                else:
                    link = cast(LinkEvent, call)
                    if shift:
                        object.__setattr__(link, "lineno", link.lineno + shift)
                    det.link_line(link)
            self.spill.settle()

    def _take_handed(self, handed: _Handed, shift: int, episodes: Path) -> bool:
        """The facts of a part whose detector handed over at a fact rest point, the calls
        before it replayed here. When this detector is at rest too, both give the same facts
        from that call on (:attr:`HangDetector.at_rest`): the part's are taken as they are,
        and its open episodes with them (:meth:`HangDetector.take_open`). Episodes may stay
        open here ("stale": no link up of their device came since): that is exact as long
        as the part never looked one of their devices up, as a detector reads its open
        episodes only for a device's hang report, reset or link up, and each of these
        leaves a trace in what the part found: an episode of the device, a link up, or an
        unattached reset (whose device is not kept: any one of them fails it). False, with
        nothing taken, when it is not exact (or the part's own tally is not whole)."""
        det = self.detector
        stale = det.open_episodes()
        looked_up = bool(stale) and (
            handed.resets > 0
            or not handed.devices.isdisjoint((ep.host, ep.device) for ep in stale))
        if det.collecting or handed.links.tally.untallied or looked_up:
            return False
        tally = self.sinks.tally
        for link in handed.links.first:
            tally.add_fields(*link)
        try:
            tally.then(handed.links.tally)
        except ValueError as exc:
            raise _Unmergeable(str(exc)) from None
        det.detached += [replace(d, lineno=d.lineno + shift) if shift else d
                         for d in handed.detached]
        self.spill.adopt(handed.spill, open(episodes, "rb"), shift)  # noqa: SIM115
        if handed.detector is not None:  # parts follow: go on where it stopped
            det.take_open(handed.detector)
            det.unattached_resets += handed.resets
        return True

    def _take_errors(self, part: _PartResult, snap: _Snap, shift: int) -> None:
        first_after = snap.lines - snap.diverted  # reader line numbers past the resume point
        kept = [e for e in part.errors if _error_line(e) > first_after]
        if part.errors_dropped and len(kept) < len(part.errors):
            raise _Unmergeable("reader errors past the kept ones")
        for error in kept:
            if len(self.errors) < READER_MAX_ERRORS:
                self.errors.append(_renumber(error, shift))
            else:
                self.errors_dropped += 1
        self.errors_dropped += part.errors_dropped

    def _take_facts(self, part: _Facts, skip: int, shift: int,
                    stream: Iterator[QuorumEvent]) -> None:
        """The part's facts from index ``skip`` on (read from ``stream`` only while the list
        has room; past it they are counted), by ``QuorumFactReader``'s rule across the
        boundary: a part's first fact of a host is dropped when it equals that host's last
        fact before it."""
        hosts = set(self.last_fact) | set(part.last)
        if len(hosts) >= _MAX_HOSTS:
            raise _Unmergeable("too many hosts for the repeat rule")
        seen: set[str | None] = set()
        index = 0
        for fact in stream:
            if index >= skip:
                if len(self.facts) >= MAX_SCAN_FACTS:
                    break
                if fact.host not in seen:
                    seen.add(fact.host)
                    if self.last_fact.get(fact.host) == _fact_key(fact):
                        index += 1
                        continue
                self._add_fact(replace(fact, lineno=fact.lineno + shift) if shift else fact)
            index += 1
        read = max(index, skip)
        rest = part.count - read  # not read: counted, less the first repeats among them
        for host, firsts in part.firsts.items():
            if host in seen:
                continue
            first = next((key for at, key in firsts if at >= skip), None)
            if first is not None and self.last_fact.get(host) == first:
                rest -= 1
        self.fact_count += max(rest, 0)
        for host, (at, key) in part.last.items():
            if at >= skip:
                self.last_fact[host] = key

    def _add_fact(self, fact: QuorumEvent) -> None:
        if len(self.facts) < MAX_SCAN_FACTS:
            self.facts.append(fact)
        self.fact_count += 1

    def outcome(self, processes: int, maxrss_kb_sum: int) -> PartsOutcome:
        self.detector.finish()
        self.spill.close()
        result = KernelScanResult(
            lines=self.lines - self.diverted, kernel_lines=self.kernel_lines,
            hangs=self.detector.episodes, links=self.sinks.tally,
            errors=[*self.errors, *([f"... and {self.errors_dropped} more"]
                                    if self.errors_dropped else [])],
            detached=self.detector.detached, quorum_events=self.facts,
            quorum_dropped=self.fact_count - len(self.facts),
            members_seen=self.members_seen)
        return PartsOutcome(result=result, cef=self.divert.events, cef_report=self.cef_report,
                            lines=self.lines, processes=processes, maxrss_kb_sum=maxrss_kb_sum,
                            hangs=self.spill)


def _error_line(error: str) -> int:
    m = _LINE_N.match(error)
    return int(m.group(1)) if m else 0


def _renumber(error: str, shift: int) -> str:
    m = _LINE_N.match(error)
    if m is None or not shift:
        return error
    return f"line {int(m.group(1)) + shift}: {error[m.end():]}"
