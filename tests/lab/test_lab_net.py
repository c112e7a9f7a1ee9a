"""The lab itself: real corosync reaches 3/3, ifupdown built vmbr0, faults change the votes."""

from __future__ import annotations

import pytest

from tests.lab.labnet import Lab

pytestmark = pytest.mark.lab


def test_three_nodes_quorate_with_vmbr0_from_ifupdown(lab: Lab) -> None:
    lab.wait_votes(3, timeout=15)
    for name, node in lab.nodes.items():
        assert node.ifupdown == "ifupdown", node.ifupdown
        ports = lab.node_exec(name, ["ip", "-o", "link", "show", "master", "vmbr0"]).stdout
        assert "eno1" in ports
        addrs = lab.node_exec(name, ["ip", "-o", "addr", "show", "dev", "vmbr0"]).stdout
        assert node.addr in addrs
    text = lab.quorum_text("pve01")
    assert "Quorate:          Yes" in text
    assert "pve03" in text


def test_node_interfaces_file_is_private_to_the_node(lab: Lab) -> None:
    seen = lab.node_exec("pve02", ["cat", "/etc/network/interfaces"]).stdout
    assert seen == lab.node("pve02").interfaces_file.read_text()
    assert lab.node("pve02").addr in seen


def test_cleanup_stale_removes_only_namespaces_of_dead_runs(lab: Lab) -> None:
    import subprocess

    from tests.lab.labnet import cleanup_stale

    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = f"lc{dead.pid}-pve01"
    subprocess.run(["ip", "netns", "add", stale], check=True)
    try:
        removed = cleanup_stale()
    finally:
        subprocess.run(["ip", "netns", "del", stale], capture_output=True)
    assert stale in removed
    assert not any(n.startswith(lab.prefix) for n in removed)  # the live run is untouched
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert stale not in listed and lab.sw_ns in listed
