"""Issue 14 item 6 for inputs that are not live: with ``--config``, replay, report and scan
name nodes as the config does (a log's host by its config name, FQDN or address; a file
whose lines name no host by the config node its file name names); without a config a file
name stays marked ``file:``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from labconsole.cli import main
from labconsole.config.node_names import NodeNames, node_names_from
from labconsole.events import KernelText
from labconsole.sources.replay import load_events

CONFIG = """
[syslog]
enabled = false

[[clusters]]
name = "homelab"
[clusters.ssh]
key_file = "id_lab"
known_hosts = "known_hosts"

[[clusters.nodes]]
name = "pve01"
address = "10.99.0.11"

[[clusters.nodes]]
name = "pve03"
address = "10.99.0.13"
alternate_addresses = ["192.168.50.13"]
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    for name in ("id_lab", "known_hosts"):
        (tmp_path / name).write_text("x\n")
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    return path


def test_hosts_and_file_names_to_config_names(config: Path) -> None:
    names = node_names_from(config)
    assert isinstance(names, NodeNames) and names.names == ("pve01", "pve03")
    assert [names.for_host(h) for h in ("pve03", "PVE03", "pve03.lab.example", "10.99.0.13",
                                        "192.168.50.13", "nas01", "10.99.0.99")] == [
        "pve03", "pve03", "pve03", "pve03", "pve03", "nas01", "10.99.0.99"]
    assert [names.for_file(f) for f in ("pve03-dmesg.log", "kern_PVE03.txt.gz",
                                        "pve033.log", "pve01_pve03.log", "dmesg.log")] == [
        "pve03", "pve03", None, None, None]
    assert node_names_from(None) is None


def test_a_config_that_does_not_load_is_one_line(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[clusters]\n")
    log = tmp_path / "x.log"
    log.write_text("[ 1.000000] e1000e 0000:00:1f.6 eno1: NIC Link is Down\n")
    for command in ("scan", "report"):
        assert main([command, "--config", str(bad), str(log)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and str(bad) in err, err


def _dmesg(fixtures: Path, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    shutil.copy(fixtures / "kernel" / "dmesg_T.log", path)
    return path


def test_replay_names_a_hostless_file_by_the_config_node_it_is_named_for(
        fixtures: Path, tmp_path: Path, config: Path) -> None:
    path = _dmesg(fixtures, tmp_path, "pve03-dmesg.log")
    journal = tmp_path / "journal.log"
    journal.write_text("Jun 03 06:19:02 pve03.lab.example kernel: e1000e 0000:00:1f.6 eno1: "
                       "NIC Link is Down\n")
    names = node_names_from(config)
    nodes = {e.node for e in load_events([path, journal], names=names)
             if isinstance(e, KernelText)}
    assert nodes == {"pve03"}
    without = {e.node for e in load_events([path, journal]) if isinstance(e, KernelText)}
    assert without == {"file:pve03-dmesg", "pve03.lab.example"}


def test_report_names_the_node_from_the_config(fixtures: Path, tmp_path: Path, config: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = _dmesg(fixtures, tmp_path, "pve03-dmesg.log")
    assert main(["report", "--no-audit", "--format", "json", "--config", str(config),
                 str(path)]) == 0
    named = json.loads(capsys.readouterr().out)
    assert main(["report", "--no-audit", "--format", "json", str(path)]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert len(named["incidents"]) == len(plain["incidents"]) >= 1
    assert {n for i in named["incidents"] for n in i["nodes"]} == {"pve03"}
    assert {n for i in plain["incidents"] for n in i["nodes"]} == {"file:pve03-dmesg"}


def test_scan_says_which_config_node_a_file_is_and_why(fixtures: Path, tmp_path: Path,
                                                       config: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    hostless = _dmesg(fixtures, tmp_path, "pve03-dmesg.log")
    fqdn = tmp_path / "kern.log"
    fqdn.write_text("Jun 03 06:19:02 pve03.lab.example kernel: e1000e 0000:00:1f.6 eno1: "
                    "Detected Hardware Unit Hang:\n")
    assert main(["scan", "--json", "--config", str(config), str(hostless), str(fqdn)]) == 0
    files = json.loads(capsys.readouterr().out)["files"]
    assert [(f["node"], f["node_from"], f["node_names"]) for f in files] == [
        ("pve03", "file_name", {}), ("pve03", "content", {"pve03.lab.example": "pve03"})]
    assert files[1]["hangs"][0]["host"] == "pve03.lab.example"  # as written: contract kept
    assert main(["scan", "--config", str(config), str(hostless), str(fqdn)]) == 0
    out = capsys.readouterr().out
    assert "  node pve03 (from the file name: its lines name no host)\n" in out
    assert "  HANG e1000e eno1 on pve03: unit_hang x 1" in out
    assert main(["scan", "--json", str(hostless)]) == 0  # no config: no new keys
    assert "node" not in json.loads(capsys.readouterr().out)["files"][0]
