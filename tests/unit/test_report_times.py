"""The report's times (issue 12 item 6): from the content, one zone, dates wherever the data
spans days, "year unknown" for year-less stamps nothing dates, "no timestamps" for a log
without any, never a file's mtime; in Markdown and JSON alike."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from labconsole.incident.report import report_from_paths
from labconsole.incident.report_json import report_json
from labconsole.incident.report_md import render_markdown

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "kernel"
OLD = 1_000_000_000  # an mtime in 2001: no report may show it

HANG = ["e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:",
        "  TDH                  <f6>", "  TDT                  <f7>",
        "  next_to_use          <f7>", "  next_to_clean        <f6>",
        "buffer_info[next_to_clean]:", "  time_stamp           <100227358>",
        "  next_to_watch        <f6>", "  jiffies              <100227517>",
        "  next_to_watch.status <0>"]


def _copy(tmp_path: Path, name: str, text: str | None = None) -> Path:
    path = tmp_path / name
    path.write_text(text if text is not None else (FIXTURES / name).read_text())
    os.utime(path, (OLD, OLD))
    return path


def _both(path: Path, **kw: object) -> tuple[str, dict[str, object]]:
    report = report_from_paths([path], **kw)  # type: ignore[arg-type]
    return render_markdown(report), json.loads(json.dumps(report_json(report)))


def test_zoned_stamps_are_shown_in_utc_and_named(tmp_path: Path) -> None:
    md, js = _both(_copy(tmp_path, "short_iso.log"))
    assert "- **Data:** 2024-06-03 04:18:58 to 05:20:38 UTC" in md
    assert "shown in UTC" in md and "never a file's modification time" in md
    assert js["start"] == "2024-06-03T04:18:58+00:00"
    assert js["times"] == {"zone": "UTC", "basis": "wall-clock", "year_known": True,
                           "placeholder_year": None}
    assert "2001" not in md + json.dumps(js)


def test_year_less_stamps_say_year_unknown(tmp_path: Path) -> None:
    md, js = _both(_copy(tmp_path, "short.log"))
    assert "- **Data:** Jun 03 06:18:58 to 07:20:38 UTC, year unknown" in md
    assert js["times"]["basis"] == "year unknown" and js["times"]["year_known"] is False
    assert str(js["start"]).startswith("0008-06-03T06:18:58")
    assert "2001" not in md + json.dumps(js)
    md, js = _both(_copy(tmp_path, "short.log"), year=2024)  # --year dates them
    assert "- **Data:** 2024-06-03 06:18:58 to 07:20:38 UTC" in md


def test_a_log_without_wall_clock_times_says_no_timestamps(tmp_path: Path) -> None:
    md, js = _both(_copy(tmp_path, "dmesg.log"))
    assert "- **Data:** no timestamps (no wall-clock time in the data; times are kernel " \
           "uptime, 5013.625 s to" in md
    assert "uptime 5015.875 s" in md  # the hang, at its uptime
    assert js["start"] is None and js["end"] is None
    assert js["times"]["basis"] == "no timestamps"
    assert "2001" not in md + json.dumps(js)
    md, js = _both(_copy(tmp_path, "plain.log", "pve03 kernel: e1000e eno1: NIC Link is Down\n"))
    assert "- **Data:** no timestamps (nothing in the data carries a time)" in md


def test_data_across_midnight_shows_dates_on_every_time(tmp_path: Path) -> None:
    stamps = ["2024-06-03T23:59:5" + str(s) + "Z" for s in range(0, 10, 2)]
    stamps += ["2024-06-04T00:00:0" + str(s) + "Z" for s in range(0, 10, 2)]
    lines = []
    for stamp in stamps:
        lines += [f"{stamp} pve03 kernel: {HANG[0]}"] + [f"{stamp} pve03 kernel: {h}"
                                                         for h in HANG[1:]]
    md, js = _both(_copy(tmp_path, "midnight.log", "\n".join(lines) + "\n"))
    assert "- **Data:** 2024-06-03 23:59:50 to 2024-06-04 00:00:08 UTC" in md
    summary = next(line for line in md.splitlines() if line.startswith("| 1 |"))
    assert "| 2024-06-03 23:59:50 | 2024-06-04 00:00:08 | 18 s |" in summary
    row = next(line for line in md.splitlines() if "hang x" in line and line.startswith("| 2"))
    assert "until 2024-06-04 00:00:08" in row
    assert js["incidents"][0]["duration_seconds"] == 18  # type: ignore[index]


def test_tz_shows_the_markdown_in_that_zone_and_json_stays_utc(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from labconsole.cli import main

    path = _copy(tmp_path, "short_iso.log")
    assert main(["report", "--tz", "Europe/Berlin", "--no-audit", str(path)]) == 0
    md = capsys.readouterr().out
    assert "- **Data:** 2024-06-03 06:18:58 to 07:20:38 Europe/Berlin" in md
    assert "shown in Europe/Berlin" in md
    assert main(["report", "--tz", "Europe/Berlin", "--no-audit", "--format", "json",
                 str(path)]) == 0
    js = json.loads(capsys.readouterr().out)
    assert js["start"] == "2024-06-03T04:18:58+00:00" and js["times"]["zone"] == "UTC"
    with pytest.raises(SystemExit) as exited:  # argparse's usage error
        main(["report", "--tz", "Mars/Olympus", str(path)])
    assert exited.value.code == 2
    assert "unknown time zone 'Mars/Olympus'" in capsys.readouterr().err


def test_the_configs_timezone_is_checked(tmp_path: Path) -> None:
    from labconsole.config import ConfigError, load_config

    node = '[[clusters]]\nname = "lab"\n[[clusters.nodes]]\nname = "pve01"\n' \
           'address = "10.0.0.11"\n'
    good = tmp_path / "good.toml"
    good.write_text('[console]\ntimezone = "Europe/Berlin"\n' + node)
    assert load_config(good).timezone == "Europe/Berlin"
    bad = tmp_path / "bad.toml"
    bad.write_text('[console]\ntimezone = "Mars/Olympus"\n' + node)
    with pytest.raises(ConfigError) as caught:
        load_config(bad)
    assert any("console.timezone" in str(p) and "unknown time zone" in str(p)
               for p in caught.value.problems)


def test_watch_once_says_the_times_as_the_report_does(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from labconsole.cli import main

    main(["watch", "--once", str(_copy(tmp_path, "dmesg.log"))])
    out = capsys.readouterr().out
    assert "incident: incident-00020101T022332Z (since uptime 8612.125 s, recovered)" in out
    assert "  uptime 8612.125-8614.125 s 2 x 'Detected Hardware Unit Hang'" in out
    main(["watch", "--once", str(_copy(tmp_path, "short.log"))])
    assert "(since Jun 03 06:19:02 UTC, ongoing)" in capsys.readouterr().out
    main(["watch", "--once", str(_copy(tmp_path, "short_iso.log"))])
    assert "(since 2024-06-03 04:19:02 UTC, ongoing)" in capsys.readouterr().out
