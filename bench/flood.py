"""Benchmark ``flood`` (issue 9 item 4): three nodes each streaming kernel lines into the console.

Two variants, one line generator (:func:`flood_line`: ordinary chatter, and an e1000e hang report
every 2 s of log time with TDH frozen, as a stuck TX ring prints it):

- **lab** (needs root; the real thing): the 3-node lab of tests/lab/labnet.py. One writer
  process per node (``python -m bench.flood --writer``) appends paced lines to that node's
  kernel log file; the console (``labconsole run --config ... --record``, in tmux in the ops
  namespace) streams them with ``tail -F`` over SSH. Measured: keystroke to screen (``o``
  cycles the kernel log's node filter; ``capture-pane`` is polled until the pane title names
  the new node), every second the console's RSS and CPU and how many kernel lines it has
  recorded; at the end, after a bounded catch-up wait, the kernel lines in the recording
  against the lines written, per node, exactly.
- **in process** (no root): the same lines replayed at the same rate by a paced source through
  ``Pipeline`` + ``ConsoleState`` + a ``Recorder`` into ``LabConsoleApp`` under ``run_test``;
  keystroke to the pane's title, lines/s sustained, RSS. It is what the smoke test runs, and
  what cProfile profiles (:func:`profile_pipeline`) when a target is missed.

``--quick``: 1,000 lines/s for 10 s. Full: 10,000 lines/s for 60 s (issue 9's figure).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import re
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.config import BenchConfig
from bench.report import BenchResult, Target

if TYPE_CHECKING:
    from tests.lab.labnet import Lab

NAME = "flood"
NODES = ("pve01", "pve02", "pve03")
KEY_TARGET_MS = 100.0
RSS_TARGET_MB = 200.0
RSS_FLAT_AFTER_S = 10  # RSS should not grow after this many seconds of flood
RSS_FLAT_SLACK_MB = 10.0  # growth after that point still counted as "flat"
TICK_S = 0.01  # writers and the paced source emit a batch every 10 ms
# Lines per node between two yields of the paced source when it is behind: what one 64 KiB
# read of the SSH channel (KernelStreamSource.READ_CHUNK) holds at about 100 bytes a line.
CHUNK_LINES = 600
KEY_EVERY_S = 0.5  # one keystroke sample every half second during the flood
KEY_TIMEOUT_S = 10.0
# Writers start together this long after launch (their interpreters come up meanwhile, and
# the keystroke is sampled without a flood for comparison).
WRITER_START_S = 10.0
# The writer's entry point (not ``-m bench.flood``: runpy warns when the package imported it).
WRITER = "import sys; from bench.flood import main; sys.exit(main(sys.argv[1:]))"
NIC = "e1000e 0000:00:1f.6 eno1"
_TITLE_NODE = re.compile(r"Kernel log: (all nodes|[A-Za-z0-9_.-]+)")
COLUMNS = ["variant", "what", "value", "unit", "n"]

# Ordinary kernel chatter, written for this benchmark (no text copied from a real log).
_CHATTER = (
    "vmbr0: port {p}(tap{vm}i0) entered forwarding state",
    "fwbr{vm}i0: port 2(tap{vm}i0) entered blocking state",
    "audit: type=1400 apparmor=\"STATUS\" operation=\"profile_load\" name=\"lxc-{vm}\"",
    "EXT4-fs (dm-{p}): mounted filesystem with ordered data mode. Quota mode: none.",
    "perf: interrupt took too long ({vm}00 > {p}000), lowering kernel.perf_event_max_sample_rate",
    "IPv6: ADDRCONF(NETDEV_CHANGE): veth{vm}i0: link becomes ready",
    "usb 1-{p}: new high-speed USB device number {vm} using xhci_hcd",
)
_REGISTERS = (("TDH", "f6"), ("TDT", "1a"), ("next_to_use", "1a"), ("next_to_clean", "f6"))
HANG_LINES = 2 + len(_REGISTERS) + 2  # header, registers, buffer_info, next_to_watch, status


@dataclass(frozen=True)
class FloodPlan:
    """How hard and how long: ``rate`` lines per second per node for ``seconds``."""

    rate: int
    seconds: float
    nodes: tuple[str, ...] = NODES

    @property
    def per_node(self) -> int:
        return int(self.rate * self.seconds)

    @property
    def hang_every(self) -> int:
        """A hang report every 2 s of log time, as e1000e prints them during a hang."""
        return max(HANG_LINES + 1, 2 * self.rate)


FULL = FloodPlan(rate=10_000, seconds=60.0)
QUICK = FloodPlan(rate=1_000, seconds=10.0)


def flood_line(node: str, i: int, t0: datetime, rate: int, hang_every: int) -> str:
    """Line ``i`` of ``node``'s flood (``journalctl -k -o short-iso`` style), one physical line
    per index, so line counts are exact; lines ``k*hang_every .. +HANG_LINES`` are one hang
    report (its continuation lines indented, as journalctl prints a multi-line message)."""
    at = t0 + timedelta(seconds=i / rate)
    head = f"{at:%Y-%m-%dT%H:%M:%S%z} {node} kernel: "
    k = i % hang_every
    if k >= HANG_LINES:
        vm = 100 + i % 37
        return head + _CHATTER[i % len(_CHATTER)].format(p=i % 9 + 1, vm=vm)
    pad = " " * len(head)
    if k == 0:
        return head + f"{NIC}: Detected Hardware Unit Hang:"
    if k <= len(_REGISTERS):
        name, value = _REGISTERS[k - 1]
        return f"{pad}  {name:<21}<{value}>"
    if k == len(_REGISTERS) + 1:
        return f"{pad}buffer_info[next_to_clean]:"
    return f"{pad}  next_to_watch.status <0>"


def flood_batch(node: str, start: int, count: int, t0: datetime, plan: FloodPlan) -> list[str]:
    return [flood_line(node, i, t0, plan.rate, plan.hang_every)
            for i in range(start, start + count)]


def batch_due(elapsed_s: float, plan: FloodPlan) -> int:
    """Lines that should have been written ``elapsed_s`` into the flood (capped at the total)."""
    return min(plan.per_node, int(elapsed_s * plan.rate))


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """Nearest-rank p50/p99/max in milliseconds (``values`` in seconds)."""
    ordered = sorted(values)
    if not ordered:
        return {"p50 ms": float("nan"), "p99 ms": float("nan"), "max ms": float("nan")}

    def rank(p: float) -> float:
        idx = max(0, min(len(ordered) - 1, -(-len(ordered) * p // 100) - 1))
        return ordered[int(idx)] * 1000

    return {"p50 ms": rank(50), "p99 ms": rank(99), "max ms": ordered[-1] * 1000}


def rss_flat(series_mb: Sequence[float], after: int = RSS_FLAT_AFTER_S,
             slack_mb: float = RSS_FLAT_SLACK_MB) -> tuple[bool | None, float]:
    """Whether a once-a-second RSS series stops growing after ``after`` samples: growth from
    sample ``after`` to the end, within ``slack_mb``. None when the series is too short."""
    if len(series_mb) <= after + 1:
        return None, 0.0
    growth = max(series_mb[after:]) - series_mb[after]
    return growth <= slack_mb, growth


# -- the writer process (one per node, lab variant) ----------------------------------------

def write_paced(path: Path, node: str, plan: FloodPlan, t0: datetime) -> dict[str, float]:
    """Append ``plan.per_node`` lines to ``path`` at ``plan.rate`` lines/s (a batch every
    10 ms, catching up when late), starting at wall-clock ``t0`` (every writer starts at the
    same instant, whenever its interpreter came up); returns what was written and how late
    it ran."""
    written = 0
    late = 0.0
    time.sleep(max(0.0, t0.timestamp() - time.time()))
    start = time.monotonic()
    with open(path, "a", encoding="utf-8") as fh:
        while written < plan.per_node:
            elapsed = time.monotonic() - start
            due = batch_due(elapsed, plan)
            if due > written:
                fh.write("\n".join(flood_batch(node, written, due - written, t0, plan)) + "\n")
                fh.flush()
                written = due
            late = max(late, time.monotonic() - start - written / plan.rate)
            time.sleep(max(0.0, start + (written / plan.rate) + TICK_S - time.monotonic()))
    return {"written": written, "seconds": time.monotonic() - start, "late_s": late}


# -- in process: paced source -> Pipeline -> ConsoleState -> app under run_test ---------------

@dataclass
class PacedFlood:
    """A source emitting the flood at the plan's rate (every node, a batch every 10 ms).

    When the pipeline is slower than the rate, emitting falls behind the schedule: ``lag_s``
    at the end is how far (the in-process picture of lines piling up in the SSH channel)."""

    plan: FloodPlan
    t0: datetime
    grace_s: float = 10.0  # then it stops, behind or not (``unsent`` says how far)
    name: str = "flood"
    emitted: int = 0
    unsent: int = 0
    lag_s: float = 0.0
    done: bool = False

    async def run(self, emit: Callable[[Any], Any]) -> None:
        from labconsole.events import KernelText
        from labconsole.sources.base import emit_all

        start = time.monotonic()
        sent = 0
        stop = start + self.plan.seconds + self.grace_s
        while sent < self.plan.per_node and time.monotonic() < stop:
            due = min(batch_due(time.monotonic() - start, self.plan), sent + CHUNK_LINES)
            for node in self.plan.nodes:
                # As a stream hands on the lines of one read (``KernelStream``): one arrival
                # time, one batch (``emit_all``: one by one where the receiver wants that).
                at = datetime.now(timezone.utc)
                batch = [KernelText(at=at, source=f"kernel:{node}", node=node, text=text)
                         for text in flood_batch(node, sent, due - sent, self.t0, self.plan)]
                await emit_all(emit, batch)
                self.emitted += len(batch)
                await asyncio.sleep(0)  # a real stream yields per chunk read, so does this
            sent = due
            await asyncio.sleep(max(0.0, start + sent / self.plan.rate + TICK_S
                                    - time.monotonic()))
        self.lag_s = time.monotonic() - start - self.plan.seconds
        self.unsent = len(self.plan.nodes) * (self.plan.per_node - sent)
        self.done = True


@dataclass
class FloodStats:
    """What one flood run measured (either variant)."""

    variant: str
    written: int
    recorded: int
    seconds: float  # the flood itself
    catch_up_s: float  # after the flood, until everything was in (or the wait ran out)
    recorded_at_end: int  # kernel lines recorded when the writers stopped
    keys: list[float] = field(default_factory=list)
    key_timeouts: int = 0
    rss_mb: list[float] = field(default_factory=list)
    cpu_pct: list[float] = field(default_factory=list)
    per_node: dict[str, tuple[int, int]] = field(default_factory=dict)  # written, recorded
    unsent: int = 0  # in process: lines the paced source had not emitted when time ran out
    idle_keys: list[float] = field(default_factory=list)  # the same keystroke, no flood

    @property
    def sustained(self) -> float:
        """Lines/s the console took in, end to end: every line it got over the time from the
        flood's start until its last line was in (all nodes together)."""
        busy = self.seconds + self.catch_up_s
        return self.recorded / busy if busy else 0.0


