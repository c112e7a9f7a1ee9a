"""Benchmark ``cef_flood`` (issue 19 items 3 and 5): keystrokes while CEF datagrams pour in.

The console (``LabConsoleApp`` under ``run_test``, 110x32) runs with a real
:class:`~labconsole.sources.syslog_listener.SyslogListener` on a loopback UDP port; a sender in
its own process (so it does not share our interpreter) sends synthetic UniFi CEF alerts at a
fixed rate (default 5,000 datagrams/s) for a fixed time. Measured:

- keystroke to screen: ``o`` cycles the kernel log's node filter (two nodes are seeded), the
  pane title is polled until it changes; sampled every 0.5 s, first with no flood (idle), then
  during the flood. Reported as p50/p99/max and as the flood/idle ratio of each;
- intake per second through the flood (datagrams the listener delivered to the console), and
  the ratio of the last third's mean to the first third's: below 1 means intake decays as the
  timeline grows (issue 19: 260/s fell to 3-8/s);
- where every datagram went: delivered, kernel drops (the socket's counter), queue overflow,
  against the sender's count; and the loss the console itself reported (IntakeLoss).

``--quick``: 5,000/s for 8 s. Full: 5,000/s for 30 s. No assertion anywhere: the target
(keystroke p99 < 100 ms) is reported as met or not.

Paired: with ``$LABCONSOLE_BENCH_BASELINE=<an older checkout>`` each run is a pair, the older
code then this one, each in its own child process (``bench.baseline``), ``--repeat`` pairs
(default 3), with the load average before each run and the after/before ratio of each pair:
the machine is shared, so only runs of the same minutes compare.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.baseline import BASELINE_CHECKOUT_ENV, package_path, run_child
from bench.config import BenchConfig
from bench.flood import percentiles
from bench.report import BenchResult, Target

NAME = "cef_flood"
COLUMNS = ["phase", "what", "value", "unit", "n"]
KEY_TARGET_MS = 100.0
KEY_EVERY_S = 0.5
IDLE_KEYS = 12
TICK_S = 0.01
SENDER = "import sys; from bench.cef_flood import sender_main; sys.exit(sender_main(sys.argv[1:]))"
# One measurement in a child process, printed as JSON (works with an older checkout's bench).
CHILD = ("import dataclasses, json, sys; from bench.cef_flood import CefPlan, measure; "
         "print(json.dumps(dataclasses.asdict(measure(CefPlan(int(sys.argv[1]), "
         "float(sys.argv[2]))))))")
PAIRS = 3


@dataclass(frozen=True)
class CefPlan:
    rate: int = 5_000
    seconds: float = 30.0


FULL = CefPlan(5_000, 30.0)
QUICK = CefPlan(5_000, 8.0)


def cef_datagram(i: int) -> bytes:
    """Alert ``i``: a UniFi-style CEF record (synthetic text, the real shape)."""
    port = i % 48 + 1
    return (f"<14>Mar 02 06:19:{i % 60:02d} unifi-gw CEF:0|Ubiquiti|UniFi Network|9.0.114|401|"
            f"Wired Client Disconnected|2|UNIFIcategory=Monitoring UNIFIsubCategory=Client "
            f"UNIFIclientHostname=client-{i % 500} UNIFIconnectedToDevicePort={port} "
            f"msg=client-{i % 500} left port {port} ({i})").encode()


def sender_main(argv: list[str]) -> int:
    """``PORT RATE SECONDS``: send paced datagrams, print how many were sent."""
    import socket

    port, rate, seconds = int(argv[0]), int(argv[1]), float(argv[2])
    total = int(rate * seconds)
    sent = 0
    start = time.monotonic()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        while sent < total:
            due = min(total, int((time.monotonic() - start) * rate) + int(rate * TICK_S))
            while sent < due:
                try:
                    sock.sendto(cef_datagram(sent), ("127.0.0.1", port))
                except OSError:  # ENOBUFS: the sender's own loss, counted as not sent
                    total -= 1
                    continue
                sent += 1
            time.sleep(max(0.0, start + sent / rate - time.monotonic()))
    print(sent, flush=True)
    return 0


@dataclass
class CefStats:
    sent: int = 0
    idle_keys: list[float] = field(default_factory=list)
    keys: list[float] = field(default_factory=list)
    key_timeouts: int = 0
    intake: list[int] = field(default_factory=list)  # delivered per second
    delivered: int = 0
    kernel: int | None = None
    queue: int = 0
    reported_dropped: int = 0  # the largest IntakeLoss the console showed
    timeline: int = 0
    seconds: float = 0.0


class _Seed:
    """Two nodes' kernel lines, so that ``o`` has a filter to cycle through."""

    name = "seed"

    async def run(self, emit: Any) -> None:
        from datetime import datetime, timezone

        from labconsole.events import KernelText

        await asyncio.sleep(1.0)  # after the dashboard is composed (see the report)
        for node in ("pve01", "pve02"):
            await emit(KernelText(at=datetime.now(timezone.utc), source=f"kernel:{node}",
                                  node=node, text="e1000e 0000:00:1f.6 eno1: NIC Link is Up"))
        await asyncio.Event().wait()


