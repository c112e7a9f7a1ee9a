"""Times of a plain log file's lines come from their content (issue 12 item 6): every form of
the project's kernel fixtures, year-less stamps dated by the input's own times or shown as
year unknown, zones converted to UTC, a CEF record's own time, and no timestamps at all."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from labconsole.model import timefmt
from labconsole.parse.content_time import file_times
from labconsole.sources.replay import load_events

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "kernel"
UTC = timezone.utc
# The hang of the kernel fixtures, in each form's own stamp (UTC after conversion).
HANG_UTC = datetime(2024, 6, 3, 4, 19, 2, tzinfo=UTC)   # forms with a zone: 06:19:02+02:00
HANG_LOCAL = datetime(2024, 6, 3, 6, 19, 2, tzinfo=UTC)  # zoneless forms, read as UTC


def _hang_time(name: str, year: int | None = None) -> datetime:
    events = load_events([FIXTURES / name], year=year)
    hang = next(e for e in events if "Detected Hardware Unit Hang" in getattr(e, "text", ""))
    return hang.at


@pytest.mark.parametrize(("name", "expected"), [
    ("rfc5424.log", HANG_UTC), ("short_iso.log", HANG_UTC),
    ("short_iso_precise.log", HANG_UTC), ("talos.log", HANG_UTC),
    ("journal.json", HANG_UTC), ("journal.export", HANG_UTC),
    ("haos.log", HANG_LOCAL), ("openwrt.log", HANG_LOCAL), ("dmesg_T.log", HANG_LOCAL),
])
def test_each_dated_form_gives_the_hang_its_own_time_in_utc(name: str,
                                                            expected: datetime) -> None:
    at = _hang_time(name)
    assert at.utcoffset() is not None and at.utcoffset().total_seconds() == 0
    assert abs((at - expected).total_seconds()) < 1
    assert timefmt.basis(at) == "wall-clock"


@pytest.mark.parametrize("name", ["short.log", "short_precise.log", "rfc3164_pri.log"])
def test_year_less_forms_say_year_unknown_and_never_take_the_mtime(
        name: str, tmp_path: Path) -> None:
    copy = tmp_path / name
    copy.write_bytes((FIXTURES / name).read_bytes())
    os.utime(copy, (1_000_000_000, 1_000_000_000))  # 2001: must not appear anywhere
    at = _hang_time(str(copy))
    assert timefmt.basis(at) == "year unknown"
    assert (at.month, at.day, at.hour, at.minute, at.second) == (6, 3, 6, 19, 2)
    assert timefmt.clock(at, date=True) == "Jun 03 06:19:02"
    assert _hang_time(str(copy), year=2024) == HANG_LOCAL  # --year dates them


def test_dmesg_without_wall_clock_is_kernel_uptime() -> None:
    at = _hang_time("dmesg.log")
    assert timefmt.basis(at) == "no timestamps"
    assert timefmt.uptime_of(at) == pytest.approx(5015.875)
    assert timefmt.clock(at) == "uptime 5015.875 s"


def test_year_less_stamps_take_the_year_of_the_inputs_own_dated_times() -> None:
    lines = ["Dec 31 23:59:58 pve03 kernel: e1000e 0000:00:1f.6 eno1: NIC Link is Down",
             "<134>1 2026-01-01T00:00:01Z usw-core unifi - - - switch back",
             "Jan  1 00:00:03 pve03 kernel: e1000e 0000:00:1f.6 eno1: NIC Link is Up"]
    got = file_times(lines)
    assert got.basis == "wall-clock"
    assert got.times == [datetime(2025, 12, 31, 23, 59, 58, tzinfo=UTC),
                         datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC),
                         datetime(2026, 1, 1, 0, 0, 3, tzinfo=UTC)]


def test_year_unknown_rolls_over_at_new_year_so_the_order_holds() -> None:
    got = file_times(["Dec 31 23:59:58 n kernel: a", "Jan  1 00:00:03 n kernel: b"])
    assert got.basis == "year unknown"
    first, second = got.times
    assert (second - first).total_seconds() == 5
    assert timefmt.spans_days(first, second)
    assert [timefmt.clock(t, date=True) for t in got.times] == ["Dec 31 23:59:58",
                                                                 "Jan 01 00:00:03"]


def test_a_cef_line_takes_the_records_own_utc_time_not_its_local_prefix() -> None:
    # mixed zones in one line: the syslog stamp is the sender's local time (UTC+2), the
    # record's UNIFIutcTime is UTC; 6 s later a zoned stamp: the span is 6 s, not 2 h.
    lines = ["Aug 30 19:53:21 gw CEF:0|Ubiquiti|UniFi Network|9.4|211|Device Offline|7|"
             "UNIFIutcTime=2025-08-30T17:53:21.000Z msg=switch offline",
             "2025-08-30T19:53:27+02:00 pve03 kernel: e1000e 0000:00:1f.6 eno1: NIC Link is Down"]
    got = file_times(lines)
    assert got.times == [datetime(2025, 8, 30, 17, 53, 21, tzinfo=UTC),
                         datetime(2025, 8, 30, 17, 53, 27, tzinfo=UTC)]


def test_lines_before_the_first_time_take_it_and_continuations_the_previous() -> None:
    got = file_times(["  TDH <f6>", "2024-06-03T06:19:02Z pve03 kernel: x", "  TDT <f7>"])
    assert got.times == [datetime(2024, 6, 3, 6, 19, 2, tzinfo=UTC)] * 3


def test_a_file_without_any_time_is_no_timestamps() -> None:
    got = file_times(["pve03 kernel: e1000e 0000:00:1f.6 eno1: NIC Link is Down", "junk"])
    assert got.basis == "no timestamps"
    assert all(timefmt.basis(t) == "no timestamps" for t in got.times)
