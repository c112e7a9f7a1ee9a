"""Streaming reader: physical lines in any pasted or streamed format -> ``KernelLine`` records.

Context the single-line parser cannot see is handled here: continuation lines (the register
lines of a hang dump, unprefixed or indented, or repeating the first line's stamp), journal
entries (``-o json`` one per line, ``-o export`` framed by blank lines), glued lines (two log
lines pasted onto one physical line), shell prompt lines (skipped). Memory stays constant: the
reader keeps only the current message's head, a bounded export entry and bounded errors.
"""

from __future__ import annotations

import re
from datetime import datetime

from labconsole.model.kernel_line import KernelLine
from labconsole.parse.fast_head import VERIFY_EVERY, FastHeads
from labconsole.parse.kernel_journal import (
    EXPORT_START,
    ExportCollector,
    JournalEntry,
    JournalError,
    entry_from_fields,
    parse_json_entry,
)
from labconsole.parse.kernel_line import (
    LineHead,
    is_journal_marker,
    is_prompt,
    netdev_fields,
    register_pairs,
)

MAX_ERRORS = 200
MAX_LINE = 16384  # printk lines are < 1 KiB; longer text is a paste accident, not a message
MAX_JSON_LINE = 1 << 20
MAX_SEGMENTS = 64

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_TAG = r" \S+ [^\s:\[\]]+(?:\[\d+\])?: "
# A second full syslog/journal header inside a line: two lines glued together by a bad paste.
GLUE = re.compile(
    _MONTH + r" [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?" + _TAG
    + r"|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?" + _TAG
)
# Both glued-header forms contain a clock; searching for it first is 4x cheaper than GLUE.
_CLOCK = re.compile(r"\d\d:\d\d:\d\d")
# The middle of every clock: a pattern that starts with a literal is searched several times
# faster, and most messages hold no ``:dd:`` at all (then they hold no clock either).
_CLOCK_MIDDLE = re.compile(r":\d\d:")
# What every GLUE match holds from its clock's first colon on (both forms' clock and tag; the
# zone optional), found from that colon: a pattern starting with a literal is searched
# several times faster than GLUE, which tries both forms at every digit and capital of a
# line (a firewall line's MAC address has a clock-like run of digits in it, no tag after).
_GLUE_TAIL = re.compile(
    r":(?<=\d\d:)\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?" + _TAG)
_INDENT = (" ", "\t")
# In dmesg output the glue is a second ``[secs]`` stamp stuck to the text before it.
DMESG_GLUE = re.compile(r"(?<=\S)\[\s*\d+\.\d{6}\] ")


