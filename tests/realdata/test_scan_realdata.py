"""``labconsole scan --json`` end to end on every real sample in ../shared/realdata.

Each file goes through the CLI in-process (``labconsole.cli.main`` + capsys), exactly as an
operator's script would call it, and the JSON is checked against the headless contract in
DESIGN.md. Expected values were written by reading each sample by hand (see the comments),
not copied from the tool's output. Every key of a file's JSON that an entry below does not
mention must be empty (``[]`` / ``None``), so a parser that starts finding things that are not
there fails too. A sample added to manifest.tsv without an entry here fails
``test_every_manifest_sample_has_expectations``.

Year-less timestamps (RFC 3164, journal short, the syslog prefix of CEF) are dated with
``--year 2026``.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from labconsole.cli import main

YEAR = "2026"
CONTRACT_KEYS = {"path", "kinds", "lines", "hangs", "links", "quorum_events", "quorum",
                 "offloads", "cef", "errors"}
HANG_KEYS = {"kind", "driver", "device", "pci", "host", "first", "last", "reports", "stuck",
             "registers", "forms", "resets"}
CEF_KEYS = {"vendor", "product", "version", "signature_id", "name", "severity", "time", "host",
            "extensions"}


def hang(driver: str, device: str, reports: int, *, kind: str = "unit_hang",
         pci: str | None = None, host: str | None = None, first: str | None = None,
         last: str | None = None, stuck: bool | None = None,
         regs: dict[str, str] | None = None, nregs: int = 0) -> dict[str, Any]:
    """One expected episode; ``regs`` are key registers of the LAST report, ``nregs`` all."""
    return {"kind": kind, "driver": driver, "device": device, "pci": pci, "host": host,
            "first": first, "last": last, "reports": reports, "stuck": stuck,
            "registers": regs or {}, "nregs": nregs}


def link(device: str, state: str, time: str | None = None,
         host: str | None = None) -> dict[str, Any]:
    """One expected link event; the contract reports them summarised per (host, device)."""
    return {"device": device, "state": state, "time": time, "host": host}


def link_summaries(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The contract's ``links`` for these events, in order of first appearance. The longest
    outage needs the lines' clocks, so it is checked by :func:`check_links`."""
    out: dict[tuple[str | None, str], dict[str, Any]] = {}
    for e in events:
        s = out.setdefault((e["host"], e["device"]), {
            "host": e["host"], "device": e["device"], "downs": 0, "ups": 0, "flaps": 0,
            "first": None, "last": None, "recent": [], "_down": False})
        s["downs" if e["state"] == "down" else "ups"] += 1
        if e["state"] == "up" and s["_down"]:
            s["flaps"] += 1
        s["_down"] = e["state"] == "down" or (s["_down"] and e["state"] != "up")
        if e["time"] is not None:
            s["first"] = s["first"] or e["time"]
            s["last"] = e["time"]
        s["recent"] = (s["recent"] + [{"state": e["state"], "time": e["time"]}])[-20:]
    for s in out.values():
        del s["_down"]
    return list(out.values())


