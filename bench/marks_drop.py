"""The timeline's incident headers when its oldest entries are dropped (issue 13 item 4), in
process.

``python -m bench marks_drop [--sizes N] [--quick]`` or ``python -m bench.marks_drop
[CAPACITY]``: fills a console state's timeline (capacity 10,000 as in the console, dropping
half of it at a time) with one of three mixes, and after each drop looks at the live
incident marks twice, alternating which goes first: as on main before (``RedoOnDrop``: a
drop that takes an incident's own facts correlates every held fact again) and as now
(``LiveMarks``: only what the drop touched, ``correlate.graft``). Both must equal the full
correlation (``incident_marks``, timed too). Reports medians per drop and their ratios.

Mixes: ``outages`` (a 10 s link outage on one of three nodes every 5 minutes: many short
incidents), ``busy`` (40 VM-tap NICs, one flapping every 2 s: one long incident),
``cef`` (switch alerts and client disconnects every 3 s, a switch back online now and then).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone

from bench.config import BenchConfig
from bench.report import BenchResult
from labconsole.events import Event, KernelText, SyslogText
from labconsole.incident.from_state import incident_marks
from labconsole.incident.live_marks import CHECKPOINT_EVERY, LiveMarks
from labconsole.state.console_state import ConsoleState
from labconsole.state.kernel_log import KernelLogStore
from labconsole.state.timeline import Timeline

NAME = "marks_drop"
PROFILES = ("outages", "busy", "cef")
CAPACITY = 10_000  # the console's timeline
DROPS = 4
COLUMNS = ["mix", "capacity", "drops", "full redo ms", "graft ms", "ratio",
           "facts fed full", "facts fed graft", "incident_marks ms", "look ms", "load 1m"]
T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)


class RedoOnDrop(LiveMarks):
    """The live marks as main had them before: a drop that takes an incident's own facts
    correlates every held fact again (everything else as ``LiveMarks``)."""

    def _after_drop(self, timeline: Timeline, earliest: datetime | None,
                    cut: datetime) -> None:
        self._redo(timeline, None)


def _kernel(at: datetime, node: str, text: str) -> KernelText:
    return KernelText(at=at, source=f"ssh:{node}", node=node,
                      text=f"{at:%b %d %H:%M:%S} {node} kernel: {text}")


def _link(at: datetime, node: str, device: str, up: bool) -> KernelText:
    word = "Up 1000 Mbps Full Duplex, Flow Control: None" if up else "Down"
    return _kernel(at, node, f"e1000e 0000:00:1f.6 {device}: NIC Link is {word}")


def _cef(at: datetime, name: str, extra: str) -> SyslogText:
    return SyslogText(at=at, source="syslog", node=None, text=(
        f"{at:%b %d %H:%M:%S} gw CEF:0|Ubiquiti|UniFi Network|9.0|401|{name}|5|{extra}"))


def events(mix: str) -> Iterator[Event]:
    """An endless stream of the mix's events, two timeline entries each step."""
    for i in range(10**9):
        if mix == "outages":
            at, node = T0 + timedelta(minutes=5 * i), f"pve0{i % 3 + 1}"
            yield _link(at, node, "eno1", up=False)
            yield _link(at + timedelta(seconds=10), node, "eno1", up=True)
        elif mix == "busy":
            at, tap = T0 + timedelta(seconds=2 * i), f"tap{100 + i % 40}i0"
            yield _link(at, "pve01", tap, up=False)
            yield _link(at + timedelta(seconds=1), "pve01", tap, up=True)
        else:
            at = T0 + timedelta(seconds=3 * i)
            yield _cef(at, "Wired Client Disconnected",
                       f"UNIFIcategory=Monitoring msg=client-{i % 50} left")
            yield _cef(at, "Device Online" if i % 20 == 19 else "Device Offline",
                       f"UNIFIdeviceName=USW-{i % 4} msg=switch")


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    got = fn()
    return time.perf_counter() - start, got


