"""Single-line helpers (prefixes, stamps, registers) and a fuzz run of the whole reader."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from labconsole.parse.hang_detector import HangDetector
from labconsole.parse.kernel_line import (
    is_journal_marker,
    is_prompt,
    netdev_fields,
    parse_line_head,
    register_pairs,
    split_dmesg_stamp,
)
from labconsole.parse.kernel_reader import KernelLogReader
from labconsole.parse.kernel_scan import scan_kernel_lines


def test_register_pairs() -> None:
    assert register_pairs("  TDH                  <f6>") == [("TDH", "f6")]
    assert register_pairs("PHY 1000BASE-T Status  <3800>") == [("PHY 1000BASE-T Status", "3800")]
    assert register_pairs("TDH, TDT             <0>, <9>") == [("TDH", "0"), ("TDT", "9")]
    assert register_pairs("next_to_watch        <ffff880402c90000>") == [
        ("next_to_watch", "ffff880402c90000")]
    assert register_pairs("buffer_info[next_to_clean]:") == []
    assert register_pairs("tx_buffer_info[next_to_clean]") == []
    assert register_pairs("e1000e: eno1 NIC Link is Up") is None
    assert register_pairs("x" * 300 + " <1>") is None


def test_netdev_fields() -> None:
    assert netdev_fields("e1000e 0000:00:1f.6 eno1: Detected") == ("e1000e", "eno1",
                                                                  "0000:00:1f.6")
    assert netdev_fields("virtio_net virtio2 enx0a69: renamed from eth0") == (
        "virtio_net", "enx0a69", None)
    assert netdev_fields("e1000e 0000:00:1f eno1: x") == ("e1000e", "eno1", "0000:00:1f")
    assert netdev_fields("igb: eth0 NIC Link is Up") == ("igb", "eth0", None)
    assert netdev_fields("NETDEV WATCHDOG: CPU: 8: transmit queue 0 timed out") == (
        None, None, None)
    assert netdev_fields("bridge0: port 1(eno1) entered disabled state") == (None, None, None)


def test_stamps_and_heads() -> None:
    assert split_dmesg_stamp("[  663.201606] x") == (663.201606, None, "x")
    assert split_dmesg_stamp("[xxxxxx] x") == (None, None, "x")
    assert split_dmesg_stamp("[Mon Feb 30 06:19:02 2024] x") is None  # no such date
    assert split_dmesg_stamp("no stamp") is None
    head = parse_line_head("Tue Dec  1 17:07:50 2020 kern.err kernel: [ 1023.724378] hi")
    assert (head.format, head.uptime, head.facility, head.message) == ("openwrt", 1023.724378,
                                                                       "kern", "hi")
    assert parse_line_head("just words").headed is False


def test_prompt_and_marker_recognition() -> None:
    for text in ("root@pve:~# dmesg | grep eno1", "user@host:/tmp$ journalctl -k",
                 "$ dmesg -T", "# dmesg", "[root@pve ~]# dmesg"):
        assert is_prompt(text), text
    for text in ("[ 1.0] e1000e: eno1 x", "######## SNIP ########", "  TDH <f6>",
                 "May 25 15:23:30 pve kernel: x"):
        assert not is_prompt(text), text
    assert is_journal_marker("-- Boot 0123abcd --")
    assert is_journal_marker("-- Logs begin at Mon 2024-06-03 06:00:00 CEST, end at ... --")
    assert not is_journal_marker("-- not a marker")


PIECES = st.sampled_from([
    "[ 12.000000] ", "[xxxxxx] ", "Jun  3 06:19:02 pve03 kernel: ", "kernel: ", "<3>",
    "<3>1 2024-06-03T06:19:02Z pve03 kernel - - - ", "2024-06-03T06:19:02+0200 pve03 ",
    "10.0.0.1: kern:    info: [2024-06-03T06:19:02.1Z]: ", "Mon Jun  3 06:19:02 2024 kern.err ",
    "e1000e 0000:00:1f.6 eno1: ", "Detected Hardware Unit Hang:", "Detected Tx Unit Hang",
    "NETDEV WATCHDOG: ", "transmit queue 3 timed out", "Reset adapter unexpectedly",
    "NIC Link is Up", "Link is Down", "  TDH   <f6>", "TDH, TDT <1>, <2>", "Tx Queue <x>",
    "next_to_clean <f6>", "buffer_info[next_to_clean]:", "{", "}", '"MESSAGE":', "__CURSOR=1",
    "MESSAGE", "=", "\n", " ", "\t", "[", "]", "<", ">", ":", "\x00", "\u00e9",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=60))
def test_fuzz_reader_detector_and_scan_never_fail(pieces: list[str]) -> None:
    text = "".join(pieces)
    reader = KernelLogReader(default_year=2024)
    detector = HangDetector()
    for line in reader.feed_text(text) + reader.close():
        detector.feed(line)
    detector.finish()
    # the catch-all in feed() must never be what kept us alive
    assert not any("unreadable line" in e for e in reader.errors), reader.errors
    for ep in detector.episodes:
        json.dumps(ep.to_json())
        assert ep.reports >= 1
    scan_kernel_lines(text.splitlines(), default_year=2024)
