"""The report's times on real samples (issue 12 item 6): from the content, in UTC, never the
file's mtime. Each sample is read from a copy whose mtime is set to 2001, so any time taken
from the file system would show. Expected values were written by reading each sample."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from labconsole.incident.report import report_from_paths
from labconsole.incident.report_json import report_json
from labconsole.incident.report_md import render_markdown

OLD = 1_000_000_000  # 2001-09-09: never in any report below


def _copies(realdata: Path, tmp_path: Path, *names: str) -> list[Path]:
    out = []
    for name in names:
        copy = tmp_path / name
        shutil.copyfile(realdata / "logs" / name, copy)
        os.utime(copy, (OLD, OLD))
        out.append(copy)
    return out


def _report(paths: list[Path], year: int | None = None) -> tuple[str, dict[str, object]]:
    report = report_from_paths(paths, year=year)
    md, js = render_markdown(report), report_json(report)
    assert "2001" not in md and "2001-09" not in json.dumps(js)
    return md, js


def _data_line(md: str) -> str:
    return next(line for line in md.splitlines() if line.startswith("- **Data:** "))


@pytest.mark.parametrize(("name", "data"), [
    # Talos ISO stamps (Z)
    ("talos_01_dmesg_e1000e_padded_266col.log", "2024-06-29 10:52:39 to 10:52:39 UTC"),
    # CEF without a syslog header: the record's UNIFIutcTime
    ("unifi_cef_07_internet_down.log", "2026-08-25 07:22:44 to 07:22:44 UTC"),
    # mixed zones in one line: a local syslog stamp (19:53:21) and the record's UTC time
    ("unifi_cef_01_ips_block_syslog_prefix_9.4.19.log", "2025-08-30 17:53:21 to 17:53:21 UTC"),
    # mixed zones: relay ISO +02:00, the device's zoneless local stamp, UNIFIutcTime (Z):
    # the five records span 37 min in UTC, not 2 h 37 min
    ("unifi_cef_15_wazuh_samples_double_header.log", "2026-07-17 08:14:14 to 08:51:20 UTC"),
    # ISO stamps at +01:00, shown in UTC
    ("corosync_21_corosync2_iso_nonprimary_members_left_two.log",
     "2022-04-04 18:51:10 to 18:52:24 UTC"),
    # OpenWrt logread carries the year
    ("e1000e_03.log", "2018-12-31 10:48:48 to 10:48:48 UTC"),
])
def test_times_come_from_the_content_in_utc(realdata: Path, tmp_path: Path, name: str,
                                           data: str) -> None:
    md, js = _report(_copies(realdata, tmp_path, name))
    assert _data_line(md) == f"- **Data:** {data}"
    assert js["times"] == {"zone": "UTC", "basis": "wall-clock", "year_known": True,
                           "placeholder_year": None}


def test_rfc3164_stamps_with_nothing_to_date_them_say_year_unknown(
        realdata: Path, tmp_path: Path) -> None:
    paths = _copies(realdata, tmp_path, "e1000e_17.log")  # /var/log/kern.log, Nov 16
    md, js = _report(paths)
    assert _data_line(md).startswith("- **Data:** Nov 16 13:33:09 to 14:09:51 UTC, year unknown")
    assert js["times"]["basis"] == "year unknown"  # type: ignore[index]
    md, _ = _report(paths, year=2019)  # the post is from 2019: --year dates it
    assert _data_line(md) == "- **Data:** 2019-11-16 13:33:09 to 14:09:51 UTC"


@pytest.mark.parametrize(("name", "uptime"), [
    ("e1000e_01.log", "9327.471 s"),       # dmesg [secs] only
    ("nic_ixgbe_01.log", "89886.277 s"),   # the 2016 report: dmesg, no wall-clock time
])
def test_a_log_without_wall_clock_times_says_no_timestamps(
        realdata: Path, tmp_path: Path, name: str, uptime: str) -> None:
    md, js = _report(_copies(realdata, tmp_path, name))
    assert _data_line(md).startswith("- **Data:** no timestamps (no wall-clock time in the "
                                     f"data; times are kernel uptime, {uptime}")
    assert f"uptime {uptime}" in md  # the incident's time, as uptime
    assert js["start"] is None and js["end"] is None
    assert js["times"]["basis"] == "no timestamps"  # type: ignore[index]


def test_data_spanning_days_shows_dates_on_every_time(realdata: Path,
                                                      tmp_path: Path) -> None:
    md, _ = _report(_copies(realdata, tmp_path, "unifi_cef_07_internet_down.log",
                            "unifi_cef_09_network_updated.log"))
    assert _data_line(md) == "- **Data:** 2026-08-25 07:22:44 to 2026-08-28 02:28:59 UTC"
    assert "| 1 | 2026-08-25 07:22:44 | 2026-08-25 07:22:44 | 0 s |" in md
    assert "| 2026-08-25 07:22:44 | 1 | - |" in md  # the timeline row has its date


def test_scan_says_year_unknown_instead_of_the_mtime_year(
        realdata: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from labconsole.cli import main

    (path,) = _copies(realdata, tmp_path, "e1000e_17.log")
    assert main(["scan", str(path)]) == 0
    text = capsys.readouterr().out
    assert "Nov 16 13:33:12 (year unknown) .. Nov 16 14:09:51 (year unknown)" in text
    assert main(["scan", "--json", str(path)]) == 0
    (link,) = json.loads(capsys.readouterr().out)["files"][0]["links"]
    assert (link["first"], link["last"]) == ("0008-11-16T13:33:12", "0008-11-16T14:09:51")
    assert "2001" not in text


def test_an_episode_without_wall_clock_times_lasts_by_the_kernels_uptime(
        realdata: Path, tmp_path: Path) -> None:
    """dmesg reports at 665.191 and 667.191 s: a 2 s episode, shown in uptime."""
    md, js = _report(_copies(realdata, tmp_path, "e1000e_05.log"))
    (incident,) = js["incidents"]  # type: ignore[misc]
    assert incident["duration_seconds"] == pytest.approx(1.999454)
    assert "- **When:** uptime 665.191 s to uptime 667.191 s (2 s)" in md
    assert "- uptime 665.191-667.191 s 2 x 'Detected Hardware Unit Hang'" in md


def test_scan_of_a_log_without_times_says_no_timestamps(
        realdata: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from labconsole.cli import main

    (path,) = _copies(realdata, tmp_path, "nic_ixgbe_01.log")  # the 2016 report, dmesg
    assert main(["scan", str(path)]) == 0
    text = capsys.readouterr().out
    assert "HANG ixgbe eth3: unit_hang x 3, no timestamps (uptime 89886.277 s)" in text
    assert "2001" not in text and "2026" not in text
