"""The kernel log store: every node's kernel lines, parsed, with hang episodes attached.

Physical lines go through one ``KernelLogReader`` and one ``HangDetector`` per node (the same
parsers ``labconsole scan`` uses). Each stored entry knows the hang episode it belongs to, so the
log view can fold a whole episode into one line.

Memory is bounded: the store keeps the newest ``capacity`` entries as objects; each older one is
spilled to a ``LineArchive`` (a temporary file, mmap-read) and stays readable by sequence number
through ``entry(seq)``. What filtering needs without reading text (node, time, episode) is kept
per line in compact arrays (16 bytes a line), so a node or time-window query over the archived
part never touches the disk; only a text filter or search reads the archived lines back.

Memory stays flat however long a flood lasts: only the newest ``history`` lines stay readable
(``DEFAULT_HISTORY``); the index entries and archive records of older ones are forgotten (the
spill file gives their disk blocks back where the system can), and every view cuts their rows.
"""

from __future__ import annotations

import re
from array import array
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from labconsole.incident.facts import Fact
from labconsole.incident.wording import hang_words
from labconsole.model import timefmt
from labconsole.model.hang import HangEpisode
from labconsole.model.kernel_line import KernelLine
from labconsole.model.link import LinkEvent
from labconsole.parse.hang_detector import HangDetector
from labconsole.parse.kernel_reader import KernelLogReader
from labconsole.state.line_archive import (
    ArchiveError,
    LineArchive,
    decode_line,
    encode_line,
    iso,
    timestamp,
)
from labconsole.state.timeline import Severity

_ERROR_WORDS = ("hang", "timed out", "error", "fail", "bug:", "call trace")
_WARNING_WORDS = ("link is down", "warn", "disabled state", "reset adapter")
_ERROR_RE = re.compile("|".join(map(re.escape, _ERROR_WORDS)))
_WARNING_RE = re.compile("|".join(map(re.escape, _WARNING_WORDS)))
# Either list's words: most lines hold none, and one search tells so.
_SEVERITY_RE = re.compile("|".join(map(re.escape, _ERROR_WORDS + _WARNING_WORDS)))
# A plain ``journalctl -k -o short-iso`` line of printable ASCII (the reader's checked ISO
# shape; the same pattern as the scan's ``_PLAIN_KERNEL``): ``KernelLogReader.feed_kernel``
# reads it by a shorter road with the same answer. Most lines of a flood are such lines.
_PLAIN_KERNEL = re.compile(
    r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?) "
    r"([A-Za-z0-9][\w.-]*) kernel: (?![\[\s])[ -~]{0,4000}", re.ASCII)


@dataclass(slots=True)  # immutable by convention (one per line: frozen's __init__ costs 2x)
class LogEntry:
    """One stored kernel line of one node. Never changed once stored, and not hashable."""

    seq: int
    node: str
    line: KernelLine
    at: datetime
    severity: Severity
    episode_id: int | None = None


@dataclass(slots=True)
class EpisodeRef:
    """A hang episode as the log pane shows it: which node, which lines."""

    id: int
    node: str
    episode: HangEpisode
    first_seq: int
    last_seq: int
    seqs: array[int] = field(default_factory=lambda: array("Q"))  # 8 bytes a line
    # When its first line arrived: its time where the lines carry none (dmesg uptime only).
    opened_at: datetime | None = None

    @property
    def summary(self) -> str:
        return episode_summary(self.episode)


def episode_summary(ep: HangEpisode) -> str:
    """``e1000e eno1 hang x 37, TDH stuck at <f6> since 06:19:02``: the folded episode's line
    (the timeline and reports say the same without the time: ``wording.hang_words``)."""
    text = hang_words(ep)
    if ep.first is not None:
        text += f" since {timefmt.clock(ep.first)}"
    elif ep.first_uptime is not None:
        text += f" since [{ep.first_uptime:.1f}]"
    return text


