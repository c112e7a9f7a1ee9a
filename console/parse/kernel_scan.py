"""Whole-file kernel log scan for ``labconsole scan``: hangs, links, errors, fast.

Speed comes from not parsing what cannot matter. A physical line is parsed only when it holds
one of a few substrings every hang / reset / link message contains (``Hang``, ``WATCHDOG``,
``Reset adapter``, ``Link is``, ``link up/down``), and then the lines right after it are parsed
too while they are continuation lines (the register block). Everything else costs a handful
of substring tests.
``journalctl -o export`` input (first line ``__CURSOR=``...) is parsed in full because its
fields span several lines. Known blind spot: a journal JSON ``MESSAGE`` stored as a byte array
(non-UTF-8 text) hides its keywords from the prefilter.

``kernel_lines`` counts physical lines carrying kernel messages (a journal export entry counts
once): exactly for parsed lines, and for the others by their prefix (dmesg ``[``,
``kernel:``, `` kernel: ``, Talos ``: kern:``, a journal JSON ``"kernel"`` value), which is
what those formats print.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from labconsole.model.hang import HangEpisode
from labconsole.model.link import LinkEvent
from labconsole.model.link_summary import LinkTally
from labconsole.model.nic_event import NicDetached
from labconsole.model.quorum_event import QuorumEvent
from labconsole.parse.corosync_log import QuorumLineScan
from labconsole.parse.hang_detector import HangDetector
from labconsole.parse.kernel_journal import EXPORT_START, JournalError, parse_json_entry
from labconsole.parse.kernel_line import is_prompt, parse_line_head
from labconsole.parse.kernel_reader import KernelLogReader
from labconsole.parse.scan_facts import FactSink, HangReports

FOLLOW_MAX = 64  # longest register block we follow after a hit (e1000e prints 15 lines)
SNIFF_LINES = 200


@dataclass(slots=True)
class KernelScanResult:
    """What a kernel log scan found: hang episodes, link tallies, NICs lost, corosync facts."""

    lines: int = 0
    kernel_lines: int = 0
    hangs: list[HangEpisode] = field(default_factory=list)
    links: LinkTally = field(default_factory=LinkTally)
    errors: list[str] = field(default_factory=list)
    detached: list[NicDetached] = field(default_factory=list)
    # corosync / pmxcfs / pacemaker facts (the first MAX_SCAN_FACTS; the rest counted).
    quorum_events: list[QuorumEvent] = field(default_factory=list)
    quorum_dropped: int = 0
    members_seen: int = 0

    def to_json(self) -> dict[str, Any]:
        """The kernel part of one file's ``scan --json`` object."""
        return {
            "lines": self.lines,
            "hangs": [h.to_json() for h in self.hangs],
            "links": self.links.to_json(),
            "quorum_events": [e.to_json() for e in self.quorum_events],
            "errors": list(self.errors),
        }


class ScanSinks:
    """Where a scan's link events go (the per-device tally, and ``on_fact`` when streaming)
    and the detector's updates become hang report facts. Shared by the line and block scans."""

    __slots__ = ("hang_reports", "on_fact", "tally")

    def __init__(self, on_fact: FactSink | None) -> None:
        self.tally = LinkTally()
        self.on_fact = on_fact
        self.hang_reports = HangReports(on_fact) if on_fact is not None else None

    def link(self, event: LinkEvent) -> None:
        self.tally.add(event)
        if self.on_fact is not None:
            self.on_fact(event)

    def detector(self) -> HangDetector:
        # Without ``on_fact`` a link event goes straight to the tally: one call less for each
        # of a flapping NIC's hundred thousand events, and a link-only line's event is not
        # even built (``HangDetector.link_fields``).
        if self.on_fact is not None:
            return HangDetector(on_link=self.link)
        return HangDetector(on_link=self.tally.add, on_link_fields=self.tally.add_fields)


# Every hang / reset / link message holds one of these (ASCII: the block scan finds them in
# bytes). ``_hit`` spells the same test out: an ``or`` chain of ``in`` is the fastest on str.
HIT_WORDS = ("Hang", "WATCHDOG", "Link is ", "link up", "link down", "Link up", "Link down",
             "Reset adapter",
             # the drivers' own TX timeout / reset words, and a NIC that left the bus
             "TX timeout", "tx timeout", "tx_timeout", "transmit timed out", "tx hang",
             "PF reset", "PCIe link lost")
# Only a hang report is followed by a register block worth parsing: after a link or reset line
# the next line is skipped like any other (it used to be parsed to see whether it continued).
FOLLOW_WORDS = ("Hang", "WATCHDOG")


def _follows(line: str) -> bool:
    return "Hang" in line or "WATCHDOG" in line