class KernelLogReader:
    """Feed physical lines (without or with their newline); get logical ``KernelLine`` records.

    Never raises on input: malformed input becomes an entry in ``errors`` ("line N: reason",
    the first ``MAX_ERRORS`` of them; ``errors_dropped`` counts the rest). ``skipped`` counts
    blank, shell-prompt and journalctl ``-- Boot ... --`` lines, which are neither content nor
    errors. A line without any recognised header is taken as kernel text (``dmesg -t`` output
    or a paste); when it is indented or a register line it continues the message before it.
    """

    def __init__(self, default_year: int | None = None) -> None:
        self.default_year = default_year
        self.errors: list[str] = []
        self.errors_dropped = 0
        self.lineno = 0
        self.skipped = 0
        self._export = ExportCollector()
        self._heads = FastHeads(default_year)
        self._shortcuts = 0
        self._block: KernelLine | None = None
        self._partial = ""

    def feed(self, physical_line: str) -> list[KernelLine]:
        """One physical line in, zero or more logical lines out (more when glued)."""
        self.lineno += 1
        text = physical_line.rstrip("\r\n")
        try:
            return self._feed(text, self.lineno)
        except Exception as exc:  # a reader bug must not stop a live stream: report it
            self._error(self.lineno, f"unreadable line ({type(exc).__name__}: {exc})")
            return []

    @property
    def in_entry(self) -> bool:
        """A journal export entry is open: the next line continues it."""
        return self._export.active

    def feed_register(self, physical_line: str) -> list[KernelLine] | None:
        """:meth:`feed` for an indented line right after a message (a register line of a hang
        dump), the same answer by a shorter road: ``None``, with nothing read, when the line
        is not certainly one (then call :meth:`feed`). A hang storm is mostly such lines.

        It is exactly :meth:`feed`'s path for them: no journal entry open, not blank, no
        glued second header (no clock in it), a header-less line (``FastHeads`` has checked
        that indented lines carry none), so it continues the message before it."""
        prev = self._block
        text = physical_line.rstrip("\r\n")
        self._shortcuts += 1
        if (prev is None or text[:1] not in _INDENT or len(text) > MAX_LINE
                or self._shortcuts % VERIFY_EVERY == 0  # now and then the long road
                or self._export.active or not text.strip()
                or self._heads.default_year != self.default_year
                or not self._heads.trusts_indented() or _CLOCK.search(text, 1) is not None):
            return None
        self.lineno += 1
        return [_continuation(prev, text, text.strip(), self.lineno)]

    def register_block_head(self) -> KernelLine | None:
        """The message that indented, header-less lines fed now would continue, when
        :meth:`feed_register` would take such lines (the same conditions bar the line's own
        text, which the caller checks: indented, printable, no clock); else ``None``. With
        :meth:`count_continuations` a whole-file scan takes a register block in one step."""
        prev = self._block
        if (prev is None or self._export.active
                or self._heads.default_year != self.default_year
                or not self._heads.trusts_indented()):
            return None
        return prev

    def trusts_kernel_head(self, stamp: str, host: str) -> bool:
        """A line ``STAMP HOST kernel: TEXT`` fed now would be read by :class:`FastHeads`'
        checked shape (no journal entry open): a headed kernel line whose message is TEXT."""
        return (not self._export.active and self._heads.default_year == self.default_year
                and self._heads.trusts(stamp, host))

    def trusts_kernel_shape(self, shape: str, host: str) -> bool:
        """:meth:`trusts_kernel_head` of a stamp whose ``stamp_shape`` is ``shape``."""
        return (not self._export.active and self._heads.default_year == self.default_year
                and self._heads.trusts_shape(shape, host))

    def kernel_head_time(self, stamp: str, host: str) -> datetime | None:
        """The time :meth:`feed_kernel` gives a line ``STAMP HOST kernel: ...`` when it would
        take it (:meth:`trusts_kernel_head`, a readable stamp); else ``None``."""
        if not self.trusts_kernel_head(stamp, host):
            return None
        return self._heads.iso_time(stamp)

    def feed_kernel(self, text: str, stamp: str, host: str,
                    message: str) -> list[KernelLine] | None:
        """:meth:`feed` for a printable ASCII line ``STAMP HOST kernel: MESSAGE`` the caller
        matched with FastHeads' ISO shape (the message not starting with a space or ``[``):
        the same answer by a shorter road, or ``None`` with nothing read when it is not
        certainly one plain kernel record: the shape unchecked, a glued second header (what
        ``_unglue`` cuts at), or a message that might continue
        the one before (``>`` or ``buffer_info`` in it: a register line)."""
        heads = self._heads
        if (self._export.active or heads.default_year != self.default_year
                or not heads.trusts(stamp, host) or glued_record(host, message)
                or (self._block is not None and might_continue(message))):
            return None
        time = heads.iso_time(stamp)
        if time is None:
            return None
        return [self.feed_plain_kernel(text, message, time, host, netdev_fields(message))]

    def feed_plain_kernel(self, text: str, message: str, time: datetime, host: str,
                          fields: tuple[str | None, str | None, str | None]) -> KernelLine:
        """:meth:`feed_kernel`'s record, the caller having made its checks: the reader
        :meth:`trusts_kernel_head` ``STAMP HOST``, ``time`` is the stamp's, ``fields`` the
        message's ``netdev_fields``, and neither :func:`glued_record` nor
        :func:`might_continue` holds for the message (a whole-file scan checks the same
        message once for all the reports of a storm)."""
        self.lineno += 1
        # raw, message, lineno, time, uptime, host, facility, priority, driver, device, pci;
        # the rest as their defaults (not a continuation, a kernel record, headed, no app).
        # Given by place, not by name: twice as fast, for the tens of thousands of a storm.
        line = self._block = KernelLine(text, message, self.lineno, time, None, host, None,
                                        None, *fields)
        return line

    def count_continuations(self, n: int) -> None:
        """``n`` continuation lines of :meth:`register_block_head`'s message were read by the
        caller: what feeding them would have changed here is the line count."""
        self.lineno += n

    def feed_text(self, chunk: str) -> list[KernelLine]:
        """Text in arbitrary chunks (as a stream delivers it): whole lines are read, the tail
        waits for the next chunk. A tail longer than ``MAX_LINE`` is read as a line of its own
        so a stream without newlines cannot grow memory."""
        parts = (self._partial + chunk).split("\n")
        self._partial = parts.pop()
        if len(self._partial) > MAX_LINE:
            parts.append(self._partial)
            self._partial = ""
        out: list[KernelLine] = []
        for part in parts:
            out.extend(self.feed(part))
        return out

    def close(self) -> list[KernelLine]:
        """End of input: read a pending partial line, flush a pending journal export entry."""
        out: list[KernelLine] = []
        if self._partial:
            out = self.feed(self._partial)
            self._partial = ""
        return out + self._close_export()

    def _close_export(self) -> list[KernelLine]:
        try:
            fields = self._export.finish()
        except JournalError as exc:
            self._error(self.lineno, str(exc))
            return []
        return self._journal(entry_from_fields(dict(fields)), self.lineno) if fields else []

    def forget(self) -> None:
        """Drop the continuation context (the caller skipped lines, as the fast scan does)."""
        self._block = None

    def error_report(self) -> list[str]:
        """``errors`` plus one closing line naming how many more were not kept."""
        if not self.errors_dropped:
            return list(self.errors)
        return [*self.errors, f"... and {self.errors_dropped} more"]

    # -- internals -------------------------------------------------------------------------

    def _error(self, lineno: int, reason: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(f"line {lineno}: {reason}")
        else:
            self.errors_dropped += 1

    def _feed(self, text: str, lineno: int) -> list[KernelLine]:
        if self._export.active or (text[:2] in ("__", "_B") and EXPORT_START.match(text)):
            return self._export_line(text, lineno)
        if not text.strip():
            self._block = None
            self.skipped += 1
            return []
        if text[0] == "{":
            return self._json_line(text, lineno)
        if is_prompt(text) or is_journal_marker(text):
            self._block = None
            self.skipped += 1
            return []
        if len(text) > MAX_LINE:
            self._error(lineno, f"line longer than {MAX_LINE} characters, truncated")
            text = text[:MAX_LINE]
        out: list[KernelLine] = []
        rest: str | None = text
        while rest is not None and len(out) < MAX_SEGMENTS:
            line, rest = self._segment(rest, lineno)
            out.append(line)
        return out

    def _export_line(self, text: str, lineno: int) -> list[KernelLine]:
        try:
            fields = self._export.feed(text)
        except JournalError as exc:
            self._error(lineno, str(exc))
            return []
        if fields is None:
            return []
        return self._journal(entry_from_fields(dict(fields)), lineno)

    def _json_line(self, text: str, lineno: int) -> list[KernelLine]:
        if len(text) > MAX_JSON_LINE:
            self._error(lineno, f"JSON line longer than {MAX_JSON_LINE} characters, skipped")
            return []
        try:
            entry = parse_json_entry(text)
        except JournalError as exc:
            self._error(lineno, str(exc))
            return []
        return self._journal(entry, lineno)

    def _journal(self, entry: JournalEntry, lineno: int) -> list[KernelLine]:
        first, *more = entry.message.split("\n")
        prev = self._block
        if (
            prev is not None and entry.is_kernel and prev.is_kernel and prev.host == entry.host
            and (first[:1].isspace() or register_pairs(first) is not None)
        ):
            # a register line journald stored as an entry of its own
            head = _continuation(prev, entry.message, first.strip(), lineno)
            return [head] + [
                _continuation(prev, text, text.strip(), lineno) for text in more if text.strip()
            ]
        driver, device, pci = netdev_fields(first) if entry.is_kernel else (None, None, None)
        head = KernelLine(
            raw=entry.message, message=first, lineno=lineno, time=entry.time,
            uptime=entry.uptime, host=entry.host, priority=entry.priority,
            driver=driver, device=device, pci=pci, is_kernel=entry.is_kernel,
            app=entry.identifier,
        )
        self._block = head
        out = [head]
        for text in more:
            if text.strip():
                out.append(_continuation(head, text, text.strip(), lineno))
        return out

    def _segment(self, text: str, lineno: int) -> tuple[KernelLine, str | None]:
        """The first logical line of ``text`` and the glued remainder, if any."""
        if self._heads.default_year != self.default_year:
            self._heads = FastHeads(self.default_year)
        head = self._heads.parse(text)  # = parse_line_head(text, default_year=...), faster
        message, rest = _unglue(head, text)
        raw = text if rest is None else text[: len(text) - len(rest)]
        return self._logical(head, message, raw, lineno), rest

    def _logical(self, head: LineHead, message: str, raw: str, lineno: int) -> KernelLine:
        prev = self._block
        if prev is not None and _continues(prev, head, message):
            return _continuation(prev, raw, message.strip(), lineno, head)
        is_kernel = head.is_kernel
        driver, device, pci = netdev_fields(message) if is_kernel else (None, None, None)
        line = KernelLine(
            raw=raw, message=message, lineno=lineno, time=head.time, uptime=head.uptime,
            host=head.host, facility=head.facility, priority=head.priority,
            driver=driver, device=device, pci=pci, is_kernel=is_kernel, headed=head.headed,
        )
        self._block = line
        return line


def glued_record(host: str, message: str) -> bool:
    """Might ``message`` of a ``STAMP HOST kernel: MESSAGE`` line hold a second record glued
    on (what ``_unglue`` cuts at)? :meth:`KernelLogReader.feed_kernel` leaves such lines to
    :meth:`~KernelLogReader.feed`."""
    # A GLUE match at 1 or later holds its clock at 1 or later (8 in fact), and _GLUE_TAIL
    # matches at that clock's first colon, 3 or later: a necessary condition, cheaper.
    return len(message) >= 20 and (message.find(host + " kernel: ", 1) > 0
                                   or (_CLOCK_MIDDLE.search(message, 1) is not None
                                       and _GLUE_TAIL.search(message, 3) is not None
                                       and GLUE.search(message, 1) is not None))


def might_continue(message: str) -> bool:
    """Might ``message`` read as a register line continuing the message before it (``>`` or
    ``buffer_info`` in it)? Such a line is left to :meth:`KernelLogReader.feed` when a message
    is open."""
    return ">" in message or "buffer_info" in message


def glued_header(text: str, start: int = 1) -> int | None:
    """Where a further full syslog/journal header starts in ``text`` (records glued onto one
    line when newlines were lost), searching from ``start``; None when there is none."""
    if _CLOCK.search(text, start) is None:
        return None
    m = GLUE.search(text, start)
    return None if m is None else m.start()


def split_glued(text: str, limit: int = MAX_SEGMENTS) -> list[str]:
    """``text`` cut before every further header in it (at most ``limit`` parts)."""
    parts: list[str] = []
    start = 0
    while len(parts) < limit - 1:
        at = glued_header(text, start + 1)
        if at is None:
            break
        parts.append(text[start:at])
        start = at
    parts.append(text[start:])
    return parts


def _unglue(head: LineHead, text: str) -> tuple[str, str | None]:
    """Cut ``head.message`` where a second full header starts; return (message, remainder)."""
    message = head.message
    if len(message) < 20:
        return message, None
    at = glued_header(message)
    if head.format.startswith("dmesg"):
        d = DMESG_GLUE.search(message, 1)
        if d and (at is None or d.start() < at):
            at = d.start()
    cut = at if at is not None else len(message)
    if head.host is not None and head.is_kernel:
        # Records glued with only their "HOST kernel:" prefix left (no stamp to find).
        at = message.find(head.host + " kernel: ", 1, cut)
        if at > 0:
            cut = at
    if cut >= len(message):
        return message, None
    return message[:cut], message[cut:]


def _continues(prev: KernelLine, head: LineHead, message: str) -> bool:
    """Does this line belong to the message before it (the register lines of a dump)?"""
    looks_like_dump = message[:1].isspace() or register_pairs(message) is not None
    if not head.headed:
        return looks_like_dump
    if not (looks_like_dump and head.is_kernel and prev.is_kernel and head.host == prev.host):
        return False
    # A stamped continuation repeats the first line's stamp (dmesg prints one per line).
    if head.uptime is not None and prev.uptime is not None:
        return head.uptime == prev.uptime
    if head.time is not None and prev.time is not None:
        return head.time == prev.time
    return True


def _continuation(
    prev: KernelLine, raw: str, message: str, lineno: int, head: LineHead | None = None
) -> KernelLine:
    return KernelLine(
        raw=raw,
        message=message,
        lineno=lineno,
        time=head.time if head is not None and head.time is not None else prev.time,
        uptime=head.uptime if head is not None and head.uptime is not None else prev.uptime,
        host=prev.host,
        facility=prev.facility,
        priority=prev.priority,
        driver=prev.driver,
        device=prev.device,
        pci=prev.pci,
        continuation=True,
        is_kernel=prev.is_kernel,
    )