async def _key(app: Any, stats: CefStats, into: list[float]) -> None:
    from labconsole.widgets.kernel_log import KernelLogPane

    pane = app.screen.query_one(KernelLogPane)
    before = str(pane.border_title)
    t = time.perf_counter()
    app.simulate_key("o")
    while str(pane.border_title) == before and time.perf_counter() - t < 10:
        await asyncio.sleep(0.001)
    if str(pane.border_title) == before:
        stats.key_timeouts += 1
    into.append(time.perf_counter() - t)


async def _run(plan: CefPlan) -> CefStats:
    from labconsole.app import LabConsoleApp
    from labconsole.events import IntakeLoss
    from labconsole.sources.syslog_listener import SyslogListener

    listener = SyslogListener(host="127.0.0.1", port=0, tcp=False)
    app = LabConsoleApp([listener, _Seed()])
    stats = CefStats()
    async with app.run_test(size=(110, 32)):
        await asyncio.wait_for(listener.ready(), 10)
        await asyncio.sleep(1.5)
        for _ in range(IDLE_KEYS):
            await _key(app, stats, stats.idle_keys)
            await asyncio.sleep(KEY_EVERY_S)
        sender = subprocess.Popen(
            [sys.executable, "-c", SENDER, str(listener.udp_port), str(plan.rate),
             str(plan.seconds)], stdout=subprocess.PIPE, text=True)
        start = last_tick = time.monotonic()
        last_count = 0
        next_key = start + KEY_EVERY_S
        while sender.poll() is None and time.monotonic() - start < plan.seconds * 3 + 30:
            await asyncio.sleep(0.05)
            now = time.monotonic()
            if now >= next_key:
                await _key(app, stats, stats.keys)
                next_key = time.monotonic() + KEY_EVERY_S
            if now - last_tick >= 1.0:
                count = listener.stats.udp.messages
                stats.intake.append(count - last_count)
                last_count, last_tick = count, now
        stats.seconds = time.monotonic() - start
        out, _ = sender.communicate(timeout=30)
        stats.sent = int(out.strip() or 0)
        await asyncio.sleep(2.0)  # the queue drains; a last loss report is due
        total = listener.totals()
        stats.delivered, stats.kernel, stats.queue = total.received, total.kernel, total.queue
        losses = [e for e in app.state.intake.values() if isinstance(e, IntakeLoss)]
        stats.reported_dropped = max((e.dropped for e in losses), default=0)
        stats.timeline = len(app.state.timeline.entries)
        # Stop the pipeline before the app tears its screens down (the app skips a redraw
        # due during shutdown; this keeps the flood out of the teardown's figures).
        app.workers.cancel_group(app, "pipeline")
        await asyncio.sleep(0.2)
    return stats


def measure(plan: CefPlan) -> CefStats:
    return asyncio.run(_run(plan))


def _ratio(a: float, b: float) -> float:
    return round(a / b, 2) if b else float("nan")


