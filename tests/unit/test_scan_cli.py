"""``labconsole scan``: inputs by path, stdin and gzip; exit codes; the JSON contract's keys."""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path

import pytest

from labconsole.cli import main

FIX = Path(__file__).resolve().parents[1] / "fixtures"
FILE_KEYS = {"path", "kinds", "lines", "hangs", "links", "quorum_events", "nic_events", "quorum",
             "offloads", "cef", "errors"}
HANG_KEYS = {"kind", "driver", "device", "pci", "host", "first", "last", "reports", "stuck",
             "registers", "forms", "resets"}

PVE03_HANG = """\
2026-03-14T06:19:02+0100 pve03 kernel: e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:
                                  TDH                  <f6>
                                  TDT                  <1a>
                                  next_to_use          <1a>
                                  next_to_clean        <f6>
                                buffer_info[next_to_clean]:
                                  time_stamp           <10a8b3c2d>
                                  next_to_watch        <f6>
                                  jiffies              <10a8b3e40>
                                  next_to_watch.status <0>
                                MAC Status             <40080083>
                                PHY Status             <796d>
                                PHY 1000BASE-T Status  <3800>
                                PHY Extended Status    <3000>
                                PCI Status             <10>
"""


def _hang_log(reports: int) -> str:
    out = []
    for i in range(reports):
        out.append(PVE03_HANG.replace("06:19:02", f"06:19:{2 + 2 * i:02d}"))
    out.append("2026-03-14T06:20:00+0100 pve03 kernel: e1000e: eno1 NIC Link is Down\n")
    return "".join(out)


def _scan_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["scan", "--json", "--year", "2026", *args])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_kernel_log_with_stuck_hang_episode(tmp_path: Path, capsys) -> None:
    log = tmp_path / "pve03-kern.log"
    log.write_text(_hang_log(5))
    code, data = _scan_json(capsys, str(log))
    assert code == 0
    (f,) = data["files"]
    assert set(f) >= FILE_KEYS
    assert f["kinds"] == ["kernel_log"]
    assert f["lines"] == 5 * 15 + 1
    (hang,) = f["hangs"]
    assert set(hang) == HANG_KEYS
    assert (hang["kind"], hang["driver"], hang["device"], hang["pci"], hang["host"]) == (
        "unit_hang", "e1000e", "eno1", "0000:00:1f.6", "pve03")
    assert hang["reports"] == 5
    assert hang["stuck"] is True
    assert hang["first"].startswith("2026-03-14T05:19:02")  # in UTC
    assert hang["last"].startswith("2026-03-14T05:19:10")
    assert f["links"] == [{"host": "pve03", "device": "eno1", "downs": 1, "ups": 0,
                           "flaps": 0, "first": "2026-03-14T05:20:00+00:00",
                           "last": "2026-03-14T05:20:00+00:00", "longest_down_s": None,
                           "recent": [{"state": "down", "time": "2026-03-14T05:20:00+00:00"}]}]


def test_gzip_is_recognised_by_content_not_name(tmp_path: Path, capsys) -> None:
    plain = tmp_path / "a.log"
    plain.write_text(_hang_log(3))
    packed = tmp_path / "kern.log.1"  # no .gz suffix on purpose
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    _, a = _scan_json(capsys, str(plain))
    _, b = _scan_json(capsys, str(packed))
    a["files"][0].pop("path")
    b["files"][0].pop("path")
    assert a == b


def test_stdin_and_several_paths(tmp_path: Path, capsys, monkeypatch) -> None:
    quorum = FIX / "blocks" / "corosync3_pve01_2of3_quorumtool.txt"
    stdin = io.TextIOWrapper(io.BytesIO(_hang_log(2).encode()))
    monkeypatch.setattr(sys, "stdin", stdin)
    code, data = _scan_json(capsys, "-", str(quorum))
    assert code == 0
    first, second = data["files"]
    assert first["path"] == "-" and first["hangs"][0]["reports"] == 2
    assert second["kinds"] == ["quorum_status"]
    assert second["quorum"]["quorate"] is True
    assert (second["quorum"]["total_votes"], second["quorum"]["expected_votes"]) == (2, 3)


def test_block_formats(capsys) -> None:
    paths = [FIX / "blocks" / n for n in (
        "ethtool_k_eno1_e1000e_offloads_on.txt", "ethtool_i_eno1_e1000e.txt",
        "interfaces_pve03_vmbr0_with_hook.txt", "pve_cluster_status_3of3_pvesh.json")]
    _, data = _scan_json(capsys, *map(str, paths))
    feats, drv, ifaces, api = data["files"]
    assert feats["kinds"] == ["ethtool_features"]
    assert feats["offloads"]["device"] == "eno1"
    assert (feats["offloads"]["tso"], feats["offloads"]["gso"], feats["offloads"]["gro"]) == (
        True, True, True)
    assert drv["kinds"] == ["ethtool_driver"] and drv["driver"]["driver"] == "e1000e"
    assert ifaces["kinds"] == ["interfaces"]
    assert api["kinds"] == ["pve_api"]
    assert api["quorum"]["expected_votes"] == 3


