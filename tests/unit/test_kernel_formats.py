"""The same invented pve03 incident in every supported format gives the same episodes.

Fixtures are written by tests/fixtures/kernel/make_fixtures.py: a stuck e1000e ring (TDH and
next_to_clean frozen at <f6>) reported every 2 s six times, a reset, a link-up, and an hour
later a short hang whose ring moves.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from labconsole.model.hang import HangEpisode
from labconsole.model.link_summary import LinkTally
from labconsole.parse.hang_detector import HangDetector
from labconsole.parse.kernel_reader import KernelLogReader
from labconsole.parse.kernel_scan import looks_like_kernel_log, scan_kernel_lines

TZ = timezone(timedelta(hours=2))
FIRST = datetime(2024, 6, 3, 6, 19, 2, tzinfo=TZ)
LAST = datetime(2024, 6, 3, 6, 19, 12, tzinfo=TZ)
UPTIME_FIRST = 5015.875

# name: (host, clock) where clock is "aware" (offset printed), "naive" (local wall time),
# "seconds" (naive, no fraction printed) or None (uptime only).
FORMATS = {
    "short.log": ("pve03", "seconds"),
    "short_precise.log": ("pve03", "naive"),
    "short_iso.log": ("pve03", "aware-seconds"),
    "short_iso_precise.log": ("pve03", "aware"),
    "haos.log": ("pve03", "naive"),
    "dmesg.log": (None, None),
    "dmesg_T.log": (None, "seconds"),
    "rfc3164_pri.log": ("pve03", "seconds"),
    "rfc5424.log": ("pve03", "aware"),
    "openwrt.log": (None, "seconds"),
    "talos.log": ("10.5.0.3", "aware"),
    "journal.json": ("pve03", "aware"),
    "journal.export": ("pve03", "aware"),
}
WITH_UPTIME = {"dmesg.log", "rfc3164_pri.log", "openwrt.log", "journal.json", "journal.export"}


def lines_of(path: Path) -> list[str]:
    # surrogateescape keeps the export format's binary lengths byte-exact
    return path.read_bytes().decode("utf-8", "surrogateescape").splitlines(keepends=True)


def detect(lines: list[str]) -> tuple[HangDetector, KernelLogReader]:
    reader = KernelLogReader(default_year=2024)
    detector = HangDetector()
    for raw in lines:
        for line in reader.feed(raw):
            detector.feed(line)
    for line in reader.close():
        detector.feed(line)
    detector.finish()
    return detector, reader


def check_time(got: datetime | None, want: datetime, clock: str | None) -> None:
    if clock is None:
        assert got is None
    elif clock.startswith("aware"):
        assert got is not None and got.tzinfo is not None
        assert got == want
    else:
        assert got is not None and got.tzinfo is None
        assert got == want.replace(tzinfo=None)


def check_incident(episodes: list[HangEpisode], name: str) -> None:
    host, clock = FORMATS[name]
    assert len(episodes) == 2
    stuck, moving = episodes
    for ep in episodes:
        assert (ep.kind, ep.driver, ep.device, ep.pci, ep.host) == (
            "unit_hang", "e1000e", "eno1", "0000:00:1f.6", host)
    assert (stuck.reports, stuck.stuck, stuck.resets) == (6, True, 1)
    assert stuck.registers["TDH"] == stuck.registers["next_to_clean"] == "f6"
    assert stuck.registers["jiffies"] == "1004a8d40"  # the sixth report's
    assert stuck.registers["next_to_watch.status"] == "0"
    assert len(stuck.registers) == 13
    check_time(stuck.first, FIRST, clock)
    check_time(stuck.last, LAST, clock)
    if name in WITH_UPTIME:
        assert stuck.first_uptime == pytest.approx(UPTIME_FIRST)
        assert stuck.last_uptime == pytest.approx(UPTIME_FIRST + 10)
    assert (moving.reports, moving.stuck, moving.resets) == (2, False, 0)
    assert (moving.registers["TDH"], moving.registers["next_to_clean"]) == ("30", "2f")


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_reader_and_detector_on_every_format(fixtures: Path, name: str) -> None:
    detector, reader = detect(lines_of(fixtures / "kernel" / name))
    assert reader.errors == []
    check_incident(detector.episodes, name)
    assert [(link.device, link.state) for link in detector.links] == [("eno1", "up")]
    assert detector.links[0].host == FORMATS[name][0]


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_scan_gives_the_same_as_the_reader(fixtures: Path, name: str) -> None:
    lines = lines_of(fixtures / "kernel" / name)
    result = scan_kernel_lines(lines, default_year=2024)
    detector, _ = detect(lines)
    assert result.errors == []
    assert result.lines == len(lines)
    check_incident(result.hangs, name)
    assert [h.to_json() for h in result.hangs] == [h.to_json() for h in detector.episodes]
    tally = LinkTally()
    for link in detector.links:
        tally.add(link)
    assert result.links.to_json() == tally.to_json()
    assert looks_like_kernel_log(lines[:30])


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_chunking_does_not_change_the_result(fixtures: Path, name: str) -> None:
    text = (fixtures / "kernel" / name).read_bytes().decode("utf-8", "surrogateescape")
    want, _ = detect(text.splitlines(keepends=True))
    for size in (1, 7, 4096, len(text)):
        reader = KernelLogReader(default_year=2024)
        detector = HangDetector()
        for start in range(0, len(text), size):
            for line in reader.feed_text(text[start : start + size]):
                detector.feed(line)
        for line in reader.close():
            detector.feed(line)
        detector.finish()
        assert [h.to_json() for h in detector.episodes] == [h.to_json() for h in want.episodes]
        assert [x.to_json() for x in detector.links] == [x.to_json() for x in want.links]


def test_scan_json_matches_the_contract_shape(fixtures: Path) -> None:
    result = scan_kernel_lines(lines_of(fixtures / "kernel" / "short_iso.log"), default_year=None)
    data = result.to_json()
    assert set(data) == {"lines", "hangs", "links", "quorum_events", "errors"}
    first = data["hangs"][0]
    assert set(first) == {"kind", "driver", "device", "pci", "host", "first", "last",
                          "reports", "stuck", "registers", "forms", "resets"}
    # in UTC: one zone in every view (issue 12 item 6); the stamps said +02:00
    assert (first["first"], first["last"]) == ("2024-06-03T04:19:02+00:00",
                                               "2024-06-03T04:19:12+00:00")
    assert data["links"] == [{"host": "pve03", "device": "eno1", "downs": 0, "ups": 1,
                              "flaps": 0, "first": "2024-06-03T04:19:17+00:00",
                              "last": "2024-06-03T04:19:17+00:00", "longest_down_s": None,
                              "recent": [{"state": "up",
                                          "time": "2024-06-03T04:19:17+00:00"}]}]
