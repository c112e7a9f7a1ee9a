"""The kernel log store: every node's kernel lines, parsed, with hang episodes attached.

Physical lines go through one ``KernelLogReader`` and one ``HangDetector`` per node (the same
parsers ``labconsole scan`` uses). Each stored entry knows the hang episode it belongs to, so the
log view can fold a whole episode into one line. Memory is bounded: the store keeps the newest
``capacity`` entries and counts what it dropped; the full text stays in the recording or log file
on disk.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone

from labconsole.model.hang import HangEpisode
from labconsole.model.kernel_line import KernelLine
from labconsole.model.link import LinkEvent
from labconsole.parse.hang_detector import HangDetector
from labconsole.parse.kernel_reader import KernelLogReader
from labconsole.state.timeline import Severity

_ERROR_WORDS = ("hang", "timed out", "error", "fail", "bug:", "call trace")
_WARNING_WORDS = ("link is down", "warn", "disabled state", "reset adapter")


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One stored kernel line of one node."""

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
    seqs: list[int] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return episode_summary(self.episode)


def episode_summary(ep: HangEpisode) -> str:
    """``e1000e eno1 hang x 37, TDH stuck at <f6> since 06:19:02``."""
    what = "hang" if ep.kind == "unit_hang" else "tx timeout"
    text = f"{ep.driver} {ep.device} {what} x {ep.reports}"
    tdh = ep.registers.get("TDH")
    if ep.stuck and tdh:
        text += f", TDH stuck at <{tdh.strip('<>')}>"
    elif tdh:
        text += f", TDH <{tdh.strip('<>')}>"
    if ep.first is not None:
        text += f" since {ep.first:%H:%M:%S}"
    elif ep.first_uptime is not None:
        text += f" since [{ep.first_uptime:.1f}]"
    return text


def aware(t: datetime | None) -> datetime | None:
    """Times without a zone are taken as UTC so that all times on screen compare."""
    if t is None or t.tzinfo is not None:
        return t
    return t.replace(tzinfo=timezone.utc)


def line_severity(line: KernelLine, in_episode: bool) -> Severity:
    """Severity for colour: syslog priority where the format carries one, else the words."""
    if in_episode:
        return "error"
    if line.priority is not None:
        level = line.priority % 8
        return "error" if level <= 3 else "warning" if level == 4 else "info"
    text = line.message.lower()
    if any(w in text for w in _ERROR_WORDS):
        return "error"
    if any(w in text for w in _WARNING_WORDS):
        return "warning"
    return "info"


@dataclass(slots=True)
class StoreChange:
    """What one ``add`` did: new entries, episodes opened or grown, link events seen."""

    entries: list[LogEntry] = field(default_factory=list)
    opened: list[EpisodeRef] = field(default_factory=list)
    grown: list[EpisodeRef] = field(default_factory=list)
    links: list[tuple[str, LinkEvent]] = field(default_factory=list)


class _NodeLog:
    """Parser state of one node's stream."""

    def __init__(self, year: int) -> None:
        self.reader = KernelLogReader(default_year=year)
        self.detector = HangDetector()
        self.refs: dict[int, EpisodeRef] = {}  # by index in detector.episodes
        self.reports: dict[int, int] = {}
        self.links_seen = 0
        self.current: EpisodeRef | None = None


class KernelLogStore:
    """Bounded store of parsed kernel lines of every node, plus their hang episodes."""

    def __init__(self, capacity: int = 200_000) -> None:
        if capacity <= 0:
            raise ValueError(f"capacity must be positive, got {capacity}")
        self.capacity = capacity
        self.entries: deque[LogEntry] = deque(maxlen=capacity)
        self.episodes: list[EpisodeRef] = []
        self.dropped = 0
        self.errors: list[str] = []
        self._seq = 0
        self._nodes: dict[str, _NodeLog] = {}

    @property
    def nodes(self) -> list[str]:
        return sorted(self._nodes)

    @property
    def first_seq(self) -> int:
        return self.entries[0].seq if self.entries else self._seq + 1

    def add(self, node: str, text: str, at: datetime) -> StoreChange:
        """Feed one physical line received from ``node`` at ``at``."""
        log = self._nodes.get(node)
        if log is None:
            log = self._nodes[node] = _NodeLog(at.year)
        change = StoreChange()
        before = len(log.reader.errors)
        for line in log.reader.feed(text):
            self._add_line(node, log, line, at, change)
        for err in log.reader.errors[before:]:
            self.errors.append(f"{node}: {err}")
        return change

    def _add_line(self, node: str, log: _NodeLog, line: KernelLine, at: datetime,
                  change: StoreChange) -> None:
        log.detector.feed(line)
        ref = self._episode_change(node, log, change)
        if ref is None and line.continuation and log.current is not None:
            ref = log.current
        log.current = ref
        for link in log.detector.links[log.links_seen:]:
            change.links.append((node, link))
        log.links_seen = len(log.detector.links)
        self._seq += 1
        if ref is not None:
            ref.last_seq = self._seq
            ref.seqs.append(self._seq)
        entry = LogEntry(seq=self._seq, node=node, line=line,
                         at=aware(line.time) or at,
                         severity=line_severity(line, ref is not None),
                         episode_id=None if ref is None else ref.id)
        if len(self.entries) == self.capacity:
            self.dropped += 1
        self.entries.append(entry)
        change.entries.append(entry)

    def _episode_change(self, node: str, log: _NodeLog,
                        change: StoreChange) -> EpisodeRef | None:
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
                                 first_seq=self._seq + 1, last_seq=self._seq + 1)
                log.refs[index] = ref
                self.episodes.append(ref)
                change.opened.append(ref)
            else:
                ref.episode = ep
                change.grown.append(ref)
            found = ref
        return found

    def episode(self, episode_id: int) -> EpisodeRef:
        return self.episodes[episode_id]
