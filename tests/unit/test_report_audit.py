"""A report with an audit log: its steps and results land in the incident they belong to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labconsole.demo.generate import DEMO_PATH
from labconsole.incident.audit_read import parse_audit, read_audit
from labconsole.incident.report import Report, report_from_paths
from labconsole.incident.report_json import report_json
from labconsole.incident.report_md import render_markdown


@pytest.fixture(scope="module")
def audit(fixtures: Path) -> Path:
    return fixtures / "report" / "audit_pve03.jsonl"


@pytest.fixture(scope="module")
def report(audit: Path) -> Report:
    return report_from_paths([DEMO_PATH], audit=[audit])


def test_reader_keeps_good_lines_and_reports_bad_ones(audit: Path) -> None:
    read = read_audit(audit)
    assert [r.step for r in read.records] == ["check-hang", "check-offloads",
                                              "disable-offloads", "note", "persist",
                                              "verify-later"]
    assert read.errors == ["audit_pve03.jsonl:4: not JSON (Expecting value), skipped",
                           "audit_pve03.jsonl:8: truncated last line, skipped"]
    assert read.records[1].result == "fail" and read.records[1].exit_status == 0
    assert read.records[5].dry_run is True and read.records[5].exit_status is None


@pytest.mark.parametrize(("line", "why"), [
    ('{"runbook": "r", "step": "s"}', "missing 'at'"),
    ('{"at": "yesterday", "runbook": "r", "step": "s"}', "'at' is not ISO 8601"),
    ('{"at": "2025-11-08T06:00:00Z", "runbook": "r"}', "missing 'step'"),
    ('{"at": "2025-11-08T06:00:00Z", "runbook": "r", "step": "s", "exit_status": "0"}',
     "'exit_status' must be an integer"),
    ('{"at": "2025-11-08T06:00:00Z", "runbook": "r", "step": "s", "result": "great"}',
     "unknown result 'great'"),
    ('{"at": "2025-11-08T06:00:00Z", "runbook": "r", "step": "s", "dry_run": "no"}',
     "'dry_run' must be true/false"),
    ("[1, 2]", "not a JSON object"),
])
def test_bad_lines_are_named(line: str, why: str) -> None:
    read = parse_audit(line + "\n", "a.jsonl")
    assert read.records == []
    assert len(read.errors) == 1 and why in read.errors[0] and read.errors[0].startswith(
        "a.jsonl:1: ")


def test_steps_attach_to_the_e1000e_incident(report: Report) -> None:
    first, second = report.incidents
    assert first.actions == ()
    steps = [(a.step, a.result) for a in second.actions]
    assert steps == [("check-hang", "pass"), ("check-offloads", "fail"),
                     ("disable-offloads", "done"), ("note", "done"), ("persist", "ok"),
                     ("persist", "done")]


def test_same_step_from_recording_and_audit_is_listed_once(report: Report) -> None:
    # The recording's OperatorAction and the audit line of disable-offloads are the same step
    # (same second, runbook, step, command): listed once, as the audit log has it. The two
    # persist records differ in command, so both stay.
    fix = [a for a in report.incidents[1].actions if a.step == "disable-offloads"]
    assert len(fix) == 1 and fix[0].operator == "ops" and fix[0].result == "done"


def test_late_step_is_outside_any_incident(report: Report) -> None:
    assert [a.step for a in report.unattached] == ["verify-later"]


def test_markdown_lists_commands_and_results(report: Report) -> None:
    md = render_markdown(report)
    section = md.split("## Incident 2:")[1].split("## Downtime per node")[0]
    remediation = section.split("### Remediation")[1].split("### Check next time")[0]
    assert "| `ethtool -K eno1 tso off gso off gro off` | done | 0 |" in remediation
    assert "| e1000e-offloads/check-offloads | `ethtool -k eno1` | fail | 0 |" in remediation
    assert "hangs stopped after the offloads went off" in remediation
    assert "## Remediation outside any incident" in md
    assert "## Input problems" in md and "truncated last line" in md


def test_json_carries_remediation_and_errors(report: Report) -> None:
    data = json.loads(json.dumps(report_json(report)))
    steps = [r["step"] for r in data["incidents"][1]["remediation"]]
    assert "check-offloads" in steps and "persist" in steps
    assert data["incidents"][0]["remediation"] == []
    assert data["unattached_remediation"][0]["dry_run"] is True
    assert any("truncated" in e for e in data["errors"])
