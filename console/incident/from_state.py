"""Facts from the console's domain state: the one interpreter of events.

``ConsoleState.apply`` turns every event into typed facts on its timeline (a node's view of the
votes, a member leaving or rejoining, quorum lost or back, a link change, a hang episode, a CEF
alert, a runbook step and its result, a connection change). Incident logic reads those facts
here and nothing else: no display text is read back. ``labconsole report`` applies its events to
a fresh state (``report_from_events``) and reports from the same facts, so the console and the
report cannot disagree. A hang's verbatim lines are read from the kernel log store (its archive
included) only when a report needs them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import timezone

from labconsole.events import Event
from labconsole.incident.cause import named_cause
from labconsole.incident.correlate import DEFAULT_RULES, Rules, correlate
from labconsole.incident.facts import (
    INCIDENT_KINDS,
    ActionRecord,
    Extraction,
    Fact,
    action_fact,
)
from labconsole.incident.mark import IncidentMark
from labconsole.incident.report import DataSource, IncidentReport, Report, build_report
from labconsole.parse.hang_detector import UNIT_HANG_MARKERS, WATCHDOG_MARKER
from labconsole.state.console_state import ConsoleState
from labconsole.state.kernel_log import EpisodeRef, KernelLogStore
from labconsole.state.line_archive import ArchiveError
from labconsole.state.timeline import Timeline

# A report replays a whole recording: its timeline must not drop old facts.
REPORT_TIMELINE_CAPACITY = 10_000_000


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


def _with_lines(state: ConsoleState, fact: Fact) -> Fact:
    eid = fact.episode_id
    if eid is None or not 0 <= eid < len(state.log.episodes):
        return fact
    return replace(fact, lines=_block_lines(state.log, state.log.episode(eid)))


def facts_from_state(state: ConsoleState, *, lines: bool = True) -> Extraction:
    """The incident facts the state's timeline holds. ``lines=False`` leaves out the verbatim
    hang lines (correlation and the cause do not need them; the timeline headers, recomputed
    as the timeline changes, should not read the archive)."""
    ex = Extraction(nodes=set(state.nodes))
    for e in state.timeline.entries:
        fact = e.fact
        if fact.kind not in INCIDENT_KINDS:
            continue
        if lines and fact.kind == "hang":
            fact = _with_lines(state, fact)
        ex.facts.append(fact)
    ex.facts.sort(key=Fact.sort_key)
    ex.errors = [str(err) for err in state.errors]
    if state.first is not None and state.latest is not None:
        ex.first = state.first.astimezone(timezone.utc)
        ex.last = state.latest.astimezone(timezone.utc)
    return ex


def state_from_events(events: Iterable[Event]) -> ConsoleState:
    """A fresh console state with ``events`` applied in their order (a recording's order is
    the order the console applied them live)."""
    state = ConsoleState(timeline=Timeline(REPORT_TIMELINE_CAPACITY, slack=0))
    for event in events:
        state.apply(event)
    state.end_of_input()
    return state


def facts_from_events(events: Iterable[Event],
                      actions: Iterable[ActionRecord] = ()) -> Extraction:
    """The facts of ``events`` as the console holds them (plus audit ``actions``)."""
    ex = facts_from_state(state_from_events(events))
    for record in actions:
        ex.facts.append(action_fact(record))
    ex.facts.sort(key=Fact.sort_key)
    return ex


def report_from_state(state: ConsoleState, *, actions: Iterable[ActionRecord] = (),
                      rules: Rules = DEFAULT_RULES,
                      sources: Sequence[str] = (), errors: Iterable[str] = (),
                      origin: DataSource | None = None) -> Report:
    """A full report of what the console has seen (plus audit log records, deduplicated:
    the audit log's record of a step is the richer one and wins)."""
    ex = facts_from_state(state)
    records = list(actions)
    audited = {r.dedup_key() for r in records}
    ex.facts = [f for f in ex.facts if f.action is None or f.action.dedup_key() not in audited]
    seen: set[tuple[str, str, str, str, str]] = set()
    for record in records:
        if record.dedup_key() not in seen:
            seen.add(record.dedup_key())
            ex.facts.append(action_fact(record))
    ex.facts.sort(key=Fact.sort_key)
    return build_report(ex, sources=sources, rules=rules, errors=errors,
                        origin=origin or (DataSource.of_paths(sources) if sources
                                          else DataSource("live")))


def report_from_events(events: Iterable[Event], *, actions: Iterable[ActionRecord] = (),
                       sources: Sequence[str] = (), rules: Rules = DEFAULT_RULES,
                       errors: Iterable[str] = (), origin: DataSource | None = None) -> Report:
    """A report on ``events``: applied to a fresh console state, reported from its facts."""
    return report_from_state(state_from_events(events), actions=actions, rules=rules,
                             sources=sources, errors=errors,
                             origin=origin or DataSource.of_paths(sources))


def current_incident(state: ConsoleState, *, actions: Iterable[ActionRecord] = (),
                     rules: Rules = DEFAULT_RULES) -> IncidentReport | None:
    """The latest incident the console has seen (check ``incident.status`` for "ongoing")."""
    report = report_from_state(state, actions=actions, rules=rules)
    return report.incidents[-1] if report.incidents else None


def incident_marks(state: ConsoleState, rules: Rules = DEFAULT_RULES) -> list[IncidentMark]:
    """The console's incidents by the real correlation, for the timeline's headers. Cheap
    (no log lines read): meant to be recomputed whenever the timeline changes."""
    ex = facts_from_state(state, lines=False)
    corr = correlate(ex.facts, rules, data_end=ex.last)
    nodes = set(ex.nodes)
    return [IncidentMark(number=inc.number, start=inc.start, end=inc.end, status=inc.status,
                         cause=named_cause(inc, nodes)) for inc in corr.incidents]


def single_incident(report: Report, number: int) -> Report:
    """``report`` cut down to incident ``number``, for the console's write-up of one incident:
    its facts on the timeline, its downtime, and as the data span its own (first fact to last,
    remediation included); its summary says which of how many it is (``of_total``).
    KeyError when there is no such incident."""
    found = [r for r in report.incidents if r.incident.number == number]
    if not found:
        raise KeyError(f"no incident {number} (the console has {len(report.incidents)})")
    chosen = found[0]
    facts = chosen.incident.facts
    mine = {id(f) for f in facts}
    return replace(report, incidents=[chosen], downtime=dict(chosen.downtime),
                   of_total=len(report.incidents),
                   timeline=[f for f in report.timeline if id(f) in mine], unattached=[],
                   start=min(f.at for f in facts), end=max(f.last for f in facts))