def episode_fact(ref: EpisodeRef, fallback: datetime) -> Fact:
    """The typed fact of an episode as it stands (its verbatim lines are read from the store
    when a report needs them: ``incident.from_state``)."""
    ep = ref.episode
    first = aware(ep.first) or fallback
    last = aware(ep.last) or first + _uptime_span(ep)
    return Fact(at=first, kind="hang", node=ref.node, device=ep.device or None, until=last,
                hang=ep, source="kernel", episode_id=ref.id)


_ZERO = timedelta(0)


def _uptime_span(ep: HangEpisode) -> timedelta:
    """How long an episode whose lines carry no wall-clock time lasted, by the kernel's own
    uptime stamps (dmesg ``[ secs]``); zero without them."""
    if ep.first_uptime is None or ep.last_uptime is None:
        return _ZERO
    return timedelta(seconds=max(0.0, ep.last_uptime - ep.first_uptime))


def aware(t: datetime | None) -> datetime | None:
    """Every time in UTC (one zone in every view and fact): a time with a zone converted, one
    without a zone taken as UTC, so that all times on screen compare."""
    if t is None:
        return t
    if t.tzinfo is None:
        return t.replace(tzinfo=timezone.utc)
    return t if t.utcoffset() == _ZERO else t.astimezone(timezone.utc)


def line_severity(line: KernelLine, in_episode: bool) -> Severity:
    """Severity for colour: syslog priority where the format carries one, else the words."""
    if in_episode:
        return "error"
    if line.priority is not None:
        level = line.priority % 8
        return "error" if level <= 3 else "warning" if level == 4 else "info"
    text = line.message.lower()
    if _SEVERITY_RE.search(text) is None:
        return "info"
    if _ERROR_RE.search(text) is not None:
        return "error"
    if _WARNING_RE.search(text) is not None:
        return "warning"
    return "info"


def read_line(reader: KernelLogReader, text: str) -> list[KernelLine]:
    """``reader.feed(text)``, by the reader's shorter roads where they apply (a register line
    of the message before, a plain short-iso kernel line): the same lines either way, as the
    reader's ``feed_register``/``feed_kernel`` promise (they answer None when unsure)."""
    if text[:1] in (" ", "\t"):
        out = reader.feed_register(text)
        if out is not None:
            return out
    else:
        m = _PLAIN_KERNEL.fullmatch(text)
        if m is not None:
            out = reader.feed_kernel(text, m[1], m[2], text[m.end(2) + 9:])
            if out is not None:
                return out
    return reader.feed(text)


@dataclass(slots=True)
class StoreChange:
    """What one ``add`` did: new entries, episodes opened or grown, link events seen."""

    entries: list[LogEntry] = field(default_factory=list)
    opened: list[EpisodeRef] = field(default_factory=list)
    grown: list[EpisodeRef] = field(default_factory=list)
    links: list[tuple[str, LinkEvent]] = field(default_factory=list)
    resets: list[tuple[str, KernelLine]] = field(default_factory=list)  # reset, no hang open


class _NodeLog:
    """Parser state of one node's stream."""

    __slots__ = ("current", "detector", "ix", "reader", "refs", "reports", "time", "when",
                 "when_ts")

    def __init__(self, year: int, ix: int = 0) -> None:
        self.reader = KernelLogReader(default_year=year)
        self.detector = HangDetector()
        self.refs: dict[int, EpisodeRef] = {}  # by index in detector.episodes
        self.reports: dict[int, int] = {}
        self.current: EpisodeRef | None = None
        self.ix = ix  # the node's number in the store's per-line index
        # The last line time seen, and it in UTC and as epoch seconds: a log's lines share
        # their stamp (one a second), and the reader hands out one object per stamp.
        self.time: datetime | None = None
        self.when: datetime | None = None
        self.when_ts = 0.0

    def times(self, time: datetime) -> tuple[datetime, float]:
        """``aware(time)`` and its ``timestamp``, from the last line's where it is the same
        time object."""
        if time is not self.time:
            when = aware(time)
            assert when is not None
            self.time, self.when, self.when_ts = time, when, timestamp(when)
        return self.when, self.when_ts  # type: ignore[return-value]


