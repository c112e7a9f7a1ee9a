"""Events -> facts, with the same parsers the console and ``labconsole scan`` use.

Kernel lines go through one ``KernelLogReader`` + ``HangDetector`` per node (hang episodes and
link changes); quorum snapshots are diffed per cluster (``votes_diff``); syslog text (or a
plain-file line) carrying CEF goes through ``parse_cef`` and is classified (``cef_class``);
connection changes become "lost"/"back" only on a real transition; operator actions become
action facts. Nothing is re-parsed by hand here.

Order: events are put in a canonical order first (time, then source and node, stable within one
stream), so two sources delivering lines of the same instant in either order give the same
facts. The order *within* one stream is kept: it carries meaning (a hang block's register lines
follow their header).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from labconsole.events import (
    ConnectionChange,
    Event,
    KernelText,
    NicText,
    OperatorAction,
    QuorumText,
    SyslogText,
)
from labconsole.incident.cef_class import cef_fact
from labconsole.incident.facts import ActionRecord, Fact, action_fact
from labconsole.incident.votes_diff import VotesDiff
from labconsole.model.hang import HangEpisode
from labconsole.model.kernel_line import KernelLine
from labconsole.parse.cef import CefParseError, find_cef, parse_cef
from labconsole.parse.hang_detector import (
    UNIT_HANG_MARKERS,
    WATCHDOG_MARKER,
    EpisodeOpened,
    EpisodeUpdated,
    HangDetector,
    LinkChanged,
)
from labconsole.parse.kernel_reader import KernelLogReader
from labconsole.parse.quorum import QuorumParseError, parse_quorum

MAX_BLOCK_LINES = 24  # verbatim lines kept of a hang's first report (header + registers)


def utc(t: datetime) -> datetime:
    """Naive times are taken as UTC, as the console does, so that all times compare."""
    return t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)


def canonical_order(events: Iterable[Event]) -> list[Event]:
    """Time, then (source, node): stable, so each stream keeps its own order."""
    return sorted(events, key=lambda e: (utc(e.at), e.source, e.node or ""))


@dataclass(slots=True)
class Extraction:
    """Facts in canonical order, plus what could not be read (one sentence each)."""

    facts: list[Fact] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    nodes: set[str] = field(default_factory=set)
    first: datetime | None = None
    last: datetime | None = None


@dataclass(slots=True)
class _Capture:
    """Verbatim lines of one episode: its first report block and its last report's header."""

    node: str
    first_block: list[str] = field(default_factory=list)
    last_header: str = ""
    open: bool = True


def _is_report(line: KernelLine) -> bool:
    """A hang report's first line (not a register line, not the block's closing)."""
    text = line.message
    return any(m in text for m in UNIT_HANG_MARKERS) or (WATCHDOG_MARKER in text
                                                         and "timed out" in text)


class _NodeKernel:
    """Reader and hang detector of one node's kernel stream."""

    def __init__(self, node: str, year: int) -> None:
        self.node = node
        self.reader = KernelLogReader(default_year=year)
        self.detector = HangDetector()
        self.captures: dict[int, _Capture] = {}  # id(HangEpisode) -> capture
        self.current: _Capture | None = None
        self.errors_seen = 0


