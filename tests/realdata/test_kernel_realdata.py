"""Kernel reader, hang detector and scan on every real E*/N*/C* sample (../shared/realdata).

Expected values were written by reading each sample by hand. Both paths are checked: the
streaming reader + detector (live UI) and the prefiltered ``scan_kernel_lines`` (CLI) must
agree exactly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from labconsole.model.hang import HangEpisode
from labconsole.model.link import LinkEvent
from labconsole.model.link_summary import LinkTally
from labconsole.parse.hang_detector import HangDetector
from labconsole.parse.kernel_reader import KernelLogReader
from labconsole.parse.kernel_scan import looks_like_kernel_log, scan_kernel_lines

YEAR = 2024  # for the year-less syslog samples

# The registers that identify each sample's (last) report.
E01_REGS = {"TDH": "13", "TDT": "88", "next_to_use": "88", "next_to_clean": "7",
            "jiffies": "10022770b", "next_to_watch.status": "0", "PHY Extended Status": "3000"}


def hang(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"kind": "unit_hang", "pci": None, "host": None, "first": None,
                            "last": None, "stuck": None, "queues": [], "resets": 0}
    base.update(kw)
    return base


CASES: dict[str, dict[str, Any]] = {
    "e1000e_01.log": dict(
        lines=29, hosts={None},
        hangs=[hang(driver="e1000e", device="eth0", pci="0000:00:19.0", reports=2, stuck=True,
                    first_uptime=9327.470501, last_uptime=9329.469310, regs=E01_REGS,
                    nregs=12)],
        links=[],
    ),
    "e1000e_02.log": dict(
        lines=15, hosts={None}, kernel=14,
        hangs=[hang(driver="e1000e", device="eth0", pci="0000:00:19.0", reports=1,
                    first="2020-12-01T17:07:50", last="2020-12-01T17:07:50",
                    first_uptime=1023.724378, regs={"TDH": "63", "next_to_clean": "63",
                                                    "PHY 1000BASE-T Status": "3800"},
                    nregs=12)],
        links=[],
    ),
    "e1000e_03.log": dict(
        lines=15, hosts={None},
        hangs=[hang(driver="e1000e", device="eth0", pci="0000:00:19.0", reports=1,
                    first="2018-12-31T10:48:48", last="2018-12-31T10:48:48",
                    regs={"TDH": "4c", "next_to_clean": "3a", "PCI Status": "10"}, nregs=13)],
        links=[],
    ),
    "e1000e_05.log": dict(
        lines=29, hosts={None},
        hangs=[hang(driver="e1000e", device="eth0", pci="0000:00:19.0", reports=2, stuck=True,
                    first_uptime=665.191073, last_uptime=667.190527,
                    regs={"TDH": "1a", "next_to_clean": "13", "MAC Status": "40080083",
                          "jiffies": "100008fc8"}, nregs=11)],
        links=[],
    ),
    "e1000e_07.log": dict(
        lines=14, hosts={None},
        hangs=[hang(driver="e1000e", device="_p2cf05d501bfb", pci="0000:00:1f.6", reports=1,
                    regs={"TDH": "6d", "next_to_clean": "6c", "jiffies": "1003fde80"},
                    nregs=12)],
        links=[],
    ),
    "e1000e_09.log": dict(
        lines=20, hosts={None},
        hangs=[hang(driver="e1000e", device="eno1", pci="0000:00:1f.6", reports=1, resets=1,
                    first_uptime=2044.821230, regs={"TDH": "3e", "next_to_clean": "3d"},
                    nregs=13)],
        links=[("eno1", "up", None, None, 2051.705902)],
    ),
    "e1000e_12.log": dict(
        lines=21, hosts={"pve-02", None},
        hangs=[hang(driver="e1000e", device="eno1", pci="0000:00:19.0", host="pve-02",
                    reports=1, first="2024-05-25T15:23:30", last="2024-05-25T15:23:30",
                    regs={"TDH": "61", "next_to_clean": "60", "PCI Status": "10"}, nregs=13)],
        links=[],
    ),
    "e1000e_13.log": dict(
        lines=17, hosts={None},
        hangs=[
            hang(driver="e1000e", device="eno1", pci="0000:00:1f.6", reports=1, resets=1,
                 regs={"TDH": "44", "next_to_clean": "43"}, nregs=13),
            hang(kind="watchdog", driver="", device="", reports=1, queues=[0], regs={},
                 nregs=0),
        ],
        links=[],
    ),
    "e1000e_15.log": dict(
        lines=15, hosts={None},
        hangs=[hang(driver="e1000e", device="eno1", pci="0000:00:1f", reports=1,
                    first_uptime=97377.240263,
                    regs={"TDH": "22", "next_to_clean": "21", "PHY 1000BASE-T Status": "3800"},
                    nregs=13)],
        links=[],
    ),
    "e1000e_17.log": dict(
        lines=9, hosts={"Debian-101-buster-64-minimal"}, logical=10, unattached_resets=5,
        hangs=[],
        links=[("eno1", "up", f"{YEAR}-11-16T{t}", "Debian-101-buster-64-minimal", up)
               for t, up in [("13:33:12", 159112.946082), ("13:48:40", 160040.979557),
                             ("13:50:41", 160161.467258), ("13:54:41", 160401.918586),
                             ("14:09:51", 161311.848114)]],
    ),
    "nic_e1000_01.log": dict(
        lines=22, hosts={"homeassistant"}, kernel=17,
        hangs=[hang(driver="e1000", device="enp0s3", pci="0000:00:03.0", host="homeassistant",
                    reports=2, stuck=True, first="2026-01-19T16:20:20.995000",
                    last="2026-01-19T16:20:22.219000", queues=[0],
                    regs={"Tx Queue": "0", "TDH": "0", "TDT": "1", "next_to_use": "1",
                          "next_to_clean": "0"}, nregs=5)],
        links=[],
    ),
    "nic_igb_01.log": dict(
        lines=16, hosts={"workstation"},
        hangs=[hang(driver="igb", device="0000:09:00.0", pci="0000:09:00.0", host="workstation",
                    reports=2, stuck=True, first=f"{YEAR}-05-06T19:48:46",
                    last=f"{YEAR}-05-06T19:48:48", queues=[1],
                    regs={"Tx Queue": "1", "TDH": "0", "TDT": "1"}, nregs=3)],
        links=[("eth0", "up", f"{YEAR}-05-06T19:48:34", "workstation", 82.771627)],
    ),
    "nic_ixgbe_01.log": dict(
        lines=20, hosts={None},
        hangs=[hang(driver="ixgbe", device="eth3", pci="0000:02:00.1", reports=3,
                    queues=[6, 5, 4], first_uptime=89886.276567, last_uptime=89886.276587,
                    regs={"Tx Queue": "4", "TDH": "0", "TDT": "3", "next_to_use": "3"},
                    nregs=4)],
        links=[],
    ),
    "nic_linkflap_01_e1000e_100M.log": dict(
        lines=14, hosts={None}, skipped=1,
        hangs=[],
        links=[("eno1", "up", None, None, 13.702582), ("eno1", "up", None, None, 19.841054),
               ("eno1", "down", None, None, 904.341772), ("eno1", "up", None, None, 909.151672)],
    ),
    "nic_watchdog_01_r8169.log": dict(
        lines=3, hosts={None},
        hangs=[hang(kind="watchdog", driver="r8169", device="eth2", reports=1, queues=[0],
                    first_uptime=1137.025299, regs={}, nregs=0)],
        links=[],
    ),
    "nic_watchdog_03_r8125.log": dict(
        lines=14, hosts={None},
        # Two interfaces interleaved; each timeout is tens of minutes from the next one of the
        # same interface, so each is its own episode (quiet gap 60 s).
        hangs=[hang(kind="watchdog", driver="r8125", device=dev, pci=pci, reports=1,
                    queues=[0], first_uptime=up, regs={}, nregs=0)
               for dev, pci, up in [("eth4", "0000:22:04.0", 1356.296930),
                                    ("eth1", "0000:22:01.0", 3651.381145),
                                    ("eth4", "0000:22:04.0", 3680.140984),
                                    ("eth1", "0000:22:01.0", 16986.118987),
                                    ("eth4", "0000:22:04.0", 24736.933035),
                                    ("eth4", "0000:22:04.0", 28094.903314),
                                    ("eth1", "0000:22:01.0", 29949.187341)]],
        links=[],
    ),
    "nic_watchdog_05_ftgmac100.log": dict(
        lines=5, hosts={None},
        hangs=[hang(kind="watchdog", driver="ftgmac100", device="eth0", reports=1,
                    queues=[0], first_uptime=438.15, regs={}, nregs=0)],
        links=[],
    ),
    # igc (i225-V) prints igb's dump: two reports 2 s apart on queue 1. TDH == TDT == 7 and
    # next_to_use == next_to_clean: nothing was queued, so the ring is not "stuck".
    "nic_igc_01_tx_unit_hang.log": dict(
        lines=22, hosts={None},
        hangs=[hang(driver="igc", device="eth1", pci="0000:02:00.0", reports=2, stuck=False,
                    queues=[1], first_uptime=284188.749115, last_uptime=284190.748998,
                    regs={"Tx Queue": "1", "TDH": "7", "TDT": "7", "desc.status": "0"},
                    nregs=9)],
        links=[],
    ),
    # The NIC left the bus: a detached fact (checked in its own test), not a hang.
    "nic_igc_02_pcie_link_lost_dmesg.log": dict(lines=4, hosts={None}, hangs=[], links=[]),
    # Numeric host name; old-style watchdog on queue 5 after the WARNING line.
    "nic_watchdog_07_igb_q5_numeric_host.log": dict(
        lines=3, hosts={"11008211"},
        hangs=[hang(kind="watchdog", driver="igb", device="eth2", host="11008211",
                    reports=1, queues=[5], first=f"{YEAR}-10-15T19:26:35",
                    last=f"{YEAR}-10-15T19:26:35", regs={}, nregs=0)],
        links=[],
    ),
    # mlx5's own words: "TX timeout detected" and its queue line 4 ms later are one report;
    # the queue line's state values are its registers.
    "nic_mlx5_01_tx_timeout_dmesg.log": dict(
        lines=4, hosts={None},
        hangs=[hang(kind="tx_timeout", driver="mlx5_core", device="eth1", pci="0000:13:00.1",
                    reports=1, queues=[19], first_uptime=6756.098429,
                    regs={"SQ Cons": "0x3fd7", "SQ Prod": "0x3fe6"}, nregs=4)],
        links=[],
    ),
    # ISO syslog with the kmsg stamp glued to "kernel:".
    "nic_watchdog_08_r8152_iso_syslog.log": dict(
        lines=3, hosts={"server"}, kernel=2,
        hangs=[hang(kind="watchdog", driver="r8152", device="eth1", host="server",
                    reports=1, queues=[0], first="2022-11-04T14:09:31",
                    last="2022-11-04T14:09:31", first_uptime=75215.928881, regs={}, nregs=0)],
        links=[],
    ),
    # Two interfaces of one MAC, every ~5 s each: two episodes.
    "nic_watchdog_09_mtk_two_ifaces.log": dict(
        lines=11, hosts={None},
        hangs=[hang(kind="watchdog", driver="mtk_soc_eth", device="eth0", reports=6,
                    queues=[4], first_uptime=115546.740849, last_uptime=115571.760948,
                    regs={}, nregs=0),
               hang(kind="watchdog", driver="mtk_soc_eth", device="wan", reports=5,
                    queues=[1], first_uptime=115551.781133, last_uptime=115571.780951,
                    regs={}, nregs=0)],
        links=[],
    ),
    # ESXi vmkernel.log: no driver named, no queue; three timeouts 1 s apart.
    "nic_watchdog_10_esxi_vmkernel_vmnic1.log": dict(
        lines=3, hosts={None},
        hangs=[hang(kind="watchdog", driver="", device="vmnic1", reports=3,
                    first="2019-11-08T03:14:22.530000+00:00",
                    last="2019-11-08T03:14:24.531000+00:00", regs={}, nregs=0)],
        links=[],
    ),
    # Watchdog line BEFORE the WARNING line.
    "nic_watchdog_11_lan78xx.log": dict(
        lines=3, hosts={None},
        hangs=[hang(kind="watchdog", driver="lan78xx", device="eth0", reports=1, queues=[0],
                    first_uptime=42543.359139, regs={}, nregs=0)],
        links=[],
    ),
    # talosctl dmesg without a host, padded columns, ISO time with nanoseconds.
    "talos_01_dmesg_e1000e_padded_266col.log": dict(
        lines=4, hosts={None},
        hangs=[hang(driver="e1000e", device="eno1", pci="0000:00:1f.6", reports=1,
                    first="2024-06-29T10:52:39.030745+00:00",
                    last="2024-06-29T10:52:39.030745+00:00",
                    regs={"TDH": "a1", "TDT": "8b", "next_to_use": "8b"}, nregs=3)],
        links=[],
    ),
    "nic_watchdog_13_virtio_net_fcos_journal.log": dict(
        lines=6, hosts={"localhost.localdomain"},
        hangs=[hang(kind="watchdog", driver="virtio_net", device="enp0s1",
                    host="localhost.localdomain", reports=1, queues=[0],
                    first=f"{YEAR}-06-03T22:35:11", last=f"{YEAR}-06-03T22:35:11", regs={},
                    nregs=0)],
        links=[],
    ),
    "corosync_01_knet_down_members_left.log": dict(
        lines=10, hosts={"arch-coro1"}, kernel=0, hangs=[], links=[]),
    "corosync_03_pve_members_left_pmxcfs.log": dict(
        lines=16, hosts={"px1"}, kernel=0, hangs=[], links=[]),
    "corosync_05_pmxcfs_node_lost_quorum.log": dict(
        lines=10, hosts={"homelab2"}, kernel=0, hangs=[], links=[]),
    "corosync_07_qdevice_processor_failed_old_format.log": dict(
        lines=12, hosts={"test1"}, kernel=0, hangs=[], links=[]),
    "corosync_09_azure_docs_anonymized_host.log": dict(
        lines=4, hosts={"node  02"}, kernel=0, hangs=[], links=[]),
    # Headers the kernel reader does not take a host from (trimmed paste, corosync logfile):
    # their facts are read by parse.corosync_log (tests/realdata/test_corosync_realdata.py).
    "corosync_11_knet_stripped_no_host.log": dict(
        lines=4, hosts={None}, kernel=0, hangs=[], links=[]),
    "corosync_12_logfile_function_names_trailing_spaces.log": dict(
        lines=3, hosts={None}, kernel=0, hangs=[], links=[]),
    "corosync_13_votequorum_debug_pacemaker_node_lost.log": dict(
        lines=14, hosts={"node2"}, kernel=0, hangs=[], links=[]),
    "corosync_14_pacemaker_plugin_quorum_lost_sle11.log": dict(
        lines=10, hosts={"sle11sp3-1"}, kernel=0, hangs=[], links=[]),
    "corosync_15_double_timestamp_debug_merge.log": dict(
        lines=12, hosts={"SmallDebian9_1"}, kernel=0, hangs=[], links=[]),
    "corosync_21_corosync2_iso_nonprimary_members_left_two.log": dict(
        lines=19, hosts={"T3PRPDB011"}, kernel=0, hangs=[], links=[]),
    "corosync_22_logfile_no_date_glued_priority_indented.log": dict(
        lines=11, hosts={None}, kernel=0, hangs=[], links=[]),
}


def _read(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8", errors="surrogateescape").splitlines(keepends=True)


def _check_hang(got: HangEpisode, want: dict[str, Any]) -> None:
    for key in ("kind", "driver", "device", "pci", "host", "reports", "stuck", "queues",
                "resets"):
        assert getattr(got, key) == want[key], key
    data = got.to_json()
    assert (data["first"], data["last"]) == (want["first"], want["last"])
    for key in ("first_uptime", "last_uptime"):
        if key in want:
            assert getattr(got, key) == pytest.approx(want[key]), key
    for name, value in want["regs"].items():
        assert got.registers.get(name) == value, name
    assert len(got.registers) == want["nregs"]


def _check_link(got: LinkEvent, want: tuple[Any, ...]) -> None:
    device, state, time, host, uptime = want
    assert (got.device, got.state, got.to_json()["time"], got.host) == (device, state, time,
                                                                         host)
    assert got.uptime == pytest.approx(uptime)


def test_every_sample_is_covered(realdata: Path) -> None:
    names = {p.name for p in (realdata / "logs").glob("*.log")
             if p.name.startswith(("e1000e_", "nic_", "corosync_", "talos_"))}
    assert names == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_reader_and_detector(realdata: Path, name: str) -> None:
    want = CASES[name]
    reader = KernelLogReader(default_year=YEAR)
    detector = HangDetector()
    logical = []
    for raw in _read(realdata / "logs" / name):
        for line in reader.feed(raw):
            logical.append(line)
            detector.feed(line)
    for line in reader.close():
        logical.append(line)
        detector.feed(line)
    detector.finish()
    assert reader.errors == []
    assert reader.lineno == want["lines"]
    assert reader.skipped >= want.get("skipped", 0)
    assert {line.host for line in logical} == want["hosts"]
    if "logical" in want:
        assert len(logical) == want["logical"]
    assert detector.unattached_resets == want.get("unattached_resets", 0)
    assert len(detector.episodes) == len(want["hangs"])
    for got, expected in zip(detector.episodes, want["hangs"], strict=True):
        _check_hang(got, expected)
    assert len(detector.links) == len(want["links"])
    for got_link, expected_link in zip(detector.links, want["links"], strict=True):
        _check_link(got_link, expected_link)


@pytest.mark.parametrize("name", sorted(CASES))
def test_scan_matches_reader(realdata: Path, name: str) -> None:
    want = CASES[name]
    lines = _read(realdata / "logs" / name)
    facts: list[object] = []
    result = scan_kernel_lines(lines, default_year=YEAR, on_fact=facts.append)
    assert result.lines == want["lines"]
    assert result.errors == []
    if "kernel" in want:
        assert result.kernel_lines == want["kernel"]
    assert len(result.hangs) == len(want["hangs"])
    for got, expected in zip(result.hangs, want["hangs"], strict=True):
        _check_hang(got, expected)
    links = [f for f in facts if isinstance(f, LinkEvent)]
    assert [link.to_json() for link in links] == [
        {"device": d, "state": s, "time": t, "host": h} for d, s, t, h, _ in want["links"]
    ]
    tally = LinkTally()
    for link in links:
        tally.add(link)
    assert result.links.to_json() == tally.to_json()
    is_kernel_log = name.startswith(("e1000e_", "nic_", "talos_"))
    assert looks_like_kernel_log(lines[:20]) is is_kernel_log


def test_without_default_year_syslog_times_are_null(realdata: Path) -> None:
    result = scan_kernel_lines(_read(realdata / "logs" / "nic_igb_01.log"), default_year=None)
    assert result.hangs[0].first is None
    assert result.hangs[0].first_uptime == pytest.approx(95.178723)
    # OpenWrt logread prints the year itself.
    result = scan_kernel_lines(_read(realdata / "logs" / "e1000e_03.log"), default_year=None)
    assert result.hangs[0].to_json()["first"] == "2018-12-31T10:48:48"


def test_other_samples_are_not_kernel_logs_and_scan_cleanly(realdata: Path) -> None:
    """Quorum, ethtool, interfaces, API and CEF samples: no hangs, no links, no crash."""
    others = [p for p in sorted(realdata.glob("*/*"))
              if p.is_file() and p.suffix != ".tsv" and p.name not in CASES
              and p.name != "README.md"]
    assert len(others) >= 30
    for path in others:
        lines = _read(path)
        result = scan_kernel_lines(lines, default_year=YEAR)
        assert (result.hangs, result.links.to_json(), result.errors) == ([], [], []), path.name
        assert result.lines == len(lines)
        assert not looks_like_kernel_log(lines[:50]), path.name


def test_a_nic_that_left_the_bus_is_not_a_hang(realdata: Path) -> None:
    lines = _read(realdata / "logs" / "nic_igc_02_pcie_link_lost_dmesg.log")
    result = scan_kernel_lines(lines, default_year=YEAR)
    assert result.hangs == []
    assert [(d.driver, d.device, d.pci, d.uptime, d.lineno) for d in result.detached] == [
        ("igc", "enp2s0", "0000:02:00.0", pytest.approx(16616.450068), 1)]
