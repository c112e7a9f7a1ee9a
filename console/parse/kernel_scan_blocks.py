"""The kernel log scan of :func:`~labconsole.parse.kernel_scan.scan_kernel_lines`, fed binary
blocks instead of decoded lines: the same result, several times faster on big files.

The line scan already parses only lines holding a keyword, but it still pays about 2 us per
physical line to decode it and test it in Python. Here a block of whole lines is searched for
all keywords in one Hyperscan pass where that library is installed, else with one ``bytes.find``
per keyword (both in C, at memory speed); the lines between two hits are only
counted (``bytes.count``) and their kernel prefixes matched with one multiline regex. A hit line
and the continuation lines after it are decoded exactly as the opener does (``surrogateescape``,
trailing ``\\r\\n`` stripped) and fed to the same :class:`KernelLogReader` and
:class:`HangDetector` with the same follow/skip rules, so episodes, links, errors and their line
numbers are identical.

Lines holding ``divert_word`` (``CEF:`` for ``labconsole scan``) are offered to a ``divert``
callback first; a line it takes is removed from the kernel stream, as if it was never there
(the line scan's caller filters them the same way before the kernel scan sees them).

Keyword tests on bytes equal the line scan's tests on text because every keyword is ASCII and
neither UTF-8 nor ``surrogateescape`` ever maps other bytes to ASCII characters.
"""

from __future__ import annotations

import operator
import re
import sys
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import cast

from labconsole.model.kernel_line import KernelLine
from labconsole.model.link import LinkEvent
from labconsole.parse.corosync_log import WORDS as QUORUM_WORDS
from labconsole.parse.corosync_log import QuorumLineScan
from labconsole.parse.fast_head import stamp_shape
from labconsole.parse.fast_quorum_line import FastQuorumLines
from labconsole.parse.hang_detector import FINAL_REGISTERS, UNIT_HANG_MARKERS
from labconsole.parse.kernel_journal import EXPORT_START, plain_kernel_fields
from labconsole.parse.kernel_line import netdev_fields, register_pairs, split_dmesg_stamp
from labconsole.parse.kernel_reader import KernelLogReader, glued_record, might_continue
from labconsole.parse.kernel_scan import (
    FOLLOW_MAX,
    FOLLOW_WORDS,
    HIT_WORDS,
    KernelScanResult,
    ScanSinks,
    take_quorum,
)
from labconsole.parse.link_lines import LinkOnly, link_only
from labconsole.parse.scan_facts import FactSink
from labconsole.parse.syslog_header import parse_iso_time

BLOCK_SIZE = 1 << 20
HIT_KEYWORDS: tuple[bytes, ...] = tuple(w.encode() for w in HIT_WORDS)
QUORUM_KEYWORDS: tuple[bytes, ...] = tuple(w.encode() for w in QUORUM_WORDS)
# The first bytes of the corosync words (no default keyword starts with one of them).
_QUORUM_INITIALS = frozenset(k[0] for k in QUORUM_KEYWORDS)
# kernel_scan._kernelish per line, on bytes. At most one match per line: both branches are
# anchored at a line start and a match never crosses a newline.
KERNELISH = re.compile(rb'^(?:\[|kernel: )|^[^\n]*?(?: kernel: |: kern:|"kernel")', re.M)

# A run of the indented lines of a register block, as ``KernelBlockScan`` takes them in one
# step: after the indent, printable ASCII only (decoding is then the identity and ``strip``
# leaves text), shorter than the reader's line limit; ``_RUNS[k]`` takes at most k lines (what
# is left of the follow budget), compiled the first time it is asked for (a scan uses a few of
# the FOLLOW_MAX + 1: compiling them all cost every start a few milliseconds).


class _RunPatterns(dict[int, "re.Pattern[bytes]"]):
    """``k`` -> the pattern of a run of at most ``k`` register lines (0: matches nothing)."""

    def __missing__(self, k: int) -> re.Pattern[bytes]:
        assert 0 <= k <= FOLLOW_MAX
        pattern = re.compile(rb"(?:[ \t]+[!-~][\t -~]{0,4000}\n){1,%d}" % k if k
                             else rb"(?!)")
        self[k] = pattern
        return pattern


_RUNS = _RunPatterns()
# KernelLogReader.feed_register's own test: a clock in a line may be a glued second header.
_CLOCK = re.compile(rb"\d\d:\d\d:\d\d")
# The same clock found from its first colon (searched from 2 bytes later, it finds one where
# ``_CLOCK`` does): a pattern starting with a literal is searched several times faster.
_CLOCK_COLON = re.compile(rb":(?<=\d\d:)\d\d:\d\d")
# A plain ``journalctl -o short-iso`` kernel line of printable ASCII: FastHeads' ISO shape, the
# message not starting with a space or a dmesg stamp.
_PLAIN_STAMP = rb"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?) "
_PLAIN_HOST = rb"([A-Za-z0-9][\w.-]*) kernel: (?![\[\s])"
_PLAIN_KERNEL = re.compile(_PLAIN_STAMP + _PLAIN_HOST + rb"([ -~]{0,4000})\n")
# ``_PLAIN_KERNEL`` in two steps, for ``KernelBlockScan._plain_link``: the stamp and its
# space, then the text after it. Neither the stamp nor the host holds a space, so a line
# matches ``_PLAIN_KERNEL`` exactly when its stamp matches ``_PLAIN_STAMP_SP`` and the rest
# ``_PLAIN_REST``, with the same groups.
_PLAIN_STAMP_SP = re.compile(_PLAIN_STAMP)
_PLAIN_REST = re.compile(_PLAIN_HOST + rb"([ -~]{0,4000})\n")
# The same with a message starting with "[" (a firewall's "[FW-DROP] IN=..."): the reader
# reads it the long way, as a plain record unless the bracket is a dmesg stamp.
_BRACKET_KERNEL = re.compile(_PLAIN_STAMP + rb"([A-Za-z0-9][\w.-]*) kernel: (\[[ -~]{0,4000})\n")
# A ``journalctl -o json`` entry whose fields are all plain strings: printable ASCII without
# a quote or backslash (the JSON text is then the value itself), no space between tokens.
_JSON_VALUE = rb'"[ !#-\[\]-~]*"'
_FLAT_JSON = re.compile(
    rb'\{"[A-Za-z0-9_]+":' + _JSON_VALUE + rb'(?:,"[A-Za-z0-9_]+":' + _JSON_VALUE + rb')*\}\n')
MAX_FLAT_JSON = 16384
# What ``KernelBlockScan._json_link`` reads of an entry, in this order (``plain_kernel_fields``).
_JSON_READ = (b"MESSAGE", b"_TRANSPORT", b"SYSLOG_IDENTIFIER", b"__REALTIME_TIMESTAMP",
              b"_SOURCE_MONOTONIC_TIMESTAMP", b"_HOSTNAME")