def test_cef_lines_in_a_syslog_stream(tmp_path: Path, capsys) -> None:
    log = tmp_path / "unifi.log"
    log.write_text(
        "Mar 14 06:08:41 usw-core CEF:0|Ubiquiti|UniFi Network|9.0.114|544|Device Offline|7|"
        "UNIFIcategory=Monitoring UNIFIhost=usw-core msg=Switch went offline\n"
        "Mar 14 06:08:42 usw-core CEF:0|broken header\n"
    )
    code, data = _scan_json(capsys, str(log))
    (f,) = data["files"]
    assert code == 0
    assert f["kinds"] == ["syslog_cef"]
    (cef,) = f["cef"]
    assert (cef["vendor"], cef["signature_id"], cef["name"], cef["severity"], cef["host"]) == (
        "Ubiquiti", "544", "Device Offline", "7", "usw-core")
    assert cef["time"] == "2026-03-14T06:08:41"
    assert cef["extensions"]["msg"] == "Switch went offline"
    assert len(f["errors"]) == 1 and f["errors"][0].startswith("line 2: CEF:")


def test_unreadable_path_exits_2_and_still_reports_the_rest(tmp_path: Path, capsys) -> None:
    good = tmp_path / "ok.log"
    good.write_text(_hang_log(1))
    code = main(["scan", "--json", str(tmp_path / "missing.log"), str(good), str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 2
    assert "missing.log: no such file" in captured.err
    assert "is a directory" in captured.err
    files = json.loads(captured.out)["files"]
    # every input has its entry, the unreadable ones with why and nothing found
    assert [f["path"] for f in files] == [str(tmp_path / "missing.log"), str(good), str(tmp_path)]
    assert files[0]["errors"] == [f"cannot read {tmp_path / 'missing.log'}: no such file"]
    assert "is a directory" in files[2]["errors"][0]
    for f in (files[0], files[2]):
        assert (f["kinds"], f["lines"], f["hangs"]) == ([], 0, [])
    assert files[1]["hangs"] and files[1]["errors"] == []


def test_corrupt_gzip_is_an_error_in_the_report_not_a_crash(tmp_path: Path, capsys) -> None:
    packed = gzip.compress(_hang_log(40).encode())
    bad = tmp_path / "cut.gz"
    bad.write_bytes(packed[: len(packed) // 2])
    code = main(["scan", "--json", "--year", "2026", str(bad)])
    out, err = capsys.readouterr()
    (f,) = json.loads(out)["files"]
    assert code == 2  # what was read is reported, and the input error is the exit status
    assert any("input ends early" in e for e in f["errors"])
    assert f["lines"] > 0
    assert err.count("\n") == 1 and "cut.gz: line" in err and "input ends early" in err


def test_human_summary_names_the_stuck_ring(tmp_path: Path, capsys) -> None:
    log = tmp_path / "k.log"
    log.write_text(_hang_log(3))
    assert main(["scan", "--year", "2026", str(log)]) == 0
    out = capsys.readouterr().out
    assert "kernel_log" in out
    assert "HANG e1000e eno1 on pve03: unit_hang x 3, TX ring stuck (TDH <f6>)" in out


def test_a_block_format_too_big_to_parse_whole_is_streamed_without_losing_lines(
        tmp_path: Path, capsys) -> None:
    """Sniffed as interfaces but over the bound: every line still counted, the hang found."""
    big = tmp_path / "huge-interfaces"
    filler = "iface eth0 inet manual\n" + "# a comment line of a very long file\n" * 240_000
    big.write_text(filler + _hang_log(2))
    code, data = _scan_json(capsys, str(big))
    (f,) = data["files"]
    assert code == 0
    assert f["lines"] == 1 + 240_000 + 2 * 15 + 1
    assert f["errors"][0].startswith("larger than")
    assert f["hangs"][0]["reports"] == 2


def _flapping_log(flaps: int) -> str:
    """eno1 down for 5 s then up, ``flaps`` times, a minute apart, after one hang report."""
    out = [PVE03_HANG]
    for i in range(flaps):
        out.append(f"2026-03-14T07:{i:02d}:00+0100 pve03 kernel: e1000e: eno1 NIC Link is Down\n")
        out.append(f"2026-03-14T07:{i:02d}:05+0100 pve03 kernel: e1000e: eno1 NIC Link is Up "
                   "1000 Mbps Full Duplex, Flow Control: Rx/Tx\n")
    return "".join(out)


def test_links_are_one_summary_per_device_with_the_last_20_events(tmp_path: Path,
                                                                  capsys) -> None:
    log = tmp_path / "flaps.log"
    log.write_text(_flapping_log(30))
    _, data = _scan_json(capsys, str(log))
    (eno1,) = data["files"][0]["links"]
    assert (eno1["host"], eno1["device"], eno1["downs"], eno1["ups"], eno1["flaps"]) == (
        "pve03", "eno1", 30, 30, 30)
    assert (eno1["first"], eno1["last"]) == ("2026-03-14T06:00:00+00:00",  # in UTC
                                             "2026-03-14T06:29:05+00:00")
    assert eno1["longest_down_s"] == 5.0
    assert len(eno1["recent"]) == 20
    assert eno1["recent"][-1] == {"state": "up", "time": "2026-03-14T06:29:05+00:00"}
    assert eno1["recent"][0] == {"state": "down", "time": "2026-03-14T06:20:00+00:00"}


def test_events_streams_every_fact_then_the_file_summary(tmp_path: Path, capsys) -> None:
    log = tmp_path / "flaps.log"
    log.write_text(
        "Mar 14 06:08:41 usw-core CEF:0|Ubiquiti|UniFi Network|9.0.114|544|Device Offline|7|"
        "UNIFIhost=usw-core msg=Switch went offline\n" + _flapping_log(30))
    assert main(["scan", "--events", "--year", "2026", str(log)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    facts = [line["fact"] for line in lines]
    assert facts == ["cef", "hang_report"] + ["link"] * 60 + ["file"]
    assert all(line["path"] == str(log) for line in lines)
    cef, hang, first_link = lines[0], lines[1], lines[2]
    assert (cef["name"], cef["line"]) == ("Device Offline", 1)
    assert (hang["device"], hang["kind"], hang["episode"], hang["time"]) == (
        "eno1", "unit_hang", 0, "2026-03-14T05:19:02+00:00")
    assert (first_link["state"], first_link["time"]) == ("down", "2026-03-14T06:00:00+00:00")
    summary = lines[-1]
    assert set(summary) >= FILE_KEYS | {"fact"}
    assert summary["links"][0]["downs"] == 30 and summary["hangs"][0]["reports"] == 1


def test_events_and_json_are_exclusive(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["scan", "--events", "--json", "-"])
    assert "not allowed with" in capsys.readouterr().err


def test_cef_past_the_listed_ones_are_counted_not_parsed(tmp_path: Path, capsys,
                                                        monkeypatch) -> None:
    import labconsole.scan.scanner as scanner

    monkeypatch.setattr(scanner, "MAX_CEF", 2)
    record = ("Mar 14 06:08:4{} usw-core CEF:0|Ubiquiti|UniFi Network|9.0.114|544|Offline|7|"
              "msg=x\n")
    log = tmp_path / "cef.log"
    log.write_text("".join(record.format(i) for i in range(5)) + "Mar 14 06:09:00 x CEF:0|bad\n")
    _, data = _scan_json(capsys, str(log))
    (f,) = data["files"]
    assert len(f["cef"]) == 2
    assert f["errors"] == ["4 more CEF records not listed (limit 2; scan --events streams "
                           "every one)"]
    assert main(["scan", "--events", "--year", "2026", str(log)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["fact"] for line in lines] == ["cef"] * 5 + ["file"]
    assert lines[-1]["errors"][0].startswith("line 6: CEF:")


def test_events_stream_quorum_facts_too(tmp_path: Path, capsys) -> None:
    log = tmp_path / "corosync.log"
    log.write_text(
        "Jul 04 09:56:56 pve01 corosync[374]:   [KNET  ] link: host: 3 link: 0 is down\n"
        "Jul 04 09:57:00 pve01 corosync[374]:   [TOTEM ] A new membership (1.2f) was formed. "
        "Members left: 3\n")
    assert main(["scan", "--events", "--year", "2026", str(log)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(x["fact"], x.get("kind"), x.get("line")) for x in lines[:-1]] == [
        ("quorum_event", "link_down", 1), ("quorum_event", "member_left", 2)]
    assert [e["kind"] for e in lines[-1]["quorum_events"]] == ["link_down", "member_left"]


@pytest.mark.parametrize("rt", ["99999999999999999999999", "253402300800000"])
def test_cef_time_out_of_any_range_is_an_error_entry_not_a_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], rt: str) -> None:
    log = tmp_path / "cef.log"
    log.write_text(f"CEF:0|Ubiquiti|UniFi Network|9.0|1|switch offline|5|rt={rt} msg=x\n")
    code, data = _scan_json(capsys, str(log))
    (f,) = data["files"]
    assert code == 0
    assert f["cef"][0]["time"] is None and f["cef"][0]["extensions"]["rt"] == rt
    assert f["errors"] == [f"line 1: CEF: unreadable time rt='{rt}'"]


def test_events_on_a_truncated_gzip_stream_what_was_read_and_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    packed = gzip.compress(_hang_log(40).encode())
    bad = tmp_path / "cut.gz"
    bad.write_bytes(packed[: len(packed) // 2])
    assert main(["scan", "--events", "--year", "2026", str(bad)]) == 2
    out, err = capsys.readouterr()
    last = json.loads(out.splitlines()[-1])
    assert last["fact"] == "file" and any("input ends early" in e for e in last["errors"])
    assert err.count("\n") == 1 and "cut.gz: line" in err and "input ends early" in err