def _hit(line: str) -> bool:
    # Link keywords are exactly what link_events accepts: a looser "ink " also caught every
    # IPv6 "link becomes ready" notice and made them (and the line after) fully parsed.
    return (
        "Hang" in line
        or "WATCHDOG" in line
        or "Link is " in line
        or "link up" in line
        or "link down" in line
        or "Link up" in line
        or "Link down" in line
        or "Reset adapter" in line
        or "TX timeout" in line
        or "tx timeout" in line
        or "tx_timeout" in line
        or "transmit timed out" in line
        or "tx hang" in line
        or "PF reset" in line
        or "PCIe link lost" in line
    )


def quorum_hit(line: str) -> bool:
    """Might this line state a corosync / pmxcfs / pacemaker fact (``corosync_log.WORDS``)?"""
    return (
        "Members" in line
        or "uorum" in line
        or "host: " in line
        or "primary component" in line
        or "state is now" in line
    )


def _kernelish(line: str) -> bool:
    return (
        line.startswith(("[", "kernel: "))
        or " kernel: " in line
        or ": kern:" in line
        or '"kernel"' in line
    )


# Lines between two calls of ``scan_kernel_lines``'s ``every`` (the caller's housekeeping).
EVERY_LINES = 65_536


def scan_kernel_lines(
    lines: Iterable[str], *, default_year: int | None = None, on_fact: FactSink | None = None,
    sinks: ScanSinks | None = None, every: Callable[[HangDetector], None] | None = None,
) -> KernelScanResult:
    """Scan physical lines (with or without newlines) of one kernel log, streaming.
    ``on_fact`` gets every hang report and link event as it is found. ``sinks`` (made from
    ``on_fact`` when not given) makes the detector; ``every`` is called with it every
    ``EVERY_LINES`` lines (``scan`` writes the final hang episodes out then)."""
    reader = KernelLogReader(default_year=default_year)
    if sinks is None:
        sinks = ScanSinks(on_fact)
    detector = sinks.detector()
    reports = sinks.hang_reports
    quorum = QuorumLineScan(default_year, on_fact=on_fact)
    result = KernelScanResult()
    full = False
    follow = 0
    skipped = True
    n = 0
    for raw in lines:
        n += 1
        if every is not None and not n % EVERY_LINES:
            every(detector)
        if n == 1 and raw.startswith("__") and EXPORT_START.match(raw):
            full = True
        if not full and quorum_hit(raw):
            quorum.line(raw.rstrip("\r\n"), n)
        if not (full or follow or _hit(raw)):
            if _kernelish(raw):
                result.kernel_lines += 1
            skipped = True
            continue
        if skipped:
            reader.lineno = n - 1
            reader.forget()
            skipped = False
        out = reader.feed(raw)
        if _follows(raw):
            follow = FOLLOW_MAX
        elif follow:
            follow = follow - 1 if out and out[-1].continuation else 0
        if any(line.is_kernel for line in out):
            result.kernel_lines += 1
        for line in out:
            updates = detector.feed(line)
            if reports is not None and updates:
                reports.take(line, updates)
            if full:
                quorum.entry(line)
    tail = reader.close()
    if any(line.is_kernel for line in tail):
        result.kernel_lines += 1
    for line in tail:
        updates = detector.feed(line)
        if reports is not None and updates:
            reports.take(line, updates)
        if full:
            quorum.entry(line)
    detector.finish()
    take_quorum(result, quorum)
    result.lines = n
    result.hangs = detector.episodes
    result.links = sinks.tally
    result.detached = detector.detached
    result.errors = reader.error_report()
    return result


def take_quorum(result: KernelScanResult, quorum: QuorumLineScan) -> None:
    """Move the facts of a finished scan into its result."""
    result.quorum_events = quorum.events
    result.quorum_dropped = quorum.dropped
    result.members_seen = quorum.members_seen


def looks_like_kernel_log(head: list[str]) -> bool:
    """Content sniffing: does any of the first lines carry a kernel-message prefix?

    Evidence is a dmesg stamp, a syslog/journal header whose program is ``kernel`` (or the
    ``kern`` facility), a bare ``kernel:`` prefix, or a journal entry from the kernel. A log
    of corosync or pmxcfs lines only is not a kernel log.
    """
    for text in head[:SNIFF_LINES]:
        text = text.rstrip("\r\n")
        if not text.strip() or is_prompt(text):
            continue
        if text.startswith("{"):
            if _json_kernel(text):
                return True
            continue
        if text.startswith(("_TRANSPORT=kernel", "SYSLOG_IDENTIFIER=kernel")):
            return True
        line = parse_line_head(text)
        if line.headed and line.is_kernel:
            return True
    return False


def _json_kernel(text: str) -> bool:
    try:
        return parse_json_entry(text).is_kernel
    except (JournalError, json.JSONDecodeError):
        return False
