"""Issue 15 at the scan level: CEF records glued on one line, the affected device/client in the
text output, garbage that must stay garbage, unreadable inputs listed in ``files``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from labconsole.cli import main
from labconsole.model import CefEvent
from labconsole.parse.cef import parse_cef, split_cef_records

REC1 = ("Mar 14 06:08:41 usw-core CEF:0|Ubiquiti|UniFi Network|9.0.114|400|WiFi Client "
        "Connected|2|UNIFIclientAlias=laptop UNIFIclientMac=aa:bb:cc:dd:ee:ff "
        "UNIFIconnectedToDeviceName=U6 Lite UNIFIconnectedToDeviceMac=11:22:33:44:55:66 "
        "UNIFIutcTime=2026-03-14T06:08:41.123Z msg=Client connected")
REC2 = ("Mar 14 06:09:41 usw-core CEF:0|Ubiquiti|UniFi Network|9.0.114|544|Device Offline|7|"
        "UNIFIdeviceName=USW Pro 24 UNIFIdeviceMac=77:88:99:aa:bb:cc rt=1773468581000 "
        "msg=Switch went offline")


def scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["scan", "--year", "2026", *args])
    return code, capsys.readouterr().out


def files(out: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = json.loads(out)["files"]
    return result


def test_glued_records_are_split_on_their_prefix() -> None:
    assert split_cef_records(REC1 + " " + REC2) == [REC1, REC2]
    assert split_cef_records(REC1 + REC2) == [REC1, REC2]  # newline lost, nothing between
    bare = REC2[REC2.index("CEF:"):]
    assert split_cef_records(REC1 + " " + bare) == [REC1, bare]
    assert split_cef_records(REC1) == [REC1]


def test_every_record_of_a_file_is_kept_with_its_own_time(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cef.log"
    path.write_text(REC1 + " " + REC2 + "\n" + REC2.replace("544", "545") + "\n")
    code, out = scan(capsys, "--json", str(path))
    (f,) = files(out)
    assert code == 0 and f["errors"] == []
    assert [(c["signature_id"], c["time"]) for c in f["cef"]] == [
        ("400", "2026-03-14T06:08:41.123000+00:00"),
        ("544", "2026-03-14T06:09:41+00:00"),
        ("545", "2026-03-14T06:09:41+00:00")]


def test_text_output_names_the_device_and_the_client(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cef.log"
    path.write_text(REC1 + "\n" + REC2 + "\n")
    _, out = scan(capsys, str(path))
    assert ("CEF Ubiquiti UniFi Network: WiFi Client Connected (sev 2) from usw-core, device "
            "U6 Lite 11:22:33:44:55:66, client laptop aa:bb:cc:dd:ee:ff at "
            "2026-03-14T06:08:41.123000+00:00") in out
    assert ("Device Offline (sev 7) from usw-core, device USW Pro 24 77:88:99:aa:bb:cc at "
            "2026-03-14T06:09:41+00:00") in out


def test_affected_device_and_client_are_typed() -> None:
    event: CefEvent = parse_cef("CEF:0|V|P|1|1|n|3|shost=pc1 dvchost=sw1")
    assert (event.device(), event.client()) == ("sw1", "pc1")
    assert (parse_cef("CEF:0|V|P|1|1|n|3|msg=x").device(), None) == (None, None)


def test_an_rt_that_overflows_is_an_error_of_that_record(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cef.log"
    path.write_text(REC2.replace("rt=1773468581000", "rt=" + "9" * 40) + "\n" + REC1 + "\n")
    code, out = scan(capsys, "--json", str(path))
    (f,) = files(out)
    assert code == 0
    assert [c["signature_id"] for c in f["cef"]] == ["544", "400"]
    assert f["cef"][0]["time"] == "2026-03-14T06:09:41"  # the syslog header's, not the rt
    assert f["errors"] == [f"line 1: CEF: unreadable time rt='{'9' * 40}'"]


@pytest.mark.parametrize(
    "text",
    [
        "id\tnote\n1\tthe box showed Detected Hardware Unit Hang twice\n"
        "2\tNETDEV WATCHDOG transmit queue 0 timed out as well\n"
        "3\tthen PCIe link lost, device now detached, and TX timeout detected\n",
        "Some prose: a Detected Tx Unit Hang is what igb prints.\n",
    ],
)
def test_prose_mentioning_a_hang_is_no_hang(
        text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "notes.tsv"
    path.write_text(text)
    _, out = scan(capsys, "--json", str(path))
    (f,) = files(out)
    assert (f["hangs"], f["nic_events"], f["kinds"]) == ([], [], [])


def test_control_bytes_in_a_host_make_no_node(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nul.log"
    path.write_bytes(b"Mar 14 06:19:02 pv\x00e03 kernel: e1000e 0000:00:1f.6 eno1: Detected "
                     b"Hardware Unit Hang:\nMar 14 06:19:03 pve\x1b[2J03 corosync[1]:   [KNET  ] "
                     b"link: host: 3 link: 0 is down\n")
    _, out = scan(capsys, "--json", str(path))
    (f,) = files(out)
    (hang,) = f["hangs"]
    assert (hang["driver"], hang["device"], hang["host"]) == ("e1000e", "eno1", None)
    (fact,) = f["quorum_events"]
    assert (fact["kind"], fact["host"]) == ("link_down", None)
    _, text = scan(capsys, str(path))
    assert "\x00" not in text and "\x1b" not in text


def test_unreadable_inputs_are_in_files_with_their_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "gone.log"
    code, out = scan(capsys, "--json", str(missing))
    assert code == 2
    assert files(out) == [{
        "path": str(missing), "kinds": [], "lines": 0, "hangs": [], "links": [],
        "quorum_events": [], "nic_events": [], "quorum": None, "offloads": None, "cef": [],
        "errors": [f"cannot read {missing}: no such file"]}]
    code, out = scan(capsys, str(missing))
    assert code == 2 and f"error: cannot read {missing}: no such file" in out


def test_events_stream_one_report_per_timeout_and_the_detached_nic(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "k.log"
    path.write_text(
        "[  10.000000] mlx5_core 0000:13:00.1 eth1: TX timeout detected\n"
        "[  10.001000] mlx5_core 0000:13:00.1 eth1: TX timeout on queue: 3, SQ: 0x10, CQ: 0x20,"
        " SQ Cons: 0x5 SQ Prod: 0x9, usecs since last trans: 9000000\n"
        "[  20.000000] igc 0000:02:00.0 enp2s0: PCIe link lost, device now detached\n")
    code, out = scan(capsys, "--events", str(path))
    facts = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert [(f["fact"], f.get("line")) for f in facts] == [
        ("hang_report", 1), ("nic_event", 3), ("file", None)]
    assert (facts[1]["kind"], facts[1]["device"]) == ("detached", "enp2s0")
    assert facts[2]["nic_events"] == [{k: v for k, v in facts[1].items()
                                       if k not in ("fact", "line", "path")}]
