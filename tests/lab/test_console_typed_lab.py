"""Both paths to pve03 down (issue 16 item 4, second scenario): its TX path stalls (tbf) and
it has no other address. The e1000e runbook confirms the symptom on a peer, cannot reach
pve03, and switches to pve03's console: each action's commands are typed there (here run in
pve03's own namespaces, as typing them at its console would) and confirmed as typed; pve03's
checks wait. Once the fix takes (the stall cleared), the votes come back on the peers, and when
pve03 answers again its own checks run on it: offloads off, the hook in its interfaces file,
the hang reports read back. Waits are bounded; nothing asserts on speed.
"""

from __future__ import annotations

import asyncio
import time
import uuid
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
from tests.lab.labnet import Lab, interfaces_text
from tests.lab.recording_session import fresh_kernel_logs, utc_now
from tests.lab.test_live_console import hang_blocks
from tests.lab.test_runbook_lab import offloads

pytestmark = pytest.mark.lab

HOOK = "post-up /sbin/ethtool -K eno1 tso off gso off gro off"


async def idle(engine: RunbookEngine, *states: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not (engine.state in states and not engine.busy):
        if time.monotonic() > deadline:
            raise AssertionError(f"engine {engine.state}, wanted {states}: "
                                 f"{[(r.step.id, r.status, r.detail) for r in engine.runs]}")
        await asyncio.sleep(0.1)


def test_both_paths_down_the_fix_is_typed_at_the_console_and_verified(
        healthy_lab: Lab, tmp_path: Path) -> None:
    lab = healthy_lab
    node = lab.node("pve03")
    node.interfaces_file.write_text(interfaces_text(node.addr))
    lab.node_exec("pve03", ["ethtool", "-K", "eno1", "tso", "on", "gso", "on", "gro", "on"])
    audit = tmp_path / "audit.jsonl"

    async def scenario() -> tuple[list[list[str]], list[tuple[str, str]]]:
        pool = SshPool([lab.ssh_target(n) for n in lab.nodes],
                       backoff=lambda: Backoff(base=0.2, cap=1.0, jitter=0.2))
        pool_task = asyncio.create_task(pool.run(_ignore))
        typed: list[list[str]] = []
        try:
            await pool.node("pve03").connection(20)
            await asyncio.to_thread(lab.write_kernel_lines, "pve03", hang_blocks(utc_now(), 3))
            await asyncio.to_thread(lab.stuck_tx, "pve03")
            await asyncio.to_thread(lab.wait_votes, 2, nodes=("pve01", "pve02"), timeout=30)
            book = next(b for b in bundled() if b.id == "e1000e-tx-hang")
            ctx = make_context("pve03", iface="eno1", bridge="vmbr0", peers=["pve01", "pve02"],
                               kernel_log_command=lab.kernel_log_command("pve03"),
                               episode=f"typed-{uuid.uuid4().hex[:8]}",
                               interfaces_path="/etc/network/interfaces")
            engine = RunbookEngine(book, ctx, SshExecutor(pool.nodes, connect_wait=4),
                                   AuditLog(audit), operator="lab-test", clock=system_clock,
                                   settle_seconds=2, reconnect_timeout=30, console_probe=3)
            await engine.start()
            assert engine.runs[0].status == "pass", engine.runs[0].detail  # on a peer
            assert engine.state == "failed" and engine.current is not None
            assert engine.current.step.id == "kernel-log"
            assert await engine.use_console()
            for _ in range(40):
                await idle(engine, "waiting", "failed", "finished")
                run = engine.current
                if engine.state == "finished" or (run is None and engine.state != "failed"):
                    break
                if run is not None and run.status == "at-console":
                    typed.append(list(run.typed))
                    for command in run.typed:  # typed at pve03's console
                        done = await asyncio.to_thread(lab.node_exec, "pve03", command,
                                                       check=False, timeout=60)
                        assert done.returncode == 0, (command, done.stdout, done.stderr)
                        assert await engine.typed()
                    if run.step.id == "offloads-off":
                        await asyncio.to_thread(lab.clear_tx, "pve03")  # the fix takes
                elif engine.state == "waiting":  # pve03 answers again: sent, after confirm
                    assert await engine.confirm()
                else:  # votes not back yet, or pve03's checks still waiting for it
                    await asyncio.sleep(2)
                    assert await engine.retry()
            assert engine.state == "finished", [(r.step.id, r.status, r.detail)
                                                for r in engine.runs]
            return typed, [(r.step.id, r.status) for r in engine.runs]
        finally:
            await pool.close()
            pool_task.cancel()
            await asyncio.to_thread(lab.clear_tx, "pve03")

    with fresh_kernel_logs(lab):
        typed, steps = lab.run_in_ops(scenario, timeout=300)
    assert [t[0] for t in typed][:1] == ["ethtool -K eno1 tso off gso off gro off"]
    by_step = dict(steps)
    assert by_step["confirm-votes"] == "pass" and by_step["votes-back"] == "pass"
    assert by_step["offloads-off"] == "typed"
    assert by_step["verify-offloads"] == "pass" and by_step["kernel-log"] == "pass"
    assert offloads(lab) == {"tso": "off", "gso": "off", "gro": "off"}
    assert by_step["persist"] in ("typed", "done")  # typed, or sent once pve03 answered
    assert node.interfaces_file.read_text().count(HOOK) == 1
    entries = list(read_audit(audit))
    assert next(e.command for e in entries if e.kind == "typed") == typed[0][0]
    assert any(e.result == "deferred" and e.step == "kernel-log" for e in entries)


async def _ignore(_event: object) -> None:
    return None