def check_links(got: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
    want = link_summaries(events)
    assert [{k: v for k, v in g.items() if k != "longest_down_s"} for g in got] == want
    for g in got:
        longest = g["longest_down_s"]
        assert (longest is None) if not g["flaps"] else (longest is None or longest >= 0), g


def node(nodeid: int, name: str, local: bool = False, votes: int = 1) -> dict[str, Any]:
    return {"nodeid": nodeid, "votes": votes, "name": name, "local": local}


def quorum(quorate: bool, total: int, expected: int, q: int | None,
           nodes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"quorate": quorate, "total_votes": total, "expected_votes": expected, "quorum": q,
            "nodes": nodes}


def cef(vendor: str, product: str, version: str, sig: str, name: str, sev: str, *,
        time: str | None = None, host: str | None = None, ext: dict[str, str] | None = None,
        next_: int | None = None) -> dict[str, Any]:
    """One expected CEF record; ``ext`` is a subset of its extensions, ``next_`` their count."""
    return {"vendor": vendor, "product": product, "version": version, "signature_id": sig,
            "name": name, "severity": sev, "time": time, "host": host, "ext": ext or {},
            "next": next_}


def qe(kind: str, host: str | None, nodes: list[str], at: str | None) -> dict[str, Any]:
    """One expected quorum event (its ``text`` is checked to be the sample's own words)."""
    return {"at": at, "host": host, "kind": kind, "nodes": nodes}


def offloads(device: str | None, tso: bool, gso: bool, gro: bool, nfeatures: int,
             some: dict[str, str]) -> dict[str, Any]:
    return {"device": device, "tso": tso, "gso": gso, "gro": gro, "nfeatures": nfeatures,
            "some": some}


KERNEL = ["kernel_log"]
SYSLOG = ["syslog"]
COROSYNC = ["corosync_log", "syslog"]
H22 = "ssc-vm-1550.colo.seagate.com"
CEF = ["syslog_cef"]
SECURITY_PIPE = dict(vendor="security", product="threatmanager", version="1.0", sig="100",
                     sev="10")
PYCEF = ("pycef", "python CEF tests")
PYCEF_3 = {"field1": "value1", "field2": "value2", "field3": "value3"}
# Line 3 of the pycef vectors repeats field9: the later value wins, the key appears once.
PYCEF_DUP = {"field9": "value9", "field8": "value8"}

# path (as in manifest.tsv) -> what scan must report.
EXPECT: dict[str, dict[str, Any]] = {
    # ---- e1000e hangs -------------------------------------------------------------------
    # dmesg [secs] only: no wall clock, no host. Two reports 2 s apart with TDH <13> and
    # next_to_clean <7> in both (stuck). The second block is cut after PHY Extended Status, so
    # the last report has 12 registers and no PCI Status.
    "logs/e1000e_01.log": dict(kinds=KERNEL, lines=29, hangs=[
        hang("e1000e", "eth0", 2, pci="0000:00:19.0", stuck=True, nregs=12,
             regs={"TDH": "13", "TDT": "88", "next_to_clean": "7", "jiffies": "10022770b",
                   "next_to_watch.status": "0", "PHY Extended Status": "3000"})]),
    # OpenWrt logread with the year after the time; a noddos line first; block cut after
    # PHY Extended Status; next_to_watch <67> differs from TDH <63>.
    "logs/e1000e_02.log": dict(kinds=KERNEL, lines=15, hangs=[
        hang("e1000e", "eth0", 1, pci="0000:00:19.0", first="2020-12-01T17:07:50",
             last="2020-12-01T17:07:50", nregs=12,
             regs={"TDH": "63", "TDT": "a1", "next_to_clean": "63", "next_to_watch": "67",
                   "PHY 1000BASE-T Status": "3800"})]),
    "logs/e1000e_03.log": dict(kinds=KERNEL, lines=15, hangs=[
        hang("e1000e", "eth0", 1, pci="0000:00:19.0", first="2018-12-31T10:48:48",
             last="2018-12-31T10:48:48", nregs=13,
             regs={"TDH": "4c", "next_to_clean": "3a", "time_stamp": "1003cb311",
                   "PCI Status": "10"})]),
    # Starts with an orphan "PCI Status" line of an earlier block (not a report); then two
    # reports, TDH <1a> / next_to_clean <13> both times; the last one cut after 1000BASE-T.
    "logs/e1000e_05.log": dict(kinds=KERNEL, lines=29, hangs=[
        hang("e1000e", "eth0", 2, pci="0000:00:19.0", stuck=True, nregs=11,
             regs={"TDH": "1a", "next_to_clean": "13", "jiffies": "100008fc8",
                   "MAC Status": "40080083", "PHY 1000BASE-T Status": "3800"})]),
    # "kernel:" on the first line only; the interface has a generated name.
    "logs/e1000e_07.log": dict(kinds=KERNEL, lines=14, hangs=[
        hang("e1000e", "_p2cf05d501bfb", 1, pci="0000:00:1f.6", nregs=12,
             regs={"TDH": "6d", "TDT": "f5", "next_to_clean": "6c", "jiffies": "1003fde80"})]),
    # Unprefixed continuation lines; a reset, then bridge lines and the link coming up.
    "logs/e1000e_09.log": dict(kinds=KERNEL, lines=20, hangs=[
        hang("e1000e", "eno1", 1, pci="0000:00:1f.6", nregs=13,
             regs={"TDH": "3e", "next_to_clean": "3d", "PCI Status": "10"})],
        links=[link("eno1", "up")]),
    # journalctl short (year-less), host pve-02; SNIP marker and systemd lines after.
    "logs/e1000e_12.log": dict(kinds=KERNEL, lines=21, hangs=[
        hang("e1000e", "eno1", 1, pci="0000:00:19.0", host="pve-02",
             first="2026-05-25T15:23:30", last="2026-05-25T15:23:30", nregs=13,
             regs={"TDH": "61", "TDT": "90", "next_to_clean": "60", "MAC Status": "80083"})]),
    # Redacted [xxxxxx] stamps; the new-style watchdog line was pasted without its
    # "driver pci iface:" prefix, so it is a watchdog report of an unnamed device.
    "logs/e1000e_13.log": dict(kinds=KERNEL, lines=17, hangs=[
        hang("e1000e", "eno1", 1, pci="0000:00:1f.6", nregs=13,
             regs={"TDH": "44", "TDT": "9b", "next_to_clean": "43"}),
        hang("", "", 1, kind="watchdog")]),
    # Page-text extraction: the PCI address is printed truncated ("0000:00:1f") and kept so.
    "logs/e1000e_15.log": dict(kinds=KERNEL, lines=15, hangs=[
        hang("e1000e", "eno1", 1, pci="0000:00:1f", nregs=13,
             regs={"TDH": "22", "TDT": "2f", "next_to_clean": "21", "jiffies": "1017253e0"})]),
    # kern.log with resets and link-ups only (no hang dump: no hang). Line 1 is two records
    # glued together (reset at 13:33:09 + link up at 13:33:12).
    "logs/e1000e_17.log": dict(kinds=KERNEL, lines=9, links=[
        link("eno1", "up", f"{YEAR}-11-16T{t}", "Debian-101-buster-64-minimal")
        for t in ("13:33:12", "13:48:40", "13:50:41", "13:54:41", "14:09:51")]),
    # ---- other NICs ---------------------------------------------------------------------
    # igb names only the bus address; queue 1; TDH <0> TDT <1> unchanged in both reports; the
    # second report is cut after TDT.
    "logs/nic_igb_01.log": dict(kinds=KERNEL, lines=16, hangs=[
        hang("igb", "0000:09:00.0", 2, pci="0000:09:00.0", host="workstation",
             first=f"{YEAR}-05-06T19:48:46", last=f"{YEAR}-05-06T19:48:48", stuck=True,
             nregs=3, regs={"Tx Queue": "1", "TDH": "0", "TDT": "1"})],
        links=[link("eth0", "up", f"{YEAR}-05-06T19:48:34", "workstation")]),
    # Three queues (6, 5, 4) of eth3 within 20 us: one episode of 3 reports; different rings
    # so nothing to compare (stuck unknown). "TDH, TDT <0>, <3>" is split in two registers;
    # the last report is cut after next_to_use.
    "logs/nic_ixgbe_01.log": dict(kinds=KERNEL, lines=20, hangs=[
        hang("ixgbe", "eth3", 3, pci="0000:02:00.1", nregs=4,
             regs={"Tx Queue": "4", "TDH": "0", "TDT": "3", "next_to_use": "3"})]),
    # HAOS journal with ms; e1000 says "Tx Unit Hang" (still a unit hang); systemd lines between
    # the two reports do not split the episode. The last report is cut after next_to_clean.
    "logs/nic_e1000_01.log": dict(kinds=KERNEL, lines=22, hangs=[
        hang("e1000", "enp0s3", 2, pci="0000:00:03.0", host="homeassistant",
             first="2026-01-19T16:20:20.995000", last="2026-01-19T16:20:22.219000",
             stuck=True, nregs=5,
             regs={"Tx Queue": "0", "TDH": "0", "TDT": "1", "next_to_use": "1",
                   "next_to_clean": "0"})]),
    "logs/nic_watchdog_01_r8169.log": dict(kinds=KERNEL, lines=3, hangs=[
        hang("r8169", "eth2", 1, kind="watchdog")]),
    # Seven timeouts, tens of minutes apart, alternating eth4 / eth1: seven episodes.
    "logs/nic_watchdog_03_r8125.log": dict(kinds=KERNEL, lines=14, hangs=[
        hang("r8125", dev, 1, kind="watchdog", pci=f"0000:22:0{dev[-1]}.0")
        for dev in ("eth4", "eth1", "eth4", "eth1", "eth4", "eth4", "eth1")]),
    "logs/nic_watchdog_05_ftgmac100.log": dict(kinds=KERNEL, lines=5, hangs=[
        hang("ftgmac100", "eth0", 1, kind="watchdog")]),
    # Shell prompt line first; "link is not ready" (IPv6) lines are not link events.
    "logs/nic_linkflap_01_e1000e_100M.log": dict(kinds=KERNEL, lines=14, links=[
        link("eno1", "up"), link("eno1", "up"), link("eno1", "down"), link("eno1", "up")]),
    # igc (i225-V) with igb's dump, two reports 2 s apart; TDH == TDT: nothing queued, so the
    # ring is not stuck however long the hang check fires.
    "logs/nic_igc_01_tx_unit_hang.log": dict(kinds=KERNEL, lines=22, hangs=[
        hang("igc", "eth1", 2, pci="0000:02:00.0", stuck=False, nregs=9,
             regs={"Tx Queue": "1", "TDH": "7", "TDT": "7", "next_to_clean": "7"})]),
    # The NIC vanished from the bus: its own kind, not a hang.
    "logs/nic_igc_02_pcie_link_lost_dmesg.log": dict(kinds=KERNEL, lines=4, nic_events=[
        {"kind": "detached", "driver": "igc", "device": "enp2s0", "pci": "0000:02:00.0",
         "host": None, "time": None}]),
    "logs/nic_watchdog_07_igb_q5_numeric_host.log": dict(kinds=KERNEL, lines=3, hangs=[
        hang("igb", "eth2", 1, kind="watchdog", host="11008211",
             first=f"{YEAR}-10-15T19:26:35", last=f"{YEAR}-10-15T19:26:35")]),
    # mlx5's "TX timeout detected" plus its queue line: one report, the queue line's values.
    "logs/nic_mlx5_01_tx_timeout_dmesg.log": dict(kinds=KERNEL, lines=4, hangs=[
        hang("mlx5_core", "eth1", 1, kind="tx_timeout", pci="0000:13:00.1", nregs=4,
             regs={"SQ": "0xab6", "CQ": "0xd4a", "SQ Cons": "0x3fd7", "SQ Prod": "0x3fe6"})]),
    "logs/nic_watchdog_08_r8152_iso_syslog.log": dict(kinds=KERNEL, lines=3, hangs=[
        hang("r8152", "eth1", 1, kind="watchdog", host="server",
             first="2022-11-04T14:09:31", last="2022-11-04T14:09:31")]),
    "logs/nic_watchdog_09_mtk_two_ifaces.log": dict(kinds=KERNEL, lines=11, hangs=[
        hang("mtk_soc_eth", "eth0", 6, kind="watchdog"),
        hang("mtk_soc_eth", "wan", 5, kind="watchdog")]),
    # ESXi's vmkernel names no driver.
    "logs/nic_watchdog_10_esxi_vmkernel_vmnic1.log": dict(kinds=KERNEL, lines=3, hangs=[
        hang("", "vmnic1", 3, kind="watchdog", first="2019-11-08T03:14:22.530000+00:00",
             last="2019-11-08T03:14:24.531000+00:00")]),
    "logs/nic_watchdog_11_lan78xx.log": dict(kinds=KERNEL, lines=3, hangs=[
        hang("lan78xx", "eth0", 1, kind="watchdog")]),
    "logs/nic_watchdog_13_virtio_net_fcos_journal.log": dict(kinds=KERNEL, lines=6, hangs=[
        hang("virtio_net", "enp0s1", 1, kind="watchdog", host="localhost.localdomain",
             first=f"{YEAR}-06-03T22:35:11", last=f"{YEAR}-06-03T22:35:11")]),
    # talosctl dmesg, no host, padded: driver, device and the record's own time.
    "logs/talos_01_dmesg_e1000e_padded_266col.log": dict(kinds=KERNEL, lines=4, hangs=[
        hang("e1000e", "eno1", 1, pci="0000:00:1f.6", first="2024-06-29T10:52:39.030745+00:00",
             last="2024-06-29T10:52:39.030745+00:00", nregs=3,
             regs={"TDH": "a1", "TDT": "8b", "next_to_use": "8b"})]),
    # ---- votes --------------------------------------------------------------------------
    "pvecm_raw/pvecm_01_pvedocs_asciidoc.txt": dict(kinds=["quorum_status"], lines=32,
        quorum=quorum(True, 4, 4, 3, [node(1, "192.168.15.91"), node(2, "192.168.15.92", True),
                                      node(3, "192.168.15.93"), node(4, "192.168.15.94")])),
    "pvecm_raw/pvecm_02_single_node_quorate_knet_2020.txt": dict(
        kinds=["quorum_status"], lines=29,
        quorum=quorum(True, 1, 1, 1, [node(1, "192.168.0.150", True)])),
    "pvecm_raw/pvecm_04_two_node_NOT_quorate_2017.txt": dict(
        kinds=["quorum_status"], lines=22,
        quorum=quorum(False, 1, 2, 2, [node(2, "10.10.10.102", True)])),
    "pvecm_raw/pvecm_06_NOT_quorate_knet_2023_empty_membership.txt": dict(
        kinds=["quorum_status"], lines=28, quorum=quorum(False, 1, 3, 2, [])),
    # The QDevice row (nodeid 0) is a vote, not a node: 2 nodes + 1 QDevice vote = 3 of 4.
    "pvecm_raw/pvecm_07_qdevice_quorate_2026.txt": dict(
        kinds=["quorum_status"], lines=24,
        quorum=quorum(True, 3, 4, 3, [node(1, "192.168.51.239"),
                                      node(2, "192.168.50.218", True)])),
    "pvecm_raw/cqt_01_corosync2_no_blank_lines_2016.txt": dict(
        kinds=["quorum_status"], lines=21,
        quorum=quorum(True, 2, 2, 2, [node(2, "10.10.10.26", True), node(1, "10.10.10.91")])),
    "pvecm_raw/cqt_03_pcs_debug_quorumtool_p_NOT_quorate_2node_indented.txt": dict(
        kinds=["quorum_status"], lines=31,
        quorum=quorum(False, 1, 2, 1, [node(1, "master-0.ostest.test.metalkube.org", True)])),
    # ---- corosync / pmxcfs / pacemaker logs: nothing from the kernel; the cluster's own words
    # as facts (kind, logging host, nodes as printed, time from the line's header).
    # knet: the link to node 3 went down, then node 3 left the membership.
    "logs/corosync_01_knet_down_members_left.log": dict(kinds=COROSYNC, lines=10, quorum_events=[
        qe("link_down", "arch-coro1", ["3"], f"{YEAR}-07-04T09:56:56"),
        qe("member_left", "arch-coro1", ["3"], f"{YEAR}-07-04T09:57:04")]),
    # Proxmox: node 1 left and rejoined in the same second (pmxcfs member lists are CPG, not
    # membership changes).
    "logs/corosync_03_pve_members_left_pmxcfs.log": dict(kinds=COROSYNC, lines=16, quorum_events=[
        qe("member_left", "px1", ["1"], f"{YEAR}-04-27T11:26:29"),
        qe("member_joined", "px1", ["1"], f"{YEAR}-04-27T11:26:29")]),
    "logs/corosync_05_pmxcfs_node_lost_quorum.log": dict(kinds=COROSYNC, lines=10,
        quorum_events=[qe("quorum_lost", "homelab2", [], f"{YEAR}-08-08T20:22:01")]),
    "logs/corosync_07_qdevice_processor_failed_old_format.log": dict(
        kinds=COROSYNC, lines=12,
        quorum_events=[qe("member_left", "test1", ["2"], f"{YEAR}-04-02T19:17:27")]),
    # The host is anonymised with a space in it; kept as logged.
    "logs/corosync_09_azure_docs_anonymized_host.log": dict(kinds=COROSYNC, lines=4,
        quorum_events=[qe("link_down", "node  02", ["2"], f"{YEAR}-08-21T01:47:27")]),
    # Trimmed lines: no host at all (the "[KNET]" tag is not a host).
    "logs/corosync_11_knet_stripped_no_host.log": dict(kinds=COROSYNC, lines=4,
        quorum_events=[qe("link_up", None, ["2"], f"{YEAR}-01-07T03:14:33")]),
    # corosync's logfile format with function names ("[pid] host corosync notice [TOTEM ]").
    "logs/corosync_12_logfile_function_names_trailing_spaces.log": dict(
        kinds=COROSYNC, lines=3, quorum_events=[
            qe("member_left", "paas-controller-192-162-1-53", ["162001054"],
               f"{YEAR}-06-13T16:19:36")]),
    # pacemaker's two daemons both say node1 is lost: one fact. Members[1] is a view only.
    "logs/corosync_13_votequorum_debug_pacemaker_node_lost.log": dict(
        kinds=COROSYNC, lines=14,
        quorum_events=[qe("member_left", "node2", ["node1"], f"{YEAR}-02-01T15:09:09")]),
    "logs/corosync_14_pacemaker_plugin_quorum_lost_sle11.log": dict(kinds=COROSYNC, lines=10,
        quorum_events=[qe("quorum_lost", "sle11sp3-1", [], f"{YEAR}-02-13T17:29:44"),
                       qe("member_left", "sle11sp3-1", ["sle11sp3-2"],
                          f"{YEAR}-02-13T17:29:44")]),
    # A membership merge: nobody left or joined in the excerpt.
    "logs/corosync_15_double_timestamp_debug_merge.log": dict(kinds=SYSLOG, lines=12),
    # RFC 3339 stamps with an offset; nodes 1 and 2 left, this node is in the non-primary
    # component; the "Members" lines after it name nobody.
    "logs/corosync_21_corosync2_iso_nonprimary_members_left_two.log": dict(
        kinds=COROSYNC, lines=19, quorum_events=[
            qe("member_left", "T3PRPDB011", ["1", "2"], "2022-04-04T18:51:16.081236+00:00"),
            qe("quorum_lost", "T3PRPDB011", [], "2022-04-04T18:51:16.081685+00:00")]),
    # Date-less logfile lines (no time), then pacemaker's own words with a date.
    "logs/corosync_22_logfile_no_date_glued_priority_indented.log": dict(
        kinds=["corosync_log"], lines=11, quorum_events=[
            qe("member_left", H22, ["4", "3"], None),
            qe("quorum_lost", H22, [], None),
            qe("quorum_lost", H22, [], f"{YEAR}-12-20T15:24:09"),
            qe("member_left", H22, [H22.replace("1550", "1558")], f"{YEAR}-12-20T15:24:09")]),
    # ---- Proxmox API ---------------------------------------------------------------------
    # Standalone node: no cluster row, so no votes to report.
    "pve_api_raw/api_01_cluster_status_standalone_pvesh_9.1.1.json": dict(
        kinds=["pve_api"], lines=1,
        pve_api={"endpoint": "cluster_status", "cluster": None,
                 "nodes": [("aghub", 0, True, True)]}),
    # Trimmed: cluster says 4 nodes but one node row is shown, so votes are not inferred.
    "pve_api_raw/api_02_cluster_status_homelab_lab_trimmed.txt": dict(
        kinds=["pve_api"], lines=2,
        pve_api={"endpoint": "cluster_status",
                 "cluster": {"name": "Homelab-Lab", "quorate": True, "nodes": 4, "version": 7},
                 "nodes": [("workstation2", None, True, None)]}),
    "pve_api_raw/api_04_nodes_pve_network_raw_api2_json.json": dict(
        kinds=["pve_api"], lines=1,
        pve_api={"endpoint": "network",
                 "network": [("vmbr0", "bridge", ["nic0"], "192.168.200.134/24"),
                             ("nic0", "eth", [], None)]}),
    # ---- ethtool ------------------------------------------------------------------------
    "ethtool_raw/ethtool_i_01_pve03_e1000e.txt": dict(kinds=["ethtool_driver"], lines=11,
        driver=("e1000e", "6.8.12-4-pve", "0.8-4", "0000:00:1f.6", "yes")),
    "ethtool_raw/ethtool_i_02_pve02_e1000e.txt": dict(kinds=["ethtool_driver"], lines=11,
        driver=("e1000e", "6.8.12-10-pve", "0.13-4", "0000:00:19.0", "yes")),
    "ethtool_raw/ethtool_i_04_ubuntuforums_e1000e_3.2.6-k.txt": dict(
        kinds=["ethtool_driver"], lines=11,
        driver=("e1000e", "3.2.6-k", "0.5-4", "0000:00:1f.6", "no")),
    # Full -k: 51 feature lines between the header and the closing dashes.
    "ethtool_raw/ethtool_k_05_full_e1000e_centos7.txt": dict(
        kinds=["ethtool_features"], lines=55,
        offloads=offloads("eno1", True, True, True, 51,
                          {"tx-checksum-ipv4": "off [fixed]", "highdma": "on [fixed]",
                           "tx-tcp-mangleid-segmentation": "off",
                           "rx-udp_tunnel-port-offload": "off [fixed]"})),
    # Grepped for "offload": no "Features for" header, so no device; tso already off.
    "ethtool_raw/ethtool_k_grep_offload_01_pve03.txt": dict(
        kinds=["ethtool_features"], lines=19,
        offloads=offloads("enp0s31f6", False, True, True, 18,
                          {"large-receive-offload": "off [fixed]", "rx-vlan-offload": "on",
                           "hsr-dup-offload": "off [fixed]"})),
    # ---- /etc/network/interfaces --------------------------------------------------------
    "interfaces_raw/interfaces_01_majabojarska.txt": dict(kinds=["interfaces"], lines=11,
        interfaces=[("lo", "loopback"), ("eno1", "manual"), ("vmbr0", "dhcp")]),
    "interfaces_raw/interfaces_02_pve_persisted_vmbr0_postup.txt": dict(
        kinds=["interfaces"], lines=19,
        interfaces=[("lo", "loopback"), ("eno1", "manual"), ("vmbr0", "static"),
                    ("wlp0s20f3", "manual")]),
    "interfaces_raw/interfaces_04_pve_eno1_postup_full_offloads.txt": dict(
        kinds=["interfaces"], lines=11, interfaces=[("eno1", "manual"), ("vmbr0", "static")]),
    "interfaces_raw/interfaces_05_up_instead_of_postup.txt": dict(
        kinds=["interfaces"], lines=6, interfaces=[("eno1", "manual")]),
    "interfaces_raw/interfaces_07_postup_logger_chain_IFACE.txt": dict(
        kinds=["interfaces"], lines=2, interfaces=[("eno1", "manual")]),
    # ---- UniFi CEF ----------------------------------------------------------------------
    # UniFi Network CEF: the time is UNIFIutcTime (UTC), not the local syslog prefix.
    "logs/unifi_cef_01_ips_block_syslog_prefix_9.4.19.log": dict(kinds=CEF, lines=1, cef=[
        cef("Ubiquiti", "UniFi Network", "9.4.19", "201", "Threat Detected and Blocked", "7",
            time="2025-08-30T17:53:21.915000+00:00", host="Express-7", next_=19,
            ext={"src": "193.163.125.170", "dpt": "443",
                 "UNIFIsubCategory": "Intrusion Prevention", "UNIFIhost": "Express 7",
                 "UNIFIipsSignature": "ET DROP Dshield Block Listed Source group 1",
                 "msg": "A network intrusion attempt from 193.163.125.170 to DS920+ macvlan "
                        "has been detected and blocked."})]),
    # Six header fields only: the seventh slot is missing, read as signature "admins",
    # severity "1", empty name. UniFi OS has no UNIFIutcTime: the syslog prefix dates it.
    "logs/unifi_cef_03_unifi_os_malformed_header.log": dict(kinds=CEF, lines=1, cef=[
        cef("Ubiquiti", "UniFi OS", "4.3.6", "admins", "", "1", time=f"{YEAR}-08-05T20:34:54",
            host="pandora", next_=1,
            ext={"msg": "mindthelog accessed the UniFi OS via unifi.ui.com. Source IP: "
                        "1.2.3.4"})]),
    "logs/unifi_cef_05_unifi_os_admin_config_change.log": dict(kinds=CEF, lines=1, cef=[
        cef("Ubiquiti", "UniFi OS", "5.1.31", "1005", "Admin Made Config Changes", "2",
            next_=7, ext={"UNIFIdeviceMac": "68:D7:9A:35:AF:41", "UNIFIhost": "Host",
                          "msg": 'Ian C. changed Syslog Settings Mode setting from "off" to '
                                 '"external". Source IP: 71.235.83.203'})]),
    "logs/unifi_cef_07_internet_down.log": dict(kinds=CEF, lines=1, cef=[
        cef("Ubiquiti", "UniFi Network", "10.5.67", "100", "Internet Down", "10",
            time="2026-08-25T07:22:44.467000+00:00", next_=15,
            ext={"UNIFIcategory": "Internet and WAN", "UNIFIwanPort": "9",
                 "UNIFIwanIsp": "Comcast Cable", "UNIFIwanSubnet": "71.235.83.203/21"})]),
    "logs/unifi_cef_09_network_updated.log": dict(kinds=CEF, lines=1, cef=[
        cef("Ubiquiti", "UniFi Network", "10.6.101", "578", "Network Updated", "4",
            time="2026-08-28T02:28:59.064000+00:00", next_=7,
            ext={"UNIFIcategory": "Software Updates", "UNIFIapplication": "UniFi Network",
                 "UNIFIapplicationPriorVersion": "10.5.67"})]),
    "logs/unifi_cef_11_ap_channel_change.log": dict(kinds=CEF, lines=1, cef=[
        cef("Ubiquiti", "UniFi Network", "10.5.67", "530", "AP Channel Change", "2",
            time="2026-08-20T06:01:15.074000+00:00", next_=11,
            ext={"UNIFIdeviceName": "UAP-IW Basement Theater", "UNIFIcurrentChannel": "112",
                 "UNIFIpriorChannel": "40"})]),
    "logs/unifi_cef_13_wired_client_connected.log": dict(kinds=CEF, lines=1, cef=[
        cef("Ubiquiti", "UniFi Network", "10.6.106", "403", "Wired Client Connected", "1",
            time="2026-09-24T22:14:35.876000+00:00", next_=19,
            ext={"UNIFIconnectedToDeviceName": "USW Pro Max 16 PoE",
                 "UNIFIconnectedToDevicePort": "4", "UNIFIclientAlias": "IDRAC-R630 d8:14",
                 "UNIFIlinkSpeed": "GbE", "UNIFInetworkVlan": "55"})]),
    # A UniFi AP's own hostapd syslog: syslog, not CEF.
    "logs/unifi_noncef_01_ap_hostapd.log": dict(kinds=SYSLOG, lines=1),
    # Relay header + device header + CEF: the host is the device's (CONTROLLER).
    "logs/unifi_cef_15_wazuh_samples_double_header.log": dict(kinds=CEF, lines=5, cef=[
        cef("Ubiquiti", "UniFi Network", "10.4.57", "400", "WiFi Client Connected", "1",
            time="2026-07-17T08:51:14.660000+00:00", host="CONTROLLER", next_=23,
            ext={"UNIFIsite": "Site A", "UNIFIWiFiRssi": "-60", "UNIFIclientIp": "10.0.1.50"}),
        cef("Ubiquiti", "UniFi Network", "10.4.57", "401", "WiFi Client Disconnected", "2",
            time="2026-07-17T08:50:35.355000+00:00", host="CONTROLLER", next_=27,
            ext={"UNIFIlastConnectedToWiFiRssi": "-67", "UNIFIduration": "31m 59s",
                 "UNIFIusageDown": "16,52 KB"}),
        cef("Ubiquiti", "UniFi Network", "10.4.57", "402", "WiFi Client Roamed", "1",
            time="2026-07-17T08:40:42.057000+00:00", host="CONTROLLER", next_=28,
            ext={"UNIFIconnectedToDeviceName": "UNIAP-02",
                 "UNIFIlastConnectedToDeviceName": "UNIAP-01",
                 "UNIFIclientAlias": "LAPTOP-01 aa:11"}),
        cef("Ubiquiti", "UniFi Network", "10.4.57", "544", "Network Accessed", "4",
            time="2026-07-17T08:14:14.329000+00:00", host="CONTROLLER", next_=8,
            ext={"UNIFIadmin": "admin", "src": "10.0.1.38"}),
        cef("Ubiquiti", "UniFi Network", "10.4.57", "400", "WiFi Client Connected", "1",
            time="2026-07-17T08:51:20+00:00", host="CONTROLLER", next_=22,
            ext={"UNIFIclientAlias": "TV-01", "UNIFIWiFiRssi": "-51"})]),
    # ---- CEF spec vectors ---------------------------------------------------------------
    "cef_raw/cef_spec_01_arcsight_escaping_examples.txt": dict(kinds=CEF, lines=3, cef=[
        cef(**SECURITY_PIPE, name="detected a | in message", next_=3,
            ext={"src": "10.0.0.1", "act": "blocked a |", "dst": "1.1.1.1"}),
        cef(**SECURITY_PIPE, name="detected a \\ in packet", next_=3,
            ext={"act": "blocked a \\", "dst": "1.1.1.1"}),
        cef(**SECURITY_PIPE, name="detected a = in message", next_=3,
            ext={"act": "blocked a =", "dst": "1.1.1.1"})]),
    "cef_raw/cef_spec_02_arcsight_examples_with_syslog_prefix.txt": dict(kinds=CEF, lines=3,
        cef=[
        cef(**SECURITY_PIPE, name="detected a | in message", time=f"{YEAR}-09-19T08:26:10",
            host="host", next_=3, ext={"act": "blocked a |"}),
        cef(**SECURITY_PIPE, name="detected a \\ in packet", time=f"{YEAR}-09-19T08:26:10",
            host="host", next_=3, ext={"act": "blocked a \\"}),
        cef(**SECURITY_PIPE, name="detected a \\ in packet", next_=3,
            ext={"act": "blocked a \\"})]),
    "cef_raw/cef_pycef_testdata.cef": dict(kinds=CEF, lines=3, cef=[
        cef(*PYCEF, "1", "2", "Test event 1", "3", ext=PYCEF_3, next_=3),
        cef(*PYCEF, "4", "5", "Test event 2", "6", next_=3,
            ext={"field4": "value4", "field5": "value5", "field6": "value6"}),
        cef(*PYCEF, "7", "8", "Test event 3", "9", ext=PYCEF_DUP, next_=2)]),
    "cef_raw/cef_pycef_testdata-pipes.cef": dict(kinds=CEF, lines=1, cef=[
        cef(*PYCEF, "1", "2", "Test pipe event 1", "3", next_=3,
            ext={"field1": "value1", "field2": "value2|more", "field3": "value3"})]),
    "cef_raw/cef_pycef_testdata-syslog.txt": dict(kinds=CEF, lines=1, cef=[
        cef(*PYCEF, "1", "2", "Test event 1", "3", time=f"{YEAR}-11-16T21:24:18",
            host="arcsightfwd.davidbianco.io", ext=PYCEF_3, next_=3)]),
    # An empty header field in each position, then two, then all.
    "cef_raw/cef_pycef_testdata-missing-header-values.cef": dict(kinds=CEF, lines=8, cef=[
        cef("", "python CEF tests", "1", "2", "Test event 1", "3", ext=PYCEF_3, next_=3),
        cef("pycef", "", "4", "5", "Test event 2", "6", next_=3, ext={"field6": "value6"}),
        cef(*PYCEF, "", "8", "Test event 3", "9", ext=PYCEF_DUP, next_=2),
        cef(*PYCEF, "7", "", "Test event 3", "9", ext=PYCEF_DUP, next_=2),
        cef(*PYCEF, "7", "8", "", "9", ext=PYCEF_DUP, next_=2),
        cef(*PYCEF, "7", "8", "Test event 3", "", ext=PYCEF_DUP, next_=2),
        cef("", "python CEF tests", "7", "", "Test event 3", "9", ext=PYCEF_DUP, next_=2),
        cef("", "", "", "", "", "", ext=PYCEF_DUP, next_=2)]),
    "cef_raw/cef_format_cef_pypi_example.txt": dict(kinds=CEF, lines=1, cef=[
        cef("acme corp", "TNT", "1.0", "404 | not found", "Explosives not found", "10",
            ext={"act": "bang = !"}, next_=1)]),
    "cef_raw/cef_raccoon_siem_unicode_vendor.txt": dict(kinds=CEF, lines=1, cef=[
        cef("\u0435\u043d\u043e\u0442", "threatmanager", "1.0", "100",
            "detected a | in message", "10", ext={"act": "blocked message"}, next_=3)]),
    # A vendor document's example: wrapped date line, and "\u2026" as the whole extension,
    # which is not key=value: the header is kept (it is the alert), the extension is empty.
    "cef_raw/cef_kaspersky_doc_header_example.txt": dict(kinds=CEF, lines=2, cef=[
        cef("AO Kaspersky Lab", "Kaspersky Web Traffic Security", "6.1.0.1234",
            "LMS_EV_SETTINGS_CHANGED", "task settings changed", "Low",
            host="host.domain.com", next_=0)]),
}


def scan_json(capsys: pytest.CaptureFixture[str], *paths: str) -> list[dict[str, Any]]:
    code = main(["scan", "--json", "--year", YEAR, *paths])
    out = capsys.readouterr().out
    assert code == 0
    files: list[dict[str, Any]] = json.loads(out)["files"]
    return files


def manifest_paths(realdata: Path) -> list[str]:
    with (realdata / "manifest.tsv").open(newline="", encoding="utf-8") as fh:
        return [row["path"] for row in csv.DictReader(fh, delimiter="\t")]


def test_every_manifest_sample_has_expectations(realdata: Path) -> None:
    listed = manifest_paths(realdata)
    assert len(listed) == len(set(listed))
    assert sorted(set(listed) - set(EXPECT)) == [], "samples without expectations"
    assert sorted(set(EXPECT) - set(listed)) == [], "expectations for unlisted samples"


@pytest.mark.parametrize("rel", sorted(EXPECT))
def test_scan_json_matches_reading_of_sample(
    rel: str, realdata: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = realdata / rel
    (got,) = scan_json(capsys, str(path))
    want = EXPECT[rel]
    assert set(got) >= CONTRACT_KEYS
    assert got["path"] == str(path)
    assert got["kinds"] == want["kinds"]
    assert got["lines"] == want["lines"]
    check_hangs(got["hangs"], want.get("hangs", []))
    check_links(got["links"], want.get("links", []))
    assert got["nic_events"] == want.get("nic_events", [])
    check_quorum_events(got["quorum_events"], want.get("quorum_events", []),
                        path.read_text(encoding="utf-8", errors="replace"))
    assert got["quorum"] == want.get("quorum")
    check_offloads(got["offloads"], want.get("offloads"))
    check_cef(got["cef"], want.get("cef", []))
    assert got["errors"] == want.get("errors", [])
    check_extras(got, want)


def check_hangs(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert len(got) == len(want), [(h["driver"], h["device"], h["reports"]) for h in got]
    for g, w in zip(got, want, strict=True):
        assert set(g) == HANG_KEYS
        plain = {k: v for k, v in w.items() if k not in ("registers", "nregs")}
        assert {k: g[k] for k in plain} == plain
        assert {k: g["registers"].get(k) for k in w["registers"]} == w["registers"]
        assert len(g["registers"]) == w["nregs"], sorted(g["registers"])


def check_quorum_events(got: list[dict[str, Any]], want: list[dict[str, Any]],
                        sample: str) -> None:
    assert [{k: g[k] for k in ("at", "host", "kind", "nodes")} for g in got] == want
    for g in got:
        assert set(g) == {"at", "host", "kind", "nodes", "text"}
        assert g["text"] and g["text"] in sample


def check_offloads(got: dict[str, Any] | None, want: dict[str, Any] | None) -> None:
    if want is None:
        assert got is None
        return
    assert got is not None
    assert (got["device"], got["tso"], got["gso"], got["gro"]) == (
        want["device"], want["tso"], want["gso"], want["gro"])
    assert len(got["features"]) == want["nfeatures"]
    assert {k: got["features"].get(k) for k in want["some"]} == want["some"]


def check_cef(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert set(g) == CEF_KEYS
        header = {k: v for k, v in w.items() if k not in ("ext", "next")}
        assert {k: g[k] for k in header} == header
        assert {k: g["extensions"].get(k) for k in w["ext"]} == w["ext"]
        assert len(g["extensions"]) == w["next"], sorted(g["extensions"])


def check_extras(got: dict[str, Any], want: dict[str, Any]) -> None:
    """Block formats whose details live outside the contract's fixed keys."""
    if "driver" in want:
        driver, version, firmware, bus, priv = want["driver"]
        d = got["driver"]
        assert (d["driver"], d["version"], d["firmware"], d["bus"]) == (
            driver, version, firmware, bus)
        assert d["fields"]["supports-priv-flags"] == priv
        assert d["fields"]["expansion-rom-version"] == ""
    else:
        assert "driver" not in got
    if "interfaces" in want:
        assert [(i["name"], i["method"]) for i in got["interfaces"]] == want["interfaces"]
        assert {i["family"] for i in got["interfaces"]} == {"inet"}
    else:
        assert "interfaces" not in got
    if "pve_api" in want:
        check_pve_api(got["pve_api"], want["pve_api"])
    else:
        assert "pve_api" not in got


def check_pve_api(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert got["endpoint"] == want["endpoint"]
    if want["endpoint"] == "cluster_status":
        status = got["cluster_status"]
        cluster = status["cluster"]
        if want["cluster"] is None:
            assert cluster is None
        else:
            assert {k: cluster[k] for k in want["cluster"]} == want["cluster"]
        assert [(n["name"], n["nodeid"], n["online"], n["local"]) for n in status["nodes"]] == (
            want["nodes"])
    else:
        assert [(n["iface"], n["type"], n["bridge_ports"], n["cidr"])
                for n in got["network"]] == want["network"]


@pytest.mark.parametrize("rel", sorted(EXPECT))
def test_stdin_and_gzip_give_the_same_json(
    rel: str, realdata: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = (realdata / rel).read_bytes()
    packed = tmp_path / "sample.gz"
    packed.write_bytes(gzip.compress(data))
    (by_path,) = scan_json(capsys, str(realdata / rel))
    (by_gzip,) = scan_json(capsys, str(packed))
    results = [by_gzip]
    for payload in (data, gzip.compress(data)):
        # A BufferedReader over the bytes, like the real sys.stdin.buffer (it can peek).
        stdin = io.TextIOWrapper(io.BufferedReader(io.BytesIO(payload)))
        monkeypatch.setattr(sys, "stdin", stdin)
        (by_stdin,) = scan_json(capsys, "-")
        assert by_stdin["path"] == "-"
        results.append(by_stdin)
    by_path.pop("path")
    for other in results:
        other.pop("path")
        assert other == by_path


def test_all_samples_in_one_call_match_one_by_one(
    realdata: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Several paths at once: one report per path, in order, each as when scanned alone."""
    paths = [str(realdata / rel) for rel in sorted(EXPECT)]
    together = scan_json(capsys, *paths)
    assert [f["path"] for f in together] == paths
    for path, got in zip(paths, together, strict=True):
        (alone,) = scan_json(capsys, path)
        assert got == alone


def test_human_summary_names_every_sample_and_its_findings(
    realdata: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --json: a header line per file with its kinds, and a line per finding."""
    paths = [str(realdata / rel) for rel in sorted(EXPECT)]
    assert main(["scan", "--year", YEAR, *paths]) == 0
    out = capsys.readouterr().out
    headers = [line for line in out.splitlines() if not line.startswith("  ")]
    assert len(headers) == len(paths)
    for header, rel in zip(headers, sorted(EXPECT), strict=True):
        want = EXPECT[rel]
        kinds = ", ".join(want["kinds"]) or "no known format"
        assert header == f"{realdata / rel}: {kinds}, {want['lines']} lines"
    findings = [line.strip().split()[0] for line in out.splitlines() if line.startswith("  ")]
    assert findings.count("NIC") == sum(len(w.get("nic_events", [])) for w in EXPECT.values())
    assert findings.count("HANG") == sum(len(w.get("hangs", [])) for w in EXPECT.values())
    assert findings.count("link") == sum(len(link_summaries(w.get("links", [])))
                                         for w in EXPECT.values())
    assert findings.count("votes") == sum("quorum" in w for w in EXPECT.values())
    assert findings.count("cluster") == sum(
        len(w.get("quorum_events", [])) for w in EXPECT.values())
    assert findings.count("CEF") == sum(len(w.get("cef", [])) for w in EXPECT.values())
    assert "  HANG e1000e eno1 on pve-02: unit_hang x 1, at 2026-05-25T15:23:30\n" in out
