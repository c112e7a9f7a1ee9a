"""JSON form of a report: ``{"incidents": [{"start", "end", "nodes", "cause", "evidence",
...}], ...}``. Keys may be added; the named ones keep their meaning (scripts read them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from labconsole.incident.report import IncidentReport, Report
from labconsole.model import timefmt

FORMAT_VERSION = 1


def incident_json(r: IncidentReport) -> dict[str, Any]:
    inc, cause = r.incident, r.cause
    return {
        **inc.to_json(),
        "duration_seconds": inc.duration.total_seconds(),
        "cause": cause.text,
        "cause_kind": cause.kind,
        "contributing": list(cause.contributing),
        "evidence": list(cause.evidence),
        "log_lines": list(cause.log_lines),
        "downtime": {n: d.to_json() for n, d in r.downtime.items()},
        "remediation": [a.to_json() for a in r.actions],
        "remediation_state": [c.to_json() for c in r.changes],
        "next_checks": list(cause.next_checks),
        "facts": [f.to_json() for f in inc.facts],
    }


def _when(t: datetime | None) -> str | None:
    """ISO 8601 in UTC; None without a wall-clock time (never an mtime)."""
    if t is None or timefmt.basis(t) == "no timestamps":
        return None
    return timefmt.iso(t)


def _times(report: Report) -> dict[str, Any]:
    """Where the report's times come from: ``basis`` is ``wall-clock``, ``year unknown``
    (year-less stamps: their ISO times carry the placeholder year ``timefmt.YEAR_UNKNOWN``) or
    ``no timestamps`` (times are ``timefmt.UPTIME_BASE`` plus kernel uptime)."""
    kind = timefmt.worst_basis([report.start, report.end])
    return {"zone": "UTC", "basis": kind,
            "year_known": kind == "wall-clock",
            "placeholder_year": None if kind == "wall-clock" else (
                timefmt.YEAR_UNKNOWN if kind == "year unknown" else timefmt.UPTIME_BASE.year)}


def report_json(report: Report) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "sources": list(report.sources),
        "source": report.origin.to_json(),
        "times": _times(report),
        "start": _when(report.start),
        "end": _when(report.end),
        "nodes": list(report.nodes),
        "rules": {"settle_seconds": report.rules.settle.total_seconds(),
                  "precursor_seconds": report.rules.precursor.total_seconds(),
                  "action_after_seconds": report.rules.action_after.total_seconds()},
        "incidents": [incident_json(r) for r in report.incidents],
        "downtime": {n: d.to_json() for n, d in report.downtime.items()},
        "unattached_remediation": [a.to_json() for a in report.unattached],
        "errors": list(report.errors),
    }
