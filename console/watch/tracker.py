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
  out to be a stuck ring), and has stayed that kind for ``hold`` (the same reason as for a
  start: a hang's first report reads as a moving ring, its second as a stuck one). The
  cause's text alone is not a change: it moves with every hang report ("for 18 reports",
  "for 19 reports").
- **ended**: the correlation calls it resolved (everything back, and no trouble for its
  ``settle`` time), so a flap within that time is the same incident, not a new alert pair.
  An incident first seen already resolved (a recording read at once) gets both alerts.
- **reopened**: an incident announced as ended is no longer resolved: trouble stamped
  within its settle time arrived after the "ended" alert went out (a log line's time is
  often whole seconds, and transport takes time), so the correlation, which goes by the
  facts' times, joins it to that incident. Announced after ``hold`` like a start, and
  followed by its own "ended". Without it such trouble would alert nobody.

An incident's id is its start; a fact stamped before that start can still arrive (a node that
could not send delivers its kernel log when it can again: the demo's 37 hang reports from
06:19:02 arrive after the votes loss at 06:19:12 opened the incident). The incident then has
an earlier start and a new id, but it is the same incident: the announced one whose start lies
within it and that is no longer in the correlation carries over (its alerts continue under the
new id: a cause change, an end), never a second "started".
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
    cause_kind: str  # the kind the last alert named
    cause: str
    resolved: bool
    start: datetime | None = None  # the incident's start when it was announced
    pending: str | None = None  # another kind the cause has had since ``pending_since``
    pending_since: datetime | None = None
    reopened: int = 0  # "reopened" alerts sent
    trouble_until: datetime | None = None  # its last trouble when announced ended
    unresolved_since: datetime | None = None  # announced ended, new trouble seen since then


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
        current = {rep.incident.id for rep in report.incidents}
        alerts: list[IncidentAlert] = []
        for rep in report.incidents:
            self._carry_over(rep, current)
            alerts.extend(self._changes(rep, state.latest or rep.incident.end))
        return alerts

    def _carry_over(self, rep: IncidentReport, current: set[str]) -> None:
        """An incident whose start moved earlier is the one announced (module docstring)."""
        inc = rep.incident
        if inc.id in self._seen:
            return
        for old, seen in list(self._seen.items()):
            if (old not in current and seen.start is not None
                    and inc.start <= seen.start <= inc.end):
                self._seen[inc.id] = self._seen.pop(old)
                return

    def _changes(self, rep: IncidentReport, at: datetime) -> list[IncidentAlert]:
        inc = rep.incident
        resolved = inc.status == "resolved"
        seen = self._seen.get(inc.id)
        if seen is None:
            if not resolved and at - inc.start < self.hold:
                return []  # not yet: let the first evidence settle the cause
            self._seen[inc.id] = _Seen(rep.cause.kind, rep.cause.text, resolved, inc.start,
                                       trouble_until=_trouble_until(rep))
            first = [_alert("started", rep, at)]
            return [*first, _alert("ended", rep, at)] if resolved else first
        if seen.resolved:
            return self._reopen(seen, rep, at, resolved)
        if resolved:
            seen.resolved, seen.trouble_until = True, _trouble_until(rep)
            return [_alert("ended", rep, at, reopened=seen.reopened)]
        return self._cause_change(seen, rep, at)

    def _reopen(self, seen: _Seen, rep: IncidentReport, at: datetime,
                resolved: bool) -> list[IncidentAlert]:
        """An incident announced as ended: trouble that joined it later is announced once
        it has stood for ``hold`` (see the module docstring). A late recovery fact alone
        (a node's view of its rejoining, stamped after the others') moves the settle time
        but is no news: it reopens nothing."""
        last = _trouble_until(rep)
        news = last is not None and (seen.trouble_until is None or last > seen.trouble_until)
        if resolved or not news:
            seen.unresolved_since = None
            return []
        if seen.unresolved_since is None:
            seen.unresolved_since = at
        if at - seen.unresolved_since < self.hold:
            return []
        seen.reopened += 1
        seen.resolved, seen.unresolved_since = False, None
        previous = seen.cause
        seen.cause_kind, seen.cause = rep.cause.kind, rep.cause.text
        seen.pending = seen.pending_since = None
        return [_alert("reopened", rep, at, previous=previous, reopened=seen.reopened)]

    def _cause_change(self, seen: _Seen, rep: IncidentReport,
                      at: datetime) -> list[IncidentAlert]:
        kind = rep.cause.kind
        if kind == seen.cause_kind:
            seen.cause = rep.cause.text  # its latest words, for a later "previous cause"
            seen.pending = seen.pending_since = None
            return []
        if kind != seen.pending or seen.pending_since is None:
            seen.pending, seen.pending_since = kind, at
        if at - seen.pending_since < self.hold:
            return []
        previous = seen.cause
        seen.cause_kind, seen.cause = kind, rep.cause.text
        seen.pending = seen.pending_since = None
        return [_alert("cause_changed", rep, at, previous=previous, reopened=seen.reopened)]


def _trouble_until(rep: IncidentReport) -> datetime | None:
    """When the incident's last trouble fact was last true (a hang: its last report)."""
    return max((f.last for f in rep.incident.facts if f.is_trouble), default=None)


def _alert(change: AlertChange, rep: IncidentReport, at: datetime, *,
           previous: str | None = None, reopened: int = 0) -> IncidentAlert:
    inc, cause = rep.incident, rep.cause
    return IncidentAlert(change=change, incident_id=inc.id, number=inc.number,
                         start=inc.start, at=at, status=inc.status, cause_kind=cause.kind,
                         cause=cause.text, evidence=cause.evidence, nodes=inc.nodes,
                         outstanding=inc.outstanding, previous_cause=previous,
                         reopened=reopened)
