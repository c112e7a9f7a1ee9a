"""Scan one input: sniff its content, then stream it (logs) or parse it whole (block formats)."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterable, Iterator

from labconsole.model import CefEvent
from labconsole.model.link_summary import MAX_DEVICES
from labconsole.parse.cef import (
    CefParseError,
    count_cef_records,
    count_cef_records_ascii,
    find_cef,
    parse_cef,
    split_cef_records,
    unreadable_times,
)
from labconsole.parse.hang_detector import HangDetector
from labconsole.parse.kernel_journal import EXPORT_START
from labconsole.parse.kernel_scan import (
    KernelScanResult,
    looks_like_kernel_log,
    scan_kernel_lines,
)
from labconsole.parse.kernel_scan_blocks import KernelBlockScan
from labconsole.parse.scan_facts import CefRecord, FactSink
from labconsole.scan.hang_spill import HangSpill, KeptSinks
from labconsole.scan.opener import HEAD_BYTES, OpenedInput, open_input
from labconsole.scan.parallel import scan_in_parts
from labconsole.scan.report import FileReport
from labconsole.scan.sniff import block_kinds, has_syslog_lines, is_line_log

# Block formats are a few KiB; anything bigger than this is streamed as a log instead.
MAX_BLOCK_BYTES = 8 * 1024 * 1024
# CEF records kept in the report; the lines after them holding a CEF marker are counted, not
# parsed (a busy controller logs thousands: parsing and holding them all made the scan's time
# and memory follow the mix: 10,000 parsed records held 37 MB). ``scan --events`` parses and
# streams every record.
MAX_CEF = 1_000


def scan_input(path: str, *, default_year: int | None = None,
               on_fact: FactSink | None = None) -> FileReport:
    """Scan ``path`` ("-" for stdin). Raises :class:`InputError` when it cannot be read.

    ``default_year`` dates year-less timestamps (RFC 3164, journal short); the CLI passes the
    year of the file's last modification unless told otherwise. ``on_fact`` gets every hang
    report, link event and CEF record as it is found (``scan --events``); the report then
    still holds only the summaries.
    """
    report = FileReport(path=path)
    with open_input(path) as opened:
        head_text = opened.head_text()
        head_lines = head_text.splitlines()
        kinds = [] if is_line_log(head_lines) else block_kinds(head_text)
        if not kinds or not _scan_as_blocks(opened, head_text, kinds, report):
            kernel_head = looks_like_kernel_log(head_lines)
            if _is_journal_export(opened.head):
                _scan_lines(opened.lines(), report, default_year, kernel_head=kernel_head,
                            on_fact=on_fact)
            elif on_fact is not None or not _scan_in_parts(
                    path, opened, report, default_year, kernel_head=kernel_head):
                _scan_line_blocks(opened, report, default_year, kernel_head=kernel_head,
                                  on_fact=on_fact)
            if set(report.kinds) <= {"corosync_log"} and has_syslog_lines(head_lines):
                report.add_kind("syslog")
        if opened.head_error is not None:
            report.ended_early(report.lines + 1, opened.head_error)
    return report


def _scan_as_blocks(
    opened: OpenedInput, head_text: str, kinds: list[str], report: FileReport
) -> bool:
    """Parse a block format whole: the head when it is all there is, else the input read up
    to a bound. False (the caller streams it as a log) when it is bigger than that."""
    from labconsole.scan.blocks import scan_blocks  # the block parsers: only for these

    if len(opened.head) < HEAD_BYTES:
        scan_blocks(head_text, kinds, report)
        return True
    rest = opened.stream.read(MAX_BLOCK_BYTES + 1 - len(opened.head))
    data = opened.head + rest
    if len(data) > MAX_BLOCK_BYTES:
        report.add_error(f"larger than {MAX_BLOCK_BYTES} bytes: not read as {', '.join(kinds)}")
        opened.head = data  # what was read here is streamed first, not lost
        return False
    scan_blocks(data.decode("utf-8", errors="replace"), kinds, report)
    return True


def _is_journal_export(head: bytes) -> bool:
    """``journalctl -o export``: its fields span lines, so it is scanned line by line."""
    start = head[:64].decode(errors="replace")
    return start.startswith("__") and EXPORT_START.match(start) is not None


def _regular_size(path: str, opened: OpenedInput) -> int | None:
    """The size of an uncompressed regular file read from its start, else ``None`` (stdin,
    gzip and pipes are streams: read once, in one process)."""
    if path == "-" or opened.head_error is not None or not isinstance(
            opened.stream, io.BufferedReader):
        return None
    try:
        info = os.fstat(opened.stream.fileno())
    except (OSError, ValueError):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def _scan_in_parts(
    path: str, opened: OpenedInput, report: FileReport, default_year: int | None, *,
    kernel_head: bool,
) -> bool:
    """:func:`_scan_line_blocks` in parallel parts (``parallel.scan_in_parts``): the same
    report. False, with ``report`` untouched, when the input is scanned in one process."""
    size = _regular_size(path, opened)
    if size is None:
        return False
    outcome = scan_in_parts(path, size, default_year,
                            lambda scratch: _CefDivert(scratch, default_year))
    if outcome is None:
        return False
    report.lines = outcome.lines
    for error in outcome.cef_report.errors:
        report.add_error(error)
    report.errors_dropped += outcome.cef_report.errors_dropped
    report.extra.update(outcome.cef_report.extra)
    _report_kernel(outcome.result, outcome.cef, report, kernel_head=kernel_head,
                   hangs=outcome.hangs)
    return True


def _scan_line_blocks(
    opened: OpenedInput, report: FileReport, default_year: int | None, *, kernel_head: bool,
    on_fact: FactSink | None = None,
) -> None:
    """The fast path of :func:`_scan_lines`, same result: the input is read in binary blocks
    and only lines holding a keyword (``CEF:`` among them) are decoded and parsed."""
    cef = _CefDivert(report, default_year, on_fact=on_fact)
    sinks = KeptSinks(on_fact)
    # Every CEF record holds "CEF:N|": its "|" is found by memchr, 2.5x faster than "CEF:".
    scan = KernelBlockScan(default_year=default_year, divert=cef.take, divert_word=b"CEF:",
                           divert_find=b"|", divert_count=cef.count_only,
                           exact_kernel_lines=False,  # only "is there one" is asked below
                           on_fact=on_fact, sinks=sinks)
    assert sinks.made is not None
    spill = HangSpill(sinks.made, reports=sinks.hang_reports)
    error = None
    try:
        for chunk in opened.blocks():
            scan.feed(chunk)
            spill.settle()
    except (OSError, EOFError) as exc:  # a truncated gzip: keep what was read
        error = str(exc)
        scan.drop_partial()
    result = scan.finish()  # counts the last line when it has no newline
    spill.close()
    report.lines = scan.lines
    if error is not None:
        report.ended_early(scan.lines + 1, error)
    _report_kernel(result, cef.events, report, kernel_head=kernel_head, hangs=spill)


def _scan_lines(
    lines: Iterable[str], report: FileReport, default_year: int | None, *, kernel_head: bool,
    on_fact: FactSink | None = None,
) -> None:
    """Stream every line: CEF records are parsed here, everything else goes to the kernel scan.

    ``kernel_head`` says the head looked like a kernel log: without it (or a hang or link
    found), stray lines that merely start like one (``[``) do not make a file a kernel log.
    """
    counter = _LineCounter()
    cef: list[CefEvent] = []
    sinks = KeptSinks(on_fact)
    spills: list[HangSpill] = []  # made at the first call, with the detector the scan made

    def settle(detector: HangDetector) -> None:
        if not spills:
            spills.append(HangSpill(detector, reports=sinks.hang_reports))
        spills[0].settle()

    result = scan_kernel_lines(
        _divert_cef(counter.count(lines), cef, report, default_year, on_fact),
        default_year=default_year, on_fact=on_fact, sinks=sinks, every=settle,
    )
    report.lines = counter.n
    if counter.error is not None:
        report.ended_early(counter.n + 1, counter.error)
    if spills:
        spills[0].close()
    _report_kernel(result, cef, report, kernel_head=kernel_head,
                   hangs=spills[0] if spills else None)


def _report_kernel(
    result: KernelScanResult, cef: list[CefEvent], report: FileReport, *, kernel_head: bool,
    hangs: HangSpill | None = None,
) -> None:
    report.hangs = result.hangs if hangs is None else hangs
    report.links = result.links
    report.quorum_events = result.quorum_events
    report.nic_events = result.detached
    if result.links.untallied:
        report.add_error(f"{result.links.untallied} link events of devices past the first "
                         f"{MAX_DEVICES} not summarised (scan --events streams every one)")
    for error in result.errors:
        report.add_error(error)
    if report.hangs or result.links or result.detached or (result.kernel_lines and kernel_head):
        report.add_kind("kernel_log")
    if result.quorum_events or result.members_seen:
        report.add_kind("corosync_log")
    if result.quorum_dropped:
        report.add_error(f"{result.quorum_dropped} more quorum events not listed "
                         f"(limit {len(result.quorum_events)})")
    report.cef = cef
    if cef:
        report.add_kind("syslog_cef")
    dropped = report.extra.get("cef_not_listed")
    if dropped:
        report.add_error(f"{dropped} more CEF records not listed (limit {MAX_CEF}; "
                         "scan --events streams every one)")


class _LineCounter:
    """Counts lines on the way past and turns a read error (a truncated gzip) into the end
    of the input, so everything read before the break is still scanned and reported."""

    def __init__(self) -> None:
        self.n = 0
        self.error: str | None = None

    def count(self, lines: Iterable[str]) -> Iterator[str]:
        try:
            for line in lines:
                self.n += 1
                yield line
        except (OSError, EOFError) as exc:
            self.error = str(exc)


def _divert_cef(
    lines: Iterable[str], out: list[CefEvent], report: FileReport, default_year: int | None,
    on_fact: FactSink | None = None,
) -> Iterator[str]:
    """Parse CEF records on the way past; pass every other line on to the kernel scan."""
    cef = _CefDivert(report, default_year, out, on_fact)
    for n, line in enumerate(lines, 1):
        if "CEF:" not in line or not cef.take(line, n):
            yield line


class _CefDivert:
    """Takes CEF records out of a log: parsed into ``events`` (the first ``MAX_CEF``), or an
    error for the report; either way the line is not a kernel line. Past ``MAX_CEF`` records
    are only counted, unless ``on_fact`` streams them (then every one is parsed)."""

    def __init__(self, report: FileReport, default_year: int | None,
                 events: list[CefEvent] | None = None, on_fact: FactSink | None = None) -> None:
        self.report = report
        self.default_year = default_year
        self.events: list[CefEvent] = [] if events is None else events
        self.on_fact = on_fact

    def take(self, line: str, n: int) -> bool:
        """True when line ``n`` is a CEF record (and so leaves the kernel stream); records
        glued onto one line are each taken."""
        if self.on_fact is None and len(self.events) >= MAX_CEF:
            count = count_cef_records(line)  # past the listed ones: counted, not parsed
            if count:
                extra = self.report.extra
                extra["cef_not_listed"] = extra.get("cef_not_listed", 0) + count
            return count > 0
        if find_cef(line) < 0:
            return False
        for record in split_cef_records(line):
            self._take_one(record, n)
        return True

    def count_only(self, raw: bytes) -> int | None:
        """:meth:`take` of a line past the listed records, read from its bytes (a line holding
        ``CEF:``, as the block scan has it): the records it counted (0: none, the line is not
        taken), or None where only :meth:`take` can say (records still listed or streamed,
        a line that is not ASCII)."""
        if self.on_fact is not None or len(self.events) < MAX_CEF:
            return None
        count = count_cef_records_ascii(raw)
        if count:
            extra = self.report.extra
            extra["cef_not_listed"] = extra.get("cef_not_listed", 0) + count
        return count

    def _take_one(self, line: str, n: int) -> None:
        full = len(self.events) >= MAX_CEF
        if full:
            extra = self.report.extra
            extra["cef_not_listed"] = extra.get("cef_not_listed", 0) + 1
            if self.on_fact is None:
                return
        try:
            event = parse_cef(line, default_year=self.default_year)
        except CefParseError as exc:
            self.report.add_error(f"line {n}: CEF: {exc}")
            return
        if event.notes:  # the parser recovered from something: a time that is none?
            for key, value in unreadable_times(event.extensions):  # kept, without that time
                self.report.add_error(f"line {n}: CEF: unreadable time {key}={value!r}")
        if not full:
            self.events.append(event)
        if self.on_fact is not None:
            self.on_fact(CefRecord(n, event))