def add_rows(result: BenchResult, s: CefStats, plan: CefPlan) -> None:
    idle, busy = percentiles(s.idle_keys), percentiles(s.keys)
    for what in ("p50 ms", "p99 ms", "max ms"):
        result.rows.append({"phase": "idle", "what": f"keystroke {what}",
                            "value": round(idle[what], 1), "unit": "ms", "n": len(s.idle_keys)})
        result.rows.append({"phase": f"{plan.rate}/s", "what": f"keystroke {what}",
                            "value": round(busy[what], 1), "unit": "ms", "n": len(s.keys)})
        result.rows.append({"phase": "ratio", "what": f"keystroke {what} flood/idle",
                            "value": _ratio(busy[what], idle[what]), "unit": "x", "n": None})
    for limit in (50, 100, 200):
        over = sum(1 for k in s.keys if k * 1000 > limit)
        result.rows.append({"phase": f"{plan.rate}/s", "what": f"keystrokes over {limit} ms",
                            "value": over, "unit": "keys", "n": len(s.keys)})
    third = max(1, len(s.intake) // 3)
    first = sum(s.intake[:third]) / third
    last = sum(s.intake[-third:]) / third
    result.rows += [
        {"phase": f"{plan.rate}/s", "what": "intake first third", "value": round(first),
         "unit": "datagrams/s", "n": third},
        {"phase": f"{plan.rate}/s", "what": "intake last third", "value": round(last),
         "unit": "datagrams/s", "n": third},
        {"phase": "ratio", "what": "intake last/first third", "value": _ratio(last, first),
         "unit": "x", "n": None},
        {"phase": "count", "what": "sent", "value": s.sent, "unit": "datagrams", "n": None},
        {"phase": "count", "what": "delivered", "value": s.delivered, "unit": "datagrams",
         "n": None},
        {"phase": "count", "what": "kernel drops", "value": s.kernel, "unit": "datagrams",
         "n": None},
        {"phase": "count", "what": "queue drops", "value": s.queue, "unit": "datagrams",
         "n": None},
        {"phase": "count", "what": "unaccounted (sent - delivered - drops)",
         "value": s.sent - s.delivered - (s.kernel or 0) - s.queue, "unit": "datagrams",
         "n": None},
        {"phase": "count", "what": "largest loss shown (10 s window)",
         "value": s.reported_dropped, "unit": "datagrams", "n": None},
        {"phase": "count", "what": "timeline entries at the end", "value": s.timeline,
         "unit": "entries", "n": None},
    ]
    result.targets.append(Target(
        "keystroke p99 under a CEF flood", f"< {KEY_TARGET_MS:g} ms at {plan.rate}/s",
        f"{busy['p99 ms']:.0f} ms (idle {idle['p99 ms']:.0f} ms, {s.key_timeouts} timeouts)",
        busy["p99 ms"] < KEY_TARGET_MS and not s.key_timeouts))


def measure_in_child(plan: CefPlan, pythonpath: str, cwd: Path) -> CefStats:
    """``measure`` in a fresh interpreter importing the code on ``pythonpath``; RuntimeError
    with the child's last words when it printed no result."""
    data = run_child(CHILD, [str(plan.rate), str(plan.seconds)], pythonpath, cwd,
                     timeout=plan.seconds * 3 + 120)
    return CefStats(**{k: v for k, v in data.items() if k in CefStats.__dataclass_fields__})


def run_paired(cfg: BenchConfig, baseline: Path, plan: CefPlan) -> BenchResult:
    """Alternate the baseline checkout and this tree (see the module docstring)."""
    result = BenchResult(NAME, COLUMNS)
    here = Path(__file__).resolve().parent.parent
    pairs = cfg.repeat or PAIRS
    met = 0
    with tempfile.TemporaryDirectory(prefix="lc-baseline-") as tmp:
        sides = {"before": (package_path(baseline, Path(tmp)), baseline),
                 "after": (str(here), here)}
        for i in range(1, pairs + 1):
            p99: dict[str, float] = {}
            for side, (path, cwd) in sides.items():
                load = os.getloadavg()[0]
                phase = f"{side} {i}"
                try:
                    stats = measure_in_child(plan, path, cwd)
                except (RuntimeError, subprocess.TimeoutExpired, ValueError) as exc:
                    result.note(f"{phase}: no result ({exc})")
                    continue
                keys = percentiles(stats.keys)
                p99[side] = keys["p99 ms"]
                result.rows += [
                    {"phase": phase, "what": "load average (1 min) at start", "value": load,
                     "unit": "", "n": None},
                    {"phase": phase, "what": "keystroke p50 ms", "value": round(keys["p50 ms"], 1),
                     "unit": "ms", "n": len(stats.keys)},
                    {"phase": phase, "what": "keystroke p99 ms", "value": round(keys["p99 ms"], 1),
                     "unit": "ms", "n": len(stats.keys)},
                    {"phase": phase, "what": "keystrokes over 100 ms",
                     "value": sum(1 for k in stats.keys if k * 1000 > KEY_TARGET_MS),
                     "unit": "keys", "n": len(stats.keys)},
                    {"phase": phase, "what": "delivered", "value": stats.delivered,
                     "unit": "datagrams", "n": stats.sent},
                ]
            if len(p99) == len(sides):
                result.rows.append({"phase": f"ratio {i}", "what": "keystroke p99 after/before",
                                    "value": _ratio(p99["after"], p99["before"]), "unit": "x",
                                    "n": None})
            met += p99.get("after", float("inf")) < KEY_TARGET_MS
    result.targets.append(Target(
        "keystroke p99 under a CEF flood (paired)", f"< {KEY_TARGET_MS:g} ms at {plan.rate}/s",
        f"met in {met} of {pairs} runs of this tree", met == pairs))
    result.note(f"paired with the checkout named by ${BASELINE_CHECKOUT_ENV} ({pairs} pairs, "
                f"{plan.rate}/s for {plan.seconds:g} s)")
    return result


def run(cfg: BenchConfig) -> BenchResult:
    plan = QUICK if cfg.quick else FULL
    baseline = os.environ.get(BASELINE_CHECKOUT_ENV)
    if baseline:
        return run_paired(cfg, Path(baseline), plan)
    result = BenchResult(NAME, COLUMNS)
    result.note(f"{plan.rate} CEF datagrams/s for {plan.seconds:g} s on loopback UDP into the "
                "console's own listener; keystroke 'o' (kernel log node filter) every "
                f"{KEY_EVERY_S} s, {IDLE_KEYS} idle samples first")
    stats = measure(plan)
    add_rows(result, stats, plan)
    return result
