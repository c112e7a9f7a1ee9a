"""Benchmark ``lab``: live latencies in the real 3-node lab (tests/lab/labnet.py; needs root).

- **Hang latency**: a complete e1000e hang block is appended to pve03's kernel log file.
  Measured twice: (1) in process, the console's real kernel stream source (``tail -F`` over
  SSH from the ops namespace) feeding the real pipeline, until the domain state holds that
  report with its registers; (2) write to pixels: ``labconsole run --config`` (a config for the
  lab) in tmux in the ops namespace, until ``capture-pane`` shows the folded episode line with
  the new report count. p50/p99 over the injections.
- **Vote latency**: ``link down`` on pve03's switch port; the clock stops twice: when
  ``corosync-quorumtool -s`` on pve01 (polled every 50 ms) first shows 2 votes, and when the
  console's quorum source (its default poll interval) has put 2/3 into the domain state.
  The figure is how far the console is behind corosync.

Skips with the reason when the lab cannot run (not root, tools missing).
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from bench.config import BenchConfig
from bench.report import BenchResult, Target
from labconsole.pipeline import Pipeline
from labconsole.sources.kernel_stream import KernelStreamSource
from labconsole.sources.quorum_poll import QuorumPollSource
from labconsole.sources.ssh import SshPool
from labconsole.state.console_state import ConsoleState

if TYPE_CHECKING:
    from tests.lab.labnet import Lab

NAME = "lab"
COLUMNS = ["what", "n", "p50 ms", "p90 ms", "p99 ms", "max ms"]
HANG_TARGET_MS = 100.0
VOTE_TARGET_MS = 1000.0
NODE = "pve03"
CLUSTER = "lab"


def hang_block(i: int, uptime: float) -> tuple[str, str]:
    """A complete e1000e report (ends with ``PCI Status``, so it closes at once); its TDH
    encodes ``i`` so each injection is told apart."""
    tdh = f"{i % 4096:x}"
    stamp = f"[{uptime:12.6f}]"
    regs = [("TDH", tdh), ("TDT", "2a"), ("next_to_use", "2a"), ("next_to_clean", tdh)]
    lines = [f"{stamp} e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:"]
    lines += [f"{stamp}   {name:<21}<{value}>" for name, value in regs]
    lines += [f"{stamp} MAC Status             <80083>", f"{stamp} PCI Status             <10>"]
    return "\n".join(lines) + "\n", tdh


def percentiles(values: list[float]) -> dict[str, float]:
    """p50/p90/p99/max in ms (nearest-rank on the sorted sample)."""
    ordered = sorted(values)

    def rank(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))] * 1000,
                     2)

    return {"p50 ms": rank(0.50), "p90 ms": rank(0.90), "p99 ms": rank(0.99),
            "max ms": round(ordered[-1] * 1000, 2)}


def _reports(state: ConsoleState) -> tuple[int, str | None]:
    """Reports of pve03's episodes so far, and the TDH of the latest complete one."""
    refs = [r for r in state.log.episodes if r.node == NODE]
    total = sum(r.episode.reports for r in refs)
    return total, (refs[-1].episode.registers.get("TDH") if refs else None)


