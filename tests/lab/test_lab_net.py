"""The lab itself, as a Proxmox VE node has it: ifupdown2 built vmbr0 (eno1 its port, the node's
address on it) from the node's own interfaces file, corosync bound to that address, 3/3."""

from __future__ import annotations

import pytest

from tests.lab.labnet import Lab

pytestmark = pytest.mark.lab


def test_three_nodes_quorate_with_vmbr0_from_ifupdown2(lab: Lab) -> None:
    lab.wait_votes(3, timeout=15)
    for name, node in lab.nodes.items():
        assert node.ifupdown == "ifupdown2", node.ifupdown
        ports = lab.node_exec(name, ["ip", "-o", "link", "show", "master", "vmbr0"]).stdout
        assert "eno1" in ports
        addrs = lab.node_exec(name, ["ip", "-o", "addr", "show", "dev", "vmbr0"]).stdout
        assert node.addr in addrs
    text = lab.quorum_text("pve01")
    assert "Quorate:          Yes" in text
    assert "pve03" in text


def test_ifupdown2_agrees_the_running_network_is_the_nodes_file(lab: Lab) -> None:
    """``ifquery --check -a`` is ifupdown2's own comparison of the kernel state with the file."""
    for name in lab.nodes:
        res = lab.node_exec(name, ["ifquery", "--check", "-a"], check=False, timeout=60)
        assert res.returncode == 0, f"{name}: {res.stdout}{res.stderr}"
        assert "vmbr0" in res.stdout and "[fail]" not in res.stdout


def test_corosync_is_bound_to_the_vmbr0_address(lab: Lab) -> None:
    for name, node in lab.nodes.items():
        udp = lab.node_exec(name, ["ss", "-Hulnp", "sport = :5405"]).stdout
        assert f"{node.addr}:5405" in udp and "corosync" in udp, udp
        route = lab.node_exec(name, ["ip", "-o", "route", "get", OTHER[name]]).stdout
        assert "dev vmbr0" in route and f"src {node.addr}" in route, route


OTHER = {"pve01": "10.99.0.12", "pve02": "10.99.0.13", "pve03": "10.99.0.11"}


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