def _rss_mb() -> float:
    """This process's current RSS (the peak would hide whether it is flat)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _inprocess(plan: FloodPlan, rec_path: Path, keys: bool) -> FloodStats:
    from labconsole.app import LabConsoleApp
    from labconsole.sources.recording import Recorder
    from labconsole.widgets.kernel_log import KernelLogPane

    source = PacedFlood(plan, datetime.now(timezone.utc))
    # Never rotated (the default would drop the oldest 64 MiB files of a long flood); fsyncs
    # in a thread, as ``labconsole run`` records.
    recorder = Recorder(rec_path, max_bytes=1 << 40, sync_thread=True)
    app = LabConsoleApp([source], recorder=recorder, tick_seconds=0)
    stats = FloodStats("in process", plan.per_node * len(plan.nodes), 0, plan.seconds, 0.0, 0)
    async with app.run_test(size=(110, 32)):
        await _pane_mounted(app, KernelLogPane)
        start = time.monotonic()
        cpu0, last = time.process_time(), start
        next_key = start + KEY_EVERY_S
        # Bounded; and not past the app's end (an exception ends it and run_test re-raises it
        # on the way out, rather than this loop keying a dead app until the bound).
        while not source.done and app.is_running \
                and time.monotonic() - start < plan.seconds * 20 + 30:
            await asyncio.sleep(0.05)  # not pilot.pause(): it waits for an idle CPU
            now = time.monotonic()
            if now - last >= 1.0:
                cpu = time.process_time()
                stats.cpu_pct.append(100 * (cpu - cpu0) / (now - last))
                stats.rss_mb.append(_rss_mb())
                cpu0, last = cpu, now
            if keys and now >= next_key:
                pane = app.screen.query_one(KernelLogPane)
                before = str(pane.border_title)
                t = time.perf_counter()
                app.simulate_key("o")  # as the driver posts a key the terminal sent
                while str(pane.border_title) == before and time.perf_counter() - t < 10:
                    await asyncio.sleep(0.001)
                stats.keys.append(time.perf_counter() - t)
                next_key = time.monotonic() + KEY_EVERY_S
        stats.seconds = plan.seconds  # the lag past it is catch_up_s
        stats.recorded_at_end = app.state.log.last_seq
    stats.recorded = count_recorded(rec_path)[0]
    stats.catch_up_s = max(0.0, source.lag_s)
    stats.written = source.emitted  # what reached the pipeline; ``unsent`` never left
    stats.unsent = source.unsent
    stats.recorded_at_end = min(stats.recorded_at_end, stats.recorded)
    return stats


async def _pane_mounted(app: object, pane_type: type, limit_s: float = 60.0) -> None:
    """Wait (bounded) until the main screen holds the kernel log pane: on a loaded machine
    the first key could come before it was mounted ("No nodes match 'KernelLogPane'")."""
    from textual.css.query import NoMatches

    deadline = time.monotonic() + limit_s
    while True:
        try:
            app.screen.query_one(pane_type)  # type: ignore[attr-defined]
            return
        except NoMatches:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


def inprocess_flood(plan: FloodPlan, *, keys: bool = True) -> FloodStats:
    """Run the in-process variant (no root, no lab); the recording lives in a temp dir."""
    with tempfile.TemporaryDirectory(prefix="lc-flood-") as tmp:
        return asyncio.run(_inprocess(plan, Path(tmp) / "flood.jsonl", keys))


def count_recorded(path: Path) -> tuple[int, dict[str, int]]:
    """Kernel events in a recording, in all and per node (every line parsed: exact)."""
    per: dict[str, int] = {}
    total = 0
    with open(path, "rb") as fh:
        for raw in fh:
            if not raw.startswith(b'{"type":"kernel"'):
                continue
            try:
                node = str(json.loads(raw).get("node"))
            except ValueError:
                continue  # a torn last line: not a recorded event
            per[node] = per.get(node, 0) + 1
            total += 1
    return total, per


def shallow_to_json(event: Any) -> dict[str, Any]:
    """``Event.to_json`` without ``dataclasses.asdict``'s deep copy (the experiment in
    :func:`shallow_json_gain`): same keys, same order, same values for flat events."""
    from dataclasses import fields

    data = {f.name: getattr(event, f.name) for f in fields(event)}
    data["at"] = event.at.isoformat()
    out = {"type": event.type, **data}
    if "via" in out and out["via"] is None:  # as ConnectionChange.to_json: recordings unchanged
        del out["via"]
    return out


def shallow_json_gain(lines: int = 30_000) -> tuple[float, float, bool]:
    """Pipeline + recorder us/line as is, and with :func:`shallow_to_json` patched in; and
    whether both recordings are byte for byte the same."""
    from labconsole.events import Event

    with tempfile.TemporaryDirectory(prefix="lc-flood-json-") as tmp:
        a, b = Path(tmp) / "a.jsonl", Path(tmp) / "b.jsonl"
        before = _pipeline_us(lines, a)
        original = Event.to_json
        Event.to_json = shallow_to_json
        try:
            after = _pipeline_us(lines, b)
        finally:
            Event.to_json = original
        return before, after, a.read_bytes() == b.read_bytes()


def _flood_events(lines: int) -> list[Any]:
    from labconsole.events import KernelText

    t0 = datetime(2026, 11, 25, 6, 19, 0, tzinfo=timezone.utc)
    plan = FloodPlan(rate=10_000, seconds=lines / 10_000, nodes=("pve01",))
    return [KernelText(at=t0, source="kernel:pve01", node="pve01", text=text)
            for text in flood_batch("pve01", 0, lines, t0, plan)]


def _pipeline_us(lines: int, rec: Path) -> float:
    from labconsole.pipeline import Pipeline
    from labconsole.sources.recording import Recorder

    events = _flood_events(lines)
    pipe = Pipeline(sources=[], recorder=Recorder(rec))

    async def feed() -> None:
        for event in events:
            await pipe.emit(event)

    start = time.perf_counter()
    asyncio.run(feed())
    us = (time.perf_counter() - start) * 1e6 / lines
    assert pipe.recorder is not None
    pipe.recorder.close()
    return us


def profile_pipeline(lines: int = 30_000, top: int = 14) -> tuple[float, list[dict[str, Any]]]:
    """cProfile of the pipeline alone (state + recorder, no UI) on ``lines`` flood lines:
    microseconds per line (unprofiled run) and the functions with the most own time."""
    with tempfile.TemporaryDirectory(prefix="lc-flood-prof-") as tmp:
        us = _pipeline_us(lines, Path(tmp) / "a.jsonl")
        prof = cProfile.Profile()
        prof.runcall(_pipeline_us, lines, Path(tmp) / "b.jsonl")
    stats = pstats.Stats(prof)
    rows: list[dict[str, Any]] = []
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, lineno, func), (_cc, calls, tottime, cumtime, _) in sorted(
            raw.items(), key=lambda kv: kv[1][2], reverse=True)[:top]:
        where = f"{Path(filename).name}:{lineno}" if lineno else filename
        rows.append({"function": f"{func} ({where})", "calls": calls,
                     "own us/line": round(tottime * 1e6 / lines, 2),
                     "cum us/line": round(cumtime * 1e6 / lines, 2)})
    return us, rows


# -- lab variant ----------------------------------------------------------------------------

class _Tmux:
    def __init__(self, socket: str) -> None:
        self.base = ["tmux", "-L", socket]

    def run(self, *args: str) -> str:
        return subprocess.run([*self.base, *args], capture_output=True, text=True,
                              timeout=20, check=False).stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "lc")

    def wait(self, ready: Callable[[str], bool], timeout: float) -> str | None:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            screen = self.screen()
            if ready(screen):
                return screen
        return None


def title_node(screen: str) -> str | None:
    """The node the kernel log pane's title names (``all nodes`` when merged)."""
    m = _TITLE_NODE.search(screen)
    return m.group(1) if m else None


