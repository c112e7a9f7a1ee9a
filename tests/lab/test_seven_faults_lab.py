"""Seven faults in ONE recorded session, one incident each with its cause (issue 12 item 1).

The console's live pipeline records the lab over the management network (tests/lab/mgmtnet.py:
its SSH is not cut by the cluster switch, so every node's own view is read through every
fault), with corosync's token shortened at run time (1000 ms) so each fault is seen quickly.
One after another, each repaired and every node back at 3/3 before the next: a TX hang on pve03
(e1000e hang reports every 2 s and its TX path stalled; the e1000e runbook turns the offloads
off, persists the post-up hook and rolls it back), its cable pulled, switch outages of 5 s and
25 s, a TX stall, pve03's (management) sshd killed, its corosync killed with SIGKILL.

Meanwhile a thread reads every node's own ``corosync-quorumtool -s`` inside the node: the
truth. A node is out while its own answer is NOT quorate or a quorate peer's answer misses it.
``labconsole report --format json`` of the recording (with the audit log) must give one
incident per fault, the right cause, each node's downtime within 2 s of the truth, and the
remediation with its rollback. Waits are bounded; nothing asserts on speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from labconsole.cli import main
from labconsole.clock import system_clock
from labconsole.events import ConnectionChange, Event, NicText, QuorumText
from labconsole.parse.quorum import QuorumParseError, parse_quorum
from labconsole.pipeline import Pipeline
from labconsole.runbook.audit import AuditLog
from labconsole.runbook.engine import RunbookEngine
from labconsole.runbook.executor import SshExecutor
from labconsole.runbook.load import bundled
from labconsole.runbook.placeholders import make_context
from labconsole.sources.backoff import Backoff
from labconsole.sources.kernel_stream import KernelStreamSource
from labconsole.sources.nic_poll import NicPollSource
from labconsole.sources.quorum_poll import QuorumPollSource
from labconsole.sources.recording import Recorder
from labconsole.sources.ssh import SshPool, explicit_target
from tests.lab.labnet import Lab, _descendants
from tests.lab.mgmtnet import ManagementNet
from tests.lab.recording_session import RecordingSession, fresh_kernel_logs

pytestmark = pytest.mark.lab

SHORT_TOKEN_MS = 1000
DEFAULT_TOKEN_MS = 3000
TOLERANCE_S = 2.0
CAUSES = {"hang": "stuck_tx_ring", "cable": "link_down", "switch5": "network_outage",
          "switch25": "network_outage", "tx_stall": "node_isolated", "sshd": "management_lost",
          "corosync": "node_down"}


def now() -> datetime:
    return datetime.now(timezone.utc)


def hang_report(i: int) -> str:
    """One e1000e hang report as dmesg prints it (printk stamp, then the register lines)."""
    stamp = f"[{9800 + 2 * i:5d}.000000]"
    regs = [("TDH", "f6"), ("TDT", "1a"), ("next_to_use", "1a"), ("next_to_clean", "f6")]
    lines = [f"{stamp} e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:"]
    lines += [f"{stamp}   {reg:<20} <{value}>" for reg, value in regs]
    lines += [f"{stamp} buffer_info[next_to_clean]:",
              f"{stamp}   next_to_watch        <f7>",
              f"{stamp}   next_to_watch.status <0>"]
    return "\n".join(lines)


@dataclass
class Truth:
    """Every node's own quorumtool answer, read inside the node in a loop (a thread)."""

    lab: Lab
    samples: list[tuple[datetime, str, bool | None, frozenset[str]]] = field(
        default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        for _ in range(100_000):
            if self.stop.is_set():
                return
            for name in self.lab.nodes:
                text = self.lab.quorum_text(name)
                try:
                    q = parse_quorum(text)
                    self.samples.append((now(), name, q.quorate, frozenset(q.node_names())))
                except QuorumParseError:  # corosync down: no view
                    self.samples.append((now(), name, None, frozenset()))

    def latest(self) -> dict[str, tuple[bool | None, frozenset[str]]]:
        views: dict[str, tuple[bool | None, frozenset[str]]] = {}
        for _, name, quorate, members in list(self.samples):
            views[name] = (quorate, members)
        return views

    def out_now(self) -> set[str]:
        return _out(self.latest(), set(self.lab.nodes))

    def downtime(self, start: datetime, end: datetime) -> dict[str, float]:
        """Seconds each node was out between ``start`` and ``end`` by the nodes' answers."""
        views: dict[str, tuple[bool | None, frozenset[str]]] = {}
        total = {n: 0.0 for n in self.lab.nodes}
        last: datetime | None = None
        out: set[str] = set()
        for at, name, quorate, members in list(self.samples):
            if last is not None and start <= at <= end:
                for n in out:
                    total[n] += (at - max(last, start)).total_seconds()
            views[name] = (quorate, members)
            out = _out(views, set(self.lab.nodes))
            last = at
        return total


def _out(views: dict[str, tuple[bool | None, frozenset[str]]], known: set[str]) -> set[str]:
    out: set[str] = set()
    for node, (quorate, members) in views.items():
        if quorate is False:
            out.add(node)
        elif quorate:
            out |= known - members - {node}
    return out


@contextlib.contextmanager
def truth_thread(lab: Lab) -> Iterator[Truth]:
    truth = Truth(lab)
    thread = threading.Thread(target=truth.run, daemon=True)
    thread.start()
    try:
        yield truth
    finally:
        truth.stop.set()
        thread.join(30)


def set_token(lab: Lab, ms: int, names: tuple[str, ...] | None = None) -> None:
    for name in names or tuple(lab.nodes):
        lab.node_exec(name, ["corosync-cmapctl", "-s", "totem.token", "u32", str(ms)])


def session_for(lab: Lab, mgmt: ManagementNet, path: Path) -> RecordingSession:
    """``RecordingSession.for_lab`` over the management addresses."""
    known = mgmt.known_hosts
    pool = SshPool([explicit_target(n, mgmt.addrs[n], lab.client_key, known,
                                    keepalive_interval=1.0, keepalive_count_max=2,
                                    connect_timeout=3.0) for n in lab.nodes],
                   backoff=lambda: Backoff(base=0.2, cap=1.0, jitter=0.2))
    since = now()
    kernels = [KernelStreamSource(pool.node(n), lab.journal_command(n, since=since),
                                  restart_backoff=Backoff(base=0.2, cap=1.0, jitter=0.2))
               for n in lab.nodes]
    quorum = QuorumPollSource([pool.node(n) for n in lab.nodes], cluster="lab",
                              interval=0.3)
    nic = NicPollSource(pool.node("pve03"), "eno1", interval=1.0)
    pipeline = Pipeline([pool, quorum, *kernels, nic], recorder=Recorder(path))
    return RecordingSession(path=path, pool=pool, nic=nic, pipeline=pipeline)


def _views(events: list[Event]) -> dict[str, tuple[bool, int]]:
    latest: dict[str, tuple[bool, int]] = {}
    for e in events:
        if isinstance(e, QuorumText) and e.node:
            with contextlib.suppress(QuorumParseError):
                q = parse_quorum(e.text)
                latest[e.node] = (q.quorate, q.total_votes or 0)
    return latest


def _conn(events: list[Event], node: str) -> str | None:
    states = [e.state for e in events if isinstance(e, ConnectionChange) and e.node == node]
    return states[-1] if states else None


def healthy(names: tuple[str, ...]) -> Callable[[list[Event]], bool]:
    """Every node's recorded view 3/3 quorate and every connection up."""
    def check(ev: list[Event]) -> bool:
        views = _views(ev)
        return all(views.get(n) == (True, 3) and _conn(ev, n) == "connected" for n in names)
    return check


async def until(cond: Callable[[], bool], what: str, rounds: int = 300) -> None:
    for _ in range(rounds):
        if await asyncio.to_thread(cond):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out: {what}")


@dataclass
class Window:
    fault: str
    start: datetime
    end: datetime = field(default_factory=now)


class Script:
    """The seven faults, each recorded as a window of wall time."""

    def __init__(self, lab: Lab, mgmt: ManagementNet, session: RecordingSession,
                 truth: Truth, audit: Path) -> None:
        self.lab, self.mgmt, self.session, self.truth, self.audit = \
            lab, mgmt, session, truth, audit
        self.windows: list[Window] = []
        self.names = tuple(lab.nodes)

    async def back(self, window: Window) -> None:
        """Every node's own answer and the recording 3/3 again; then a few quiet seconds."""
        await until(lambda: not self.truth.out_now(), f"{window.fault}: nodes back", 300)
        await self.session.wait_recorded(healthy(self.names), 60,
                                         f"{window.fault}: recorded 3/3, connected")
        window.end = now()
        await asyncio.sleep(3)

    async def cut_off(self, name: str, fault: str, break_: Callable[[], None],
                      repair: Callable[[], None], hold: float = 3.0) -> Window:
        w = Window(fault, now())
        self.windows.append(w)
        await asyncio.to_thread(break_)
        try:
            await until(lambda: name in self.truth.out_now(), f"{fault}: {name} out")
            await asyncio.sleep(hold)
        finally:
            await asyncio.to_thread(repair)
        await self.back(w)
        return w

    async def hang(self) -> None:
        w = Window("hang", now())
        self.windows.append(w)
        writer = asyncio.create_task(self._write_hangs())
        await asyncio.to_thread(self.lab.stuck_tx, "pve03")
        try:
            await until(lambda: "pve03" in self.truth.out_now(), "hang: pve03 out")
            engine = self._engine()
            run = asyncio.create_task(engine.start())
            for _ in range(300):  # the symptom is confirmed on a peer
                if engine.runs[0].status not in ("pending", "running") or run.done():
                    break
                await asyncio.sleep(0.1)
            assert engine.runs[0].status == "pass", _trace(engine)
            writer.cancel()
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            await asyncio.to_thread(self.lab.clear_tx, "pve03")
        await asyncio.wait_for(run, 90)
        await _idle(engine, "waiting", "failed")
        assert engine.current is not None and engine.current.step.id == "offloads-off", \
            _trace(engine)
        assert await engine.confirm()
        await _idle(engine, "waiting", "failed")
        assert engine.current is not None and engine.current.step.id == "persist", \
            _trace(engine)
        assert await engine.confirm()
        await _idle(engine, "waiting", "failed")
        assert await engine.rollback(), _trace(engine)
        await _idle(engine, "waiting", "failed")
        assert await engine.abort()
        await self.back(w)

    async def _write_hangs(self) -> None:
        """e1000e's report every 2 s, TDH frozen, in the kernel's own (dmesg) form: the
        journal stamps each entry with the time it is written."""
        for i in range(60):
            await asyncio.to_thread(self.lab.write_kernel_lines, "pve03", hang_report(i))
            await asyncio.sleep(2.0)

    def _engine(self) -> RunbookEngine:
        book = next(b for b in bundled() if b.id == "e1000e-tx-hang")
        ctx = make_context("pve03", iface="eno1", peers=["pve01", "pve02"],
                           kernel_log_command=self.lab.kernel_log_command("pve03"),
                           episode=f"lab-seven-{uuid.uuid4().hex[:8]}")
        return RunbookEngine(book, ctx, SshExecutor(self.session.pool.nodes, connect_wait=20),
                             AuditLog(self.audit), operator="lab-test", clock=system_clock,
                             on_audit=self.session.mirror_audit, settle_seconds=1,
                             reconnect_timeout=30)

    async def switch(self, seconds: float) -> None:
        w = Window(f"switch{int(seconds)}", now())
        self.windows.append(w)
        await asyncio.to_thread(self.lab.bridge_down)
        try:
            await asyncio.sleep(seconds)
        finally:
            await asyncio.to_thread(self.lab.bridge_up)
        await self.back(w)

    async def cable_pull(self) -> None:
        w = Window("cable", now())
        self.windows.append(w)
        await asyncio.to_thread(self.lab.link_down, "pve03")
        try:
            await until(lambda: "pve03" in self.truth.out_now(), "cable: pve03 out")
            self.session.nic.refresh()
            await self.session.wait_recorded(
                lambda ev: any(isinstance(e, NicText) and e.link == "down" for e in ev), 20,
                "pve03 eno1 link down (NIC poll)")
            await asyncio.sleep(2)
        finally:
            await asyncio.to_thread(self.lab.link_up, "pve03")
        await self.back(w)

    async def sshd(self) -> None:
        w = Window("sshd", now())
        self.windows.append(w)
        proc = self.mgmt.sshd["pve03"]
        for pid in _descendants(proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.kill()
        proc.wait(5)
        try:
            await self.session.wait_recorded(lambda ev: _conn(ev, "pve03") in (
                "reconnecting", "failed"), 30, "pve03's SSH lost")
            await asyncio.sleep(3)
        finally:
            await asyncio.to_thread(self.mgmt._start_sshd, "pve03", self.mgmt.addrs["pve03"])
            await asyncio.to_thread(self.mgmt._wait_listening, "pve03",
                                    self.mgmt.addrs["pve03"])
        await self.back(w)

    async def corosync(self) -> None:
        def restart() -> None:
            self.lab.start_corosync("pve03")
            for _ in range(50):  # its token as the others' once it answers
                res = self.lab.node_exec("pve03", ["corosync-cmapctl", "-s", "totem.token",
                                                   "u32", str(SHORT_TOKEN_MS)], check=False)
                if res.returncode == 0:
                    return
                time.sleep(0.2)
        await self.cut_off("pve03", "corosync", lambda: self.lab.kill_corosync("pve03"),
                           restart)


async def _idle(engine: RunbookEngine, *states: str, rounds: int = 600) -> None:
    for _ in range(rounds):
        if engine.state in states and not engine.busy:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"runbook not in {states}: {engine.state}; {_trace(engine)}")


def _trace(engine: RunbookEngine) -> str:
    return "; ".join(f"{r.step.id}={r.status} {r.detail}" for r in engine.runs)


async def record(lab: Lab, mgmt: ManagementNet, truth: Truth, recording: Path,
                 audit: Path) -> list[Window]:
    session = session_for(lab, mgmt, recording)
    async with session:
        script = Script(lab, mgmt, session, truth, audit)
        await session.wait_recorded(healthy(script.names), 30, "3/3 from every node")
        await asyncio.sleep(2)
        await script.hang()
        await script.cable_pull()
        await script.switch(5)
        await script.switch(25)
        await script.cut_off("pve03", "tx_stall", lambda: lab.stuck_tx("pve03"),
                             lambda: lab.clear_tx("pve03"))
        await script.sshd()
        await script.corosync()
        await session.stop()
    return script.windows


def report(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["report", *args, "--format", "json"]) == 0, capsys.readouterr().err
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    return doc


def _incident_of(doc: dict[str, Any], w: Window) -> list[dict[str, Any]]:
    start, end = w.start - timedelta(seconds=1), w.end
    return [i for i in doc["incidents"]
            if start <= datetime.fromisoformat(i["start"]) <= end]


def test_seven_faults_one_session_one_incident_each(healthy_lab: Lab, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]
                                                    ) -> None:
    lab = healthy_lab
    recording, audit = tmp_path / "seven.jsonl", tmp_path / "audit.jsonl"
    lab.node_exec("pve03", ["ethtool", "-K", "eno1", "tso", "on", "gso", "on", "gro", "on"])
    with ManagementNet(lab, tmp_path) as mgmt, fresh_kernel_logs(lab):
        set_token(lab, SHORT_TOKEN_MS)
        try:
            with truth_thread(lab) as truth:
                windows = lab.run_in_ops(lambda: record(lab, mgmt, truth, recording, audit),
                                         timeout=420)
        finally:
            set_token(lab, DEFAULT_TOKEN_MS)
    lab.node_exec("pve03", ["ethtool", "-K", "eno1", "tso", "on", "gso", "on", "gro", "on"])
    doc = report(capsys, str(recording), "--audit", str(audit))
    got = []
    for w in windows:
        found = _incident_of(doc, w)
        truth_s = truth.downtime(w.start, w.end)
        got.append((w.fault, [(i["cause_kind"], i["cause"]) for i in found],
                    {n: round(s, 1) for n, s in truth_s.items()},
                    [{n: d["seconds"] for n, d in i["downtime"].items()} for i in found]))
    summary = "\n".join(repr(g) for g in got)
    print(summary)  # the per-fault report and the nodes' truth, for the record
    assert len(doc["incidents"]) == len(windows), summary
    for fault, causes, truth_s, downtimes in got:
        assert len(causes) == 1, (fault, summary)
        assert causes[0][0] == CAUSES[fault], (fault, causes)
        reported = downtimes[0]
        for node, seconds in truth_s.items():
            assert abs(reported.get(node, 0.0) - seconds) <= TOLERANCE_S, \
                (fault, node, reported, truth_s)
    hang = _incident_of(doc, windows[0])[0]
    assert hang["cause"].startswith("stuck TX ring on pve03 eno1 (e1000e), TDH frozen at <f6>")
    state = {c["step"]: c for c in hang["remediation_state"]}
    assert state["offloads-off"]["state"] == "in place"
    assert state["persist"]["state"] == "rolled back" and state["persist"]["rolled_back_at"]
    assert lab.node("pve03").interfaces_file.read_text().count("post-up") == 0
