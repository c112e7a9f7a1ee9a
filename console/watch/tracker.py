"""Incident transitions from the console state: started, cause changed, ended.

The incidents are the console's own (``incident.from_state.report_from_state``: the same
facts, correlation and cause as the timeline headers and the report), so the watcher can
never disagree with what the console would show. The tracker only remembers, per incident
id, the cause kind and whether it was resolved, and says what changed since the last look:

- **started**: a new incident, once it is ``hold`` old in data time (default 5 s). A hang's
  first report cannot say yet whether the ring is stuck (that takes the second, 2 s later):
  holding the first alert a few seconds makes it name the cause the evidence supports
  instead of being corrected by a second alert at once.
- **cause changed**: the named cause is now of another *kind* (a switch outage that turns
  out to be a stuck ring). The cause's text alone is not a change: it moves with every hang
  report ("for 18 reports", "for 19 reports").
- **ended**: the correlation calls it resolved (everything back, and no trouble for its
  ``settle`` time), so a flap within that time is the same incident, not a new alert pair.
  An incident first seen already resolved (a recording read at once) gets both alerts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from labconsole.alert.message import AlertChange, IncidentAlert
from labconsole.incident.correlate import DEFAULT_RULES, Rules
from labconsole.incident.from_state import report_from_state
from labconsole.incident.report import IncidentReport
from labconsole.state.console_state import ConsoleState

DEFAULT_HOLD = timedelta(seconds=5)


@dataclass(slots=True)
class _Seen:
    cause_kind: str
    cause: str
    resolved: bool


@dataclass(slots=True)
class IncidentTracker:
    rules: Rules = DEFAULT_RULES
    hold: timedelta = DEFAULT_HOLD
    _seen: dict[str, _Seen] = field(default_factory=dict)
    last: list[IncidentReport] = field(default_factory=list)  # incidents at the last look

    def open_incidents(self) -> list[IncidentReport]:
        """The incidents not resolved at the last look (ongoing, or recovered and settling)."""
        return [r for r in self.last if r.incident.status != "resolved"]

    def update(self, state: ConsoleState) -> list[IncidentAlert]:
        """The alerts for what changed since the last call (time order, oldest incident
        first)."""
        report = report_from_state(state, rules=self.rules)
        self.last = report.incidents
        alerts: list[IncidentAlert] = []
        for rep in report.incidents:
            alerts.extend(self._changes(rep, state.latest or rep.incident.end))
        return alerts

    def _changes(self, rep: IncidentReport, at: datetime) -> list[IncidentAlert]:
        inc = rep.incident
        resolved = inc.status == "resolved"
        seen = self._seen.get(inc.id)
        if seen is None:
            if not resolved and at - inc.start < self.hold:
                return []  # not yet: let the first evidence settle the cause
            self._seen[inc.id] = _Seen(rep.cause.kind, rep.cause.text, resolved)
            first = [_alert("started", rep, at)]
            return [*first, _alert("ended", rep, at)] if resolved else first
        self._seen[inc.id] = _Seen(rep.cause.kind, rep.cause.text, resolved)
        if seen.resolved:
            return []  # a resolved incident is final: new trouble opens a new one
        if resolved:
            return [_alert("ended", rep, at)]
        if rep.cause.kind != seen.cause_kind:
            return [_alert("cause_changed", rep, at, previous=seen.cause)]
        return []


def _alert(change: AlertChange, rep: IncidentReport, at: datetime, *,
           previous: str | None = None) -> IncidentAlert:
    inc, cause = rep.incident, rep.cause
    return IncidentAlert(change=change, incident_id=inc.id, number=inc.number,
                         start=inc.start, at=at, status=inc.status, cause_kind=cause.kind,
                         cause=cause.text, evidence=cause.evidence, nodes=inc.nodes,
                         outstanding=inc.outstanding, previous_cause=previous)
