"""Times in the console's views (issue 12 item 6): one zone (UTC), dates wherever the data
spans days (kernel log rows, timeline rows, the replay position), kernel uptime for a log
without wall-clock times. Each case replays a log file through the real console (Pilot, speed
0, as ``labconsole replay`` builds it) and reads the screen as an operator would."""

from __future__ import annotations

import argparse
from pathlib import Path

from labconsole.cli import build_parser
from labconsole.commands.replay import replay_app
from tests.ui.helpers import screen_lines, settle

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "kernel"


def _args() -> argparse.Namespace:
    """``labconsole replay --speed 0`` as the CLI parses it (its paths are given apart)."""
    return build_parser().parse_args(["replay", "--speed", "0", "unused"])


def _midnight_log(tmp_path: Path) -> Path:
    """pve03's link goes down before midnight (local +02:00 stamps) and up after it (UTC)."""
    path = tmp_path / "midnight.log"
    path.write_text(
        "2024-06-04T01:59:58+02:00 pve03 kernel: e1000e 0000:00:1f.6 eno1: NIC Link is Down\n"
        "2024-06-04T00:00:03Z pve03 kernel: e1000e 0000:00:1f.6 eno1: NIC Link is Up 1000 "
        "Mbps Full Duplex, Flow Control: Rx/Tx\n")
    return path


async def test_data_across_midnight_is_shown_with_dates_in_utc(tmp_path: Path) -> None:
    app, _ = replay_app([_midnight_log(tmp_path)], _args(), "replay")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = "\n".join(screen_lines(app))
    # kernel log rows: the +02:00 stamp in UTC like the other, each with its date
    assert "  06-03 23:59:58 pve03 e1000e 0000:00:1f.6 eno1: NIC Link is Down" in screen
    assert "  06-04 00:00:03 pve03 e1000e 0000:00:1f.6 eno1: NIC Link is Up" in screen
    assert "01:59:58" not in screen
    # timeline rows and the incident's header, dated
    assert "── incident 1 from 06-03 23:59:58: link down on pve03 eno1" in screen
    assert "06-03 23:59:58 LINK pve03 eno1 link down" in screen
    assert "06-04 00:00:03 LINK pve03 eno1 link up" in screen
    assert "replay 06-04 00:00:03/06-04 00:00:03" in screen  # the replay position, dated


async def test_a_log_without_wall_clock_times_is_shown_as_uptime() -> None:
    app, _ = replay_app([FIXTURES / "dmesg.log"], _args(), "replay")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = "\n".join(screen_lines(app))
    assert "  [5013.625] file:dmesg vmbr0: port 2(tap100i0) entered forwarding state" in screen
    assert "[5015.875] file:dmesg e1000e eno1 hang x 6" in screen  # the folded episode
    assert "[5015.875] HANG file:dmesg e1000e eno1 hang x 6" in screen  # its timeline row
    assert "00:00:00" not in screen and "1970" not in screen
