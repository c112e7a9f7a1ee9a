"""TX hang / timeout / reset reports of every common NIC driver, one synthetic form each, and
the kernel-record forms they arrive in (issue 15)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from labconsole.model import HangEpisode
from labconsole.parse.kernel_scan import scan_kernel_lines
from labconsole.parse.kernel_scan_blocks import scan_kernel_blocks


def scan(text: str) -> tuple[list[HangEpisode], list[object]]:
    lines = text.splitlines(keepends=True)
    by_line = scan_kernel_lines(lines, default_year=2026)
    by_block = scan_kernel_blocks([text.encode()], default_year=2026)
    assert [h.to_json() for h in by_line.hangs] == [h.to_json() for h in by_block.hangs]
    assert by_line.errors == []
    return by_line.hangs, list(by_line.detached)


def one(text: str) -> HangEpisode:
    hangs, detached = scan(text)
    assert len(hangs) == 1 and detached == [], hangs
    return hangs[0]


@pytest.mark.parametrize(
    ("text", "driver", "device", "kind", "forms", "queues"),
    [
        ("[  10.000000] igc 0000:02:00.0 enp2s0: Detected Tx Unit Hang\n"
         "[  10.000000]   Tx Queue             <0>\n",
         "igc", "enp2s0", "unit_hang", ["unit_hang"], [0]),
        ("[  10.000000] igb 0000:09:00.0: Detected Tx Unit Hang\n",
         "igb", "0000:09:00.0", "unit_hang", ["unit_hang"], []),
        ("[  10.000000] NETDEV WATCHDOG: enp3s0 (r8169): transmit queue 0 timed out\n",
         "r8169", "enp3s0", "watchdog", ["watchdog"], [0]),
        ("[  10.000000] r8125 0000:04:00.0 enp4s0: NETDEV WATCHDOG: CPU: 2: transmit queue 0 "
         "timed out 5440 ms\n", "r8125", "enp4s0", "watchdog", ["watchdog"], [0]),
        ("[  10.000000] tg3 0000:02:00.0 eth0: transmit timed out, resetting\n",
         "tg3", "eth0", "tx_timeout", ["tx_timeout"], []),
        ("[  10.000000] vmxnet3 0000:0b:00.0 ens192: tx hang\n",
         "vmxnet3", "ens192", "tx_timeout", ["tx_timeout"], []),
        ("[  10.000000] mlx5_core 0000:13:00.1 enp19s0f1: TX timeout detected\n"
         "[  10.001000] mlx5_core 0000:13:00.1 enp19s0f1: TX timeout on queue: 3, SQ: 0x10, "
         "CQ: 0x20, SQ Cons: 0x5 SQ Prod: 0x9, usecs since last trans: 9000000\n",
         "mlx5_core", "enp19s0f1", "tx_timeout", ["tx_timeout"], [3]),
        ("[  10.000000] NETDEV WATCHDOG: ens3 (virtio_net): transmit queue 1 timed out\n"
         "[  10.000200] virtio_net virtio1 ens3: TX timeout on queue: 1, sq: output.1, vq: 0x3,"
         " name: output.1, 6000 usecs ago\n",
         "virtio_net", "ens3", "watchdog", ["watchdog", "tx_timeout"], [1]),
        ("[  10.000000] i40e 0000:3b:00.0 eno5: tx_timeout: VSI_seid: 391, Q 4, NTC: 0x10, "
         "HWB: 0x10, NTU: 0x14, TAIL: 0x14, INT: 0x1\n"
         "[  10.000001] i40e 0000:3b:00.0 eno5: tx_timeout recovery level 1, txqueue 4\n",
         "i40e", "eno5", "tx_timeout", ["tx_timeout"], [4]),
        ("[  10.000000] ice 0000:af:00.0 ens1f0: tx_timeout: VSI_num: 3, Q 2, NTC: 0x10, "
         "HW_HEAD: 0x10, NTU: 0x20, INT: 0x0\n"
         "[  10.000001] ice 0000:af:00.0 ens1f0: tx_timeout recovery level 1, txqueue 2\n",
         "ice", "ens1f0", "tx_timeout", ["tx_timeout"], [2]),
        ("[  10.000000] ixgbe 0000:02:00.1 eth3: tx hang 1 detected on queue 6, resetting "
         "adapter\n", "ixgbe", "eth3", "reset", ["reset"], [6]),
        ("[  10.000000] i40e 0000:3b:00.0: TX driver issue detected, PF reset issued\n",
         "i40e", "0000:3b:00.0", "reset", ["reset"], []),
        ("[  10.000000] bnx2x 0000:05:00.0 enp5s0f0: NETDEV WATCHDOG: CPU: 0: transmit queue 3 "
         "timed out 5120 ms\n", "bnx2x", "enp5s0f0", "watchdog", ["watchdog"], [3]),
    ],
)
def test_each_driver_form(text: str, driver: str, device: str, kind: str, forms: list[str],
                          queues: list[int]) -> None:
    ep = one(text)
    assert (ep.driver, ep.device, ep.kind, ep.forms, ep.queues, ep.reports) == (
        driver, device, kind, forms, queues, 1)
    assert ep.first_uptime == pytest.approx(10.0)


def test_reset_after_a_hang_dump_counts_on_that_episode() -> None:
    ep = one("[  20.000000] ixgbe 0000:02:00.1 eth3: Detected Tx Unit Hang\n"
             "[  20.000000]   Tx Queue             <6>\n"
             "[  20.000000]   TDH, TDT             <0>, <3>\n"
             "[  20.000100] ixgbe 0000:02:00.1 eth3: tx hang 1 detected on queue 6, resetting "
             "adapter\n")
    assert (ep.kind, ep.reports, ep.resets, ep.forms) == ("unit_hang", 1, 1, ["unit_hang",
                                                                               "reset"])
    assert ep.to_json()["resets"] == 1


def test_driver_state_values_fold_and_show_a_stuck_ring() -> None:
    line = ("ice 0000:af:00.0 ens1f0: tx_timeout: VSI_num: 3, Q 2, NTC: 0x10, HW_HEAD: 0x10, "
            "NTU: 0x{ntu}, INT: 0x0\n")
    ep = one(f"[  30.000000] {line.format(ntu='20')}[  40.000000] {line.format(ntu='28')}")
    assert (ep.reports, ep.stuck, ep.registers["NTC"], ep.consumer()) == (
        2, True, "0x10", ("NTC", "0x10"))


def test_an_empty_queue_is_not_a_stuck_ring() -> None:
    block = ("[  {t}.000000] igc 0000:02:00.0 eth1: Detected Tx Unit Hang\n"
             "[  {t}.000000]   Tx Queue             <1>\n"
             "[  {t}.000000]   TDH                  <7>\n"
             "[  {t}.000000]   TDT                  <7>\n")
    ep = one(block.format(t=50) + block.format(t=52))
    assert (ep.reports, ep.stuck) == (2, False)


def test_a_nic_that_left_the_bus_is_its_own_kind() -> None:
    hangs, detached = scan("[ 800.000000] igc 0000:02:00.0 enp2s0: PCIe link lost, device now "
                           "detached\n[ 800.000100] igc: Failed to read reg 0xc030!\n")
    assert hangs == []
    assert [d.to_json() for d in detached] == [{  # type: ignore[attr-defined]
        "kind": "detached", "driver": "igc", "device": "enp2s0", "pci": "0000:02:00.0",
        "host": None, "time": None}]


@pytest.mark.parametrize(
    ("text", "host", "time"),
    [
        # talosctl dmesg without a host, facility/level padded either way
        ("kern:     err: [2026-01-22T15:00:15.5Z]: e1000e 0000:00:1f.6 eno1: Detected Hardware"
         " Unit Hang:\n", None, datetime(2026, 1, 22, 15, 0, 15, 500000, tzinfo=timezone.utc)),
        ("pve01: kern: err:    [2026-01-22T15:00:15.5Z]: e1000e 0000:00:1f.6 eno1: Detected "
         "Hardware Unit Hang:\n", "pve01",
         datetime(2026, 1, 22, 15, 0, 15, 500000, tzinfo=timezone.utc)),
        # dmesg -x, with and without -T
        ("kern  :err   : [ 1023.724378] e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:\n",
         None, None),
        ("kern  :err   : [Thu Jan 22 15:00:15 2026] e1000e 0000:00:1f.6 eno1: Detected Hardware "
         "Unit Hang:\n", None, datetime(2026, 1, 22, 15, 0, 15)),
        # the kmsg stamp glued to the tag
        ("2026-01-22T15:00:15 pve01 kernel:[ 12.5] e1000e 0000:00:1f.6 eno1: Detected Hardware "
         "Unit Hang:\n", "pve01", datetime(2026, 1, 22, 15, 0, 15)),
        # "HOST kernel:" with no stamp
        ("pve01 kernel: e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:\n", "pve01", None),
        # CRLF
        ("Jan 22 15:00:15 pve01 kernel: e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:"
         "\r\n", "pve01", datetime(2026, 1, 22, 15, 0, 15)),
        # RFC 5424 and 3164 with PRI
        ("<3>1 2026-01-22T15:00:15Z pve01 kernel - - - e1000e 0000:00:1f.6 eno1: Detected "
         "Hardware Unit Hang:\n", "pve01", datetime(2026, 1, 22, 15, 0, 15, tzinfo=timezone.utc)),
        ("<3>Jan 22 15:00:15 pve01 kernel: e1000e 0000:00:1f.6 eno1: Detected Hardware Unit "
         "Hang:\n", "pve01", datetime(2026, 1, 22, 15, 0, 15)),
        # RFC 5424 written to a file without its <PRI>
        ("1 2026-01-22T15:00:15Z pve01 kernel - - - e1000e 0000:00:1f.6 eno1: Detected "
         "Hardware Unit Hang:\n", "pve01", datetime(2026, 1, 22, 15, 0, 15, tzinfo=timezone.utc)),
    ],
)
def test_record_forms_give_host_driver_device_time(text: str, host: str | None,
                                                    time: datetime | None) -> None:
    ep = one(text)
    assert (ep.driver, ep.device, ep.pci, ep.host, ep.first) == (
        "e1000e", "eno1", "0000:00:1f.6", host, time)


def test_records_glued_with_only_their_host_prefix() -> None:
    text = ("pve03 kernel: e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:"
            "pve03 kernel:   TDH                  <f6>pve03 kernel:   TDT                  <2a>"
            "pve03 kernel: e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:"
            "pve03 kernel:   TDH                  <f6>pve03 kernel:   TDT                  <2a>\n")
    ep = one(text)
    assert (ep.host, ep.reports, ep.stuck, ep.registers) == (
        "pve03", 2, True, {"TDH": "f6", "TDT": "2a"})


def test_vmkernel_watchdog() -> None:
    ep = one("2026-01-22T03:14:22.530Z cpu3:2097575)WARNING: LinNet: netdev_watchdog:3688: "
             "NETDEV WATCHDOG: vmnic1: transmit timed out\n")
    assert (ep.driver, ep.device, ep.kind, ep.host) == ("", "vmnic1", "watchdog", None)
    assert ep.first == datetime(2026, 1, 22, 3, 14, 22, 530000, tzinfo=timezone.utc)


def test_a_line_starting_with_1_is_not_rfc5424_without_a_stamp() -> None:
    hangs, _ = scan("1 - pve01 kernel - - - e1000e 0000:00:1f.6 eno1: Detected Hardware Unit "
                    "Hang:\n")
    assert [(h.host, h.first) for h in hangs] == []  # prose-shaped: no header, no device start


@pytest.mark.parametrize(
    ("line", "device", "state"),
    [
        ("mlx5_core 0000:13:00.1 enp19s0f1: Link down", "enp19s0f1", "down"),
        ("mlx5_core 0000:13:00.1 enp19s0f1: Link up", "enp19s0f1", "up"),
        ("igc 0000:02:00.0 enp2s0: NIC Link is Up 2500 Mbps Full Duplex, Flow Control: RX/TX",
         "enp2s0", "up"),
        ("ice 0000:af:00.0 ens1f0: NIC Link is up 25 Gbps Full Duplex, Requested FEC: RS-FEC",
         "ens1f0", "up"),
        ("tg3 0000:02:00.0 eth0: Link is down", "eth0", "down"),
        ("i40e 0000:3b:00.0 eno5: NIC Link is Down", "eno5", "down"),
    ],
)
def test_link_lines_of_other_drivers(line: str, device: str, state: str) -> None:
    text = f"Mar 14 06:19:02 pve01 kernel: [ 12.000000] {line}\n"
    by_line = scan_kernel_lines([text], default_year=2026)
    by_block = scan_kernel_blocks([text.encode()], default_year=2026)
    for result in (by_line, by_block):
        assert [(s["host"], s["device"], s["downs"], s["ups"])
                for s in result.links.to_json()] == [
            ("pve01", device, int(state == "down"), int(state == "up"))]
