"""Facts from the console's live domain state, for "report on the current incident".

The console does not keep its events (the recorder does, on disk), so this reads what the state
keeps: the timeline entries (votes, links, connections, CEF, actions, hangs), the hang episodes
of the kernel log store (with their verbatim lines while still in the store) and the parsed CEF
records. The timeline entries are the state's own, made by its own code, so their kind and
severity say what happened; only vote and link entries need a word of their text ("left",
"rejoined", "link down").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timezone, tzinfo

from labconsole.incident.cause import explain
from labconsole.incident.cef_class import cef_fact
from labconsole.incident.correlate import DEFAULT_RULES, IncidentStatus, Rules, correlate
from labconsole.incident.extract import Extraction, utc
from labconsole.incident.facts import ActionRecord, Fact, FactKind, action_fact
from labconsole.incident.report import IncidentReport, Report, build_report
from labconsole.model.cef import CefEvent
from labconsole.parse.hang_detector import UNIT_HANG_MARKERS, WATCHDOG_MARKER
from labconsole.state.console_state import ConsoleState
from labconsole.state.kernel_log import EpisodeRef, KernelLogStore
from labconsole.state.line_archive import ArchiveError
from labconsole.state.timeline import TimelineEntry

_ACTION = re.compile(r"^(?P<runbook>[^/]*)/(?P<step>[^:]*): (?P<command>.*) \[(?P<status>[^]]*)\]$")


def _cef_text(rec: CefEvent) -> str:
    """The timeline text ConsoleState gives a CEF record (to find the record of an entry)."""
    text = rec.extensions.get("msg") or rec.name
    head = f"{rec.product}: {rec.name}"
    return f"{head}: {text}" if text != rec.name else head


def _vote(e: TimelineEntry) -> Fact | None:
    if e.node is not None:
        if " left " in e.text:
            return Fact(at=e.at, kind="vote_left", node=e.node, text=e.text, source="state")
        if " rejoined " in e.text:
            return Fact(at=e.at, kind="vote_joined", node=e.node, text=e.text, source="state")
        return None
    if e.severity == "error":
        return Fact(at=e.at, kind="quorum_lost", node=None, text=e.text, source="state")
    return Fact(at=e.at, kind="quorum_back", node=None, text=e.text, source="state") \
        if e.severity == "ok" else None


def _link(e: TimelineEntry) -> Fact | None:
    words = e.text.split()
    if len(words) < 4 or e.node is None:
        return None
    if words[-1] not in ("down", "up"):
        return None
    kind: FactKind = "link_down" if words[-1] == "down" else "link_up"
    return Fact(at=e.at, kind=kind, node=e.node, device=words[1], text=e.text, source="state")


def _conn(e: TimelineEntry) -> Fact | None:
    if e.severity in ("error", "warning"):
        return Fact(at=e.at, kind="conn_lost", node=e.node, text=e.text, source=e.text.split()[0])
    if e.severity == "ok":
        return Fact(at=e.at, kind="conn_back", node=e.node, text=e.text, source=e.text.split()[0])
    return None


def _action(e: TimelineEntry) -> Fact | None:
    m = _ACTION.match(e.text)
    if m is None:
        return None
    record = ActionRecord(at=e.at, runbook=m["runbook"], step=m["step"], command=m["command"],
                          result=m["status"], node=e.node)
    return action_fact(record, "state")


def _is_report(text: str) -> bool:
    return any(m in text for m in UNIT_HANG_MARKERS) or WATCHDOG_MARKER in text


def _block_lines(store: KernelLogStore, ref: EpisodeRef) -> tuple[str, ...]:
    """The episode's first report block and its last report header, read through the store
    (``ref.seqs`` with ``store.entry``) so lines already spilled to disk are included. A line
    the store can no longer give (dropped with spilling off, damaged archive) is left out:
    the evidence is what can still be shown verbatim."""
    block: list[str] = []
    second: int | None = None  # index in ref.seqs of the second report header
    for i, seq in enumerate(ref.seqs):
        raw = _raw(store, seq)
        if raw is None:
            continue
        if block and _is_report(raw):
            second = i
            break
        block.append(raw)
    if second is None:
        return tuple(block)
    for seq in reversed(ref.seqs[second:]):  # the last report header (at or after the second)
        raw = _raw(store, seq)
        if raw is not None and _is_report(raw):
            block.append(raw)
            break
    return tuple(block)


def _raw(store: KernelLogStore, seq: int) -> str | None:
    try:
        return store.entry(seq).line.raw
    except (IndexError, ArchiveError):
        return None


def _hang(state: ConsoleState, e: TimelineEntry, *, lines: bool = True) -> Fact | None:
    if e.episode_id is None or not 0 <= e.episode_id < len(state.log.episodes):
        return None
    ref = state.log.episode(e.episode_id)
    ep = ref.episode
    first = utc(ep.first) if ep.first else e.at
    last = utc(ep.last) if ep.last else first
    what = "transmit timeout" if ep.kind == "tx_timeout" else "hardware unit hang"
    return Fact(at=first, kind="hang", node=ref.node, device=ep.device or None, until=last,
                text=f"{ep.driver or 'NIC'} {ep.device or '?'} {what} x {ep.reports} on "
                     f"{ref.node}", lines=_block_lines(state.log, ref) if lines else (),
                hang=ep, source="state")


def facts_from_state(state: ConsoleState, *, lines: bool = True) -> Extraction:
    """Facts of everything the state's timeline still holds. ``lines=False`` leaves out the
    verbatim hang lines (correlation and the cause do not need them; the timeline headers,
    recomputed as the timeline changes, should not read the archive)."""
    ex = Extraction(nodes=set(state.nodes))
    recs: dict[str, list[CefEvent]] = {}
    for rec in state.cef:
        recs.setdefault(_cef_text(rec), []).append(rec)
    for e in state.timeline.entries:
        fact: Fact | None = None
        if e.kind == "votes":
            fact = _vote(e)
        elif e.kind == "link":
            fact = _link(e)
        elif e.kind == "conn":
            fact = _conn(e)
        elif e.kind == "action":
            fact = _action(e)
        elif e.kind == "hang":
            fact = _hang(state, e, lines=lines)
        elif e.kind == "cef" and recs.get(e.text):
            fact = cef_fact(recs[e.text].pop(0), e.at, "state")
        if fact is not None:
            ex.facts.append(fact)
    ex.facts.sort(key=Fact.sort_key)
    times = [e.at for e in state.timeline.entries]
    if state.latest is not None:
        times.append(state.latest)
    if times:
        ex.first = min(times).astimezone(timezone.utc)
        ex.last = max(times).astimezone(timezone.utc)
    return ex


def report_from_state(state: ConsoleState, *, actions: Iterable[ActionRecord] = (),
                      rules: Rules = DEFAULT_RULES) -> Report:
    """A full report of what the console has seen (plus audit log records, deduplicated)."""
    ex = facts_from_state(state)
    seen = {f.action.dedup_key() for f in ex.facts if f.action is not None}
    for record in actions:
        if record.dedup_key() not in seen:
            seen.add(record.dedup_key())
            ex.facts.append(action_fact(record))
    ex.facts.sort(key=Fact.sort_key)
    return build_report(ex, sources=["console (live state)"], rules=rules)


def current_incident(state: ConsoleState, *, actions: Iterable[ActionRecord] = (),
                     rules: Rules = DEFAULT_RULES) -> IncidentReport | None:
    """The latest incident the console has seen (check ``incident.status`` for "ongoing")."""
    report = report_from_state(state, actions=actions, rules=rules)
    return report.incidents[-1] if report.incidents else None


@dataclass(frozen=True, slots=True)
class IncidentMark:
    """An incident as the timeline heads it: number, span, status and the named cause
    (None when the data shows trouble but no cause)."""

    number: int
    start: datetime
    end: datetime
    status: IncidentStatus
    cause: str | None

    def header(self, tz: tzinfo | None = None) -> str:
        """``incident 2 from 06:19:02 (ongoing): stuck TX ring on pve03 eno1 (e1000e), ...``;
        ``tz`` (a tzinfo) is the zone the timeline's own times are shown in."""
        start = self.start.astimezone(tz) if tz is not None else self.start
        text = f"incident {self.number} from {start:%H:%M:%S}"
        if self.status == "ongoing":
            text += " (ongoing)"
        return f"{text}: {self.cause}" if self.cause else text


