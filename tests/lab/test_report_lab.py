"""``labconsole report`` on a recording of the real lab, with the runbook's audit log (issue 5).

In the ops namespace the console's live pipeline records the three lab nodes to a JSONL file
(kernel streams with the lab's kernel log command, quorum poll over SSH, pve03's NIC). While it
records, pve03 logs e1000e hang reports with a frozen TDH every 2 s and loses its link; once the
recorded quorum texts show 2/3, the bundled e1000e runbook runs headless on pve03 with a real
audit log: the symptom is confirmed on a peer, the link comes back, the offloads are turned off
(the only action confirmed), persist and reload are skipped so pve03's interfaces file is left
alone, and the votes are back at 3/3. Then the report, from the CLI, names a stuck TX ring on
pve03 eno1, gives pve03 downtime, and lists the audit steps with the exact command and result.
Waits are bounded; nothing asserts on speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from labconsole.cli import main
from labconsole.clock import system_clock
from labconsole.events import Event, KernelText, NicText
from labconsole.parse.ethtool import parse_features
from labconsole.runbook.audit import AuditLog, read_audit
from labconsole.runbook.engine import RunbookEngine
from labconsole.runbook.executor import SshExecutor
from labconsole.runbook.load import bundled
from labconsole.runbook.placeholders import make_context
from labconsole.sources.recording import RecordingError, iter_recording
from tests.lab.labnet import Lab, interfaces_text
from tests.lab.recording_session import (
    RecordingSession,
    fresh_kernel_logs,
    recorded_votes,
    utc_now,
)
from tests.lab.test_live_console import hang_blocks

pytestmark = pytest.mark.lab

OFFLOADS_OFF = "ethtool -K eno1 tso off gso off gro off"
HANG_EVERY = 2.0  # seconds between hang reports, as e1000e prints them
MAX_REPORTS = 12


def hang_headers(events: list[Event]) -> int:
    return sum(1 for e in events if isinstance(e, KernelText) and e.node == "pve03"
               and "Detected Hardware Unit Hang" in e.text)


def offloads_off_recorded(events: list[Event]) -> bool:
    nics = [e for e in events if isinstance(e, NicText) and e.node == "pve03"]
    if not nics:
        return False
    f = parse_features(nics[-1].features)
    return (f.tso, f.gso, f.gro) == (False, False, False)


def trace(engine: RunbookEngine) -> str:
    return "; ".join(f"{r.step.id}={r.status} {r.detail}" for r in engine.runs)


def make_engine(lab: Lab, session: RecordingSession, audit: Path) -> RunbookEngine:
    book = next(b for b in bundled() if b.id == "e1000e-tx-hang")
    ctx = make_context("pve03", iface="eno1", peers=["pve01", "pve02"],
                       kernel_log_command=lab.kernel_log_command("pve03"),
                       episode=f"lab-report-{uuid.uuid4().hex[:8]}")
    return RunbookEngine(book, ctx, SshExecutor(session.pool.nodes, connect_wait=20),
                         AuditLog(audit), operator="lab-test", clock=system_clock,
                         on_audit=session.mirror_audit, settle_seconds=1,
                         reconnect_timeout=30)


async def write_hangs(lab: Lab, sent: list[int]) -> None:
    """An e1000e TX hang on pve03: one report every 2 s stamped with the wall clock, TDH
    frozen at <f6>, until cancelled (the fix) or MAX_REPORTS."""
    for _ in range(MAX_REPORTS):
        lab.write_kernel_lines("pve03", hang_blocks(utc_now().replace(microsecond=0), 1))
        sent.append(1)
        await asyncio.sleep(HANG_EVERY)


async def idle(engine: RunbookEngine, *states: str, rounds: int = 300) -> None:
    for _ in range(rounds):
        if engine.state in states and not engine.busy:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"runbook not in {states}: {engine.state}; {trace(engine)}")


async def incident(lab: Lab, session: RecordingSession, audit: Path) -> dict[str, Any]:
    """The scenario while recording; returns what the assertions outside need."""
    sent: list[int] = []
    await session.wait_recorded(lambda ev: recorded_votes(ev)[-1:] == [3], 20,
                                "3/3 quorate")
    await session.wait_recorded(lambda ev: any(isinstance(e, NicText) for e in ev), 15,
                                "pve03 NIC snapshot")
    writer = asyncio.create_task(write_hangs(lab, sent))
    try:
        await session.wait_recorded(lambda ev: hang_headers(ev) >= 2, 15,
                                    "two hang reports from pve03")
        await asyncio.to_thread(lab.link_down, "pve03")
        await session.wait_recorded(lambda ev: recorded_votes(ev)[-1:] == [2], 25,
                                    "2/3 after pve03 link down")
        engine = make_engine(lab, session, audit)
        run = asyncio.create_task(engine.start())
        for _ in range(300):  # the symptom is confirmed on a peer while pve03 is cut off
            if engine.runs[0].status not in ("pending", "running") or run.done():
                break
            await asyncio.sleep(0.1)
        symptom = engine.runs[0].detail
        assert engine.runs[0].status == "pass", trace(engine)
        writer.cancel()  # the hang stops being reported before the fix (settle must pass)
        await asyncio.to_thread(lab.link_up, "pve03")  # the cable is back
        await asyncio.wait_for(run, 60)
    finally:
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer
    await idle(engine, "waiting", "failed")
    assert engine.current is not None and engine.current.step.id == "offloads-off", \
        trace(engine)
    assert await engine.confirm()
    await idle(engine, "waiting", "failed")
    assert engine.current is not None and engine.current.step.id == "persist", trace(engine)
    assert await engine.skip()  # pve03's interfaces file stays as it is
    await idle(engine, "waiting", "failed")
    assert engine.current is not None and engine.current.step.id == "reload", trace(engine)
    assert await engine.skip()
    await idle(engine, "finished", "failed")
    for _ in range(20):  # votes-back may run before corosync has taken pve03 back
        if engine.state == "finished":
            break
        assert engine.current is not None and engine.current.step.id == "votes-back", \
            trace(engine)
        await asyncio.sleep(1.0)
        assert await engine.retry()
        await idle(engine, "finished", "failed")
    assert engine.state == "finished", trace(engine)
    session.nic.refresh()
    await session.wait_recorded(offloads_off_recorded, 15, "pve03 offloads off")
    await session.wait_recorded(lambda ev: recorded_votes(ev)[-1:] == [3], 20,
                                "3/3 again")
    # reports written while pve03 was cut off arrive when its stream resumes
    await session.wait_recorded(lambda ev: hang_headers(ev) == len(sent), 15,
                                f"all {len(sent)} hang reports")
    await session.stop()
    return {"symptom": symptom, "reports": len(sent),
            "written": session.pipeline.recorder.written if session.pipeline.recorder else 0,
            "failures": list(session.pipeline.failures)}


def report(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert main(["report", *args]) == 0, capsys.readouterr().err
    return capsys.readouterr().out


def test_report_of_a_lab_recording_lists_the_audited_runbook_steps(
        healthy_lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lab = healthy_lab
    node = lab.node("pve03")
    recording, audit = tmp_path / "lab.jsonl", tmp_path / "audit.jsonl"
    logs_before = {name: n.kern_log.read_bytes() for name, n in lab.nodes.items()}
    lab.node_exec("pve03", ["ethtool", "-K", "eno1", "tso", "on", "gso", "on", "gro", "on"])
    try:
        with fresh_kernel_logs(lab):
            seen = lab.run_in_ops(
                lambda: _recorded(lab, recording, audit), timeout=150)
    finally:
        lab.node_exec("pve03", ["ethtool", "-K", "eno1", "tso", "on", "gso", "on", "gro",
                                "on"])
    assert node.interfaces_file.read_text() == interfaces_text(node.addr)  # left alone
    assert {name: n.kern_log.read_bytes() for name, n in lab.nodes.items()} == logs_before
    assert seen["failures"] == []
    assert "pve03 missing" in seen["symptom"] and "votes 2/3" in seen["symptom"]
    reports = seen["reports"]
    assert reports >= 2

    # the recording replays: every line an event, as many as the recorder wrote
    problems: list[RecordingError] = []
    assert sum(1 for _ in iter_recording(recording, problems)) == seen["written"]
    assert problems == []

    entries = list(read_audit(audit))
    doc = json.loads(report(capsys, str(recording), "--audit", str(audit), "--format",
                            "json"))
    assert doc["errors"] == []
    hit = [i for i in doc["incidents"] if "pve03" in i["nodes"]]
    assert len(hit) == 1, [(i["nodes"], i["cause"]) for i in doc["incidents"]]
    inc = hit[0]
    assert inc["cause_kind"] == "stuck_tx_ring", inc["cause"]
    assert inc["cause"] == (f"stuck TX ring on pve03 eno1 (e1000e), TDH frozen at <f6> "
                            f"for {reports} reports")
    assert inc["downtime"]["pve03"]["seconds"] > 0
    assert doc["downtime"]["pve03"]["seconds"] > 0
    assert any("Detected Hardware Unit Hang" in line for line in inc["log_lines"])
    # remediation: every audit step, once each (the recording's copies folded in), in order
    steps = [(a["step"], a["command"], a["result"]) for a in inc["remediation"]]
    assert steps == [(e.step, e.command, e.result) for e in entries]
    by_step = {a["step"]: a for a in inc["remediation"]}
    assert by_step["offloads-off"]["command"] == OFFLOADS_OFF
    assert by_step["offloads-off"]["result"] == "done"
    assert by_step["offloads-off"]["exit_status"] == 0
    assert by_step["confirm-votes"]["result"] == "pass"
    assert by_step["persist"]["result"] == "skipped"
    assert by_step["reload"]["result"] == "skipped"
    assert by_step["votes-back"]["result"] == "pass"
    assert doc["unattached_remediation"] == []

    md = report(capsys, str(recording), "--audit", str(audit))
    section = md.split(f"## Incident {inc['number']}: ", 1)[1].split("\n## ", 1)[0]
    assert section.startswith("stuck TX ring on pve03 eno1 (e1000e), TDH frozen at `<f6>`")
    remediation = section.split("### Remediation", 1)[1].split("###", 1)[0]
    row = next(line for line in remediation.splitlines() if "offloads-off" in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1:] == ["pve03", "e1000e-tx-hang/offloads-off", f"`{OFFLOADS_OFF}`",
                         "done", "0"]
    assert len(re.findall(r"^\| [\d: -]+ \| pve03 \| e1000e-tx-hang/", remediation,
                          re.M)) == len(entries)
    assert "## Input problems" not in md

    # the recording alone carries the steps too (mirrored as the runbook screen does)
    alone = json.loads(report(capsys, str(recording), "--no-audit", "--format", "json"))
    mirrored = {a["step"]: a for i in alone["incidents"] for a in i["remediation"]}
    assert mirrored["offloads-off"]["command"] == OFFLOADS_OFF
    assert mirrored["offloads-off"]["exit_status"] == 0


async def _recorded(lab: Lab, recording: Path, audit: Path) -> dict[str, Any]:
    async with RecordingSession.for_lab(lab, recording) as session:
        return await incident(lab, session, audit)
