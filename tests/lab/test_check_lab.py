"""``labconsole check --connect`` against the real lab: a good lab, a node whose sshd is dead
(connection refused), a node missing from known_hosts (unknown host key), and a node without
a command the console needs (ethtool hidden by a bind mount in that node's mount namespace).

The real CLI runs in the lab's ops namespace (``ip netns exec``), as an operator would run it
on the console machine; its output lines and exit code are what is checked."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from labconsole.events import ConnectionChange
from labconsole.sources.kernel_stream import KernelStreamSource
from labconsole.sources.ssh import SshPool
from tests.lab.collect import Collector, running
from tests.lab.labnet import Lab

pytestmark = pytest.mark.lab


def _config(lab: Lab, tmp_path: Path, known_hosts: Path | None = None) -> Path:
    nodes = "".join(
        f'[[clusters.nodes]]\nname = "{name}"\naddress = "{lab.node(name).addr}"\n'
        f'interfaces = ["eno1"]\nbridge = "vmbr0"\n'
        f"kernel_log_command = '{lab.kernel_log_command(name)}'\n\n" for name in lab.nodes)
    text = (f'[console]\nrecording_dir = "{tmp_path / "recs"}"\n'
            f'audit_log = "{tmp_path / "audit.jsonl"}"\nrunbook_dir = "{tmp_path / "books"}"\n'
            '[syslog]\nenabled = false\n\n'
            f'[[clusters]]\nname = "{lab.cluster_name}"\n[clusters.ssh]\n'
            f'key_file = "{lab.client_key}"\nknown_hosts = "{known_hosts or lab.known_hosts}"\n\n'
            + nodes)
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def _check(lab: Lab, config: Path) -> tuple[int, list[str]]:
    res = subprocess.run(["ip", "netns", "exec", lab.ops_ns, sys.executable, "-m",
                          "labconsole", "check", "--connect", "--timeout", "5",
                          "--config", str(config)],
                         capture_output=True, text=True, timeout=90, check=False)
    assert "Traceback" not in res.stderr, res.stderr
    return res.returncode, res.stdout.splitlines()


def test_a_good_lab_passes(lab: Lab, tmp_path: Path) -> None:
    code, lines = _check(lab, _config(lab, tmp_path))
    assert code == 0, lines
    assert lines == [f"OK: {tmp_path / 'config.toml'}: 1 cluster, 3 nodes; every node reached"]


def test_sshd_killed_is_connection_refused(healthy_lab: Lab, tmp_path: Path) -> None:
    lab = healthy_lab
    lab.kill_sshd("pve02")
    code, lines = _check(lab, _config(lab, tmp_path))
    assert code == 2
    assert lines == ["pve02: ssh: connection refused (is sshd running and the port right?): "
                     "start sshd on the node (systemctl start ssh), or fix address/port "
                     f"({lab.node('pve02').addr}:22)"]


def test_unknown_host_key_names_the_fingerprint(lab: Lab, tmp_path: Path) -> None:
    addr = lab.node("pve03").addr
    partial = tmp_path / "known_hosts"
    partial.write_text("".join(line for line in lab.known_hosts.read_text().splitlines(True)
                               if not line.startswith(f"{addr} ")))
    partial.chmod(0o600)
    fingerprint = subprocess.run(["ssh-keygen", "-lf", "-"], input=lab.node("pve03").host_pub,
                                 capture_output=True, text=True, check=True).stdout.split()[1]
    code, lines = _check(lab, _config(lab, tmp_path, known_hosts=partial))
    assert code == 2
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"pve03: known_hosts: no host key for {addr} in {partial}: "
                               f"compare `ssh-keyscan -p 22 {addr} | ssh-keygen -lf -`")
    assert lines[1].startswith(f"pve03: host key: unknown host key for pve03 ({addr}:22): "
                               f"server offers ssh-ed25519 {fingerprint}, not in {partial}")
    assert "verify the fingerprint on the node" in lines[1]


@pytest.fixture
def ethtool_hidden(lab: Lab) -> Iterator[str]:
    """ethtool made non-executable on pve01 only (a bind mount in its own mount namespace)."""
    path = lab.node_exec("pve01", ["sh", "-c", "command -v ethtool"]).stdout.strip()
    lab.node_exec("pve01", ["mount", "--bind", "/dev/null", path])
    try:
        yield path
    finally:
        lab.node_exec("pve01", ["umount", path], check=False)


def test_a_missing_command_is_named_with_who_needs_it(lab: Lab, tmp_path: Path,
                                                      ethtool_hidden: str) -> None:
    code, lines = _check(lab, _config(lab, tmp_path))
    assert code == 2
    assert lines[0] == ("pve01: command ethtool: command not found, needed by the console "
                        "polls it: install it on the node (or put it on root's PATH for "
                        "non-interactive SSH)")
    assert all(line.startswith("pve01: command ") for line in lines), lines
    assert any("/sbin/ethtool" in line and "e1000e-tx-hang" in line for line in lines), lines


def test_runbook_show_diffs_the_persist_step_against_the_node_file(lab: Lab,
                                                                  tmp_path: Path) -> None:
    res = subprocess.run(["ip", "netns", "exec", lab.ops_ns, sys.executable, "-m",
                          "labconsole", "runbook", "show", "e1000e-tx-hang", "--node", "pve03",
                          "--config", str(_config(lab, tmp_path))],
                         capture_output=True, text=True, timeout=60, check=False)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "node pve03, iface eno1 (from the config)" in out
    assert "<iface>" not in out and "cannot build" not in out
    assert "change (read from pve03 now):" in out
    assert "      --- /etc/network/interfaces\n      +++ /etc/network/interfaces (new)\n" in out
    assert "      +\tpost-up /sbin/ethtool -K eno1 tso off gso off gro off\n" in out
    assert "post-up" not in lab.node("pve03").interfaces_file.read_text()  # only read


def test_a_missing_kernel_log_command_is_a_failed_source_in_words(lab: Lab) -> None:
    """The live console's side of 'command not found': the kernel stream of a node whose
    configured command does not exist says so as a failed source (status bar, node detail)."""
    async def scenario() -> list[ConnectionChange]:
        pool = SshPool([lab.ssh_target("pve01")])
        stream = KernelStreamSource(pool.node("pve01"), "nosuchtool -f /var/log/kern.log",
                                    fallback=None)
        col = Collector()
        async with running(pool, stream, collector=col):
            await col.wait_for(lambda: any(c.source == "kernel:pve01"
                                           for c in col.of(ConnectionChange)), 20,
                               "the kernel source to report")
        await pool.close()
        await asyncio.sleep(0)
        return [c for c in col.of(ConnectionChange) if c.source == "kernel:pve01"]

    changes = lab.run_in_ops(scenario, timeout=60)
    assert changes[0].state == "failed"
    assert changes[0].detail == "command not found on the node: nosuchtool"