class _Extractor:
    def __init__(self) -> None:
        self.out = Extraction()
        self.kernels: dict[str, _NodeKernel] = {}
        self.votes = VotesDiff()
        self.links: dict[tuple[str, str], str] = {}
        self.conns: dict[str, str] = {}
        self.actions: set[tuple[str, str, str, str, str]] = set()

    def feed(self, event: Event) -> None:
        at = utc(event.at)
        out = self.out
        out.first = at if out.first is None else min(out.first, at)
        out.last = at if out.last is None else max(out.last, at)
        if event.node:
            out.nodes.add(event.node)
        try:
            self._dispatch(event, at)
        except Exception as exc:  # one bad event must not lose the whole report
            out.errors.append(f"{at:%H:%M:%S} {event.source}: {type(exc).__name__}: {exc}")

    def _dispatch(self, event: Event, at: datetime) -> None:
        if isinstance(event, KernelText):
            if find_cef(event.text) >= 0:  # a CEF line in a plain syslog file
                self._cef(event.text, at, event.source)
            else:
                self._kernel(event, at)
        elif isinstance(event, SyslogText):
            if find_cef(event.text) >= 0:
                self._cef(event.text, at, event.source)
        elif isinstance(event, QuorumText):
            self._quorum(event, at)
        elif isinstance(event, NicText):
            if event.link in ("up", "down"):
                self._link(event.node or event.source, event.iface, event.link, at, (),
                           event.source)
        elif isinstance(event, ConnectionChange):
            self._conn(event, at)
        elif isinstance(event, OperatorAction):
            self.add_action(ActionRecord(
                at=at, runbook=event.runbook, step=event.step, command=event.command,
                result=event.status, node=event.node, exit_status=event.exit_status,
                output=event.output), event.source)

    def add_action(self, record: ActionRecord, source: str) -> None:
        key = record.dedup_key()
        if key not in self.actions:
            self.actions.add(key)
            self.out.facts.append(action_fact(record, source))

    # -- CEF ---------------------------------------------------------------------------------

    def _cef(self, text: str, at: datetime, source: str) -> None:
        try:
            rec = parse_cef(text, default_year=at.year)
        except CefParseError as exc:
            self.out.errors.append(f"{at:%H:%M:%S} {source}: CEF not understood: {exc}")
            return
        fact = cef_fact(rec, utc(rec.time) if rec.time else at, source)
        if fact is not None:
            self.out.facts.append(fact)

    # -- votes -------------------------------------------------------------------------------

    def _quorum(self, event: QuorumText, at: datetime) -> None:
        try:
            status = parse_quorum(event.text)
        except QuorumParseError as exc:
            self.out.errors.append(f"{at:%H:%M:%S} {event.source}: quorum text: {exc}")
            return
        cluster = event.cluster or status.cluster_name or "cluster"
        self.out.nodes.update(status.node_names())
        self.out.facts.extend(self.votes.apply(cluster, event.node, status, at, event.source))

    # -- links and connections ---------------------------------------------------------------

    def _link(self, node: str, device: str, state: str, at: datetime, lines: tuple[str, ...],
              source: str) -> None:
        """One fact per change: the kernel line and the ethtool poll often both report it."""
        if self.links.get((node, device)) == state:
            return
        first_sight = (node, device) not in self.links
        self.links[(node, device)] = state
        if first_sight and state == "up":
            return  # the starting state, not a change
        self.out.facts.append(Fact(at=at, kind="link_down" if state == "down" else "link_up",
                                   node=node, device=device, text=f"{node} {device} link {state}",
                                   lines=lines, source=source))

    def _conn(self, event: ConnectionChange, at: datetime) -> None:
        node = event.node or event.source
        before = self.conns.get(event.source)
        self.conns[event.source] = event.state
        lost = event.state in ("reconnecting", "failed")
        if lost and before not in ("reconnecting", "failed"):
            detail = f": {event.detail}" if event.detail else ""
            self.out.facts.append(Fact(at=at, kind="conn_lost", node=event.node,
                                       text=f"connection {event.source} to {node} "
                                            f"{event.state}{detail}", source=event.source))
        elif event.state == "connected" and before in ("reconnecting", "failed"):
            self.out.facts.append(Fact(at=at, kind="conn_back", node=event.node,
                                       text=f"connection {event.source} to {node} back",
                                       source=event.source))

    # -- kernel ------------------------------------------------------------------------------

    def _kernel(self, event: KernelText, at: datetime) -> None:
        node = event.node or event.source
        k = self.kernels.get(node)
        if k is None:
            k = self.kernels[node] = _NodeKernel(node, at.year)
        for line in k.reader.feed(event.text):
            self._kernel_line(k, line, at, event.source)
        self._reader_errors(k)

    def _reader_errors(self, k: _NodeKernel) -> None:
        for err in k.reader.errors[k.errors_seen:]:
            self.out.errors.append(f"{k.node}: {err}")
        k.errors_seen = len(k.reader.errors)

    def _kernel_line(self, k: _NodeKernel, line: KernelLine, at: datetime, source: str) -> None:
        when = utc(line.time) if line.time is not None else at
        if line.continuation:
            cap = k.current
            if cap is not None and cap.open and len(cap.first_block) < MAX_BLOCK_LINES:
                cap.first_block.append(line.raw)
        elif k.current is not None:
            k.current.open = False  # the first report's block ended
        resets = k.detector.unattached_resets
        updates = k.detector.feed(line)
        if k.detector.unattached_resets > resets and line.device:
            self.out.facts.append(Fact(
                at=when, kind="nic_reset", node=k.node, device=line.device, lines=(line.raw,),
                text=f"{line.driver or 'NIC'} {line.device} reset adapter unexpectedly on "
                     f"{k.node}", source=source))
        for update in updates:
            if isinstance(update, EpisodeOpened):
                k.current = k.captures[id(update.episode)] = _Capture(
                    node=k.node, first_block=[line.raw])
            elif isinstance(update, EpisodeUpdated) and _is_report(line):
                cap = k.captures.get(id(update.episode))
                if cap is not None:
                    cap.last_header = line.raw
            elif isinstance(update, LinkChanged):
                link = update.link
                self._link(k.node, link.device, link.state,
                           utc(link.time) if link.time else when, (line.raw,), source)

    def finish(self) -> Extraction:
        for k in self.kernels.values():
            assert self.out.last is not None  # a kernel event was read
            for line in k.reader.close():
                self._kernel_line(k, line, self.out.last, "")
            k.detector.finish()
            self._reader_errors(k)
            for ep in k.detector.episodes:
                self.out.facts.append(_hang_fact(k, ep, self.out.last))
        self.out.facts.sort(key=Fact.sort_key)
        return self.out


def _hang_fact(k: _NodeKernel, ep: HangEpisode, fallback: datetime | None) -> Fact:
    cap = k.captures.get(id(ep))
    first = utc(ep.first) if ep.first else fallback
    last = utc(ep.last) if ep.last else first
    assert first is not None  # a kernel line was read, so there was an event time
    lines: list[str] = list(cap.first_block) if cap else []
    if cap and cap.last_header and ep.reports > 1:
        lines.append(cap.last_header)
    what = "transmit timeout" if ep.kind == "tx_timeout" else "hardware unit hang"
    text = f"{ep.driver or 'NIC'} {ep.device or '?'} {what} x {ep.reports} on {k.node}"
    return Fact(at=first, kind="hang", node=k.node, device=ep.device or None, until=last,
                text=text, lines=tuple(lines), hang=ep, source="kernel")


def facts_from_events(events: Iterable[Event],
                      actions: Iterable[ActionRecord] = ()) -> Extraction:
    """All facts of ``events`` (any order) plus audit ``actions``, sorted canonically."""
    ex = _Extractor()
    for record in actions:  # first: the audit log's record of a step is the richer one
        ex.add_action(record, "audit")
    for event in canonical_order(events):
        ex.feed(event)
    return ex.finish()