MAX_JSON_SHAPES = 64  # key sequences learned per scan (a regex compiled for each)
# The commonest register line, ``  NAME   <VALUE>``, whose ``register_pairs`` is plainly
# ``((NAME, VALUE),)``: a one-word name, a value without space, angle bracket or colon (a
# storm's time_stamp and jiffies lines are new text in every report and miss the cache).
_SIMPLE_REGISTER = re.compile(rb"[ \t]+([A-Za-z_][\w.]{0,63})[ \t]{1,64}<([!-9;=?-~]{0,64})>")
# A whole e1000e "Detected Hardware Unit Hang" report in one match: any head line holding
# the marker (its stamp and host captured where it is a plain short-iso kernel line: the
# ``_PLAIN_KERNEL`` shape), then its standard register lines in e1000e's order, each
# indented, plain, without a clock and ending in a bare newline (``_fast_report``). Names in
# ``_E1000E_SIMPLE``
# are ``_SIMPLE_REGISTER`` lines (their pairs are read from the match); the others are
# captured whole and read by ``_register_pairs`` (constant text in a storm: a cache hit).
_E1000E_SIMPLE = (b"TDH", b"TDT", b"next_to_use", b"next_to_clean", b"time_stamp",
                  b"next_to_watch", b"jiffies", b"next_to_watch.status")
_E1000E_LINES = (b"TDH", b"TDT", b"next_to_use", b"next_to_clean", None, b"time_stamp",
                 b"next_to_watch", b"jiffies", b"next_to_watch.status", b"MAC Status",
                 b"PHY Status", b"PHY 1000BASE-T Status", b"PHY Extended Status",
                 b"PCI Status")
# Where the regex engine has them (Python 3.11), each register line is an atomic group and
# its blanks (``[ \t]{1,64}``, always followed by a name or "<") possessive, spaces tried
# first: the same matches and groups (a line matches one way only), 20% faster (a run of one
# character is stepped over faster than a class), and no step back into a line taken.
if sys.version_info >= (3, 11):
    _BLANKS, _ATOM = rb"(?: {1,64}+|[ \t]{1,64}+)", rb"(?>%b)"
else:  # pragma: no cover
    _BLANKS, _ATOM = rb"[ \t]{1,64}", rb"(?:%b)"
# The status lines come last, one after the other: captured as one group (their text with
# the newlines between them), for fewer groups to build and a shorter cache key.
_E1000E_STATUS = 9  # where they start in _E1000E_LINES


def _e1000e_line(name: bytes | None) -> bytes:
    if name is None:
        return rb"(" + _BLANKS + rb"buffer_info\[next_to_clean\]:)"
    value = rb"<([0-9a-fA-F]{1,16})>" if name in _E1000E_SIMPLE else rb"<[0-9a-fA-F]{1,16}>"
    return _BLANKS + re.escape(name) + _BLANKS + value


_E1000E_REPORT = re.compile(
    rb"(?:" + _PLAIN_STAMP + _PLAIN_HOST + rb"[ -~]{0,4000}?|[^\n]{0,4000}?)"
    rb"Detected Hardware Unit Hang:?\n"
    + b"".join(_ATOM % (_e1000e_line(name) + b"\n")
               for name in _E1000E_LINES[:_E1000E_STATUS])
    + rb"(" + b"\n".join(_ATOM % _e1000e_line(name)
                         for name in _E1000E_LINES[_E1000E_STATUS:]) + rb")\n")
_E1000E_REGISTERS = len(_E1000E_LINES)
_HEAD_GROUPS = 2  # the head's stamp and host come first in the match's groups
_NAMES = {name: name.decode() for name in _E1000E_SIMPLE}
_E1000E_VALUES_AT = tuple(i for i, name in enumerate(_E1000E_LINES, _HEAD_GROUPS)
                          if name in _E1000E_SIMPLE)
# _fast_report reads the value lines' groups at these places of ``m.groups()``, the
# buffer_info line at 6 and the status lines at 11 (``_TAIL_LINES``).
if (_E1000E_VALUES_AT != (2, 3, 4, 5, 7, 8, 9, 10) or _E1000E_REPORT.groups != 12
        or _E1000E_LINES[4] is not None
        or set(_E1000E_LINES[_E1000E_STATUS:]) & set(_E1000E_SIMPLE)):  # pragma: no cover
    raise ImportError("_E1000E_LINES changed: change _fast_report's registers to match")
_TAIL_LINES = operator.itemgetter(6, 11)
_E1000E_VALUE_NAMES = tuple(_NAMES[name] for name in _E1000E_LINES if name in _NAMES)
MAX_CACHED_PAIRS = 4096  # register lines remembered (a storm repeats all but its counters)
# What a short-iso stamp may hold (``_PLAIN_KERNEL``): a keyword starting with none of these
# cannot start inside the stamp, so the words of a line are those of its text after it.
_STAMP_BYTES = frozenset(b"0123456789-T:.+Z")
MAX_CACHED_LINE = 256  # longer lines are never register lines (register_pairs: 200 chars)
_MISS = object()
_BLANK_BYTES = (0x20, 0x09)  # what every line of a register run starts with (``_RUNS``)
# A stamp's two digits of seconds -> their time past the minute (none for 60-99).
_SECOND_DELTAS = {b"%02d" % second: timedelta(seconds=second) for second in range(60)}

# What ``KernelBlockScan._plain_text`` finds in a plain short-iso kernel line's text after
# its stamp: the host, the message, its netdev_fields, whether ``_fast_head`` may take it as
# a unit hang report head, and whether the reader reads it alike after any line
# (``_reads_alone``).
_Plain = tuple[str, str, tuple[str | None, str | None, str | None], bool, bool]

# ``KernelBlockScan._fast_link``'s reading of a link line: host, link_only, time, uptime.
_LinkLine = tuple[str | None, LinkOnly, datetime | None, float | None]
# A JSON entry key sequence's regex and the groups of the _JSON_READ values in it.
_JsonShape = tuple[re.Pattern[bytes], tuple[int, ...]]

# Called with a decoded line holding ``divert_word`` and its 1-based physical line number;
# returns True when it took the line (it then never reaches the kernel scan).
Divert = Callable[[str, int], bool]


def decode_line(raw: bytes) -> str:
    """One physical line as :meth:`labconsole.scan.opener.OpenedInput.lines` yields it."""
    return raw.decode("utf-8", errors="surrogateescape").rstrip("\r\n")


class _Finder:
    """The next keyword position in a block. One ``bytes.find`` per keyword, each remembered
    until passed: ``find`` runs at memory speed in C, while an alternation regex
    (``Hang|WATCHDOG|..``) steps through every byte in the regex engine (5x slower here)."""

    __slots__ = ("block", "end", "keywords", "next")

    def __init__(self, block: bytes, start: int, end: int, keywords: tuple[bytes, ...]) -> None:
        self.block = block
        self.end = end
        self.keywords = keywords
        self.next = [block.find(k, start, end) for k in keywords]

    def search(self, pos: int) -> int:
        """Start of the first keyword at or after ``pos`` (and before ``end``), or -1."""
        best = -1
        nxt = self.next
        for i, at in enumerate(nxt):
            if 0 <= at < pos:
                at = nxt[i] = self.block.find(self.keywords[i], pos, self.end)
            if at >= 0 and (best < 0 or at < best):
                best = at
        return best

    def another(self, at: int, end: int) -> bool:
        """Does a keyword other than the one at ``at`` (the last :meth:`search`'s answer)
        start before ``end``? (None starts between that search's ``pos`` and ``at``.)"""
        return 0 <= self.search(at + 1) < end


