"""``labconsole report PATH`` without ``--audit`` takes the runbooks' default audit log."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pytest

from labconsole.commands import report as report_command
from labconsole.demo import DEMO_RECORDING
from labconsole.runbook.session import default_audit_path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="labconsole")
    report_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


@pytest.fixture
def default_audit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixtures: Path) -> Path:
    """The fixture audit log where the runbooks write theirs (under a test data dir)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    path = default_audit_path()
    assert path.is_relative_to(tmp_path)
    path.parent.mkdir(parents=True)
    shutil.copy(fixtures / "report" / "audit_pve03.jsonl", path)
    return path


def _explicit_audit(tmp_path: Path) -> Path:
    path = tmp_path / "other.jsonl"
    path.write_text('{"at": "2025-11-08T06:20:40+00:00", "operator": "ops", "runbook": '
                    '"site", "step": "only-explicit", "kind": "check", "node": "pve03", '
                    '"command": "ethtool -k eno1", "result": "pass", '
                    '"episode": "incident-20251108T061902Z"}\n')
    return path


def test_paths_without_audit_use_the_default_audit_log(
        default_audit: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(DEMO_RECORDING)]) == 0
    out, err = capsys.readouterr()
    assert "e1000e-offloads/check-offloads" in out  # only the audit log has this step
    assert str(default_audit) in err and "--no-audit" in err


def test_no_audit_leaves_the_default_out(default_audit: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--no-audit", str(DEMO_RECORDING)]) == 0
    out, err = capsys.readouterr()
    assert "check-offloads" not in out and err == ""


def test_an_explicit_audit_replaces_the_default(
        default_audit: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = _explicit_audit(tmp_path)
    assert main(["report", "--audit", str(other), str(DEMO_RECORDING)]) == 0
    out, err = capsys.readouterr()
    assert "site/only-explicit" in out and "check-offloads" not in out and err == ""


def test_the_bundled_demo_ignores_the_operators_audit_log(
        default_audit: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("# Incident report (bundled demo recording)")
    assert "check-offloads" not in out and err == ""


def test_no_default_audit_log_is_no_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "empty"))
    assert main(["report", str(DEMO_RECORDING)]) == 0
    out, err = capsys.readouterr()
    assert "## Incident 2" in out and err == ""
