"""The report: incidents with their cause, evidence, downtime and remediation, ready to render.

``build_report`` is the pure core (facts in, report out); ``report_from_events`` and
``report_from_paths`` feed it from events or files (recordings, plain logs, an audit log): the
events are applied to a fresh console state, whose facts are the report's
(``from_state``: one interpreter of events).
Rendering lives in ``report_md`` and ``report_json``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from labconsole.events import Event
from labconsole.incident.audit_read import read_audit
from labconsole.incident.cause import Cause, explain
from labconsole.incident.correlate import DEFAULT_RULES, Incident, Rules, correlate
from labconsole.incident.downtime import NodeDowntime, downtime
from labconsole.incident.facts import ActionRecord, Extraction, Fact
from labconsole.incident.remediation import Change, changes
from labconsole.incident.source import DataSource

if TYPE_CHECKING:
    from labconsole.config.node_names import NodeNames
    from labconsole.sources.recording import RecordingError

# Facts shown in the report's overall timeline (actions are shown with their incident).
TIMELINE_KINDS = frozenset({"device_alert", "device_back", "link_down", "link_up", "vote_left",
                            "vote_joined", "quorum_lost", "quorum_back", "hang", "conn_lost",
                            "conn_never", "conn_back", "action"})


@dataclass(frozen=True, slots=True)
class IncidentReport:
    incident: Incident
    cause: Cause
    downtime: dict[str, NodeDowntime]

    @property
    def actions(self) -> tuple[ActionRecord, ...]:
        return self.incident.actions

    @property
    def changes(self) -> list[Change]:
        """What the remediation changed, and whether each still holds (rolled back?)."""
        return changes(self.incident.actions)


@dataclass(slots=True)
class Report:
    sources: list[str]
    start: datetime | None
    end: datetime | None
    nodes: list[str]
    incidents: list[IncidentReport] = field(default_factory=list)
    downtime: dict[str, NodeDowntime] = field(default_factory=dict)
    timeline: list[Fact] = field(default_factory=list)
    unattached: list[ActionRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rules: Rules = DEFAULT_RULES
    # Set when the report was cut down to one incident: how many the data holds.
    of_total: int | None = None
    origin: DataSource = field(default_factory=lambda: DataSource("replay"))


def build_report(ex: Extraction, *, sources: Sequence[str] = (),
                 rules: Rules = DEFAULT_RULES, errors: Iterable[str] = (),
                 origin: DataSource | None = None) -> Report:
    """Correlate the extraction's facts and explain each incident."""
    corr = correlate(ex.facts, rules, data_end=ex.last)
    until = ex.last or (ex.facts[-1].last if ex.facts else None)
    report = Report(sources=list(sources), start=ex.first, end=ex.last, nodes=sorted(ex.nodes),
                    errors=[*errors, *ex.errors], rules=rules,
                    origin=origin or DataSource.of_paths(sources))
    if until is not None:
        report.downtime = downtime(ex.facts, until, ex.nodes)
    for inc in corr.incidents:
        report.incidents.append(IncidentReport(
            incident=inc, cause=explain(inc, set(ex.nodes)),
            downtime=downtime(inc.facts, min(until, inc.end) if until else inc.end,
                              inc.nodes)))
    report.timeline = [f for f in ex.facts if f.kind in TIMELINE_KINDS]
    report.unattached = [f.action for f in corr.unattached if f.action is not None]
    return report


def report_from_events(events: Iterable[Event], *, actions: Iterable[ActionRecord] = (),
                       sources: Sequence[str] = (), rules: Rules = DEFAULT_RULES,
                       errors: Iterable[str] = (), origin: DataSource | None = None) -> Report:
    """A report on ``events`` (in the order the console applied them) plus remediation
    records from an audit log."""
    from labconsole.incident.from_state import report_from_events as from_state

    return from_state(events, actions=actions, sources=sources, rules=rules, errors=errors,
                      origin=origin)


def report_from_paths(paths: Sequence[str | Path], *, audit: Sequence[str | Path] = (),
                      year: int | None = None, rules: Rules = DEFAULT_RULES,
                      problems: list[RecordingError] | None = None,
                      origin: DataSource | None = None,
                      names: NodeNames | None = None) -> Report:
    """Recordings and/or plain log files (sniffed by the replay loader) plus audit logs.

    Raises ``ReplayError`` (a ValueError) for a missing input; undecodable lines are reported
    in ``errors``, and appended to ``problems`` when given (the CLI looks for an input that
    ended early there).
    """
    from labconsole.sources.replay import load_events

    if problems is None:
        problems = []
    events = load_events(paths, problems, year=year, names=names)
    errors = [str(p) for p in problems]
    actions: list[ActionRecord] = []
    for path in audit:
        read = read_audit(path)
        actions.extend(read.records)
        errors.extend(read.errors)
    return report_from_events(events, actions=actions, sources=[str(p) for p in paths],
                              rules=rules, errors=errors, origin=origin)
