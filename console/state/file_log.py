"""The kernel log store of a replayed plain file: its lines stay in the file.

``KernelLogStore`` keeps each line it is given as a parsed object (the newest 50,000 in memory,
older ones spilled to its own archive). A replayed file already is such an archive: here the
store's line numbers are the file's own (``FileLines``: an mmap and 8 bytes of offset a line),
a line is read and parsed only when it is drawn, searched or filtered, and what the log pane
needs of every line without reading it is kept in two compact arrays: its node (2 bytes) and
its hang episode (4 bytes). 1M lines cost about 14 MB, not 450.

Only the lines that can state a fact (``sources.file_view`` finds them a block at a time) are
fed through ``add``, with the file's line number set first (``expect``), by the same readers,
hang detectors and episode bookkeeping as the in-memory store; every other line is skipped as
``labconsole scan`` skips it (the reader forgets its continuation context over a gap). Lines
are "settled" up to where that pass has gone: their node and episode are final; the rows of
the rest are shown unfolded until the pass reaches them.

A line's node is the host of its syslog/ISO header (lines without one keep the previous
line's), read per block by ``assign_nodes``; its time is read from the line when asked
(``time_of``), the previous timed line's where it has none.
"""

from __future__ import annotations

import re
from array import array
from collections import OrderedDict
from datetime import datetime, timezone
from functools import lru_cache
from typing import ClassVar

from labconsole.config.node_names import NodeNames
from labconsole.model.kernel_line import KernelLine
from labconsole.model.timefmt import YEAR_UNKNOWN, from_uptime
from labconsole.parse.content_time import own_time
from labconsole.parse.hang_detector import LinkChanged
from labconsole.parse.kernel_line import parse_line_head, register_pairs
from labconsole.parse.syslog_header import parse_iso_time
from labconsole.state.file_lines import FileLines
from labconsole.state.kernel_log import (
    EpisodeRef,
    KernelLogStore,
    LogEntry,
    StoreChange,
    _NodeLog,
    line_severity,
    read_line,
)
from labconsole.state.line_archive import timestamp
from labconsole.state.log_index import CODE, RowIndex

# The host of a line whose header is an ISO stamp (journalctl -o short-iso, rsyslog) or an
# RFC 3164 stamp (syslog, journalctl short), as ``parse_syslog_header`` reads it for these.
HOST_HEAD = re.compile(
    rb"^(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S*|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) "
    rb"([A-Za-z0-9][\w.-]{0,252}) ",
    re.M,
)
_STAMP = rb"(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S*|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) "


# A header after a newline ("\n" first, not "^" with MULTILINE: 3x faster in Python's regex
# engine), naming any host / a host other than the given one.
_ANY_HOST = re.compile(rb"\n" + _STAMP + rb"([A-Za-z0-9][\w.-]{0,252}) ")


@lru_cache(maxsize=64)
def _other_host(host: str) -> re.Pattern[bytes]:
    return re.compile(rb"\n" + _STAMP + rb"(?!" + re.escape(host.encode()) +
                      rb" )([A-Za-z0-9][\w.-]{0,252}) ")


_STAMP_AT_START = re.compile(_STAMP)
_ISO_AT_START = re.compile(
    rb"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?) ")
_ISO_CHECKS = 64  # lines whose ISO time is checked against own_time's
_SETTLE_SPAN = 10_000_000  # an episode spanning more lines than this is not looked back for
_LOOK_BACK = 64  # lines searched back for the time of a line that carries none
_CACHE = 8192
_TIMES_BLOCK = 50_000  # lines read at once by line_times
_MISS = object()
_DIGITS = b"0123456789"


