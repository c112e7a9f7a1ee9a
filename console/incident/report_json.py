"""JSON form of a report: ``{"incidents": [{"start", "end", "nodes", "cause", "evidence",
...}], ...}``. Keys may be added; the named ones keep their meaning (scripts read them)."""

from __future__ import annotations

from typing import Any

from labconsole.incident.report import IncidentReport, Report

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
        "next_checks": list(cause.next_checks),
        "facts": [f.to_json() for f in inc.facts],
    }


def report_json(report: Report) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "sources": list(report.sources),
        "start": report.start.isoformat() if report.start else None,
        "end": report.end.isoformat() if report.end else None,
        "nodes": list(report.nodes),
        "rules": {"settle_seconds": report.rules.settle.total_seconds(),
                  "precursor_seconds": report.rules.precursor.total_seconds(),
                  "action_after_seconds": report.rules.action_after.total_seconds()},
        "incidents": [incident_json(r) for r in report.incidents],
        "downtime": {n: d.to_json() for n, d in report.downtime.items()},
        "unattached_remediation": [a.to_json() for a in report.unattached],
        "errors": list(report.errors),
    }
