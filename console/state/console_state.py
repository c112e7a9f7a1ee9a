"""The whole domain state of the console, built from events; tells what changed.

``ConsoleState.apply(event)`` is the one entry point of the pipeline into the domain: it parses
the raw text an event carries (with the same parsers as ``labconsole scan``) and updates the
votes, NICs, kernel log, timeline and source health. It returns the names of the panels that
changed so the UI redraws only those. Bad input never raises: it is reported in ``errors`` and
counted, and the console keeps going.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from labconsole.events import (
    AlertNotice,
    ApiJson,
    ConnectionChange,
    Event,
    Heartbeat,
    IntakeLoss,
    KernelText,
    NicText,
    OperatorAction,
    QuorumText,
    QuorumUnreadable,
    SyslogText,
)
from labconsole.incident.facts import ActionRecord, Fact, action_fact
from labconsole.model import timefmt
from labconsole.model.vote_view import NodeView
from labconsole.parse.cef_marker import find_cef
from labconsole.parse.ethtool import parse_driver_info, parse_features
from labconsole.parse.quorum import QuorumParseError, parse_quorum
from labconsole.state.corosync_views import CorosyncLogViews
from labconsole.state.health import SourceHealth, unreachable
from labconsole.state.kernel_log import (
    KernelLogStore,
    LogEntry,
    StoreChange,
    aware,
    episode_fact,
)
from labconsole.state.nics import NicsState
from labconsole.state.timeline import Severity, Timeline, TimelineEntry
from labconsole.state.votes import VotesState

if TYPE_CHECKING:  # the CEF record type comes with the parser (``_cef``)
    from labconsole.model.cef import CefEvent

# A CEF record whose own time is further than this from its receive time is flagged.
SENDER_SKEW_LIMIT_S = 300.0

Panel = str  # "votes" | "nics" | "log" | "timeline" | "health" | "cef"
PANELS: tuple[Panel, ...] = ("votes", "nics", "log", "timeline", "health", "cef")


@dataclass(frozen=True, slots=True)
class StateError:
    at: datetime
    source: str
    message: str

    def __str__(self) -> str:
        return f"{timefmt.short(self.at)} {self.source}: {self.message}"


def cef_severity(severity: str) -> Severity:
    """CEF severity (0-10 or a word) to a colour class."""
    word = severity.strip().lower()
    if word.isdigit():
        level = int(word)
        return "error" if level >= 7 else "warning" if level >= 4 else "info"
    if word in ("high", "very-high"):
        return "error"
    return "warning" if word == "medium" else "info"


_DOWN = ("reconnecting", "failed")


def _conn_fact(event: ConnectionChange, at: datetime, before: str | None, *,
               was_connected: bool) -> Fact:
    """A connection's change as a fact: lost and back only for a connection that once worked;
    one that never succeeded is "never connected: reason" (trouble, not a loss: issue 14)."""
    down, was_down = event.state in _DOWN, before in _DOWN
    if down and not was_down and was_connected:
        kind = "conn_lost"
    elif down and not was_down:
        kind = "conn_never"
    elif event.state == "connected" and was_down:
        kind = "conn_back"
    else:
        kind = "conn_changed"
    return Fact(at=at, kind=kind, node=event.node, state=event.state,  # type: ignore[arg-type]
                reason=event.detail or None, first=kind == "conn_back" and not was_connected,
                source=event.source)


@dataclass(slots=True)
class ConsoleState:
    """Everything the screens show, and nothing about how."""

    log: KernelLogStore = field(default_factory=KernelLogStore)
    votes: VotesState = field(default_factory=VotesState)
    nics: NicsState = field(default_factory=NicsState)
    timeline: Timeline = field(default_factory=Timeline)
    health: dict[str, SourceHealth] = field(default_factory=dict)
    cef: deque[CefEvent] = field(default_factory=lambda: deque(maxlen=1000))
    errors: deque[StateError] = field(default_factory=lambda: deque(maxlen=500))
    error_count: int = 0
    events: int = 0
    first: datetime | None = None
    latest: datetime | None = None
    links: dict[tuple[str, str], str] = field(default_factory=dict)
    # Each listener's latest loss report (the status bar shows those with drops).
    intake: dict[str, IntakeLoss] = field(default_factory=dict)
    conns: dict[str, str] = field(default_factory=dict)  # source -> last connection state
    corosync: CorosyncLogViews = field(default_factory=CorosyncLogViews)
    # Nodes the Proxmox API node reports offline: their NIC rows (read through that API) are
    # old, as an unreachable SSH node's are (``unreachable_nodes``).
    api_offline: dict[str, SourceHealth] = field(default_factory=dict)

    def unreachable_nodes(self) -> dict[str, SourceHealth]:
        """Nodes whose NIC state is old, by name: SSH down (``health.unreachable``), or
        offline in the API node's view (API-only clusters have no SSH to tell)."""
        return {**self.api_offline, **unreachable(self.health)}

    def reset(self) -> None:
        """Forget everything (a replay seeking backwards starts over)."""
        fresh = ConsoleState(log=KernelLogStore(self.log.capacity, history=self.log.history),
                             timeline=Timeline(self.timeline.capacity, self.timeline.slack))
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(fresh, name))

    @property
    def nodes(self) -> list[str]:
        """Every node known from votes, NICs, logs or sources, sorted."""
        names: set[str] = set(self.log.nodes)
        for c in self.votes.clusters.values():
            names.update(c.known)
        names.update(node for node, _ in self.nics.nics)
        names.update(h.node for h in self.health.values() if h.node)
        return sorted(names)

    def apply(self, event: Event) -> set[Panel]:
        """Take one event into the state; returns the panels that changed."""
        self.events += 1
        at = aware(event.at) or event.at
        if self.latest is None or at > self.latest:
            self.latest = at
        if self.first is None or at < self.first:
            self.first = at
        changed = self._touch_health(event, at)
        try:
            changed |= self._dispatch(event, at)
        except Exception as exc:
            self._error(at, event.source, f"{event.type}: {type(exc).__name__}: {exc}")
            changed.add("health")
        return changed

    def apply_batch(self, events: Sequence[Event]) -> set[Panel]:
        """``apply`` each event in order, to the same state. A run of kernel lines of one
        source and node that arrived at one time (the lines of one read) takes the per-event
        bookkeeping (counters, health, dispatch) once, and the timeline and corosync work
        only for the lines that state something (most lines of a flood state nothing)."""
        changed: set[Panel] = set()
        i, n = 0, len(events)
        while i < n:
            first = events[i]
            j = i + 1
            if type(first) is KernelText:
                while (j < n and type(nxt := events[j]) is KernelText and nxt.at == first.at
                       and nxt.source == first.source and nxt.node == first.node):
                    j += 1
            if j - i == 1:
                changed |= self.apply(first)
            else:
                changed |= self._kernel_run(events[i:j])  # type: ignore[arg-type]
            i = j
        return changed

    def _kernel_run(self, run: Sequence[KernelText]) -> set[Panel]:
        """``apply`` of each of ``run`` (kernel lines of one source, node and time)."""
        first = run[0]
        self.events += len(run)
        at = aware(first.at) or first.at
        if self.latest is None or at > self.latest:
            self.latest = at
        if self.first is None or at < self.first:
            self.first = at
        changed = self._touch_health(first, at)
        self.health[first.source].events += len(run) - 1
        node = first.node or first.source
        source = first.source
        add = self.log.add
        change = StoreChange()
        for event in run:
            text = event.text
            try:
                if "CEF:" in text and find_cef(text) >= 0:  # every record holds "CEF:"
                    changed |= self._cef(text, at, source)
                    continue
                changed.add("log")
                k = len(change.entries)
                add(node, text, at, change)
                if change.opened or change.grown or change.resets or change.links or (
                        _states_words(change.entries, k)):
                    # What ``_kernel`` does with this line's change (the lines before it in
                    # ``change`` stated nothing: no timeline entry, no corosync line).
                    changed |= self._kernel_timeline(change, source) | self._corosync(
                        node, change, at, source)
                    change = StoreChange()
            except Exception as exc:
                self._error(at, source, f"{event.type}: {type(exc).__name__}: {exc}")
                changed.add("health")
                change = StoreChange()
        return changed

    def end_of_input(self) -> set[Panel]:
        """The data ended (a replay finished, a report read everything): complete what the
        parsers still hold (a pending line, the last hang report's registers)."""
        if self.latest is None:
            return set()
        return self._kernel_timeline(self.log.close_input(self.latest), "kernel")

    def _dispatch(self, event: Event, at: datetime) -> set[Panel]:
        if isinstance(event, KernelText):
            if "CEF:" in event.text and find_cef(event.text) >= 0:  # a CEF line in a syslog file
                return self._cef(event.text, at, event.source)
            return self._kernel(event, at)
        if isinstance(event, QuorumText):
            return self._quorum(event, at)
        if isinstance(event, QuorumUnreadable):
            return self._unreadable(event, at)
        if isinstance(event, Heartbeat):
            return self._heartbeat(event, at)
        if isinstance(event, NicText):
            return self._nic(event, at)
        if isinstance(event, SyslogText):
            return self._syslog(event, at)
        if isinstance(event, ConnectionChange):
            return self._conn(event, at)
        if isinstance(event, OperatorAction):
            return self._action(event, at)
        if isinstance(event, IntakeLoss):
            self.intake[event.source] = event
            return {"health"}
        if isinstance(event, ApiJson):
            return self._api(event, at)
        if isinstance(event, AlertNotice):
            return self._alert(event, at)
        self._error(at, event.source, f"unhandled event type {event.type!r}")
        return {"health"}

    def _error(self, at: datetime, source: str, message: str) -> None:
        self.error_count += 1
        self.errors.append(StateError(at=at, source=source, message=message))

    def _add(self, entries: list[TimelineEntry]) -> set[Panel]:
        for e in entries:
            self.timeline.add(e)
        return {"timeline"} if entries else set()

    def _touch_health(self, event: Event, at: datetime) -> set[Panel]:
        h = self.health.get(event.source)
        if h is None:
            h = self.health[event.source] = SourceHealth(name=event.source, node=event.node,
                                                         since=at)
        h.last_event = at
        h.events += 1
        if isinstance(event, Heartbeat):
            h.heartbeat = event.every
        return {"health"} if h.events == 1 else set()

    def _kernel(self, event: KernelText, at: datetime) -> set[Panel]:
        node = event.node or event.source
        change = self.log.add(node, event.text, at)
        return {"log"} | self._kernel_timeline(change, event.source) | self._corosync(
            node, change, at, event.source)

    def _corosync(self, node: str, change: StoreChange, at: datetime,
                  source: str) -> set[Panel]:
        """corosync/pmxcfs lines in a node's log: its own view of the votes moves, knet link
        changes are link facts (the cluster's own words, DESIGN.md)."""
        changed: set[Panel] = set()
        for entry in change.entries:
            line = entry.line
            if line.is_kernel or line.continuation:
                continue
            host = line.host or node
            cluster = self._cluster_of(host)
            c = self.votes.clusters.get(cluster)
            reading = self.corosync.read(
                node, line, entry.at, c.views.get(host) if c else None, cluster,
                dict(c.nodeids) if c else {}, source)
            if reading.view is not None:
                self.votes.cluster(reading.view.cluster).known |= reading.left
                changed |= {"votes"} | self._add(self.votes.view(reading.view))
            for fact in reading.links:
                peer = ",".join(fact.nodes)
                changed |= self._add(self._link(host, f"knet{fact.link or 0}:{peer}",
                                                "down" if fact.kind == "link_down" else "up",
                                                entry.at, source))
        return changed

    def _kernel_timeline(self, change: StoreChange, source: str) -> set[Panel]:
        entries: list[TimelineEntry] = []
        for ref in change.opened:
            first = change.entries[-1].at if change.entries else None
            when = aware(ref.episode.first) or first or self._now()
            entries.append(TimelineEntry(at=when, kind="hang", node=ref.node,
                                         fact=episode_fact(ref, when), severity="error",
                                         episode_id=ref.id))
        for ref in change.grown:
            for e in reversed(self.timeline.entries):
                if e.episode_id == ref.id:
                    e.fact = episode_fact(ref, e.at)
                    self.timeline.replaced(e)
                    break
        for node, line in change.resets:
            when = aware(line.time) or self._now()
            fact = Fact(at=when, kind="nic_reset", node=node, device=line.device,
                        lines=(line.raw,), source=source, driver=line.driver or None)
            entries.append(TimelineEntry(at=when, kind="hang", node=node, fact=fact,
                                         severity="warning"))
        for node, link in change.links:
            entries.extend(self._link(node, link.device, link.state,
                                      aware(link.time) or self._now(), source))
        changed = self._add(entries)
        if change.grown:
            changed.add("timeline")
        return changed

    def _link(self, node: str, device: str, state: str, at: datetime,
              source: str) -> list[TimelineEntry]:
        """A link entry, unless the other source (kernel log / ethtool) already said so. The
        first sight of a link that is up is its starting state, not a recovery."""
        before = self.links.get((node, device))
        if before == state:
            return []
        self.links[(node, device)] = state
        sev: Severity = "warning" if state == "down" else "ok"
        kind = "link_down" if state == "down" else "link_up" if before else "link_seen"
        fact = Fact(at=at, kind=kind, node=node, device=device,  # type: ignore[arg-type]
                    state=state, source=source)
        return [TimelineEntry(at=at, kind="link", node=node, fact=fact, severity=sev)]

    def _now(self) -> datetime:
        assert self.latest is not None
        return self.latest

    def _quorum(self, event: QuorumText, at: datetime) -> set[Panel]:
        try:
            status = parse_quorum(event.text)
        except QuorumParseError as exc:
            self._error(at, event.source, f"quorum text not understood: {exc}")
            return {"health"}
        cluster = event.cluster or status.cluster_name or "cluster"
        local = [n.name for n in status.nodes if n.local]
        node = event.node or (local[0] if len(local) == 1 else event.source)
        view = NodeView(node=node, cluster=cluster, at=at, source="quorumtool",
                        quorate=status.quorate, members=frozenset(status.node_names()),
                        total_votes=status.total_votes, expected_votes=status.expected_votes,
                        ring_id=status.ring_id, via=event.source)
        nodeids = {n.nodeid: n.name for n in status.nodes}
        return {"votes"} | self._add(self.votes.view(view, nodeids))

    def _unreadable(self, event: QuorumUnreadable, at: datetime) -> set[Panel]:
        node = event.node or event.source
        cluster = event.cluster or self._cluster_of(node)
        return {"votes"} | self._add(self.votes.unreadable(cluster, node, at, event.reason))

    def _cluster_of(self, node: str) -> str:
        for c in self.votes.clusters.values():
            if node in c.known:
                return c.name
        return "cluster"

    def _heartbeat(self, event: Heartbeat, at: datetime) -> set[Panel]:
        if event.node is not None:
            self.votes.heartbeat(event.node, at, event.every)
        return {"votes"}

    def _api(self, event: ApiJson, at: datetime) -> set[Panel]:
        from labconsole.state.api_views import api_changes  # the Proxmox API's parsers: only

        changes = api_changes(event, at)  # with a [clusters.proxmox] config (not at start-up)
        for problem in changes.errors:
            self._error(at, event.source, problem)
        changed: set[Panel] = {"health"} if changes.errors else set()
        for view in changes.views:
            changed |= {"votes"} | self._add(self.votes.view(view, changes.nodeids,
                                                             changes.every))
            changed |= self._api_offline(view, set(changes.nodeids.values()), event.source, at)
        for nic in changes.nics:
            entries = [] if nic.link is None else self._link(nic.node, nic.iface, nic.link, at,
                                                             event.source)
            entries += self.nics.apply(nic.node, nic.iface, at, link=nic.link, speed=None,
                                       offloads=None, driver=None)
            changed |= {"nics"} | self._add(entries)
        return changed

    def _api_offline(self, view: NodeView, nodes: set[str], source: str, at: datetime
                     ) -> set[Panel]:
        """Keep which nodes the API node sees offline (known node ids, not online members)."""
        offline = nodes - set(view.members) - {view.node}
        before = set(self.api_offline)
        for node in before - offline:
            del self.api_offline[node]
        for node in offline - before:
            self.api_offline[node] = SourceHealth(
                name=source, node=node, state="offline", since=at,
                detail=f"offline (API from {view.node})")
        return {"nics"} if before != set(self.api_offline) else set()

    def _nic(self, event: NicText, at: datetime) -> set[Panel]:
        node = event.node or event.source
        offloads = driver = None
        problems: list[str] = []
        try:
            offloads = parse_features(event.features) if event.features.strip() else None
        except ValueError as exc:
            problems.append(f"ethtool -k: {exc}")
        try:
            driver = parse_driver_info(event.driver) if event.driver.strip() else None
        except ValueError as exc:
            problems.append(f"ethtool -i: {exc}")
        for p in problems:
            self._error(at, event.source, f"{event.iface}: {p}")
        entries = [] if event.link is None else self._link(node, event.iface, event.link, at,
                                                           event.source)
        entries += self.nics.apply(node, event.iface, at, link=event.link, speed=event.speed,
                                   offloads=offloads, driver=driver,
                                   error="; ".join(problems) or None)
        return {"nics"} | self._add(entries)

    def _syslog(self, event: SyslogText, at: datetime) -> set[Panel]:
        if find_cef(event.text) < 0:
            return set()
        return self._cef(event.text, at, event.source)

    def _cef(self, text: str, at: datetime, source: str) -> set[Panel]:
        # Imported with the first record: most sessions hold none, and the first frame does
        # not wait for the parser and the record types (issue 13 item 5).
        from labconsole.incident.cef_class import cef_fact
        from labconsole.parse.cef import CefParseError, parse_cef

        try:
            rec = parse_cef(text, default_year=at.year)
        except CefParseError as exc:
            self._error(at, source, f"CEF not understood: {exc}")
            return {"health"}
        sent = aware(rec.time)
        skew = (sent - at).total_seconds() if sent is not None else None
        far = skew is not None and abs(skew) > SENDER_SKEW_LIMIT_S
        if far:  # the sender chose a time far from now: keep it, flag it, never sort by it
            rec = replace(rec, sender_skew_s=skew)
        self.cef.append(rec)
        when = at if far else sent or at
        fact = cef_fact(rec, when, source) or Fact(
            at=when, kind="cef_note", node=None, device=rec.product, lines=(rec.raw,), cef=rec,
            source=source)
        entry = TimelineEntry(at=when, kind="cef", node=None, fact=fact,
                              sender_skew_s=skew if far else None,
                              severity=cef_severity(rec.severity))
        return {"cef"} | self._add([entry])

    def _conn(self, event: ConnectionChange, at: datetime) -> set[Panel]:
        h = self.health[event.source]
        before = self.conns.get(event.source)
        self.conns[event.source] = event.state
        was_connected = h.connected_once
        h.connected_once |= event.state == "connected"
        changed = h.state != event.state
        h.state, h.detail, h.retry_in = event.state, event.detail, event.retry_in
        changed |= h.via != event.via
        h.via = event.via
        if changed:
            h.since = at
        if not changed:
            return {"health"}
        sev: Severity = {"connected": "ok", "failed": "error",
                         "reconnecting": "warning"}.get(event.state, "info")  # type: ignore[assignment]
        fact = _conn_fact(event, at, before, was_connected=was_connected)
        return {"health"} | self._add([TimelineEntry(at=at, kind="conn", node=event.node,
                                                     fact=fact, severity=sev)])

    def _alert(self, event: AlertNotice, at: datetime) -> set[Panel]:
        """An alert sink's last outcome, shown like a source's health (never a timeline
        entry: an undelivered alert is not an incident fact)."""
        h = self.health[event.source]
        state = "failed" if event.status == "failed" else "connected"
        if h.state != state:
            h.since = at
        h.state = state
        h.detail = f"{event.change} {event.incident} {event.status}" + (
            f": {event.detail}" if event.detail else "")
        return {"health"}

    def _action(self, event: OperatorAction, at: datetime) -> set[Panel]:
        ok = event.status == "ok" and event.exit_status in (0, None)
        record = ActionRecord(at=at, runbook=event.runbook, step=event.step,
                              command=event.command, result=event.status, node=event.node,
                              exit_status=event.exit_status, output=event.output)
        return self._add([TimelineEntry(at=at, kind="action", node=event.node,
                                        fact=action_fact(record, event.source),
                                        severity="ok" if ok else "error")])


def _states_words(entries: list[LogEntry], start: int) -> bool:
    """Whether a line from ``start`` on is one ``_corosync`` reads (not a kernel record)."""
    if len(entries) == start + 1:  # the usual case: one physical line, one logical line
        line = entries[start].line
        return not (line.is_kernel or line.continuation)
    return any(not (e.line.is_kernel or e.line.continuation) for e in entries[start:])
