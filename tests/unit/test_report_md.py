"""Markdown report: structure (headings, tables, fences), escaping, JSON shape, the CLI."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from labconsole.cli import COMMANDS
from labconsole.commands import report as report_command
from labconsole.demo.generate import events
from labconsole.incident.from_state import current_incident, report_from_state
from labconsole.incident.report import report_from_events
from labconsole.incident.report_json import report_json
from labconsole.incident.report_md import code, fenced, prose, render_markdown, table
from labconsole.state.console_state import ConsoleState


@pytest.fixture(autouse=True)
def _no_user_audit_log(tmp_path_factory: pytest.TempPathFactory,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    """``report PATH`` reads the runbooks' default audit log when it exists: keep this
    machine's own out of these tests."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data")))


def main(argv: list[str]) -> int:
    """``labconsole report ...`` through its own subcommand parser (the others' modules are
    not needed to test this one)."""
    parser = argparse.ArgumentParser(prog="labconsole")
    report_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


def test_report_is_a_cli_command() -> None:
    assert "report" in COMMANDS


@pytest.fixture(scope="module")
def md() -> str:
    return render_markdown(report_from_events(events(), sources=["demo.jsonl"]))


def headings(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("#")]


def test_heading_outline(md: str) -> None:
    outline = headings(md)
    assert outline[0] == "# Incident report"
    assert outline[1:3] == ["## Summary", "## Timeline"]
    inc = [h for h in outline if h.startswith("## Incident ")]
    assert [h.split(":")[0] for h in inc] == ["## Incident 1", "## Incident 2"]
    assert "switch USW-Lite-16 offline" in inc[0]
    assert "TDH frozen at `<f6>`" in inc[1]  # not a bare <f6>: a git host would eat it
    for sub in ("### Evidence", "### Downtime", "### Remediation", "### Check next time"):
        assert outline.count(sub) == 2
    assert outline[-1] == "## Downtime per node"


def _tables(text: str) -> list[list[str]]:
    blocks, current = [], []
    for line in text.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    return blocks + ([current] if current else [])


def test_every_table_is_rectangular_with_a_separator(md: str) -> None:
    tables = _tables(md)
    assert len(tables) >= 6
    for t in tables:
        widths = {len(re.findall(r"(?<!\\)\|", row)) for row in t}
        assert len(widths) == 1, t
        assert re.fullmatch(r"\|(---\|)+", t[1])


def test_summary_table_rows(md: str) -> None:
    summary = _tables(md.split("## Summary")[1])[0]
    assert summary[0].startswith("| # | Start | End | Duration | Nodes | Status |")
    assert summary[2].startswith("| 1 | 06:08:12 | 06:11:00 | 2 min 48 s | pve03 | resolved |")
    assert summary[3].startswith("| 2 | 06:19:02 | 06:21:00 | 1 min 58 s | pve03 | recovered |")


def test_key_log_lines_are_fenced_verbatim(md: str) -> None:
    second = md.split("## Incident 2:")[1]
    block = second.split("```text\n")[1].split("\n```")[0].splitlines()
    assert block[0] == ("Nov 08 06:19:02 pve03 kernel: e1000e 0000:00:1f.6 eno1: Detected "
                        "Hardware Unit Hang:")
    assert any(line.strip() == "TDH                  <f6>" for line in block)


def test_downtime_per_node_lists_every_node(md: str) -> None:
    rows = _tables(md.split("## Downtime per node")[1])[0]
    assert [r.split("|")[1].strip() for r in rows[2:]] == ["pve01", "pve02", "pve03"]
    assert "| pve03 | 2 min 48 s | 06:10:00-06:11:00, 06:19:12-06:21:00 |" in rows[4]


def test_hostile_text_cannot_break_structure() -> None:
    assert table(["a"], [["x | y\nz"]])[2] == "| x \\| y z |"
    assert code("a`b") == "``a`b``"
    assert fenced(["```", "x"])[0] == "````text"
    assert prose("TDH <f6> and <script>alert</script>") == (
        "TDH `<f6>` and `<script>`alert`</script>`")
    assert prose("a < b and `x`") == "a \\< b and \\`x\\`"


def test_json_shape() -> None:
    data = report_json(report_from_events(events()))
    assert [sorted({"start", "end", "nodes", "cause", "evidence"} - set(i))
            for i in data["incidents"]] == [[], []]
    first = data["incidents"][0]
    assert first["start"] == "2025-11-08T06:08:12+00:00" and first["nodes"] == ["pve03"]
    assert data["downtime"]["pve03"]["seconds"] == 168
    json.dumps(data)  # serialisable as is


def test_state_report_matches_event_report() -> None:
    state = ConsoleState()
    for e in events():
        state.apply(e)
    from_state = report_from_state(state)
    direct = report_from_events(events())
    assert [(r.incident.start, r.incident.end, r.cause.text) for r in from_state.incidents] == [
        (r.incident.start, r.incident.end, r.cause.text) for r in direct.incidents]
    cur = current_incident(state)
    assert cur is not None and cur.incident.number == 2
    assert [a.step for a in cur.actions] == ["disable-offloads", "persist"]
    assert cur.cause.log_lines[0].endswith("Detected Hardware Unit Hang:")


def test_current_incident_of_an_empty_console_is_none() -> None:
    assert current_incident(ConsoleState()) is None


def test_cli_demo_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Incident report (bundled demo recording)")
    assert "`labconsole/demo/pve03_incident.jsonl`" in out


def test_cli_json_to_file_with_audit(tmp_path: Path, fixtures: Path) -> None:
    target = tmp_path / "r.json"
    audit = fixtures / "report" / "audit_pve03.jsonl"
    assert main(["report", "-o", str(target), "--audit", str(audit)]) == 0
    data = json.loads(target.read_text())
    assert len(data["incidents"]) == 2
    assert any(r["step"] == "check-offloads" for r in data["incidents"][1]["remediation"])
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temp file left behind


def test_cli_format_md_from_a_log_file(tmp_path: Path, fixtures: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    log = fixtures / "report" / "pve02_kernel.log"
    assert main(["report", "--format", "md", "--year", "2025", str(log)]) == 0
    out = capsys.readouterr().out
    assert "## Incident 2: stuck TX ring on pve02 enp0s31f6 (e1000e)" in out


@pytest.mark.parametrize("args", [["report", "no/such/file.jsonl"],
                                  ["report", "--audit", "no/such/audit.jsonl"]])
def test_cli_missing_input_is_a_clear_error(args: list[str],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("labconsole report: ") and "no such" in err
