"""Benchmark ``scan_startup``: the fixed start-up cost of ``labconsole scan --json FILE``.

Issue 13 item 1: every scan pays its imports before it reads a line (a scan in parts forks its
workers after them). An empty file and a 10-line log show the start-up alone; the 1M-line
hang storm, journal JSON and corosync mixes show it within a whole scan, in 2 parts
(``LABCONSOLE_SCAN_PARTS=2`` on both sides: by default the number of parts follows the load
average, and this machine is shared). This tree's ``labconsole`` alternates with the one
``$LABCONSOLE_BENCH_BEFORE`` names (an older checkout's ``.venv/bin/labconsole``), both
byte-compiled; without it this tree is measured alone. Each run: wall time, and the user and
system CPU of the scan's processes (``wait4``: the workers are waited for by the scan).
``python -m bench scan-startup`` runs it alone (``--quick``: 3 runs a side).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.config import BenchConfig
from bench.loggen import cached_log
from bench.report import BenchResult, Cell
from bench.scan_throughput import BEFORE_ENV, PARTS_ENV, _byte_compile_checkout, _checkout_of
from bench.startup import byte_compile
from bench.tools import labconsole_argv

NAME = "scan-startup"
COLUMNS = ["input", "side", "wall s", "user s", "sys s", "runs", "before/after wall",
           "before/after user"]
# (profile, format) of the mixes measured whole, at the main size (1M lines).
BIG_MIXES = (("hang-storm", "short-iso"), ("journal-json", "json"), ("corosync", "short-iso"))
PARTS = "2"


def run(cfg: BenchConfig) -> BenchResult:
    result = BenchResult(NAME, COLUMNS)
    byte_compile()
    sides = {"after": labconsole_argv()}
    before = os.environ.get(BEFORE_ENV)
    if before:
        _byte_compile_checkout(before)
        sides = {"before": [before], **sides}
        result.note(f"before: {_checkout_of(before)}")
    else:
        result.note(f"no ${BEFORE_ENV}: this tree measured alone")
    runs = cfg.repeat or (3 if cfg.quick else 9)
    lines = cfg.main_size()
    with tempfile.TemporaryDirectory(prefix="lc-bench-startup-") as tmp:
        empty = Path(tmp) / "empty.log"
        empty.write_bytes(b"")
        inputs = [("empty file", empty),
                  ("10-line log", cached_log(cfg.cache_dir, "short-iso", 10, profile="busy")[0])]
        inputs += [(f"{profile} {lines:,} lines", cached_log(cfg.cache_dir, fmt, lines,
                                                                profile=profile)[0])
                   for profile, fmt in BIG_MIXES]
        result.extra["load_before"] = os.getloadavg()
        for label, path in inputs:
            _measure(result, label, path, sides, runs)
        result.extra["load_after"] = os.getloadavg()
    result.note(f"{runs} runs per side, alternated (the order flips every run); medians. "
                f"{PARTS_ENV}={PARTS}. Load average before/after: "
                f"{result.extra['load_before'][0]:.2f} / {result.extra['load_after'][0]:.2f}")
    return result


def _measure(result: BenchResult, label: str, path: Path, sides: dict[str, list[str]],
             runs: int) -> None:
    samples: dict[str, list[tuple[float, float, float]]] = {side: [] for side in sides}
    order = list(sides)
    for i in range(runs):
        for side in order if i % 2 == 0 else order[::-1]:
            samples[side].append(_once([*sides[side], "scan", "--json", str(path)]))
    medians = {side: tuple(statistics.median(s[k] for s in samples[side]) for k in range(3))
               for side in sides}
    result.extra.setdefault("samples", {})[label] = samples
    for side in sides:
        wall, user, system = medians[side]
        row: dict[str, Cell] = {"input": label, "side": side, "wall s": round(wall, 4),
                                "user s": round(user, 4), "sys s": round(system, 4),
                                "runs": runs}
        if side == "after" and "before" in medians:
            row["before/after wall"] = round(medians["before"][0] / wall, 2)
            row["before/after user"] = round(medians["before"][1] / user, 2)
        result.rows.append(row)


def _once(argv: list[str]) -> tuple[float, float, float]:
    """Wall, user CPU and system CPU of one scan (its waited-for workers included)."""
    env = dict(os.environ, **{PARTS_ENV: PARTS})
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(argv[-3:])}: exit status {status}")
    return wall, usage.ru_utime, usage.ru_stime