def _parsed(stamp: bytes) -> float | None:
    when = parse_iso_time(stamp.decode())
    return None if when is None else timestamp(when)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class FileLogStore(KernelLogStore):
    """``KernelLogStore`` over the lines of one file (see the module docstring)."""

    def __init__(self, lines: FileLines, *, fallback_node: str, year: int | None = None,
                 names: NodeNames | None = None) -> None:
        super().__init__(spill=False)
        self.lines = lines
        self.fallback_node = fallback_node
        self.year = year
        self.names = names
        self.settled = 0  # lines whose node and episode are final
        self._bumps = 0
        self.progress: str | None = None  # "indexing 40%", "facts 43%" (the pane's title)
        self._expect = 0
        self._fed: dict[str, int] = {}  # node -> the last line its reader was given
        self._node_arr = array("H")
        self._episode_arr = array("i")
        self._host: str | None = None  # the host carried over to lines without a header
        self.last_continuation = False
        self._entries: OrderedDict[int, LogEntry] = OrderedDict()
        self._times: OrderedDict[int, float | None] = OrderedDict()
        self._line_times: array[float] | None = None
        self._last_time = float("nan")  # datetime_of's last answer
        self._last_datetime = _EPOCH
        self._pair_cache: dict[bytes, tuple[tuple[str, str], ...] | None] = {}
        self._stamp_times: dict[bytes, float | None] = {}
        self._iso_trusted = True
        self._iso_checks = 0
        self._seen: set[str] = set()  # nodes of the lines assigned so far
        self._node_id(fallback_node)

    # What the pane and the row index read --------------------------------------------------
    @property
    def generation(self) -> int:
        """Moves when rows already built may have changed: lines indexed, or ``touch``."""
        return self._bumps * (1 << 40) + self.lines.count

    def touch(self) -> None:
        """Rows built so far are out of date (lines settled: their episodes are known)."""
        self._bumps += 1

    def episode_lines_between(self, first: int, last: int) -> list[int]:
        """The lines ``first..last`` that belong to an episode, in order."""
        from bisect import bisect_left, bisect_right

        found: list[int] = []
        for ref in reversed(self.episodes):
            if ref.last_seq < first:
                if ref.first_seq < first - _SETTLE_SPAN:
                    break  # episodes start in line order; none before can reach ``first``
                continue
            seqs = ref.seqs
            found.extend(seqs[bisect_left(seqs, first):bisect_right(seqs, last)])
        found.sort()
        return found

    @property
    def nodes(self) -> list[str]:
        return sorted(self._seen or {self._guess_node})

    @property
    def last_seq(self) -> int:
        return self.lines.count

    @property
    def first_seq(self) -> int:
        return 1

    @property
    def oldest_seq(self) -> int:
        return 1

    @property
    def archived(self) -> int:
        """Every line is read back from disk (the file itself)."""
        return self.lines.count

    lazy_times = True  # time_of reads the line: a time window over many lines is slow
    row_index_class: ClassVar[type[RowIndex]]  # FileRowIndex, below

    def close(self) -> None:
        self.lines.close()

    def node_of(self, seq: int) -> str:
        if seq <= len(self._node_arr):
            return self._node_names[self._node_arr[seq - 1]]
        return self._guess_node

    def episode_of(self, seq: int) -> int | None:
        if seq <= len(self._episode_arr):
            eid = self._episode_arr[seq - 1]
            return None if eid < 0 else eid
        return None

    def time_of(self, seq: int) -> float:
        for back in range(seq, max(0, seq - _LOOK_BACK), -1):
            if not self.lines.ready(back):
                continue
            t = self._own_time(back)
            if t is not None:
                return t
        return 0.0

    def datetime_of(self, seq: int, raw: bytes) -> datetime:
        """``time_of(seq)`` as an aware datetime, ``raw`` being line ``seq``'s bytes (its own
        time read from them, no read of the file; the same datetime for a run of lines of
        one second, as a busy log has)."""
        t = self._raw_time(raw)
        if t is None:
            t = self.time_of(seq)
        if t != self._last_time:
            self._last_time = t
            self._last_datetime = datetime.fromtimestamp(t, timezone.utc)
        return self._last_datetime

    def _own_time(self, seq: int) -> float | None:
        t = self._times.get(seq, _MISS)  # get: a worker thread may evict meanwhile
        if t is not _MISS:
            return t  # type: ignore[return-value]
        t = self._raw_time(self.lines.raw(seq))
        self._times[seq] = t
        if len(self._times) > _CACHE:
            self._times.popitem(last=False)
        return t

    def _raw_time(self, raw: bytes) -> float | None:
        """The time a line (its bytes, no line end) carries itself, None if none."""
        iso = _ISO_AT_START.match(raw)
        if iso is not None and b"CEF:" not in raw and self._iso_checked():
            # What own_time finds in such a line (the header parsers' own ISO reader).
            if self._iso_checks < _ISO_CHECKS:
                self._iso_checks += 1
                when = parse_iso_time(iso[1].decode())
                t = None if when is None else timestamp(when)
                if t != self._parse_time(raw):
                    self._iso_trusted = False
                    t = self._parse_time(raw)
                return t
            return self._iso_time(iso[1])
        stamp = _STAMP_AT_START.match(raw)
        if stamp is not None and b"CEF:" not in raw:
            # The same stamp, the same time (a busy log has hundreds of lines a second).
            found = self._stamp_times.get(stamp[0], _MISS)
            if found is not _MISS:
                return found  # type: ignore[return-value]
            t = self._stamp_times[stamp[0]] = self._parse_time(raw)
            if len(self._stamp_times) > _CACHE:
                self._stamp_times.clear()
            return t
        return self._parse_time(raw)

    def _iso_time(self, stamp: bytes) -> float | None:
        """``timestamp(parse_iso_time(stamp))`` of an ``_ISO_AT_START`` stamp, from its
        minute's start (parsed once a minute: a 1M-line log has a new second every few lines)
        plus its seconds, by the same integer arithmetic as ``datetime.timestamp``."""
        sec = int(stamp[17:19])
        rest = stamp[19:]
        frac = b""
        if rest[:1] == b".":
            end = 1
            while end < len(rest) and rest[end] in _DIGITS:
                end += 1
            frac, rest = rest[1:end], rest[end:]
        key = stamp[:16] + rest
        base = self._stamp_times.get(key, _MISS)
        if base is _MISS:
            when = parse_iso_time((stamp[:16] + b":00" + rest).decode())
            base = self._stamp_times[key] = None if when is None else int(timestamp(when))
            if len(self._stamp_times) > _CACHE:
                self._stamp_times.clear()
        if base is None or sec > 59:  # not a time (as parse_iso_time says)
            return None if base is None else _parsed(stamp)
        whole = base + sec  # type: ignore[operator]
        if not frac:
            return float(whole)
        return (whole * 1_000_000 + int(frac[:6].ljust(6, b"0"))) / 1_000_000

    def line_times(self) -> tuple[array[float], int] | None:
        """Every line's ``time_of`` in one array (line 1 first), None until the file is
        indexed. Read once, a block of lines at a time (8 bytes a line, kept: the next jump
        to a time is one pass at C speed); call it off the UI thread the first time."""
        if self._line_times is None and self.lines.done:
            self._line_times = self._read_times()
        return None if self._line_times is None else (self._line_times, 1)

    def _read_times(self) -> array[float]:
        times = array("d")
        lines = self.lines
        last_at, last_seq = 0.0, -_LOOK_BACK  # the last line with its own time
        seq = 1
        while seq <= lines.count:
            stop = min(lines.count, seq + _TIMES_BLOCK - 1)
            data = lines.block(lines.start_of(seq), lines.start_of(stop + 1))
            for raw in data.split(b"\n")[:stop - seq + 1]:
                t = self._raw_time(raw.rstrip(b"\r"))
                if t is not None:
                    last_at, last_seq = t, seq
                times.append(last_at if seq - last_seq < _LOOK_BACK else 0.0)
                seq += 1
        return times

    def _iso_checked(self) -> bool:
        """The ISO shortcut gives own_time's answers here (checked on the first lines)."""
        return self._iso_trusted

    def _parse_time(self, raw: bytes) -> float | None:
        own = own_time(raw.decode("utf-8", errors="replace"))
        t: float | None = None
        if own.time is not None:
            when = own.time
            if own.yearless:
                when = when.replace(year=self.year or YEAR_UNKNOWN)
            t = timestamp(when)
        elif own.uptime is not None:
            t = timestamp(from_uptime(own.uptime))
        return t

    def entry(self, seq: int) -> LogEntry:
        if not 1 <= seq <= self.lines.count:
            raise IndexError(f"line {seq} is not in the file (1..{self.lines.count})")
        if not self.lines.ready(seq):  # scrolled up while the index is being built
            text = f"<line {seq}: indexing the file, {self.lines.progress:.0%}>"
            return LogEntry(seq=seq, node=self.node_of(seq), at=_EPOCH, severity="info",
                            line=KernelLine(raw=text, message=text, lineno=seq))
        eid = self.episode_of(seq)
        found = self._entries.get(seq)
        if found is not None and found.episode_id == eid:
            return found
        text = self.lines.text(seq)
        head = parse_line_head(text, default_year=self.year or YEAR_UNKNOWN)
        line = KernelLine(raw=text, message=head.message, lineno=seq, time=head.time,
                          uptime=head.uptime, host=head.host, facility=head.facility,
                          priority=head.priority, is_kernel=head.is_kernel,
                          headed=head.headed)
        at = datetime.fromtimestamp(self.time_of(seq), timezone.utc)
        found = LogEntry(seq=seq, node=self.node_of(seq), line=line, at=at,
                         severity=line_severity(line, eid is not None), episode_id=eid)
        self._entries[seq] = found
        if len(self._entries) > _CACHE:
            self._entries.popitem(last=False)
        return found

    def shown_entry(self, seq: int) -> LogEntry:
        return self.entry(seq)

    def raw(self, seq: int) -> str:
        return self.lines.text(seq) if self.lines.ready(seq) else ""

    # What the facts pass writes -----------------------------------------------------------
    def _node_id(self, node: str) -> int:
        ix = self._node_ix.get(node)
        if ix is None:
            ix = self._node_ix[node] = len(self._node_names)
            self._node_names.append(node)
        return ix

    @property
    def _guess_node(self) -> str:
        return self._host_node(self._host) if self._host else self.fallback_node

    def _host_node(self, host: str | None) -> str:
        if host is None:
            return self.fallback_node
        return self.names.for_host(host) if self.names is not None else host

    def assign_nodes(self, block: bytes, first: int, count: int) -> None:
        """The node of each of the ``count`` lines in ``block`` (lines ``first``...), in order.

        One regex search per change of host (a header naming another host than the current
        one), so a one-host file costs one pass of the regex engine over it."""
        if first != len(self._node_arr) + 1:
            raise ValueError(f"nodes assigned out of order: line {first} after "
                             f"{len(self._node_arr)}")
        done = 0  # lines of the block assigned
        pos = 0  # where to look for the next header ("\n" before it; 0: the block's start)
        while done < count:
            found = self._next_host(block, pos)
            if found is None:
                break
            at, host = found
            line = min(count, block.count(b"\n", 0, at))  # lines before the header's line
            self._fill(self._guess_node, line - done)
            self._host = host
            self._fill(self._guess_node, 1)
            done = line + 1
            pos = block.find(b"\n", at)
            if pos < 0:
                break
        self._fill(self._guess_node, count - done)

    def _next_host(self, block: bytes, pos: int) -> tuple[int, str] | None:
        """The start of the next line from ``pos`` whose header names another host than the
        current one (any host while there is none), and that host."""
        if pos == 0:
            m = HOST_HEAD.match(block)
            if m is not None and m[1].decode() != self._host:
                return 0, m[1].decode()
        pattern = _ANY_HOST if self._host is None else _other_host(self._host)
        m = pattern.search(block, pos)
        return None if m is None else (m.start() + 1, m[1].decode())

    def _fill(self, node: str, n: int) -> None:
        if n <= 0:
            return
        self._seen.add(node)
        self._node_arr.extend(array("H", [self._node_id(node)]) * n)

    def settle(self, upto: int) -> None:
        """Lines up to ``upto`` have been through the facts pass: their rows are final."""
        missing = upto - len(self._episode_arr)
        if missing > 0:
            self._episode_arr.extend(array("i", [-1]) * missing)
        self.settled = max(self.settled, upto)

    def expect(self, seq: int) -> None:
        """The next ``add`` is line ``seq`` of the file."""
        self._expect = seq

    def add(self, node: str, text: str, at: datetime,
            change: StoreChange | None = None) -> StoreChange:
        """Feed line ``expect``-ed of ``node`` (see ``KernelLogStore.add``)."""
        seq = self._expect
        log = self._nodes.get(node)
        if log is None:
            log = self._nodes[node] = _NodeLog(at.year)
        if self._fed.get(node) != seq - 1:
            log.reader.forget()  # lines of the file were skipped: no continuation over them
        self._fed[node] = seq
        log.reader.lineno = seq - 1  # so the reader numbers the line as the file does
        if change is None:
            change = StoreChange()
        before = len(log.reader.errors)
        self.last_continuation = False
        for line in read_line(log.reader, text):
            self._add_line(node, log, line, at, change)
            self.last_continuation = line.continuation
        if len(log.reader.errors) != before:
            for err in log.reader.errors[before:]:
                self.errors.append(f"{node}: {err}")
        return change

    def add_registers(self, node: str, first: int, raws: list[bytes]) -> bool | None:
        """The register lines ``first...`` of the hang report ``node``'s reader is in (raw
        bytes: indented printable ASCII without a clock, as ``sources.file_view`` cuts them):
        what ``add`` of each would do, in one step (``HangDetector.register_lines``). Returns
        whether the report closed (the lines after them continue nothing), or None with
        nothing done when that is not certain (then feed them one by one)."""
        log = self._nodes.get(node)
        if log is None or self._fed.get(node) != first - 1 \
                or log.reader.register_block_head() is None:
            return None
        cache = self._pair_cache  # most lines of a storm were seen before: no call then
        closed = bool(log.detector.register_lines(
            [cache[raw] if raw in cache else self._pairs(raw) for raw in raws]))
        n = len(raws)
        log.reader.count_continuations(n)
        last = first + n - 1
        self._fed[node] = last
        self.last_continuation = True
        ref = log.current
        if ref is not None:
            ref.seqs.extend(range(first, last + 1))
            ref.last_seq = last
            self.settle(last)
            self._episode_arr[first - 1:last] = array("i", [ref.id]) * n
        return closed

    def _pairs(self, raw: bytes) -> tuple[tuple[str, str], ...] | None:
        """``register_pairs`` of one register line, remembered (a storm repeats them)."""
        found = self._pair_cache.get(raw, _MISS)
        if found is _MISS:
            pairs = register_pairs(raw.decode("ascii").strip())
            found = None if pairs is None else tuple(pairs)
            if len(self._pair_cache) >= _CACHE:
                self._pair_cache.clear()
            self._pair_cache[raw] = found
        return found  # type: ignore[return-value]

    def _add_line(self, node: str, log: _NodeLog, line: KernelLine, at: datetime,
                  change: StoreChange) -> None:
        """``KernelLogStore._add_line`` numbered by the file, keeping no line object."""
        seq = line.lineno
        detector = log.detector
        resets = detector.unattached_resets
        # Only a line the detector reports an update for can open or grow an episode or be
        # a link event (as in ``KernelLogStore._add_line``); a link change alone changes no
        # episode's report count (only ``EpisodeOpened``/``EpisodeUpdated`` come with one).
        updates = detector.feed(line)
        updated = bool(updates)
        if detector.unattached_resets > resets and line.device:
            change.resets.append((node, line))
        self._seq = seq - 1  # an episode opened here starts at this line
        ref = self._episode_change(node, log, change, at) if updated and (
            len(updates) > 1 or type(updates[0]) is not LinkChanged) else None
        if ref is None and line.continuation and log.current is not None:
            ref = log.current
        log.current = ref
        if updated and detector.links:
            # Taken and forgotten: the detector would keep every one (95k link events of a
            # busy node, 19 MB with their strings and times), the state keeps what it needs.
            for link in detector.links:
                change.links.append((node, link))
            detector.links.clear()
        self._seq = seq
        if ref is not None:
            self._join(ref, seq)
        when = at if line.time is None else log.times(line.time)[0]
        change.entries.append(LogEntry(seq, node, line, when,
                                       line_severity(line, ref is not None),
                                       None if ref is None else ref.id))

    def _join(self, ref: EpisodeRef, seq: int) -> None:
        ref.last_seq = seq
        if not ref.seqs or ref.seqs[-1] != seq:  # glued lines share their physical line
            ref.seqs.append(seq)
        self.settle(seq)
        self._episode_arr[seq - 1] = ref.id


