"""A management network beside the lab's cluster switch: the console reaches every node there.

As on a Proxmox VE cluster whose corosync runs on its own network: the console (ops namespace)
and every node share a second segment that a cluster-switch outage does not touch. A bridge
``mgmt`` in the ops namespace carries the console's 10.78.0.100/24; each node gets a veth
``mgmt0`` on it (10.78.0.1N/24) and a second sshd of the node listening there with the node's
own host key, in the node's namespaces (so ``corosync-quorumtool`` over it asks that node's
corosync). ``known_hosts`` lists the management addresses with the nodes' own keys.

Only the lab's own namespaces are touched; ``close`` (or the context exit) removes it all.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from pathlib import Path

from tests.lab.labnet import Lab, LabError

MGMT_SUBNET = "10.78.0"
MGMT_OPS = f"{MGMT_SUBNET}.100"


def _run(argv: list[str]) -> None:
    res = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
    if res.returncode != 0:
        raise LabError(f"{' '.join(argv)} -> {res.returncode}: {res.stderr.strip()}")


class ManagementNet:
    """ops <-> every node on 10.78.0.0/24, a second sshd per node listening there."""

    def __init__(self, lab: Lab, tmp: Path) -> None:
        self.lab, self.tmp = lab, tmp
        self.sshd: dict[str, subprocess.Popen[bytes]] = {}
        self.addrs = {name: f"{MGMT_SUBNET}.{10 + node.nodeid}"
                      for name, node in lab.nodes.items()}

    def __enter__(self) -> ManagementNet:
        try:
            self._build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def known_hosts(self) -> Path:
        """Each node's own host key under its management address."""
        path = self.tmp / "mgmt_known_hosts"
        path.write_text("".join(f"{addr} {self.lab.node(name).host_pub}\n"
                                for name, addr in self.addrs.items()))
        return path

    def _build(self) -> None:
        ops = ["ip", "-n", self.lab.ops_ns]
        _run([*ops, "link", "add", "mgmt", "type", "bridge", "stp_state", "0",
              "forward_delay", "0"])
        _run([*ops, "addr", "add", f"{MGMT_OPS}/24", "dev", "mgmt"])
        _run([*ops, "link", "set", "mgmt", "up"])
        for name, addr in self.addrs.items():
            node = self.lab.node(name)
            port = f"m-{name}"
            _run([*ops, "link", "add", port, "type", "veth", "peer", "name", "mgmt0", "netns",
                  node.ns])
            _run([*ops, "link", "set", port, "master", "mgmt", "up"])
            _run(["ip", "-n", node.ns, "addr", "add", f"{addr}/24", "dev", "mgmt0"])
            _run(["ip", "-n", node.ns, "link", "set", "mgmt0", "up"])
            self._start_sshd(name, addr)
        for name, addr in self.addrs.items():
            self._wait_listening(name, addr)

    def _start_sshd(self, name: str, addr: str) -> None:
        node = self.lab.node(name)
        config = (node.dir / "sshd_config").read_text()
        config = config.replace(f"ListenAddress {node.addr}", f"ListenAddress {addr}")
        config = config.replace("PidFile /run/sshd.pid", "PidFile /run/sshd-mgmt.pid")
        path = self.tmp / f"sshd_mgmt_{name}"
        path.write_text(config)
        assert node.holder is not None
        self.sshd[name] = subprocess.Popen(
            ["nsenter", "-t", str(node.holder.pid), "-m", "-n", "--", "/usr/sbin/sshd", "-D",
             "-e", "-f", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _wait_listening(self, name: str, addr: str, polls: int = 200) -> None:
        for _ in range(polls):
            res = self.lab.node_exec(name, ["ss", "-Hltn", "sport = :22"], check=False)
            if addr in res.stdout:
                return
            time.sleep(0.05)
        raise LabError(f"management sshd of {name} not listening on {addr}")

    def close(self) -> None:
        for proc in self.sshd.values():
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
        self.sshd.clear()
        for name in self.addrs:  # deleting one end of a veth deletes both
            with contextlib.suppress(LabError):
                _run(["ip", "-n", self.lab.ops_ns, "link", "del", f"m-{name}"])
        with contextlib.suppress(LabError):
            _run(["ip", "-n", self.lab.ops_ns, "link", "del", "mgmt"])