def incident_marks(state: ConsoleState, rules: Rules = DEFAULT_RULES) -> list[IncidentMark]:
    """The console's incidents by the real correlation, for the timeline's headers. Cheap
    (no log lines read): meant to be recomputed whenever the timeline changes."""
    ex = facts_from_state(state, lines=False)
    corr = correlate(ex.facts, rules, data_end=ex.last)
    marks = []
    for inc in corr.incidents:
        cause = explain(inc, set(ex.nodes))
        marks.append(IncidentMark(number=inc.number, start=inc.start, end=inc.end,
                                  status=inc.status,
                                  cause=None if cause.kind == "unknown" else cause.text))
    return marks


def single_incident(report: Report, number: int) -> Report:
    """``report`` cut down to incident ``number``, for the console's write-up of one incident:
    its facts on the timeline, its downtime, and as the data span its own (first fact to last,
    remediation included), so the summary's "1 incident found in the data" stays true.
    KeyError when there is no such incident."""
    found = [r for r in report.incidents if r.incident.number == number]
    if not found:
        raise KeyError(f"no incident {number} (the console has {len(report.incidents)})")
    chosen = found[0]
    facts = chosen.incident.facts
    mine = {id(f) for f in facts}
    return replace(report, incidents=[chosen], downtime=dict(chosen.downtime),
                   timeline=[f for f in report.timeline if id(f) in mine], unattached=[],
                   start=min(f.at for f in facts), end=max(f.last for f in facts))
