"""One report (issue 12 item 7): the console's ``i`` and ``labconsole report`` build the same
object from the same facts and name the data the same way (demo, replay of PATH). Each case
plays the recording through the real console (Pilot, speed 0, as ``labconsole replay`` and
the demo build it), opens the report with ``i`` and compares it with what the CLI builds
and writes for the same recording."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from labconsole.cli import build_parser, main
from labconsole.commands.replay import replay_app
from labconsole.commands.report import build
from labconsole.demo import DEMO_RECORDING
from labconsole.incident.from_state import single_incident
from labconsole.incident.report import DataSource, Report
from labconsole.incident.report_json import report_json
from labconsole.incident.report_md import render_markdown
from labconsole.screens.incident_report import IncidentReportScreen
from tests.ui.helpers import settle


@pytest.fixture(autouse=True)
def _fresh_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No operator audit log on either side: the console's offline one is per user."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "home" / "state"))


def _replay_args() -> argparse.Namespace:
    """``labconsole replay --speed 0`` as the CLI parses it (its paths are given apart)."""
    return build_parser().parse_args(["replay", "--speed", "0", "unused"])


def _report_args(paths: list[Path]) -> argparse.Namespace:
    """``labconsole report --format json --no-audit [PATH]`` as the CLI parses it."""
    return build_parser().parse_args(["report", "--format", "json", "--no-audit",
                                      *map(str, paths)])


async def _console_report(paths: list[Path], origin: DataSource | None,
                          tmp_path: Path) -> tuple[Report, str, int]:
    app, errors = replay_app(paths, _replay_args(), "replay", origin)
    assert errors == []
    app.report_dir = tmp_path / "recs"
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        screen = app.screen
        assert isinstance(screen, IncidentReportScreen)
        return screen.report, screen.markdown(), screen.number


def _cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["report", "--format", "json", "--no-audit", *args]) == 0
    return json.loads(capsys.readouterr().out)


async def test_the_demo_report_is_the_same_in_the_console_and_the_cli(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    console, md, number = await _console_report([DEMO_RECORDING], DataSource.demo(), tmp_path)
    cli = build(_report_args([]))
    assert report_json(console) == report_json(cli)
    assert _cli_json(capsys) == json.loads(json.dumps(report_json(console)))
    assert report_json(cli)["source"] == {"kind": "demo",
                                          "paths": ["labconsole/demo/pve03_incident.jsonl"]}
    total = len(cli.incidents)
    assert (number, total) == (2, 2)
    assert md == render_markdown(single_incident(cli, number), title=f"Incident 2 of {total}")
    assert "- **From:** demo: replay of the bundled recording" in md
    assert "Incident 2 of 2 (this write-up covers it alone)." in md
    assert "- **Data:** 2025-11-08 06:19:02 to 06:21:20 UTC" in md


async def test_a_replayed_recording_is_named_and_reported_alike(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recording = tmp_path / "session.jsonl"
    shutil.copyfile(DEMO_RECORDING, recording)
    console, md, number = await _console_report([recording], None, tmp_path)
    cli = build(_report_args([recording]))
    assert report_json(console) == report_json(cli)
    assert _cli_json(capsys, str(recording)) == json.loads(json.dumps(report_json(console)))
    assert report_json(cli)["source"] == {"kind": "replay", "paths": [str(recording)]}
    assert md == render_markdown(single_incident(cli, number),
                                 title=f"Incident {number} of {len(cli.incidents)}")
    assert f"- **From:** replay of `{recording}`" in md


async def test_a_rehearsal_on_the_demo_stays_in_recording_time_in_the_report(
        tmp_path: Path) -> None:
    """Rehearsal steps are timed by the replay (not the wall clock), so the console's report
    of the demo never mixes 2025 recording time with today's time."""
    from tests.ui.helpers import END, b_on_first_episode, demo_app
    from tests.ui.test_runbook_screen import wait_state

    app = demo_app()
    app.report_dir = tmp_path / "recs"
    async with app.run_test(size=(110, 34)) as pilot:
        await b_on_first_episode(pilot)
        engine = app.screen.engine  # type: ignore[attr-defined]
        await wait_state(pilot, engine, "waiting", "finished", "failed")
        assert engine.current is not None and engine.current.step.kind == "action"
        await pilot.press("c")  # rehearse the first action (not sent)
        await wait_state(pilot, engine, "waiting", "finished", "failed")
        await pilot.press("escape")
        await pilot.pause()
        assert app.state.latest is not None and app.state.latest <= END
        await pilot.press("i")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, IncidentReportScreen)
        md = screen.markdown()
        full = render_markdown(screen.report)
    rehearsed = [a for r in screen.report.incidents for a in r.actions if a.dry_run]
    assert rehearsed and all(a.at.date() == END.date() for a in rehearsed)
    assert "2026" not in full and "2026" not in md
    assert "e1000e-tx-hang/offloads-off" in full