class RecordingCounter:
    """Counts the kernel lines of a growing recording per node, across the recorder's
    rotations: the file is read through a descriptor kept open, so a rotated file (renamed to
    ``.1``, later deleted) is read to its end before the new one is opened."""

    def __init__(self, rec: Path, nodes: Sequence[str]) -> None:
        self.rec = rec
        self.keys = {n: f'"source":"kernel:{n}"'.encode() for n in nodes}
        self.per_node = dict.fromkeys(nodes, 0)
        self._fh: Any = None
        self._tail = b""
        self._lock = threading.Lock()  # the sampler thread and the main thread both ask

    @property
    def total(self) -> int:
        return sum(self.per_node.values())

    def update(self) -> int:
        """Read what was appended (and the rest of a rotated file); returns the total."""
        with self._lock:
            if self._fh is None:
                try:
                    self._fh = open(self.rec, "rb")  # noqa: SIM115 (kept open on purpose)
                except OSError:
                    return self.total
            self._count(self._fh.read())
            try:
                rotated = os.stat(self.rec).st_ino != os.fstat(self._fh.fileno()).st_ino
            except OSError:
                rotated = False
            if rotated:
                self._count(self._fh.read())
                self._fh.close()
                self._fh, self._tail = None, b""
                return self.update_unlocked()
            return self.total

    def update_unlocked(self) -> int:
        try:
            self._fh = open(self.rec, "rb")  # noqa: SIM115
        except OSError:
            return self.total
        self._count(self._fh.read())
        return self.total

    def _count(self, data: bytes) -> None:
        data = self._tail + data
        end = data.rfind(b"\n") + 1
        whole, self._tail = data[:end], data[end:]
        for node, key in self.keys.items():
            self.per_node[node] += whole.count(key)

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None