class _Waiter:
    """Wakes the benchmark when the pipeline says something changed and ``ready()`` holds."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.ready: Callable[[], bool] = lambda: False

    def on_change(self, _panels: set[str]) -> None:
        if self.ready():
            self.event.set()

    async def wait(self, ready: Callable[[], bool], timeout: float) -> None:
        self.ready = ready
        self.event.clear()
        if not ready():
            await asyncio.wait_for(self.event.wait(), timeout)


async def hang_latency(lab: Lab, count: int) -> list[float]:
    """Seconds from each write to the report being in the domain state."""
    pool = SshPool([lab.ssh_target(NODE)])
    source = KernelStreamSource(pool.node(NODE), lab.kernel_log_command(NODE))
    waiter = _Waiter()
    state = ConsoleState()
    task = asyncio.create_task(Pipeline([source], state=state, on_change=waiter.on_change).run())
    out: list[float] = []
    try:
        await pool.node(NODE).connection(10)
        for i in range(count + 5):  # the first five warm the stream up and are not counted
            text, tdh = hang_block(i, 9000.0 + i * 0.01)
            want = _reports(state)[0] + 1

            def done(want: int = want, tdh: str = tdh) -> bool:
                got, last = _reports(state)
                return got >= want and last == tdh

            start = time.perf_counter()
            lab.write_kernel_lines(NODE, text)
            await waiter.wait(done, 10)
            if i >= 5:
                out.append(time.perf_counter() - start)
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await pool.close()
    return out


async def vote_latency(lab: Lab, reps: int) -> list[tuple[float, float]]:
    """(pve01's corosync, pve01's view in the console state) seconds from link down to 2
    votes, per repetition."""
    nodes = lab.nodes
    pool = SshPool([lab.ssh_target(n) for n in nodes])
    quorum = QuorumPollSource(list(pool.nodes.values()), cluster=CLUSTER)
    waiter = _Waiter()
    state = ConsoleState()
    task = asyncio.create_task(Pipeline([quorum], state=state, on_change=waiter.on_change).run())

    def votes() -> int | None:
        """pve01's own view in the console's state (the node the watcher asks directly): the
        figure is how far that node's view on the console is behind its own quorumtool."""
        c = state.votes.clusters.get(CLUSTER)
        view = c.views.get("pve01") if c else None
        return view.total_votes if view is not None else None

    out: list[tuple[float, float]] = []
    try:
        for _ in range(reps):
            await waiter.wait(lambda: votes() == 3, 30)
            seen: dict[str, float] = {}
            stop = threading.Event()
            start = time.perf_counter()
            watcher = asyncio.get_running_loop().run_in_executor(
                None, _watch_corosync, lab, start, seen, stop)
            lab.link_down(NODE)
            try:
                await waiter.wait(lambda: votes() == 2, 30)
                ours = time.perf_counter() - start
                await asyncio.wait_for(watcher, 30)
            finally:
                stop.set()
                lab.link_up(NODE)
            if "corosync" in seen:
                out.append((seen["corosync"], ours))
            lab.wait_votes(3, timeout=30)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await pool.close()
    return out


def _watch_corosync(lab: Lab, start: float, seen: dict[str, float],
                    stop: threading.Event) -> None:
    """Poll ``corosync-quorumtool -s`` on pve01 until it shows 2 votes (bounded: 30 s)."""
    deadline = start + 30
    while not stop.is_set() and time.perf_counter() < deadline:
        if lab.total_votes("pve01") == 2:
            seen["corosync"] = time.perf_counter() - start
            return
        time.sleep(0.05)


def short_iso_report(at: datetime) -> str:
    """One complete e1000e report as ``journalctl -k -o short-iso`` prints it."""
    head = f"{at:%Y-%m-%dT%H:%M:%S%z} {NODE} kernel: "
    pad = " " * len(head)
    lines = [head + "e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:"]
    for name, value in (("TDH", "f6"), ("TDT", "1a"), ("next_to_use", "1a"),
                        ("next_to_clean", "f6")):
        lines.append(f"{pad}  {name:<21}<{value}>")
    lines += [f"{pad}MAC Status             <80083>", f"{pad}PCI Status             <10>"]
    return "\n".join(lines) + "\n"


def screen_latency(lab: Lab, count: int) -> list[float]:
    """Seconds from each write to the folded episode line on the real dashboard showing the new
    report count (``hang x N``): ``labconsole run --config`` in tmux in the ops namespace, the
    screen read with ``capture-pane`` in a tight loop (about 3 ms a read)."""
    from tests.lab.test_live_console import CLUSTER as LIVE_CLUSTER
    from tests.lab.test_live_console import lab_config

    with tempfile.TemporaryDirectory(prefix="lc-bench-lab-") as tmp:
        config = Path(tmp) / "config.toml"
        config.write_text(lab_config(lab))
        socket = f"lc-bench-lab-{os.getpid()}"
        base = ["tmux", "-L", socket]
        env = {k: v for k, v in os.environ.items() if k != "LABCONSOLE_CONFIG"}
        env["TERM"] = "xterm-256color"
        command = f"{shlex.quote(sys.executable)} -m labconsole run --config {config}"
        subprocess.run(["ip", "netns", "exec", lab.ops_ns, *base, "-f", os.devnull,
                        "new-session", "-d", "-s", "lc", "-x", "110", "-y", "32", "sh", "-c",
                        command], check=True, timeout=20, env=env)
        try:
            _wait_screen(base, lambda s: f"{LIVE_CLUSTER} 3/3 quorate" in s, 60)
            out: list[float] = []
            start_at = datetime(2026, 11, 25, 6, 19, 2, tzinfo=timezone.utc)
            for i in range(count + 3):  # the first three are warm-up
                text = short_iso_report(start_at + timedelta(seconds=2 * i))
                shown = re.compile(rf"hang x {i + 1}\b")
                start = time.perf_counter()
                lab.write_kernel_lines(NODE, text)
                _wait_screen(base, _has(shown), 10)
                if i >= 3:
                    out.append(time.perf_counter() - start)
            return out
        finally:
            subprocess.run([*base, "kill-server"], capture_output=True, timeout=20, check=False)


