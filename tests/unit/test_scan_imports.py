"""What ``labconsole scan`` of a plain kernel log loads (issue 13 item 1: its fixed start).

Every scan pays for the modules it imports before it reads a line (a scan in parts forks its
workers after them, so each part pays too): the recordings and their events, the block
formats' parsers and models (quorum status, ethtool, interfaces, Proxmox API JSON), a
config's node names are not needed to scan a log and are loaded only when used. The CLI is
run in a fresh interpreter, as ``labconsole`` starts it, and the modules loaded by the end of
the scan are listed. A module that appears here again has made every scan start slower:
import it where it is used instead. No timing: speed is measured in bench/ (README section
"Scan start-up").
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CHILD = r"""
import contextlib, io, json, sys
from labconsole.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "out": out.getvalue(), "modules": sorted(sys.modules)}))
"""

KERNEL_LOG = (
    "2026-11-25T06:19:02+0000 pve03 kernel: e1000e 0000:00:1f.6 eno1: NIC Link is Down\n"
    "2026-11-25T06:19:04+0000 pve03 kernel: e1000e 0000:00:1f.6 eno1: NIC Link is Up 1000 "
    "Mbps Full Duplex, Flow Control: Rx/Tx\n"
)

# Not needed to scan a log (each was loaded by every scan once).
NOT_FOR_A_LOG = (
    "labconsole.events",                 # the pipeline's events: recordings, the console
    "labconsole.sources.recording",
    "concurrent.futures",                # the recorder's fsync thread
    "labconsole.config.node_names",      # --config only
    "labconsole.config.load",
    "labconsole.parse.block_sniff",      # the block formats: sniffed in heads that are no log
    "labconsole.scan.blocks",            # ... and parsed whole when found
    "labconsole.parse.quorum",
    "labconsole.model.quorum",
    "labconsole.parse.ethtool",
    "labconsole.model.offloads",
    "labconsole.parse.interfaces",
    "labconsole.parse.offload_persist",
    "labconsole.parse.pve_api",
    "labconsole.model.pve",
    "asyncio",                           # nothing in a scan is asynchronous
    "textual",
    "rich",
)
# What a log's scan does need: the listing is of a scan that ran.
FOR_A_LOG = ("labconsole.scan.scanner", "labconsole.parse.kernel_scan_blocks",
             "labconsole.parse.hang_detector")


def _scan(*argv: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", CHILD, "scan", *argv], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


@pytest.mark.parametrize("mode", [["--json"], []], ids=["--json", "text"])
def test_a_kernel_log_scan_loads_no_more_than_it_uses(tmp_path: Path, mode: list[str]) -> None:
    log = tmp_path / "kern.log"
    log.write_text(KERNEL_LOG)
    result = _scan(*mode, str(log))
    assert result["code"] == 0
    assert "eno1" in str(result["out"])  # the scan found the link events
    modules = result["modules"]
    assert isinstance(modules, list)
    assert [m for m in FOR_A_LOG if m not in modules] == []
    loaded = set(modules)
    assert [m for m in NOT_FOR_A_LOG if m in loaded] == []


def test_a_block_format_loads_its_parser(tmp_path: Path) -> None:
    """The other side: a quorum status still finds its parser (loaded when sniffed)."""
    status = tmp_path / "pvecm.txt"
    status.write_text("Votequorum information\n----------------------\nExpected votes:   3\n"
                      "Highest expected: 3\nTotal votes:      3\nQuorum:           2\n"
                      "Flags:            Quorate\n")
    result = _scan("--json", str(status))
    assert json.loads(str(result["out"]))["files"][0]["kinds"] == ["quorum_status"]
    modules = result["modules"]
    assert isinstance(modules, list)
    assert "labconsole.scan.blocks" in modules and "labconsole.events" not in modules