class _Sampler(threading.Thread):
    """Once a second: the console's RSS, its CPU and the kernel lines recorded so far."""

    def __init__(self, pid: int, counter: RecordingCounter) -> None:
        super().__init__(daemon=True)
        self.pid, self.counter = pid, counter
        self.stop = threading.Event()
        self.rss_mb: list[float] = []
        self.cpu_pct: list[float] = []
        self.recorded: list[int] = []

    def recorded_now(self) -> int:
        return self.counter.update()

    def run(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        last_cpu, last_t = _proc_cpu(self.pid), time.monotonic()
        while not self.stop.wait(1.0):
            cpu, now = _proc_cpu(self.pid), time.monotonic()
            if cpu is None or last_cpu is None:
                break
            self.cpu_pct.append(100 * (cpu - last_cpu) / tick / (now - last_t))
            self.rss_mb.append(_proc_rss_mb(self.pid))
            self.recorded.append(self.recorded_now())
            last_cpu, last_t = cpu, now


def _proc_cpu(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[11]) + int(fields[12])  # utime + stime, clock ticks


def _proc_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def lab_flood(lab: Lab, plan: FloodPlan, catch_up_limit_s: float) -> FloodStats:
    """The lab variant (see the module doc); ``lab`` is a started 3-node lab."""
    from tests.lab.test_live_console import CLUSTER, lab_config

    with tempfile.TemporaryDirectory(prefix="lc-bench-flood-") as tmp:
        config, rec = Path(tmp) / "config.toml", Path(tmp) / "flood.jsonl"
        config.write_text(lab_config(lab))
        tmux = _Tmux(f"lc-bench-flood-{os.getpid()}")
        env = {k: v for k, v in os.environ.items() if k != "LABCONSOLE_CONFIG"}
        env["TERM"] = "xterm-256color"
        command = (f"exec {shlex.quote(sys.executable)} -m labconsole run --config "
                   f"{shlex.quote(str(config))} --record {shlex.quote(str(rec))}")
        subprocess.run(["ip", "netns", "exec", lab.ops_ns, *tmux.base, "-f", os.devnull,
                        "new-session", "-d", "-s", "lc", "-x", "110", "-y", "32", "sh", "-c",
                        command], check=True, timeout=20, env=env)
        try:
            if tmux.wait(lambda s: f"{CLUSTER} 3/3 quorate" in s, 60) is None:
                raise TimeoutError("the console did not show 3/3 within 60 s:\n"
                                   + tmux.screen())
            pid = int(tmux.run("display-message", "-p", "-t", "lc", "#{pane_pid}").strip())
            return _flood_console(lab, plan, tmux, pid, rec, catch_up_limit_s)
        finally:
            tmux.run("kill-server")


def _flood_console(lab: Lab, plan: FloodPlan, tmux: _Tmux, pid: int, rec: Path,
                   catch_up_limit_s: float) -> FloodStats:
    t0 = datetime.now(timezone.utc) + timedelta(seconds=WRITER_START_S)
    counter = RecordingCounter(rec, plan.nodes)
    sampler = _Sampler(pid, counter)
    base = sampler.recorded_now()  # nothing of the flood yet: logs start empty
    writers = {node: subprocess.Popen(
        [sys.executable, "-c", WRITER, "--writer", str(lab.node(node).kern_log), node,
         str(plan.rate), str(plan.seconds), t0.isoformat()],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent)
        for node in plan.nodes}
    stats = FloodStats("lab", 0, 0, plan.seconds, 0.0, 0)
    idle = FloodStats("lab idle", 0, 0, 0.0, 0.0, 0)
    while time.time() < t0.timestamp() - 2 * KEY_EVERY_S:  # the same keys before the flood
        _key_sample(tmux, idle)
        time.sleep(KEY_EVERY_S)
    stats.idle_keys = idle.keys
    time.sleep(max(0.0, t0.timestamp() - time.time()))
    start = time.monotonic()
    sampler.start()
    while any(w.poll() is None for w in writers.values()):
        _key_sample(tmux, stats)
        time.sleep(KEY_EVERY_S)
    stats.recorded_at_end = sampler.recorded_now() - base
    written = {n: int(json.loads(w.communicate()[0])["written"]) for n, w in writers.items()}
    stats.written = sum(written.values())
    last_in = _catch_up(sampler, base, stats.written, catch_up_limit_s)
    stats.catch_up_s = max(0.0, last_in - (start + plan.seconds))
    sampler.stop.set()
    sampler.join(5)
    tmux.run("send-keys", "-t", "lc", "q")
    deadline = time.monotonic() + 30
    while _proc_cpu(pid) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    counter.update()  # the console has exited: its recorder is closed and synced
    counter.close()
    stats.recorded = counter.total - base
    stats.per_node = {n: (written[n], counter.per_node[n]) for n in plan.nodes}
    stats.rss_mb, stats.cpu_pct = sampler.rss_mb, sampler.cpu_pct
    return stats


def _key_sample(tmux: _Tmux, stats: FloodStats) -> None:
    """Press ``o`` and time it until the pane title names another node."""
    before = title_node(tmux.screen())
    start = time.perf_counter()
    tmux.run("send-keys", "-t", "lc", "o")
    if tmux.wait(lambda s: title_node(s) not in (None, before), KEY_TIMEOUT_S) is None:
        stats.key_timeouts += 1
        return
    stats.keys.append(time.perf_counter() - start)


def _catch_up(sampler: _Sampler, base: int, written: int, limit_s: float) -> float:
    """Wait until every written line is recorded, or it stops progressing, or ``limit_s``;
    returns when (monotonic) the last line recorded came in, to 0.1 s."""
    start = time.monotonic()
    last, last_at = -1, start
    while time.monotonic() < start + limit_s:
        got = sampler.recorded_now() - base
        if got != last:
            last, last_at = got, time.monotonic()
        if got >= written or time.monotonic() - last_at > 20:
            break
        time.sleep(0.1)
    return last_at


# -- the benchmark -----------------------------------------------------------------------------

def run(cfg: BenchConfig) -> BenchResult:
    plan = QUICK if cfg.quick else FULL
    result = BenchResult(NAME, COLUMNS)
    result.note(f"flood: {len(plan.nodes)} nodes x {plan.rate} lines/s x {plan.seconds:.0f} s "
                f"= {plan.per_node * len(plan.nodes)} lines; a hang report every 2 s of log "
                "time per node")
    lab_stats = _run_lab(cfg, plan, result)
    if lab_stats is not None:
        add_rows(result, lab_stats, plan)
    inproc = inprocess_flood(plan)
    add_rows(result, inproc, plan)
    add_targets(result, lab_stats or inproc, plan)
    if cfg.profile and not all(t.met for t in result.targets):
        add_profile(result)
    return result


def _run_lab(cfg: BenchConfig, plan: FloodPlan, result: BenchResult) -> FloodStats | None:
    try:
        from tests.lab.labnet import missing_requirements, running_lab
    except ImportError as exc:
        result.note(f"lab flood skipped: tests/lab not importable ({exc}); run from the "
                    "repository root")
        return None
    reason = missing_requirements() or (None if shutil.which("tmux") else "tmux not installed")
    if reason:
        result.note(f"lab flood skipped: {reason}")
        return None
    from bench.scale import clean_root_home

    with running_lab() as lab:
        clean_root_home(lab)  # as on a real node: see its doc
        try:
            return lab_flood(lab, plan, catch_up_limit_s=60 if cfg.quick else 240)
        except (TimeoutError, subprocess.SubprocessError, OSError) as exc:
            result.note(f"lab flood failed: {exc}")
            return None


def add_rows(result: BenchResult, s: FloodStats, plan: FloodPlan) -> None:
    v = s.variant
    rows: list[tuple[str, float | int | str, str, int | None]] = [
        ("lines written (all nodes)", s.written, "lines", None),
        ("kernel lines recorded", s.recorded, "lines", None),
        ("lines lost (written - recorded)", s.written - s.recorded, "lines", None),
        ("offered rate", plan.rate * len(plan.nodes), "lines/s", None),
        ("taken in, end to end", round(s.sustained), "lines/s", None),
        ("recorded when the flood ended", s.recorded_at_end, "lines", None),
        ("catch-up after the flood", round(s.catch_up_s, 1), "s", None),
    ]
    if s.unsent:
        rows.append(("not offered: the paced source ran out of time", s.unsent, "lines",
                     None))
    for label, keys in (("keystroke -> screen, no flood,", s.idle_keys),
                        ("keystroke -> screen", s.keys)):
        if keys:
            rows += [(f"{label} {k}", round(val, 1), "ms", len(keys))
                     for k, val in percentiles(keys).items()]
    if s.key_timeouts:
        rows.append((f"keystrokes not shown within {KEY_TIMEOUT_S:.0f} s", s.key_timeouts, "",
                     None))
    if s.rss_mb:
        _, growth = rss_flat(s.rss_mb)
        rows += [("RSS max", round(max(s.rss_mb), 1), "MB", len(s.rss_mb)),
                 (f"RSS growth after {RSS_FLAT_AFTER_S} s", round(growth, 1), "MB", None)]
    if s.cpu_pct:
        rows.append(("CPU mean (one core = 100)", round(sum(s.cpu_pct) / len(s.cpu_pct)),
                     "%", len(s.cpu_pct)))
    for node, (w, r) in s.per_node.items():
        rows.append((f"{node}: written / recorded", f"{w} / {r}", "lines", None))
    result.rows += [{"variant": v, "what": w, "value": val, "unit": u, "n": n}
                    for w, val, u, n in rows]
    result.extra.setdefault("series", {})[v] = {"rss_mb": s.rss_mb, "cpu_pct": s.cpu_pct,
                                                "keys_s": s.keys}


def add_targets(result: BenchResult, s: FloodStats, plan: FloodPlan) -> None:
    where = f"({s.variant})"
    p99 = percentiles(s.keys)["p99 ms"] if s.keys else None
    met = None if p99 is None else (p99 < KEY_TARGET_MS and not s.key_timeouts)
    result.targets.append(Target("keystroke to screen p99", f"< {KEY_TARGET_MS:.0f} ms",
                                 "-" if p99 is None else f"{p99:.0f} ms {where}"
                                 + (f", {s.key_timeouts} timed out" if s.key_timeouts else ""),
                                 met))
    lost = s.written - s.recorded
    result.targets.append(Target("no line lost in the recording", "0 lost",
                                 f"{lost} of {s.written} {where}", lost == 0))
    if s.rss_mb:
        flat, growth = rss_flat(s.rss_mb)
        result.targets.append(Target(
            "RSS", f"< {RSS_TARGET_MB:.0f} MB, flat after {RSS_FLAT_AFTER_S} s",
            f"max {max(s.rss_mb):.0f} MB, +{growth:.0f} MB after {RSS_FLAT_AFTER_S} s {where}",
            None if flat is None else (max(s.rss_mb) < RSS_TARGET_MB and flat)))
    offered = plan.rate * len(plan.nodes)
    result.targets.append(Target("keeps up with the flood", f"{offered} lines/s",
                                 f"{s.sustained:.0f} lines/s end to end, {s.catch_up_s:.1f} s "
                                 f"behind at the end {where}",
                                 s.sustained >= 0.95 * offered and not s.unsent))


def add_profile(result: BenchResult) -> None:
    us, rows = profile_pipeline()
    before, after, same = shallow_json_gain()
    result.extra["profile"] = {"us_per_line": us, "top": rows,
                               "shallow_to_json": {"before_us": before, "after_us": after,
                                                   "same_recording": same}}
    result.note(f"experiment: Event.to_json without dataclasses.asdict's deep copy: pipeline "
                f"+ recorder {before:.1f} -> {after:.1f} us/line, recording "
                + ("byte-identical" if same else "DIFFERENT"))
    result.note(f"profile (pipeline + recorder, no UI, in process): {us:.1f} us/line = "
                f"{1e6 / us:.0f} lines/s on one core at best; top own time per line: "
                + "; ".join(f"{r['function']} {r['own us/line']} us" for r in rows[:8]))


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.flood")
    p.add_argument("--writer", nargs=5, metavar=("PATH", "NODE", "RATE", "SECONDS", "T0"),
                   help="(internal) append a paced flood to PATH, print what was written")
    p.add_argument("--profile", type=int, metavar="LINES", help="cProfile the pipeline only")
    args = p.parse_args(argv)
    if args.writer:
        path, node, rate, seconds, t0 = args.writer
        plan = FloodPlan(rate=int(rate), seconds=float(seconds))
        print(json.dumps(write_paced(Path(path), node, plan, datetime.fromisoformat(t0))))
        return 0
    if args.profile:
        us, rows = profile_pipeline(args.profile)
        print(f"{us:.1f} us/line")
        for row in rows:
            print(row)
        return 0
    from bench.report import render

    print(render(run(BenchConfig(quick=True))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
