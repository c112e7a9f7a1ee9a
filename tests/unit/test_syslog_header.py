"""Syslog / journal header recognition on synthetic lines in every supported layout."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from labconsole.parse.syslog_header import parse_iso_time, parse_syslog_header

TZ2 = timezone(timedelta(hours=2))
TZ_530 = timezone(-timedelta(hours=5, minutes=30))


def parse(line: str, year: int | None = 2024):  # type: ignore[no-untyped-def]
    found = parse_syslog_header(line, default_year=year)
    assert found is not None, line
    return found


def test_rfc3164_without_priority_journal_short() -> None:
    head, msg = parse("May 25 15:23:30 pve03 kernel: e1000e 0000:00:1f.6 eno1: hello")
    assert head.format == "rfc3164"
    assert head.time == datetime(2024, 5, 25, 15, 23, 30)
    assert (head.host, head.app, head.pid, head.priority) == ("pve03", "kernel", None, None)
    assert msg == "e1000e 0000:00:1f.6 eno1: hello"


def test_rfc3164_with_priority_and_pid() -> None:
    head, msg = parse("<30>Jun  3 06:19:02 pve01 corosync[1234]:   [KNET  ] link: host: 3")
    assert head.priority == 30
    assert (head.facility, head.level) == ("daemon", "info")
    assert head.time == datetime(2024, 6, 3, 6, 19, 2)
    assert (head.host, head.app, head.pid) == ("pve01", "corosync", "1234")
    assert msg == "  [KNET  ] link: host: 3"


def test_year_less_without_default_year_keeps_stamp_but_no_time() -> None:
    head, _ = parse("Jun  3 06:19:02 pve01 kernel: x", year=None)
    assert head.time is None
    assert head.stamp == "Jun  3 06:19:02"


def test_impossible_date_gives_no_time_not_a_crash() -> None:
    head, _ = parse("Feb 29 06:19:02 pve01 kernel: x", year=2023)
    assert head.time is None
    head, _ = parse("Feb 29 06:19:02 pve01 kernel: x", year=2024)
    assert head.time == datetime(2024, 2, 29, 6, 19, 2)


def test_short_precise_microseconds() -> None:
    head, msg = parse("Jun 03 06:19:02.123456 pve03 kernel: eno1 x")
    assert head.time == datetime(2024, 6, 3, 6, 19, 2, 123456)
    assert msg == "eno1 x"


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2024-06-03T06:19:02+0200", datetime(2024, 6, 3, 6, 19, 2, tzinfo=TZ2)),
        (
            "2024-06-03T06:19:02.250000+02:00",
            datetime(2024, 6, 3, 6, 19, 2, 250000, tzinfo=timezone(timedelta(hours=2))),
        ),
        ("2024-06-03T04:19:02Z", datetime(2024, 6, 3, 4, 19, 2, tzinfo=timezone.utc)),
        ("2024-06-03T06:19:02-0530", datetime(2024, 6, 3, 6, 19, 2, tzinfo=TZ_530)),
    ],
)
def test_short_iso_variants(stamp: str, expected: datetime) -> None:
    head, msg = parse(f"{stamp} pve03 kernel: text here")
    assert head.format == "iso"
    assert head.time == expected
    assert head.time is not None and head.time.tzinfo is not None
    assert (head.host, head.app, msg) == ("pve03", "kernel", "text here")


def test_haos_style_space_separated_milliseconds() -> None:
    head, msg = parse("2025-02-10 08:00:01.250 haos kernel: e1000 0000:00:03.0 enp0s3: x")
    assert head.format == "haos"
    assert head.time == datetime(2025, 2, 10, 8, 0, 1, 250000)
    assert head.host == "haos"
    assert msg.startswith("e1000 ")


def test_openwrt_logread_without_host() -> None:
    head, msg = parse("Wed Mar  6 01:02:03 2019 kern.warn kernel: [  12.500000] eth1: x", year=None)
    assert head.format == "openwrt"
    assert head.time == datetime(2019, 3, 6, 1, 2, 3)
    assert (head.host, head.app, head.facility, head.level) == (None, "kernel", "kern", "warn")
    assert msg == "[  12.500000] eth1: x"


def test_openwrt_logread_daemon_with_path_tag() -> None:
    head, msg = parse("Wed Mar  6 01:02:03 2019 daemon.info /usr/sbin/thing[77]: started")
    assert (head.app, head.pid, msg) == ("/usr/sbin/thing", "77", "started")


def test_rfc5424_with_nils_and_structured_data() -> None:
    line = '<14>1 2024-06-03T06:19:02.5Z pve02 pvedaemon 991 - [meta a="x\\]y" b="2"][s k="v"] hi'
    head, msg = parse(line)
    assert head.format == "rfc5424"
    assert head.time == datetime(2024, 6, 3, 6, 19, 2, 500000, tzinfo=timezone.utc)
    assert (head.host, head.app, head.pid, head.msgid) == ("pve02", "pvedaemon", "991", None)
    assert msg == "hi"
    head, msg = parse("<6>1 - - kernel - - - eno1 up")
    assert (head.time, head.host, head.app, msg) == (None, None, "kernel", "eno1 up")


def test_rfc5424_bad_structured_data_is_not_a_header_crash() -> None:
    assert parse_syslog_header("<14>1 2024-06-03T06:19:02Z h a - - [unterminated msg") is None


def test_relay_double_header_keeps_device_host_and_relay() -> None:
    line = "2025-03-01T10:00:05+01:00 relay.lan Mar  1 10:00:04 SWITCH CEF:0|V|P|1|2|n|3|a=b"
    head, msg = parse(line, year=None)
    assert head.format == "relay+rfc3164"
    assert head.host == "SWITCH"
    assert head.relay_host == "relay.lan"
    # the relay's stamp (year and zone), not the device's zoneless local one (issue 12 item 6)
    assert head.time == datetime(2025, 3, 1, 9, 0, 5, tzinfo=timezone.utc)
    assert head.stamp.startswith("Mar  1 10:00:04")
    assert head.app is None
    assert msg == "CEF:0|V|P|1|2|n|3|a=b"


def test_cef_payload_is_not_taken_for_a_tag() -> None:
    head, msg = parse("Mar  1 10:00:04 gw-1 CEF:0|Ubiquiti|UniFi Network|1|2|x|1|k=v")
    assert (head.host, head.app) == ("gw-1", None)
    assert msg.startswith("CEF:0|")


def test_host_with_a_space_only_with_a_numeric_second_word_and_pid() -> None:
    head, msg = parse("Aug  1 01:02:03 host  07 corosync[55]:  [TOTEM ] x")
    assert (head.host, head.app, head.pid) == ("host  07", "corosync", "55")
    assert msg == " [TOTEM ] x"
    head, msg = parse("Aug  1 01:02:03 host seven: words")
    assert (head.host, head.app) == ("host", "seven")


def test_talos_dmesg() -> None:
    line = "172.20.0.2: kern:    info: [2024-05-25T15:23:30.123456789Z]: e1000e 0000:00:1f.6 x"
    head, msg = parse(line)
    assert head.format == "talos"
    assert head.time == datetime(2024, 5, 25, 15, 23, 30, 123456, tzinfo=timezone.utc)
    assert (head.host, head.app) == ("172.20.0.2", "kernel")
    assert (head.facility, head.level) == ("kern", "info")
    assert msg == "e1000e 0000:00:1f.6 x"
    head, _ = parse("node-a: user: warning: [2024-05-25T15:23:30Z]: [talos] task")
    assert head.app is None and head.facility == "user"


@pytest.mark.parametrize(
    "line",
    ["", "[ 12.000000] e1000e: eno1 NIC Link is Up", "  TDH   <f6>", "<999>Jun  3 06:19:02 h a: x",
     "hello world", "Jun 33", "kernel: e1000e x", "2024-13-45T99:99:99 host kernel: x"],
)
def test_lines_without_a_header(line: str) -> None:
    assert parse_syslog_header(line, default_year=2024) is None


def test_parse_iso_time() -> None:
    assert parse_iso_time("2024-06-03T06:19:02.1Z") == datetime(
        2024, 6, 3, 6, 19, 2, 100000, tzinfo=timezone.utc
    )
    assert parse_iso_time("not a time") is None
