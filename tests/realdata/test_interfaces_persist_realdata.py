"""``scan`` on the real interfaces samples (issue 15 item 3): per bridge and port, whether an
effective offload-off hook exists for tso, gso and gro, and each hook that does not count,
named with its line and reason. Expectations written from reading each sample by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from labconsole.cli import main

# sample -> [(port, carrier, effective, tso, gso, gro, [(hook line, state)])]
EXPECTED: dict[str, list[tuple[str, str, bool, bool, bool, bool, list[tuple[int, str]]]]] = {
    # the hook is in the port's own stanza (no auto eno1): ifupdown2 brings eno1 up with
    # vmbr0 (auto, carries eno1) and runs it, so it counts
    "interfaces_01_majabojarska.txt": [
        ("eno1", "vmbr0", True, True, True, True, [(5, "effective")])],
    # eno1's own stanza has the hook (effective); vmbr0's hook turns off vmbr0's offloads
    "interfaces_02_pve_persisted_vmbr0_postup.txt": [
        ("eno1", "vmbr0", True, True, True, True, [(6, "effective")]),
        ("vmbr0", "vmbr0", True, True, True, True, [(15, "effective")])],
    "interfaces_04_pve_eno1_postup_full_offloads.txt": [
        ("eno1", "vmbr0", True, True, True, True, [(3, "effective")])],
    # no bridge: eno1 is brought up (auto) and its 'up' hook turns only tso off
    "interfaces_05_up_instead_of_postup.txt": [
        ("eno1", "eno1", False, True, False, False, [(5, "effective")])],
    # $IFACE in eno1's stanza, but no auto/allow-hotplug line: never runs at boot
    "interfaces_07_postup_logger_chain_IFACE.txt": [
        ("eno1", "eno1", False, False, False, False, [(2, "ineffective")])],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_offload_hooks_per_port(realdata: Path, name: str,
                                capsys: pytest.CaptureFixture[str]) -> None:
    path = realdata / "interfaces_raw" / name
    assert main(["scan", "--json", str(path)]) == 0
    found: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["files"][0][
        "offload_hooks"]
    got = [(p["port"], p["carrier"], p["effective"], p["tso"], p["gso"], p["gro"],
            [(h["line"], h["state"]) for h in p["hooks"]]) for p in found]
    assert got == EXPECTED[name]
    assert main(["scan", str(path)]) == 0
    text = capsys.readouterr().out
    for port, carrier, effective, *_ in EXPECTED[name]:
        verdict = "persisted" if effective else "NOT persisted"
        assert f"offload fix for {port} (" in text and f"{carrier}): {verdict}: " in text


def test_text_names_commented_and_short_circuited_hooks(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    path = tmp_path / "interfaces"
    path.write_text("auto vmbr0\niface vmbr0 inet static\n\tbridge-ports eno1\n"
                    "\tpost-up false && ethtool -K eno1 tso off gso off gro off\n"
                    "#\tpost-up ethtool -K eno1 tso off gso off gro off\n"
                    "\tpost-up ethtool -K eno1 tso off gso off\n")
    assert main(["scan", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == ("  offload fix for eno1 (bridge vmbr0): NOT persisted: tso yes, gso yes, "
                        "gro NO")
    assert lines[2] == ("    line 4 (iface vmbr0 inet) post-up false && ethtool -K eno1 tso off "
                        "gso off gro off: ineffective: the ethtool call never runs: after '&&' "
                        "behind a command that fails")
    assert lines[3] == ("    line 5 (iface vmbr0 inet) post-up ethtool -K eno1 tso off gso off "
                        "gro off: commented: commented out")
    assert len(lines) == 4  # the effective tso/gso hook is not listed as a problem