def measure(mix: str, capacity: int = CAPACITY, drops: int = DROPS) -> dict[str, object]:
    """Fill the timeline to ``drops`` drops, looking every 100 events as the console does
    at its redraws, and straight after each drop with both live marks."""
    state = ConsoleState(log=KernelLogStore(), timeline=Timeline(capacity))
    # the console's checkpoint spacing, closer on a timeline smaller than the console's
    every = CHECKPOINT_EVERY if capacity >= CAPACITY else max(4, capacity // 40)
    old, new = RedoOnDrop(checkpoint_every=every), LiveMarks(checkpoint_every=every)
    watch = state.timeline.watch()
    times: dict[str, list[float]] = {"old": [], "new": [], "full": [], "look": []}
    fed: dict[str, list[int]] = {"old": [], "new": []}
    seen = 0
    for n, event in enumerate(events(mix)):
        state.apply(event)
        if not watch.take()[1]:
            if n % 100 == 0:
                for live in (old, new):
                    live.marks(state)
                times["look"].append(_timed(lambda: new.marks(state))[0])
            continue
        order = [("old", old), ("new", new)] if seen % 2 == 0 else [("new", new), ("old", old)]
        answers = []
        for name, live in order:
            before = live.stats.fed
            took, marks = _timed(lambda live=live: live.marks(state))  # type: ignore[misc]
            times[name].append(took)
            fed[name].append(live.stats.fed - before)
            answers.append(marks)
        took, full = _timed(lambda: incident_marks(state))
        times["full"].append(took)
        assert answers[0] == answers[1] == full, mix
        seen += 1
        if seen == drops:
            break
    return {"mix": mix, "capacity": capacity, "drops": seen,
            "old_s": statistics.median(times["old"]), "new_s": statistics.median(times["new"]),
            "full_s": statistics.median(times["full"]),
            "look_s": statistics.median(times["look"]) if times["look"] else 0.0,
            "fed_old": statistics.median(fed["old"]), "fed_new": statistics.median(fed["new"]),
            "grafted": new.stats.grafted}


def run(cfg: BenchConfig) -> BenchResult:
    """The registry's entry: each mix at the console's capacity (``--sizes N``: N)."""
    capacity = min(cfg.sizes) if cfg.sizes else CAPACITY
    drops = 2 if cfg.quick or cfg.sizes else DROPS
    result = BenchResult(NAME, COLUMNS)
    for mix in PROFILES:
        load = os.getloadavg()[0]
        got = measure(mix, capacity, drops)
        old_s, new_s = float(got["old_s"]), float(got["new_s"])  # type: ignore[arg-type]
        result.rows.append({
            "mix": mix, "capacity": capacity, "drops": got["drops"],  # type: ignore[dict-item]
            "full redo ms": round(old_s * 1000, 2), "graft ms": round(new_s * 1000, 2),
            "ratio": round(old_s / new_s, 1) if new_s > 0 else None,
            "facts fed full": got["fed_old"], "facts fed graft": got["fed_new"],  # type: ignore[dict-item]
            "incident_marks ms": round(float(got["full_s"]) * 1000, 2),  # type: ignore[arg-type]
            "look ms": round(float(got["look_s"]) * 1000, 3),  # type: ignore[arg-type]
            "load 1m": f"{load:.2f}-{os.getloadavg()[0]:.2f}"})
    result.note("in process, medians per drop: the live marks' look straight after the "
                "timeline dropped its oldest half, as a full redo (main before) and as a "
                "graft (now), alternated; incident_marks is the full correlation from "
                "scratch; look is an ordinary look between drops (nothing dropped)")
    return result


if __name__ == "__main__":
    print(json.dumps([measure(mix, int(sys.argv[1]) if len(sys.argv) > 1 else CAPACITY)
                      for mix in PROFILES], indent=1, default=str))