# Lines kept as objects (about 650 bytes each, so ~33 MB); older ones cost ~40 bytes of index and
# are read back from the spill file (measured by bench/ui_memory.py).
DEFAULT_CAPACITY = 50_000
# Lines that stay readable at all (memory and spill file): the per-line index (16 bytes here,
# 8 in the archive, 12 in the pane's RowIndex, 4 per view showing them) of older ones is
# forgotten, so that memory stops growing with the lines taken in: about 40 MB at this bound,
# reached after 33 s of a 30,000 lines/s flood, after days of an ordinary node's log.
DEFAULT_HISTORY = 1_000_000


class KernelLogStore:
    """Bounded store of parsed kernel lines of every node, plus their hang episodes."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, *, spill: bool = True,
                 spill_dir: Path | str | None = None, history: int = DEFAULT_HISTORY) -> None:
        """``spill=False`` drops evicted lines instead of archiving them (then they are gone).
        ``history``: lines readable at most (at least ``capacity``); older ones are forgotten
        (``forgotten`` counts them), a sixteenth of it at a time."""
        if capacity <= 0:
            raise ValueError(f"capacity must be positive, got {capacity}")
        if history < capacity:
            raise ValueError(f"history ({history}) must hold at least capacity ({capacity})")
        self.capacity = capacity
        self.history = history
        self._slack = max(1, history // 16)
        self._base = 1  # the sequence number of the index's first line
        self.forgotten = 0
        self.entries: deque[LogEntry] = deque(maxlen=capacity)
        self.episodes: list[EpisodeRef] = []
        self.dropped = 0  # evicted from memory (archived, or lost when spilling is off/failed)
        self.errors: list[str] = []
        self.spill = spill
        self.spill_dir = spill_dir
        self.archive: LineArchive | None = None
        self._seq = 0
        self._nodes: dict[str, _NodeLog] = {}
        # Per line (index seq - _base): node number, time (epoch seconds), episode id or -1.
        self._node_names: list[str] = []
        self._node_ix: dict[str, int] = {}
        self._line_node = array("I")
        self._line_at = array("d")
        self._line_episode = array("i")

    @property
    def nodes(self) -> list[str]:
        return sorted(self._nodes)

    @property
    def first_seq(self) -> int:
        """Oldest line held in memory."""
        return self.entries[0].seq if self.entries else self._seq + 1

    @property
    def oldest_seq(self) -> int:
        """Oldest line that can still be read (from the archive, else from memory)."""
        return self.archive.base if self.archive is not None and len(self.archive) \
            else self.first_seq

    @property
    def last_seq(self) -> int:
        return self._seq

    @property
    def archived(self) -> int:
        return len(self.archive) if self.archive is not None else 0

    def close(self) -> None:
        """Delete the spill file (the store keeps working, without its archived part)."""
        if self.archive is not None:
            self.archive.close()
            self.archive = None

    # Cheap per-line facts (no disk) -------------------------------------------------------
    # A line forgotten (older than ``history``) that a view still holds until its next sync
    # (a frame drawn in between, a view built in a worker thread) reads as no node, the
    # oldest kept line's time and no episode: harmless, and cut at that sync.
    def node_of(self, seq: int) -> str:
        ix = seq - self._base
        return self._node_names[self._line_node[ix]] if ix >= 0 else ""

    def line_times(self) -> tuple[array[float], int] | None:
        """Every kept line's time (``time_of``) and the number of its first line."""
        return self._line_at, self._base

    def time_of(self, seq: int) -> float:
        """The line's time as epoch seconds."""
        ix = seq - self._base
        return self._line_at[ix if ix >= 0 else 0]

    def episode_of(self, seq: int) -> int | None:
        ix = seq - self._base
        eid = self._line_episode[ix] if ix >= 0 else -1
        return None if eid < 0 else eid

    def entry(self, seq: int) -> LogEntry:
        """Line ``seq``, from memory or read back from the archive (IndexError if gone)."""
        if seq > self._seq:
            raise IndexError(f"line {seq} does not exist yet (last is {self._seq})")
        if seq < self._base:
            raise IndexError(f"line {seq} is older than the {self.history:,} lines kept")
        first = self.first_seq
        if seq >= first:
            try:
                found = self.entries[seq - first]
            except IndexError:
                found = None
            if found is not None and found.seq == seq:
                return found
            # Evicted between the two reads (a view rebuilt in a worker thread while the
            # pipeline adds lines): eviction archives a line before it leaves memory.
        if self.archive is None or seq < self.archive.base:
            raise IndexError(f"line {seq} was dropped from memory and is not archived")
        f = self.archive.fields(seq)
        try:
            return LogEntry(seq=seq, node=f[0], at=datetime.fromisoformat(f[1]), severity=f[2],
                            episode_id=f[3], line=decode_line(f[4:]))
        except (IndexError, TypeError, ValueError) as exc:
            raise ArchiveError(f"archived line {seq} cannot be decoded: {exc}") from exc

    def shown_entry(self, seq: int) -> LogEntry:
        """``entry(seq)``, or a line saying why it cannot be read (never raises for a seq the
        view holds: a damaged spill file must not take the pane down)."""
        try:
            return self.entry(seq)
        except ArchiveError as exc:
            if not any(e.startswith("kernel log archive:") for e in self.errors):
                self.errors.append(f"kernel log archive: {exc}")
            text = f"<line {seq} cannot be read back from the archive: {exc}>"
        except IndexError as exc:  # dropped since the view last synced (spilling off)
            if not 1 <= seq <= self._seq:
                raise
            text = f"<{exc}>"
        at = datetime.fromtimestamp(self.time_of(seq), timezone.utc)
        return LogEntry(seq=seq, node=self.node_of(seq), at=at, severity="error",
                        line=KernelLine(raw=text, message=text),
                        episode_id=self.episode_of(seq))

    def raw(self, seq: int) -> str:
        """Just the text of line ``seq`` (what filters and searches match)."""
        if seq >= self.first_seq or self.archive is None:
            return self.shown_entry(seq).line.raw
        try:
            return str(self.archive.fields(seq)[4])
        except (ArchiveError, IndexError):
            return self.shown_entry(seq).line.raw

    def _evict(self, entry: LogEntry) -> None:
        self.dropped += 1
        if not self.spill:
            return
        try:
            if self.archive is None:
                self.archive = LineArchive(entry.seq, self.spill_dir)
            self.archive.append([entry.node, iso(entry.at), entry.severity,
                                 entry.episode_id, *encode_line(entry.line)])
        except OSError as exc:
            # Out of disk or no temp dir: keep going in memory only, and say so once.
            self.errors.append(f"kernel log archive stopped, older lines are lost: {exc}")
            self.spill = False

    def add(self, node: str, text: str, at: datetime,
            change: StoreChange | None = None) -> StoreChange:
        """Feed one physical line received from ``node`` at ``at``; what it did is added to
        ``change`` (a new one if None: a batch of lines passes one along)."""
        log = self._nodes.get(node)
        if log is None:
            log = self._nodes[node] = _NodeLog(at.year, self._node_number(node))
        if change is None:
            change = StoreChange()
        reader = log.reader
        before = len(reader.errors)
        for line in read_line(reader, text):
            self._add_line(node, log, line, at, change)
        if len(reader.errors) != before:
            for err in reader.errors[before:]:
                self.errors.append(f"{node}: {err}")
        return change

    def close_input(self, at: datetime) -> StoreChange:
        """End of the data (a replay or a report reached the end): read each stream's pending
        line and complete the hang report being collected, so the last episode is whole."""
        change = StoreChange()
        for node, log in self._nodes.items():
            for line in log.reader.close():
                self._add_line(node, log, line, at, change)
            log.detector.finish()
            for index, ref in log.refs.items():
                if index >= len(log.detector.episodes) - 8:
                    ref.episode = log.detector.episodes[index]
                    change.grown.append(ref)
        return change

    def _add_line(self, node: str, log: _NodeLog, line: KernelLine, at: datetime,
                  change: StoreChange) -> None:
        detector = log.detector
        resets = detector.unattached_resets
        # Only a line the detector reports an update for can open or grow an episode (every
        # change of an episode's report count is one) or be a link event.
        updated = bool(detector.feed(line))
        if detector.unattached_resets > resets and line.device:
            change.resets.append((node, line))
        ref = self._episode_change(node, log, change, at) if updated else None
        if ref is None and line.continuation and log.current is not None:
            ref = log.current
        log.current = ref
        if updated and detector.links:
            # Taken and forgotten (as ``FileLogStore._add_line``): the detector would keep every
            # link event of a live stream forever; the state keeps what it needs.
            for link in detector.links:
                change.links.append((node, link))
            detector.links.clear()
        self._seq += 1
        if ref is not None:
            ref.last_seq = self._seq
            ref.seqs.append(self._seq)
        if line.time is not None:
            when, when_ts = log.times(line.time)
        else:
            when, when_ts = at, timestamp(at)
        entry = LogEntry(self._seq, node, line, when, line_severity(line, ref is not None),
                         None if ref is None else ref.id)
        self._line_node.append(log.ix)
        self._line_at.append(when_ts)
        self._line_episode.append(-1 if ref is None else ref.id)
        if len(self.entries) == self.capacity:
            self._evict(self.entries[0])
        self.entries.append(entry)
        change.entries.append(entry)
        if self._seq - self._base >= self.history + self._slack:
            self._forget(self._seq - self.history + 1)

    def _forget(self, oldest: int) -> None:
        """Forget every line before ``oldest`` (all archived: history >= capacity): their
        index entries and archive records. The arrays shrink by a memmove, a sixteenth of the
        history at a time, so that costs a few bytes moved per line taken in."""
        cut = oldest - self._base
        del self._line_node[:cut]
        del self._line_at[:cut]
        del self._line_episode[:cut]
        self._base = oldest
        self.forgotten += cut
        if self.archive is not None:
            self.archive.drop_before(oldest)

    def _episode_change(self, node: str, log: _NodeLog, change: StoreChange,
                        at: datetime) -> EpisodeRef | None:
        """The episode this line opened or added a report to, if any."""
        found: EpisodeRef | None = None
        episodes = log.detector.episodes
        # Only the newest episodes can change: reports extend the open one of each device.
        start = max(0, len(episodes) - 8)
        for index in range(start, len(episodes)):
            ep = episodes[index]
            known = log.reports.get(index)
            if known == ep.reports:
                continue
            log.reports[index] = ep.reports
            ref = log.refs.get(index)
            if ref is None:
                ref = EpisodeRef(id=len(self.episodes), node=node, episode=ep,
                                 first_seq=self._seq + 1, last_seq=self._seq + 1,
                                 opened_at=at)
                log.refs[index] = ref
                self.episodes.append(ref)
                change.opened.append(ref)
            else:
                ref.episode = ep
                change.grown.append(ref)
            found = ref
        return found

    def _node_number(self, node: str) -> int:
        """The node's number in the per-line index (``node_of``)."""
        ix = self._node_ix.get(node)
        if ix is None:
            ix = self._node_ix[node] = len(self._node_names)
            self._node_names.append(node)
        return ix

    def episode(self, episode_id: int) -> EpisodeRef:
        return self.episodes[episode_id]