class _Hits:
    """:class:`_Finder`'s answers from the keyword starts in the block, in line order."""

    __slots__ = ("at", "i")

    def __init__(self, starts: list[int]) -> None:
        self.at = starts
        self.i = 0

    def search(self, pos: int) -> int:
        at, i = self.at, self.i
        while i < len(at) and at[i] < pos:
            i += 1
        self.i = i
        return at[i] if i < len(at) else -1

    def another(self, at: int, end: int) -> bool:
        """:meth:`_Finder.another`. The starts of one line's keywords are next to each other
        in the list, in any order; those before the last :meth:`search`'s answer are all
        before its ``pos``."""
        i = self.i + 1
        return i < len(self.at) and self.at[i] < end


class _MultiSearch:
    """All keywords in one pass with Hyperscan (a SIMD multi-literal matcher): 0.05 s per
    100 MB for seven keywords where seven ``bytes.find`` passes take 0.3 s. Optional: where
    the ``hyperscan`` wheel is missing, :class:`_Finder` gives the same positions."""

    def __init__(self, keywords: tuple[bytes, ...]) -> None:
        import hyperscan  # optional dependency: make() falls back when it is missing

        self._lens = [len(k) for k in keywords]
        self._db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        self._db.compile(expressions=list(keywords), ids=list(range(len(keywords))),
                         elements=len(keywords), literal=True)

    @staticmethod
    def make(keywords: tuple[bytes, ...]) -> _MultiSearch | None:
        if not keywords:
            return None
        try:
            return _MultiSearch(keywords)
        except ImportError:
            return None

    def finder(self, block: bytes, start: int, end: int) -> _Hits:
        starts: list[int] = []
        lens = self._lens

        def hit(kw: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
            starts.append(start + to - lens[kw])  # literal: start = end - length

        # Any buffer is accepted (the stub says bytes/str): a view scans in place, no copy.
        view = cast(bytes, memoryview(block)[start:end])
        self._db.scan(view, match_event_handler=hit)
        # Reported by end offset, so two keywords of one line may come out of start order;
        # the scan takes the whole line at either, so the order within a line never matters.
        return _Hits(starts)


class KernelBlockScan:
    """Feed the input's bytes in chunks of any size, in order, then :meth:`finish`.

    Lines holding ``divert_word`` go to ``divert`` first (see :data:`Divert`).
    ``multi_search`` uses Hyperscan when it is installed (same result, faster).
    ``lines`` counts every physical line fed so far (diverted ones too): it is what a caller
    reports when the input breaks off. ``exact_kernel_lines=False`` stops counting
    kernel-prefixed lines at the first one, for callers that only ask "is it a kernel log".
    ``on_fact`` gets every hang report and link event as it is found.

    For a scan of one part of a file (``labconsole.scan.parallel``): ``sinks`` replaces where
    the detector and the link events go, and ``mid_input`` says the first line fed is not the
    input's first line (which alone decides a journal export); :attr:`at_rest` says where a
    fresh scan started at the next line would read every later line the same way.
    """

    def __init__(self, *, default_year: int | None = None,
                 keywords: tuple[bytes, ...] = HIT_KEYWORDS,
                 divert: Divert | None = None, divert_word: bytes = b"CEF:",
                 divert_find: bytes | None = None,
                 divert_count: Callable[[bytes], int | None] | None = None,
                 exact_kernel_lines: bool = True,
                 multi_search: bool = True, quorum_facts: bool = True,
                 on_fact: FactSink | None = None, sinks: ScanSinks | None = None,
                 mid_input: bool = False) -> None:
        if not keywords:
            raise ValueError("the block scan needs at least one keyword")
        self.lines = 0
        self.diverted = 0
        # One regex search over a short line is 4x cheaper than a loop of ``in`` tests.
        self._is_hit = re.compile(b"|".join(re.escape(k) for k in keywords)).search
        # A register block follows only these hits (any hit, with keywords that name none).
        follow = [w.encode() for w in FOLLOW_WORDS if w.encode() in keywords]
        self._follows = re.compile(b"|".join(re.escape(k) for k in follow)) if follow else None
        self._divert = divert
        self._divert_word = divert_word
        # ``divert_count`` may answer ``divert`` for a line from its bytes (see _divert_line).
        self._divert_count = divert_count if divert is not None else None
        # ``divert_find`` may be a cheaper needle every line ``divert`` takes holds (a single
        # byte is found by memchr, several times faster than a 4-byte word); a line without
        # it is never offered to ``divert``.
        anchor = divert_find or divert_word
        # corosync / pmxcfs lines are found by their own words and go to ``_quorum`` only.
        quorum_words = QUORUM_KEYWORDS if quorum_facts else ()
        self._quorum_hit = (
            re.compile(b"|".join(re.escape(k) for k in quorum_words)).search
            if quorum_words else None
        )
        self._quorum = QuorumLineScan(default_year, on_fact=on_fact)
        # A line found by a corosync word and no other keyword goes to ``_quorum_line``;
        # only with the default keywords, none of which starts as a corosync word does.
        self._fast_quorum = (
            FastQuorumLines(self._quorum, re.compile(b"|".join(
                re.escape(k) for k in (*keywords, *((divert_word,) if divert else ()))
            )).search, self._stamp)
            if quorum_words and keywords == HIT_KEYWORDS
            and not _QUORUM_INITIALS & {anchor[0], divert_word[0]} else None)
        self._finder_words = keywords + quorum_words + ((anchor,) if divert is not None else ())
        # Hyperscan finds the divert word itself (one report per record, where the anchor
        # "|" made seven); the lines found are the same ones a line holding only "|" is
        # skipped in ``_line`` like any other.
        self._multi = _MultiSearch.make(
            keywords + quorum_words + ((divert_word,) if divert is not None else ())
        ) if multi_search else None
        self._exact = exact_kernel_lines
        # A line stating one link event and nothing else goes straight to the detector
        # (``_fast_link``); only with the default keywords, which every link line holds.
        self._fast_links = keywords == HIT_KEYWORDS
        # A whole e1000e hang report in one match (``_fast_report``): its head names a follow.
        self._fast_reports = self._fast_links
        # ... its head line read without ``_line`` (``_fast_head``), and the line before it
        # ended (``_reads_alone``): every quorum and divert word is then looked for in the
        # line's text after the stamp, once per text.
        self._fast_heads = not any(
            word[0] in _STAMP_BYTES for word in (*quorum_words, divert_word) if word)
        # Words anywhere in a line that make ``_line`` do more than read it: follow a
        # register block, a corosync fact, a diverted record.
        elsewhere = [*follow, *quorum_words, *((divert_word,) if divert is not None else ())]
        self._elsewhere = (re.compile(b"|".join(re.escape(k) for k in elsewhere)).search
                           if elsewhere else None)
        # ... found without a regex when the finder looks for every such word: a line whose
        # only keyword is its link word holds none (``_fast_link``).
        self._elsewhere_found = (divert is None or self._multi is not None
                                 or anchor == divert_word)
        self._links: dict[bytes, LinkOnly | None] = {}  # message -> link_only (bounded)
        # a plain link line's text after its stamp -> its host and link_only (bounded)
        self._link_texts: dict[bytes, tuple[str, LinkOnly] | None] = {}
        # JSON link entries' key sequences -> their regex and value groups (_json_link)
        self._json_shapes: dict[tuple[bytes, ...], _JsonShape] = {}
        self._last_shape: _JsonShape | None = None  # the last entry's
        # a fast link line the reader skipped: its block, start, end and line number
        self._pending: tuple[bytes, int, int, int] | None = None
        self._reader = KernelLogReader(default_year=default_year)
        self._sinks = ScanSinks(on_fact) if sinks is None else sinks
        self._detector = self._sinks.detector()
        # The detector's link_fields where it has one (a later part's detector traces the
        # calls of the one taken here: see labconsole.scan.parallel._PartDetector).
        self._link_fields: Callable[..., None] | None = getattr(
            self._detector, "link_fields", None)
        self._result = KernelScanResult()
        self._follow = 0
        self._skipped = True
        self._full = False  # journal export: every line is parsed
        self._first = not mid_input  # the first kernel line decides ``_full``
        self._carry: list[bytes] = []  # a line cut by a chunk's end, waiting for the rest
        # register line -> its register_pairs (a pure function of the text)
        self._pairs: dict[bytes, tuple[tuple[str, str], ...] | None] = {}
        # a report's whole-line register lines -> _e1000e_tail (bounded)
        self._tails: dict[tuple[bytes, ...], tuple[dict[str, str], bool] | None] = {}
        # a plain kernel line's text after its stamp -> _plain_text (bounded)
        self._plain: dict[bytes, _Plain] = {}
        # a short-iso stamp without its seconds -> its time at second 0, its shape (bounded)
        self._minutes: dict[bytes, tuple[datetime | None, str]] = {}
        self._last_stamp = b""  # _stamp's last question and answer
        self._last_time: tuple[datetime, str] | None = None

    def feed(self, chunk: bytes) -> None:
        """The next bytes of the input. Lines are scanned in place (no copy of the chunk);
        a line cut by the chunk's end waits, whole, for its newline."""
        start = 0
        if self._carry:
            nl = chunk.find(b"\n")
            if nl < 0:
                self._carry.append(chunk)
                return
            self._carry.append(chunk[: nl + 1])
            line = b"".join(self._carry)
            self._carry = []
            self._scan(line, 0, len(line))
            start = nl + 1
        cut = chunk.rfind(b"\n", start) + 1
        if cut > start:
            self._scan(chunk, start, cut)
        else:
            cut = start
        if cut < len(chunk):
            self._carry.append(chunk[cut:])

    @property
    def at_rest(self) -> bool:
        """The lines fed so far leave nothing the next line's reading depends on but facts:
        whole lines only, no register block followed, the last line skipped (so the reader
        forgets its context before the next one), no journal entry open. A scan started
        fresh (``mid_input``) at this point reads every later line as this one does."""
        return (self._follow == 0 and self._skipped and not self._full and not self._first
                and not self._carry and not self._reader.in_entry)

    def drop_partial(self) -> None:
        """Forget a line still waiting for its newline: the input broke off inside it (a
        truncated gzip), and a buffered line reader drops such a line too."""
        self._carry = []

    def _scan(self, block: bytes, pos: int, size: int) -> None:
        """The lines in ``block[pos:size]``: whole lines, or the input's last line."""
        finder: _Finder | _Hits = (
            _Finder(block, pos, size, self._finder_words) if self._multi is None
            else self._multi.finder(block, pos, size)
        )
        while pos < size:
            if self._follow or self._full or self._first:
                if self._follow and not (self._full or self._first):
                    # (A run starts with a blank: after a storm's report, mostly none.)
                    if block[pos] in _BLANK_BYTES:
                        after = self._register_run(block, pos, size, finder)
                        if after > pos:
                            pos = after
                            continue
                    end = block.find(b"\n", pos)
                    end = size if end < 0 else end + 1
                    # The next report of a storm, right after the last one's registers (a
                    # line holding "Hang" never ends a block in ``_end_of_block``).
                    if self._fast_reports and block.find(b"Unit Hang", pos, end) >= 0:
                        after = self._fast_report(block, pos, end, size, finder)
                    else:
                        after = self._end_of_block(block, pos, size, finder)
                    if after > pos:
                        pos = after
                        continue
                    self._line(block[pos:end])
                    pos = end
                    continue
                end = block.find(b"\n", pos)
                end = size if end < 0 else end + 1
                self._line(block[pos:end])
                pos = end
                continue
            at = finder.search(pos)
            start = size if at < 0 else max(pos, block.rfind(b"\n", pos, at) + 1)
            if start > pos:
                self._skip(block, pos, start)
                newlines = block.count(b"\n", pos, start)
                self.lines += newlines if block[start - 1] == 0x0A else newlines + 1
            if at < 0:
                return
            end = block.find(b"\n", at)
            end = size if end < 0 else end + 1
            if self._fast_reports and block.startswith(b"Hang", at):
                after = self._fast_report(block, start, end, size, finder)
                if after:
                    pos = after
                    continue
            # Only a line found by a link word ("Link is ", "link up", ...: "ink" after its
            # first letter) is tried: the corosync and CEF lines of a busy mix are not.
            if self._fast_links and block.startswith(b"ink", at + 1):
                if not self._fast_link(block, start, end, finder, at):
                    self._line(block[start:end])
            elif block[at] in _QUORUM_INITIALS and self._fast_quorum is not None:
                if not self._quorum_line(block, start, end):
                    self._line(block[start:end])
            elif self._divert_count is not None and block.startswith(self._divert_word, at):
                after = self._divert_run(block, start, end, size, finder)
                if after == start:
                    self._line(block[start:end])
                else:
                    end = after
            else:
                self._line(block[start:end])
            pos = end

    def finish(self) -> KernelScanResult:
        """End of input: scan the last line if it has no newline, flush the reader and the
        detector; the scan's result."""
        if self._carry:
            last = b"".join(self._carry)
            self._carry = []
            self._scan(last, 0, len(last))
        result = self._result
        tail = self._reader.close()
        if any(k.is_kernel for k in tail):
            result.kernel_lines += 1
        reports = self._sinks.hang_reports
        for k in tail:
            updates = self._detector.feed(k)
            if reports is not None and updates:
                reports.take(k, updates)
            if self._full:
                self._quorum.entry(k)
        self._detector.finish()
        result.lines = self.lines - self.diverted
        result.hangs = self._detector.episodes
        result.links = self._sinks.tally
        result.detached = self._detector.detached
        result.errors = self._reader.error_report()
        take_quorum(result, self._quorum)
        return result

    # -- internals -------------------------------------------------------------------------

    def _skip(self, block: bytes, pos: int, end: int) -> None:
        """Whole lines the kernel scan skips: only their kernel prefixes are counted."""
        result = self._result
        if self._exact:
            result.kernel_lines += len(KERNELISH.findall(block, pos, end))
        elif not result.kernel_lines and KERNELISH.search(block, pos, end):
            result.kernel_lines = 1
        self._skipped = True

    def _register_run(self, block: bytes, pos: int, size: int,
                      finder: _Finder | _Hits) -> int:
        """The register lines after a hang report, taken in one step: the same answer as
        :meth:`_line` on each, which would give each one to ``feed_register`` and the detector
        as a continuation of the report. Only lines every one of those steps takes the same
        way are taken (indented printable text without a keyword, quorum word, divert word or
        clock, while the reader continues a message); the rest go line by line. Returns where
        the run ends (``pos`` when there is none)."""
        m = _RUNS[self._follow].match(block, pos, size)
        if m is None:
            return pos
        end = m.end()
        # The finder knows every keyword, quorum word and divert anchor in the block.
        at = finder.search(pos)
        if 0 <= at < end:
            end = block.rfind(b"\n", pos, at) + 1
        head = self._reader.register_block_head() if end > pos else None
        if head is None:
            return pos
        lines = block[pos:end].split(b"\n")
        lines.pop()  # after the last newline
        known = self._pairs  # lines already seen, all without a clock
        pairs = []
        for i, line in enumerate(lines):
            found_pairs = known.get(line, _MISS)
            if found_pairs is _MISS:
                simple = _SIMPLE_REGISTER.fullmatch(line)
                if simple is None and _CLOCK.search(line) is not None:
                    end = pos + sum(len(taken) + 1 for taken in lines[:i])
                    del lines[i:]  # the run ends before this line
                    break
                found_pairs = self._register_pairs(line, simple)
            pairs.append(found_pairs)
        if not lines:
            return pos
        self._detector.register_lines(pairs)  # type: ignore[arg-type]
        n = len(lines)
        self.lines += n
        self._reader.count_continuations(n)
        self._follow -= n
        if head.is_kernel:
            self._result.kernel_lines += n
        return end

    def _fast_report(self, block: bytes, start: int, end: int, size: int,
                     finder: _Finder | _Hits) -> int:
        """A whole e1000e hang report at the hit line ``block[start:end]``, found by one
        :data:`_E1000E_REPORT` match: the head line is read by :meth:`_line` as any hit line
        (or by :meth:`_fast_head`), then its standard register lines are taken in one step,
        with the pairs read from the match, exactly as :meth:`_register_run` would take them
        (the same conditions: the reader continues the head, every line indented plain text
        without a clock, no keyword, quorum or divert word in them, enough follow budget).
        A head read by :meth:`_fast_head` goes to the detector with its registers in one
        call. Returns where what it took ends: 0 when the pattern does not match (nothing
        read), ``end`` when only the head was read (the scan goes on line by line, following
        the block)."""
        m = _E1000E_REPORT.match(block, start, size)
        if m is None:
            return 0
        stop = m.end()
        line = (self._fast_head(block, start, end, m)
                if self._fast_heads and m[1] is not None else None)
        if line is None:
            self._line(block[start:end])
            if self._follow < _E1000E_REGISTERS or self._full or self._first:
                return end
        # (After _fast_head the follow budget is whole, no journal export, not the first
        # line.) No keyword, quorum or divert word in the register lines:
        head = None if 0 <= finder.search(end) < stop else self._reader.register_block_head()
        if head is None:
            if line is not None:
                self._hang_head(line)
            return end
        g = m.groups()
        lines = _TAIL_LINES(g)
        try:
            tail = self._tails[lines]
        except KeyError:
            tail = self._e1000e_tail(lines)
        if tail is None:
            if line is not None:
                self._hang_head(line)
            self._detector.register_lines(self._e1000e_pairs(m))
        else:
            # The value lines' pairs (_E1000E_VALUE_NAMES, in order: checked at import),
            # then the others' (no name of theirs among the value lines').
            registers = {"TDH": g[2].decode(), "TDT": g[3].decode(),
                         "next_to_use": g[4].decode(), "next_to_clean": g[5].decode(),
                         "time_stamp": g[7].decode(), "next_to_watch": g[8].decode(),
                         "jiffies": g[9].decode(), "next_to_watch.status": g[10].decode()}
            registers.update(tail[0])
            if line is None:
                self._detector.report_registers(registers, tail[1])
            else:
                reports = self._sinks.hang_reports
                updates = self._detector.unit_hang_registers(line, registers, tail[1],
                                                             reports is not None)
                if reports is not None and updates:
                    reports.take(line, updates)
        n = _E1000E_REGISTERS
        self.lines += n
        self._reader.count_continuations(n)
        self._follow -= n
        if head.is_kernel:
            self._result.kernel_lines += n
        return stop

    def _hang_head(self, line: KernelLine) -> None:
        """A report head read by :meth:`_fast_head`, to the detector alone."""
        updates = self._detector.unit_hang(line)
        reports = self._sinks.hang_reports
        if reports is not None and updates:
            reports.take(line, updates)

    def _fast_head(self, block: bytes, start: int, end: int,
                   m: re.Match[bytes]) -> KernelLine | None:
        """The head line ``block[start:end]`` of a unit hang report (``m``, its
        :data:`_E1000E_REPORT` match, found it a plain short-iso kernel line), read as
        :meth:`_line` reads it when it is certainly a record the reader reads with
        ``feed_kernel`` (its text after the stamp checked once per text in
        :meth:`_plain_text`, the stamp's trust and time per line) and the detector takes as
        a unit hang report; not after a fast link line the reader has yet to read. Returns
        the record read, which the caller gives to the detector (``unit_hang``); ``None``,
        with nothing read, when it is not certain."""
        if self._pending is not None and not self._skipped:
            return None
        after = m.end(1)
        if end - after > MAX_CACHED_LINE:
            return None
        text = block[after:end]
        known = self._plain.get(text)
        if known is None:
            known = self._plain_text(text, m[2].decode(), block[m.end(2) + 9:end - 1].decode())
        host, message, fields, hang_head, _ = known
        if not hang_head:
            return None
        stamp = self._stamp(m[1])
        if stamp is None:
            return None
        time, shape = stamp
        reader = self._reader
        if not reader.trusts_kernel_shape(shape, host):
            return None
        self.lines += 1
        if self._skipped:
            reader.lineno = self.lines - self.diverted - 1
            reader.forget()
            self._skipped = False
            self._pending = None
        line = reader.feed_plain_kernel(block[start:end - 1].decode(), message, time, host,
                                        fields)
        self._follow = FOLLOW_MAX
        self._result.kernel_lines += 1
        return line

    def _reads_alone(self, block: bytes, start: int, end: int) -> bool:
        """Is the line ``block[start:end]`` read the same whatever line the reader read
        before it: a plain short-iso kernel record ``feed_kernel`` takes after any line (its
        stamp trusted and valid, the message neither glued nor register-like), without a
        divert word (a line the divert takes leaves the reader's context to the next)?"""
        plain = _PLAIN_KERNEL.match(block, start, end)
        if plain is None or plain.end() != end:
            return False
        after = plain.end(1)
        if end - after > MAX_CACHED_LINE:
            return False
        text = block[after:end]
        known = self._plain.get(text)
        if known is None:
            known = self._plain_text(text, plain[2].decode(), plain[3].decode())
        if not known[4]:
            return False
        stamp = self._stamp(plain[1])
        return stamp is not None and self._reader.trusts_kernel_shape(stamp[1], known[0])

    def _plain_text(self, text: bytes, host: str, message: str) -> _Plain:
        """:data:`_Plain` of a plain short-iso kernel line's ``text`` after its stamp (a
        pure function of it), remembered (bounded). It reads alone when ``feed_kernel``
        takes its message after any line (neither a glued record nor a register sign) and
        it holds no divert word; it is a fast report head when it also holds no quorum word
        and a unit hang marker."""
        alone = not (glued_record(host, message) or might_continue(message)
                     or (self._divert is not None and self._divert_word in text))
        hang_head = (alone and any(marker in message for marker in UNIT_HANG_MARKERS)
                     and (self._quorum_hit is None or self._quorum_hit(text) is None))
        known = (host, message, netdev_fields(message), hang_head, alone)
        if len(self._plain) >= MAX_CACHED_PAIRS:
            self._plain.clear()
        self._plain[text] = known
        return known

    def _stamp(self, stamp: bytes) -> tuple[datetime, str] | None:
        """``parse_iso_time`` of a ``_PLAIN_KERNEL`` stamp and its ``stamp_shape``, from
        those of its minute (:meth:`_minute`): only the seconds differ, digits both, and
        second 0 is valid wherever another second is. ``None`` where the stamp is not a
        valid time. The last answer is kept (the line after chatter is asked about twice)."""
        if stamp == self._last_stamp:
            return self._last_time
        base, shape = self._minutes.get(stamp[:17] + stamp[19:]) or self._minute(stamp)
        # base.replace(second=...), 20x cheaper: base is at second 0 (no carry); seconds
        # 60-99 are no time.
        delta = _SECOND_DELTAS.get(stamp[17:19])
        answer = None if base is None or delta is None else (base + delta, shape)
        self._last_stamp, self._last_time = stamp, answer
        return answer

    def _minute(self, stamp: bytes) -> tuple[datetime | None, str]:
        """The time at second 0 of a ``_PLAIN_KERNEL`` stamp's minute and its stamp shape
        (the same for every second), remembered under the stamp without its seconds (a
        storm's lines are seconds apart: each stamp new, its minute not)."""
        text = (stamp[:17] + b"00" + stamp[19:]).decode()
        found = (parse_iso_time(text), stamp_shape(text))
        if len(self._minutes) >= MAX_CACHED_PAIRS:
            self._minutes.clear()
        self._minutes[stamp[:17] + stamp[19:]] = found
        return found

    def _e1000e_tail(self, lines: tuple[bytes, ...]) -> tuple[dict[str, str], bool] | None:
        """The registers of a report's whole-line register lines (``_TAIL_LINES``: the
        buffer_info line, the status lines): their pairs in order, the first of a name kept
        (never to be changed: the caller copies them), and whether a final register is among
        them; remembered (a storm repeats them: the caller looks in ``_tails`` first).
        ``None`` where the value lines' pairs cannot simply come first: the buffer_info line
        holds a pair, a final register is not on the last line, or a
        ``Tx Queue`` or a value line's name is among them (then ``register_lines`` reads
        the lines in order)."""
        each = [self._register_pairs(line) or () for line in _whole_lines(lines)]
        names = [name for pairs in each for name, _ in pairs]
        final_at = [i for i, pairs in enumerate(each)
                    if any(name in FINAL_REGISTERS for name, _ in pairs)]
        first: dict[str, str] = {}
        for pairs in each:
            for name, value in pairs:
                first.setdefault(name, value)
        tail: tuple[dict[str, str], bool] | None = (first, bool(final_at))
        if (each[0] or "Tx Queue" in names or set(names) & set(_E1000E_VALUE_NAMES)
                or (final_at and final_at[0] != len(each) - 1)):
            tail = None
        if len(self._tails) >= MAX_CACHED_PAIRS:
            self._tails.clear()
        self._tails[lines] = tail
        return tail

    def _e1000e_pairs(self, m: re.Match[bytes]
                      ) -> list[tuple[tuple[str, str], ...] | None]:
        """``register_pairs`` of each register line of an :data:`_E1000E_REPORT` match."""
        known = self._pairs
        g = m.groups()
        values = iter(_E1000E_VALUES_AT)
        lines = iter(_whole_lines(_TAIL_LINES(g)))
        pairs: list[tuple[tuple[str, str], ...] | None] = []
        for name in _E1000E_LINES:
            if name in _E1000E_SIMPLE:
                pairs.append(((_NAMES[name], g[next(values)].decode()),))
            else:
                line = next(lines)
                found = known.get(line, _MISS)
                pairs.append(self._register_pairs(line) if found is _MISS
                             else cast(tuple[tuple[str, str], ...] | None, found))
        return pairs

    def _end_of_block(self, block: bytes, pos: int, size: int,
                      finder: _Finder | _Hits) -> int:
        """The line that ends a register block (the chatter after a hang report), when the
        line after it is skipped: :meth:`_line` would parse it only to find it continues
        nothing (so following stops) and close the report; what the reader keeps of it is
        forgotten at the skip. Taken only when certain: a plain kernel line of a checked
        shape (its message may start with a bracket that is no dmesg stamp), not read as a
        register line, no glued record, no keyword in it, none in the next line either
        unless that line is read alike with or without this one before it
        (:meth:`_reads_alone`: the next report's head of a storm). Returns where it ends
        (``pos`` when not taken)."""
        m = _PLAIN_KERNEL.match(block, pos, size) or _BRACKET_KERNEL.match(block, pos, size)
        if m is None:
            return pos
        end = m.end()
        at = finder.search(pos)
        after = block.find(b"\n", end)
        if 0 <= at < end or after < 0:
            return pos  # a keyword in it, or the next line not here
        if at <= after and not (self._fast_heads and self._reads_alone(block, end, after + 1)):
            return pos  # a keyword in the next line, which this line's context might change
        message = m.end(2) + 9  # after "HOST kernel: "
        if (block[end - 2:end - 1] == b">" or block.find(b">", message, end) >= 0
                or block.find(b"buffer_info", message, end) >= 0
                or block.find(b" kernel: ", message, end) >= 0):
            return pos  # might read as a register line, or hold a glued record
        host = m[2].decode()
        if block[message] == 0x5B or _CLOCK_COLON.search(block, message + 2, end) is not None:
            text = m[3].decode()
            if glued_record(host, text) or split_dmesg_stamp(text) is not None:
                return pos  # a glued record, or a dmesg stamp before the message
        reader = self._reader
        # trusts_kernel_head of the stamp: its shape (digits masked) is its minute's.
        stamp = m[1]
        shape = (self._minutes.get(stamp[:17] + stamp[19:]) or self._minute(stamp))[1]
        if not reader.trusts_kernel_shape(shape, host):
            return pos
        if self._detector.collecting:  # the report closes (no fact: only registers added)
            self._detector.finish()
        self.lines += 1
        self._result.kernel_lines += 1
        self._follow = 0
        reader.forget()
        self._skipped = True
        return end

    def _fast_link(self, block: bytes, start: int, end: int, finder: _Finder | _Hits,
                   at: int) -> bool:
        """The hit line ``block[start:end]`` (its first keyword at ``at``, a link word, the
        ``finder``'s last answer) when it states one link event and nothing else: the event
        goes straight to the detector, with the answer :meth:`_line` would give.
        Taken only when certain: a plain short-iso kernel line of a checked shape or a JSON
        journal entry of plain string fields, a message :func:`link_only` accepts, no follow,
        quorum or divert word in the line, no report being collected. The reader reads the
        line only if the next line is read with it as context (:meth:`_resume`; mostly the
        next line is skipped and the reader forgets it). False when not taken."""
        if self._detector.collecting:
            return False
        if (self._elsewhere is not None
                and (not self._elsewhere_found or finder.another(at, end))
                and self._elsewhere(block, start, end) is not None):
            return False
        event = (self._json_link(block, start, end) if block[start] == 0x7B  # "{"
                 else self._plain_link(block, start, end))
        if event is None:
            return False
        lineno = self.lines + 1 - self.diverted
        self.lines += 1
        self._result.kernel_lines += 1
        self._skipped = False
        self._pending = (block, start, end, lineno)
        host, (device, state, detail), time, uptime = event
        if self._link_fields is not None:
            self._link_fields(host, device, state, time, uptime, detail, lineno)
        else:
            self._detector.link_line(LinkEvent(device, state, time, host, uptime, detail,
                                               lineno))
        return True

    def _quorum_line(self, block: bytes, start: int, end: int) -> bool:
        """The hit line ``block[start:end]`` found by a corosync word, when it holds no
        keyword and no divert word (``FastQuorumLines`` refuses it then): :meth:`_line`
        would only give it to the corosync facts and skip it, which is done here without
        decoding it. False when not taken."""
        assert self._fast_quorum is not None
        if not self._fast_quorum.take(block, start, end, self.lines + 1):
            return False
        self.lines += 1
        self._skip(block, start, end)
        return True

    def _divert_run(self, block: bytes, start: int, end: int, size: int,
                    finder: _Finder | _Hits) -> int:
        """:meth:`_divert_line` of the hit line ``block[start:end]`` and of each next hit
        line found by the divert word, with the lines between skipped as :meth:`_scan` skips
        them (a CEF flood past the listed records, in one loop). Returns where the lines
        taken end: ``start`` when the first is not taken; a later line not taken is left
        to :meth:`_scan`, the lines before it skipped."""
        word = self._divert_word
        pos = start
        while self._divert_line(block[start:end]):
            pos = end
            at = finder.search(pos)
            if at < 0 or not block.startswith(word, at):
                break
            start = max(pos, block.rfind(b"\n", pos, at) + 1)
            if start > pos:
                self._skip(block, pos, start)
                newlines = block.count(b"\n", pos, start)
                self.lines += newlines if block[start - 1] == 0x0A else newlines + 1
                pos = start
            end = block.find(b"\n", at)
            end = size if end < 0 else end + 1
        return pos

    def _divert_line(self, raw: bytes) -> bool:
        """A hit line found by the divert word, when ``divert_count`` answers for it from its
        bytes (a CEF record past the listed ones: counted, not decoded): :meth:`_line` would
        give its text to ``divert``, which takes it, and stop there. False when not taken."""
        assert self._divert_count is not None
        if not self._divert_count(raw):
            return False
        self.lines += 1
        self.diverted += 1
        return True

    def _resume(self) -> None:
        """Read the last fast link line into the reader as :meth:`_line` would have, now
        that the line after it is read with it as the context: a record it might continue."""
        pending, self._pending = self._pending, None
        assert pending is not None
        block, start, end, lineno = pending
        raw = block[start:end]
        reader = self._reader
        reader.lineno = lineno - 1
        text = raw.decode("ascii")  # printable ASCII and its newline: _fast_link's shapes
        plain = _PLAIN_KERNEL.match(raw) if raw[0] != 0x7B else None
        if plain is None or reader.feed_kernel(text[:-1], plain[1].decode(), plain[2].decode(),
                                               text[plain.end(2) + 9:-1]) is None:
            reader.feed(text)

    def _plain_link(self, block: bytes, start: int, end: int) -> _LinkLine | None:
        """``_fast_link``'s event of a plain short-iso kernel line (``_PLAIN_KERNEL``), read
        as ``feed_kernel`` reads it; its text after the stamp is read once per text."""
        stamp = _PLAIN_STAMP_SP.match(block, start, end)
        if stamp is None:
            return None
        text = block[stamp.end():end]
        known = self._link_texts.get(text, _MISS)
        if known is _MISS:
            known = self._link_text(text)
        if known is None:
            return None
        host, found = cast(tuple[str, LinkOnly], known)
        # kernel_head_time(stamp, host), from the stamp's minute (a busy node's link lines
        # are seconds apart: most stamps are new)
        stamp_time = self._stamp(stamp[1])
        if stamp_time is None or not self._reader.trusts_kernel_shape(stamp_time[1], host):
            return None
        return host, found, stamp_time[0], None

    def _link_text(self, text: bytes) -> tuple[str, LinkOnly] | None:
        """The host and :func:`link_only` of a plain link line's ``text`` after its stamp,
        when it is ``_PLAIN_REST`` and states one link event; remembered when short."""
        rest = _PLAIN_REST.match(text)
        found = None if rest is None else self._link_only(rest[2])
        known = None if rest is None or found is None else (rest[1].decode(), found)
        if len(text) <= MAX_CACHED_LINE:
            if len(self._link_texts) >= MAX_CACHED_PAIRS:
                self._link_texts.clear()
            self._link_texts[text] = known
        return known

    def _json_link(self, block: bytes, start: int, end: int) -> _LinkLine | None:
        """``_fast_link``'s event of a ``journalctl -o json`` kernel entry of plain string
        fields, read as the reader reads it (the same fields ``json.loads`` gives: no escape,
        no other type, a duplicate key's last value): by the regex of the last entry's key
        sequence, else of its own (:meth:`_json_shape_of`)."""
        if end - start > MAX_FLAT_JSON:
            return None
        shape = self._last_shape
        m = None if shape is None else shape[0].match(block, start, end)
        if m is None or shape is None:
            shape = self._json_shape_of(block, start, end)
            if shape is None:
                return None
            m = shape[0].match(block, start, end)
            assert m is not None  # the regex of this entry's own keys
        message, transport, identifier, stamp, mono, host = m.group(*shape[1])
        if not message:
            return None
        found = self._links.get(message, _MISS)  # _link_only's cache, asked here first
        if found is _MISS:
            found = self._link_only(message)
        if found is None:
            return None
        entry = plain_kernel_fields(transport, identifier, stamp, mono, host)
        if entry is None:
            return None
        time, uptime, host_name = entry
        return host_name, cast(LinkOnly, found), time, uptime

    def _json_shape_of(self, block: bytes, start: int, end: int) -> _JsonShape | None:
        """The :func:`_json_shape` of the ``_FLAT_JSON`` entry ``block[start:end]``'s key
        sequence, learned (at most ``MAX_JSON_SHAPES``: past them, an entry of an unknown
        sequence goes the long way); ``None`` when it is not such an entry."""
        if _FLAT_JSON.match(block, start, end) is None:
            return None
        keys = tuple(_flat_items(block[start + 2:end - 3])[::2])
        shape = self._json_shapes.get(keys)
        if shape is None:
            if len(self._json_shapes) >= MAX_JSON_SHAPES:
                return None
            shape = self._json_shapes[keys] = _json_shape(keys)
        self._last_shape = shape
        return shape

    def _link_only(self, message: bytes) -> LinkOnly | None:
        """:func:`link_only` of a printable ASCII message, remembered."""
        found = self._links.get(message, _MISS)
        if found is _MISS:
            found = link_only(message.decode("ascii"))
            if len(message) <= MAX_CACHED_LINE:
                if len(self._links) >= MAX_CACHED_PAIRS:
                    self._links.clear()
                self._links[message] = found
        return cast(LinkOnly | None, found)

    def _register_pairs(self, line: bytes, simple: re.Match[bytes] | None = None
                        ) -> tuple[tuple[str, str], ...] | None:
        """``register_pairs`` of a register line without a clock, remembered; ``simple`` is
        its :data:`_SIMPLE_REGISTER` match, if any (the same pairs, read directly)."""
        if simple is not None:
            found: tuple[tuple[str, str], ...] | None = (
                (simple[1].decode(), simple[2].decode()),)
        else:
            pairs = register_pairs(line.decode("ascii").strip())
            found = None if pairs is None else tuple(pairs)
        if len(line) <= MAX_CACHED_LINE:  # bounded: 4096 keys of at most 256 bytes
            if len(self._pairs) >= MAX_CACHED_PAIRS:
                self._pairs.clear()
            self._pairs[line] = found
        return found

    def _line(self, raw: bytes) -> None:
        """One physical line (with its newline, if any): the line scan's loop body."""
        self.lines += 1
        text: str | None = None
        if self._divert is not None and self._divert_word in raw:
            text = decode_line(raw)
            if self._divert(text, self.lines):
                self.diverted += 1
                return
        if self._first:
            self._first = False
            self._full = raw.startswith(b"__") and EXPORT_START.match(decode_line(raw)) is not None
        if not self._full and self._quorum_hit is not None and self._quorum_hit(raw):
            text = decode_line(raw) if text is None else text
            self._quorum.line(text, self.lines)
        is_hit = self._is_hit(raw) is not None
        if not (self._full or self._follow or is_hit):
            self._skip(raw, 0, len(raw))
            return
        reader = self._reader
        if self._skipped:
            reader.lineno = self.lines - self.diverted - 1
            reader.forget()
            self._skipped = False
            self._pending = None
        elif self._pending is not None:
            self._resume()
        # The reader strips the line terminator itself.
        text = raw.decode("utf-8", "surrogateescape") if text is None else text
        out = reader.feed_register(text) if self._follow and not self._full else None
        if out is None and not self._full:
            plain = _PLAIN_KERNEL.match(raw)
            if plain is not None and len(plain[0]) == len(raw):
                message = raw[plain.end(2) + 9:-1].decode("ascii")
                out = reader.feed_kernel(raw[:-1].decode("ascii"), plain[1].decode(),
                                         plain[2].decode(), message)
        if out is None:
            out = reader.feed(text)
        if is_hit and (self._follows is None or self._follows.search(raw) is not None):
            self._follow = FOLLOW_MAX
        elif self._follow:
            self._follow = self._follow - 1 if out and out[-1].continuation else 0
        kernel = False
        feed = self._detector.feed
        reports = self._sinks.hang_reports
        for k in out:
            kernel = kernel or k.is_kernel
            updates = feed(k)
            if reports is not None and updates:
                reports.take(k, updates)
            if self._full:
                self._quorum.entry(k)
        if kernel:
            self._result.kernel_lines += 1


def _flat_items(inner: bytes) -> list[bytes]:
    """The keys and values of a :data:`_FLAT_JSON` entry given without its ``{"`` and
    ``"}\n``: ``KEY":"VALUE","KEY":"VALUE``, in order. As neither a key nor a value holds a
    quote, ``":"`` and ``","`` occur only between them: found by two byte operations."""
    return inner.replace(b'":"', b'","').split(b'","')


def _json_shape(keys: tuple[bytes, ...]) -> _JsonShape:
    """A regex matching exactly the :data:`_FLAT_JSON` entries whose keys are ``keys`` in
    this order, and the groups of the :data:`_JSON_READ` values in it: a key's last value
    (``json.loads`` keeps the last of a duplicate key), an empty group at the end for a key
    not there (``plain_kernel_fields`` reads an absent field and an empty one alike)."""
    last = {key: i for i, key in enumerate(keys)}
    body = _JSON_VALUE[1:-1]
    parts: list[bytes] = []
    group: dict[bytes, int] = {}
    for i, key in enumerate(keys):
        value = body
        if key in _JSON_READ and last[key] == i:
            group[key] = len(group) + 1
            value = b"(" + body + b")"
        parts.append(b'"' + re.escape(key) + b'":"' + value + b'"')
    absent = [key for key in _JSON_READ if key not in group]
    for key in absent:
        group[key] = len(group) + 1
    pattern = re.compile(b"\\{" + b",".join(parts) + b"\\}\n" + b"()" * len(absent))
    return pattern, tuple(group[key] for key in _JSON_READ)


def _whole_lines(tail: tuple[bytes, ...]) -> list[bytes]:
    """An e1000e report's whole-line register lines from its ``_TAIL_LINES`` groups (the
    buffer_info line, the status lines in one): each line, in order."""
    return [tail[0], *tail[1].split(b"\n")]


def scan_kernel_blocks(chunks: Iterable[bytes], *, default_year: int | None = None,
                       keywords: tuple[bytes, ...] = HIT_KEYWORDS,
                       exact_kernel_lines: bool = True,
                       multi_search: bool = True,
                       on_fact: FactSink | None = None) -> KernelScanResult:
    """:func:`~labconsole.parse.kernel_scan.scan_kernel_lines` over binary chunks of any size
    (a file's or a stream's reads): the same result. Read errors propagate."""
    scan = KernelBlockScan(default_year=default_year, keywords=keywords,
                           exact_kernel_lines=exact_kernel_lines, multi_search=multi_search,
                           on_fact=on_fact)
    for chunk in chunks:
        scan.feed(chunk)
    return scan.finish()
