"""NIC state is read again right after a runbook action on the node and on a link change
(issue 14: the panel waited for its 30 s poll even after the runbook's own ethtool -K)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from labconsole.config import load_config
from labconsole.events import KernelText, OperatorAction
from labconsole.sources.live import LiveSet, build_live

T = datetime(2025, 11, 8, 6, 20, tzinfo=timezone.utc)


def _live(tmp_path: Path) -> LiveSet:
    path = tmp_path / "c.toml"
    path.write_text('[syslog]\nenabled = false\n[[clusters]]\nname = "lab"\n'
                    '[[clusters.nodes]]\nname = "pve01"\naddress = "10.0.0.1"\n'
                    'interfaces = ["eno1", "eno2"]\n'
                    '[[clusters.nodes]]\nname = "pve02"\naddress = "10.0.0.2"\n'
                    'interfaces = ["eno1"]\n')
    return build_live(load_config(path))


def _woken(live: LiveSet) -> set[tuple[str, str]]:
    return {key for key, source in live.nics.items()
            if source._wake.is_set()}


def test_a_runbook_action_rereads_every_nic_of_its_node(tmp_path: Path) -> None:
    live = _live(tmp_path)
    live.react(OperatorAction(at=T, source="runbook", node="pve01",
                              runbook="e1000e-tx-hang", step="offloads-off",
                              command="ethtool -K eno1 tso off gso off gro off", status="ok"))
    assert _woken(live) == {("pve01", "eno1"), ("pve01", "eno2")}


def test_a_link_line_rereads_the_node_and_other_lines_do_not(tmp_path: Path) -> None:
    live = _live(tmp_path)
    live.react(KernelText(at=T, source="kernel:pve02", node="pve02",
                          text="e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:"))
    assert _woken(live) == set()
    live.react(KernelText(at=T, source="kernel:pve02", node="pve02",
                          text="e1000e 0000:00:1f.6 eno1: NIC Link is Down"))
    assert _woken(live) == {("pve02", "eno1")}