class FileRowIndex(RowIndex):
    """``RowIndex`` of a ``FileLogStore``: settled lines are indexed as the store's lines
    are; the lines the facts pass has not reached yet follow as plain rows (one ``range``)."""

    store: FileLogStore
    last: int
    taken: int

    def _reset(self) -> None:
        super()._reset()
        self.taken = 0
        # _plain[i] == i + 1: the codes of lines that fold nothing, copied by slices (memcpy)
        # instead of an ``array.extend`` of a ``range`` (an int object a line: 40 ms per
        # 1M lines, at each of the pane's rebuilds during the facts pass).
        self._plain = array(CODE)

    def _lines(self, start: int, stop: int) -> array[int]:
        """The codes of lines ``start..stop - 1`` (no episode)."""
        plain = self._plain
        if len(plain) < stop - 1:
            plain.extend(range(len(plain) + 1, max(stop - 1, self.store.last_seq) + 1))
        return plain[start - 1:stop - 1]

    def sync(self) -> None:
        """Take in the newly settled lines: those of one node outside any episode as whole
        ranges (slices of ``_plain``: C speed), the others one by one."""
        store = self.store
        first, last = self.taken + 1, store.settled
        if last >= first and len(store.nodes) == 1:
            node = store.node_of(first)
            pos = first
            seqs = store.episode_lines_between(first, last)
            ids = store._episode_arr
            i, n = 0, len(seqs)
            while i < n:  # runs of consecutive lines of one episode (a register block)
                start = seqs[i]
                eid = ids[start - 1]
                j = i + 1
                while j < n and seqs[j] == start + (j - i) and ids[seqs[j] - 1] == eid:
                    j += 1
                self._extend(node, pos, start)
                pos = seqs[j - 1] + 1
                self._take_run(node, eid, start, pos)
                i = j
            self._extend(node, pos, last + 1)
        else:
            for seq in range(first, last + 1):
                self._take(seq, store.node_of(seq), store.episode_of(seq))
        self.taken = max(self.taken, last)
        self.last = max(self.last, store.last_seq)
        if self.taken >= self.last and store.lines.done:
            self._plain = array(CODE)  # every line settled: rows() needs it no more

    def _take_run(self, node: str, eid: int, start: int, stop: int) -> None:
        """``_take`` of lines ``start..stop - 1``, all of episode ``eid``, in one step."""
        if eid not in self.head:
            self._take(start, node, eid)
            start += 1
        self.opened.extend(self._lines(start, stop))

    def _extend(self, node: str, start: int, stop: int) -> None:
        """Lines ``start..stop - 1`` of ``node``, none in an episode."""
        if stop <= start:
            return
        folded = self.folded.get(node)
        if folded is None:
            folded = self.folded[node] = array(CODE)
            self.episodes[node] = set()
        lines = self._lines(start, stop)
        folded.extend(lines)
        self.folded[None].extend(lines)
        self.opened.extend(lines)

    def episode_lines(self, eid: int) -> list[int]:
        return [s for s in self.store.episode(eid).seqs if s <= self.taken]

    def rows(self, node: str | None, expanded: set[int]) -> tuple[array[int], set[int]]:
        codes, eps = super().rows(node, expanded)
        if self.taken < self.last and (node is None or node == self.store.node_of(self.last)):
            tail = self._lines(self.taken + 1, self.last + 1)  # (``codes`` is a new array)
            codes.extend(tail if codes.typecode == tail.typecode else tail.tolist())
        return codes, eps


FileLogStore.row_index_class = FileRowIndex