def _has(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda screen: pattern.search(screen) is not None


def _wait_screen(base: list[str], ready: Callable[[str], bool], timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    screen = ""
    while time.perf_counter() < deadline:
        screen = subprocess.run([*base, "capture-pane", "-p", "-t", "lc"], capture_output=True,
                                text=True, timeout=10, check=False).stdout
        if ready(screen):
            return
    raise TimeoutError(f"screen not ready after {timeout:.0f} s; last screen:\n{screen}")


def run(cfg: BenchConfig) -> BenchResult:
    result = BenchResult(NAME, COLUMNS)
    try:
        from tests.lab.labnet import missing_requirements, running_lab
    except ImportError as exc:
        result.note(f"lab benchmark skipped: tests/lab not importable ({exc}); run from the "
                    "repository root")
        return result
    reason = missing_requirements()
    if reason:
        result.note(f"lab benchmark skipped: {reason}")
        return result
    injections = 40 if cfg.quick else 200
    reps = 3 if cfg.quick else 10
    if cfg.repeat is not None:
        injections, reps = max(5, cfg.repeat), max(1, cfg.repeat)
    screen: list[float] = []
    with running_lab() as lab:
        hang = lab.run_in_ops(lambda: hang_latency(lab, injections), timeout=600)
        if shutil.which("tmux"):
            try:
                screen = screen_latency(lab, injections)
            except (TimeoutError, subprocess.SubprocessError, ImportError) as exc:
                result.note(f"hang latency to screen not measured: {exc}")
        else:
            result.note("hang latency to screen not measured: tmux not installed")
        votes = lab.run_in_ops(lambda: vote_latency(lab, reps), timeout=120 * reps)
    _rows(result, hang, screen, votes)
    return result


def _rows(result: BenchResult, hang: list[float], screen: list[float],
          votes: list[tuple[float, float]]) -> None:
    if hang:
        p = percentiles(hang)
        result.rows.append({"what": "hang block written -> episode in state", "n": len(hang),
                            **p})
    if screen:
        p = percentiles(screen)
        result.rows.append({"what": "hang block written -> folded line on screen (tmux)",
                            "n": len(screen), **p})
    if hang or screen:
        p = percentiles(screen or hang)
        where = "on screen" if screen else "to state only"
        result.targets.append(Target("hang latency p99", f"< {HANG_TARGET_MS:.0f} ms",
                                     f"{p['p99 ms']:.1f} ms ({where})",
                                     p["p99 ms"] < HANG_TARGET_MS))
    if votes:
        corosync = [c for c, _ in votes]
        ours = [o for _, o in votes]
        behind = [o - c for c, o in votes]
        for what, values in (("link down -> corosync-quorumtool shows 2", corosync),
                             ("link down -> console state shows 2/3", ours),
                             ("console behind corosync", behind)):
            result.rows.append({"what": what, "n": len(values), **percentiles(values)})
        p = percentiles(behind)
        result.targets.append(Target("votes behind corosync", f"< {VOTE_TARGET_MS:.0f} ms",
                                     f"p50 {p['p50 ms']:.0f} ms, max {p['max ms']:.0f} ms",
                                     p["max ms"] < VOTE_TARGET_MS))
