"""pve03's TX path stalls on ``eno1`` while its management link is up (issue 16 item 4, first
scenario): the console's SSH connection to pve03 comes back through the node's alternate
address, shown as such, and the e1000e runbook turns the offloads off over it.

The management link is built here, beside the lab: a veth from the ops namespace straight
into pve03's namespace (``mgmt0``, its own subnet), and a second sshd of pve03 listening on
it with the node's own host key; the alternate address is in known_hosts in its own right.
Waits are bounded; nothing asserts on speed.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from labconsole.clock import system_clock
from labconsole.runbook.audit import AuditLog, read_audit
from labconsole.runbook.engine import RunbookEngine
from labconsole.runbook.executor import SshExecutor
from labconsole.runbook.load import bundled
from labconsole.runbook.placeholders import make_context
from labconsole.sources.backoff import Backoff
from labconsole.sources.ssh import SshPool
from tests.lab.labnet import Lab
from tests.lab.recording_session import fresh_kernel_logs, utc_now
from tests.lab.test_live_console import hang_blocks
from tests.lab.test_runbook_lab import offloads

pytestmark = pytest.mark.lab

MGMT_OPS = "10.77.0.100"
MGMT_PVE03 = "10.77.0.13"


def run(argv: list[str]) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=20)


class ManagementLink:
    """ops <-> pve03 on 10.77.0.0/24, plus a second sshd of pve03 on that address."""

    def __init__(self, lab: Lab, tmp: Path) -> None:
        self.lab, self.tmp = lab, tmp
        self.ops_end = f"m{lab.prefix[-6:]}o"
        self.sshd: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ManagementLink:
        lab, node = self.lab, self.lab.node("pve03")
        run(["ip", "link", "add", self.ops_end, "netns", lab.ops_ns, "type", "veth", "peer",
             "name", "mgmt0", "netns", node.ns])
        run(["ip", "-n", lab.ops_ns, "addr", "add", f"{MGMT_OPS}/24", "dev", self.ops_end])
        run(["ip", "-n", lab.ops_ns, "link", "set", self.ops_end, "up"])
        run(["ip", "-n", node.ns, "addr", "add", f"{MGMT_PVE03}/24", "dev", "mgmt0"])
        run(["ip", "-n", node.ns, "link", "set", "mgmt0", "up"])
        config = (node.dir / "sshd_config").read_text()
        config = config.replace(f"ListenAddress {node.addr}", f"ListenAddress {MGMT_PVE03}")
        config = config.replace("PidFile /run/sshd.pid", "PidFile /run/sshd-mgmt.pid")
        mgmt_config = self.tmp / "sshd_mgmt_config"
        mgmt_config.write_text(config)
        assert node.holder is not None
        self.sshd = subprocess.Popen(
            ["nsenter", "-t", str(node.holder.pid), "-m", "-n", "--", "/usr/sbin/sshd", "-D",
             "-e", "-f", str(mgmt_config)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def known_hosts(self) -> Path:
        """The lab's known_hosts plus pve03's own key under its management address."""
        path = self.tmp / "known_hosts"
        node = self.lab.node("pve03")
        path.write_text(self.lab.known_hosts.read_text() + f"{MGMT_PVE03} {node.host_pub}\n")
        return path

    def __exit__(self, *exc: object) -> None:
        if self.sshd is not None:
            self.sshd.terminate()
            try:
                self.sshd.wait(5)
            except subprocess.TimeoutExpired:
                self.sshd.kill()
                self.sshd.wait(5)
        subprocess.run(["ip", "-n", self.lab.ops_ns, "link", "del", self.ops_end],
                       capture_output=True, timeout=20, check=False)


async def until(check, what: str, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.2)


def test_tx_stall_with_the_management_link_up_the_runbook_goes_through_it(
        healthy_lab: Lab, tmp_path: Path) -> None:
    lab = healthy_lab
    audit = tmp_path / "audit.jsonl"
    episode = f"alt-path-{uuid.uuid4().hex[:8]}"
    lab.node_exec("pve03", ["ethtool", "-K", "eno1", "tso", "on", "gso", "on", "gro", "on"])

    with ManagementLink(lab, tmp_path) as mgmt, fresh_kernel_logs(lab):
        known = mgmt.known_hosts()

        async def scenario() -> tuple[list[str], str]:
            targets = [replace(lab.ssh_target(n, connect_timeout=4,
                                              alternates=(MGMT_PVE03,) if n == "pve03" else ()),
                               known_hosts=str(known))
                       for n in lab.nodes]
            pool = SshPool(targets, backoff=lambda: Backoff(base=0.2, cap=1.0, jitter=0.2))
            events: list[str] = []

            async def emit(e) -> None:  # type: ignore[no-untyped-def]
                events.append(f"{e.source} {getattr(e, 'state', '')} {getattr(e, 'detail', '')}")

            pool_task = asyncio.create_task(pool.run(emit))
            pve03 = pool.node("pve03")
            try:
                await pve03.connection(20)
                assert pve03.via is None  # the primary path while it works
                await asyncio.to_thread(lab.write_kernel_lines, "pve03",
                                        hang_blocks(utc_now(), 3))
                await asyncio.to_thread(lab.stuck_tx, "pve03")
                await asyncio.to_thread(lab.wait_votes, 2, nodes=("pve01", "pve02"),
                                        timeout=30)
                await until(lambda: pve03.via == MGMT_PVE03 and pve03.state == "connected",
                            "pve03 reconnected through its management address", 90)
                book = next(b for b in bundled() if b.id == "e1000e-tx-hang")
                ctx = make_context("pve03", iface="eno1", peers=["pve01", "pve02"],
                                   kernel_log_command=lab.kernel_log_command("pve03"),
                                   episode=episode)
                engine = RunbookEngine(book, ctx, SshExecutor(pool.nodes, connect_wait=20),
                                       AuditLog(audit), operator="lab-test",
                                       clock=system_clock, settle_seconds=2)
                await engine.start()
                assert engine.current is not None and engine.current.step.id == \
                    "offloads-off", [(r.step.id, r.status, r.detail) for r in engine.runs]
                assert await engine.confirm()
                steps = [(r.step.id, r.status) for r in engine.runs]
                await engine.abort()  # persist and reload are not this test's subject
                return steps, next(e for e in events if "via alternate" in e)
            finally:
                await pool.close()
                pool_task.cancel()
                await asyncio.to_thread(lab.clear_tx, "pve03")

        steps, shown = lab.run_in_ops(scenario, timeout=240)
    assert steps[:7] == [("confirm-votes", "pass"), ("kernel-log", "pass"), ("driver", "pass"),
                         ("offloads-before", "pass"), ("offloads-off", "done"),
                         ("verify-offloads", "pass"), ("settle", "pass")], steps
    assert offloads(lab) == {"tso": "off", "gso": "off", "gro": "off"}
    assert shown.startswith(f"ssh:pve03 connected via alternate address {MGMT_PVE03} "
                            "(primary 10.99.0.13: "), shown
    done = [e for e in read_audit(audit) if e.step == "offloads-off"]
    assert done and done[-1].result == "done" and done[-1].node == "pve03"
