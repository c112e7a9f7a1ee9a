"""The lab itself, as a Proxmox VE node has it: ifupdown2 built vmbr0 (eno1 its port, the node's
address on it) from the node's own interfaces file, corosync bound to that address, 3/3."""

from __future__ import annotations

import asyncio

import pytest

from labconsole.events import ConnectionChange
from labconsole.parse.interfaces import InterfacesFile
from labconsole.parse.offload_persist import persistence
from labconsole.sources.backoff import Backoff
from labconsole.sources.ssh import SshPool
from tests.lab.collect import Collector, running
from tests.lab.labnet import Lab, interfaces_text

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


def test_corosync_runs_with_the_default_token_as_an_untuned_proxmox_cluster(lab: Lab) -> None:
    """No ``token`` in totem: corosync 3.1's default 3000 ms plus token_coefficient 650 ms for
    the third node, 3650 ms (read back from the running corosync), as on a Proxmox VE
    cluster nobody tuned. Every lab scenario runs with it (none shortens the token)."""
    assert "token" not in lab.corosync_conf(lab.node("pve01"))
    for name in lab.nodes:
        out = lab.node_exec(name, ["corosync-cmapctl", "-g", "runtime.config.totem.token"])
        assert out.stdout.strip().endswith("= 3650"), out.stdout


def test_ifreload_runs_the_new_hook_and_keeps_vmbr0_and_the_ssh_session(
        healthy_lab: Lab) -> None:
    """What the runbook's reload does on a node as Proxmox VE has it, measured: ifupdown2's
    ``ifreload -a`` (ifreload_down_changed=0, Debian's and Proxmox's default) applies a
    changed vmbr0 stanza without taking vmbr0 down: same ifindex, the address stays, the new
    post-up hook runs, and an SSH session opened before keeps working. Real e1000e hardware
    would not cut it either: the driver's set_features resets the adapter only for VLAN,
    RX checksum/hash/FCS/all changes; turning tso off only flags it (FLAG_TSO_FORCE), and
    gso and gro are the kernel's own software features. So a veth models this step
    faithfully; what does cut the session is ifupdown v1's ``ifdown vmbr0 && ifup vmbr0``.
    """
    lab = healthy_lab
    node = lab.node("pve03")
    original = node.interfaces_file.read_text()
    hook = "/sbin/ethtool -K eno1 tso off gso off gro off"

    def ifindex() -> str:
        return lab.node_exec("pve03", ["cat", "/sys/class/net/vmbr0/ifindex"]).stdout.strip()

    async def scenario() -> tuple[list[str], str]:
        pool = SshPool([lab.ssh_target("pve03")],
                       backoff=lambda: Backoff(base=0.2, cap=1.0, jitter=0.2))
        col = Collector()
        async with running(pool, collector=col):
            conn = await pool.node("pve03").connection(10)
            before = ifindex()
            node.interfaces_file.write_text(interfaces_text(node.addr, post_up=hook))
            res = await asyncio.to_thread(lab.node_exec, "pve03", ["ifreload", "-a"])
            assert res.returncode == 0, res.stderr
            assert ifindex() == before
            out = await conn.run("ethtool -k eno1", check=True)  # the same connection
            await pool.close()
        return [e.state for e in col.of(ConnectionChange, "pve03")], str(out.stdout)

    lab.node_exec("pve03", ["ethtool", "-K", "eno1", "tso", "on", "gso", "on", "gro", "on"])
    try:
        states, features = lab.run_in_ops(scenario, timeout=60)
    finally:
        node.interfaces_file.write_text(original)
        lab.node_exec("pve03", ["ifreload", "-a"], check=False, timeout=60)
        lab.node_exec("pve03", ["ethtool", "-K", "eno1", "tso", "on", "gso", "on", "gro", "on"])
    assert "tcp-segmentation-offload: off" in features
    assert "generic-receive-offload: off" in features
    assert "reconnecting" not in states, states
    assert node.addr in lab.node_exec("pve03", ["ip", "-o", "addr", "show", "vmbr0"]).stdout


def test_a_hook_in_the_ports_own_stanza_runs_and_counts_as_persisted(healthy_lab: Lab) -> None:
    """``iface eno1 inet manual`` + ``post-up ethtool -K eno1 ...`` (the form most real files
    use), with no ``auto eno1``: real ifupdown2 brings the port up with vmbr0 and runs the
    port's hook, so the persist check (shared by ``scan`` and the runbook) counts it."""
    lab = healthy_lab
    node = lab.node("pve03")
    original = node.interfaces_file.read_text()
    text = original.replace("iface eno1 inet manual\n", "iface eno1 inet manual\n\tpost-up "
                            "/sbin/ethtool -K eno1 tso off gso off gro off\n")
    assert text != original and "auto eno1" not in text
    found = persistence(InterfacesFile.parse(text), "eno1")
    assert found.effective and [h.state for h in found.hooks] == ["effective"], found
    lab.node_exec("pve03", ["ethtool", "-K", "eno1", "tso", "on", "gso", "on", "gro", "on"])
    try:
        node.interfaces_file.write_text(text)
        res = lab.node_exec("pve03", ["ifreload", "-a"], check=False, timeout=60)
        assert res.returncode == 0, res.stderr
        features = lab.node_exec("pve03", ["ethtool", "-k", "eno1"]).stdout
    finally:
        node.interfaces_file.write_text(original)
        lab.node_exec("pve03", ["ifreload", "-a"], check=False, timeout=60)
        lab.node_exec("pve03", ["ethtool", "-K", "eno1", "tso", "on", "gso", "on", "gro", "on"])
    for name in ("tcp-segmentation-offload", "generic-segmentation-offload",
                 "generic-receive-offload"):
        assert f"{name}: off" in features, features
