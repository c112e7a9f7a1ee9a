"""Scan CPU per mix in one process, before/after alternated (issue 13, the scan rounds).

``python -m bench scan_cpu [--sizes N] [--repeat R] [--quick]``: for every mix of
``bench.scan_throughput`` (1M lines; ``--repeat`` rounds, default 2, ``--quick`` 1), a fresh
interpreter times ``labconsole.scan.scanner.scan_input`` with ``time.process_time`` in one
process (``LABCONSOLE_SCAN_PARTS=1``; start-up and imports excluded): the CPU the scan itself
costs, which other jobs on a shared machine hardly move, unlike the wall time of the ``scan``
benchmark. With ``$LABCONSOLE_BENCH_BASELINE`` each round runs the older checkout's code, then
this tree's, on the same file; the report's totals are compared as a check.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from bench.baseline import baseline_checkout, checkout_label, paired_sides, run_child
from bench.config import BenchConfig
from bench.loggen import cached_log
from bench.report import BenchResult, Cell
from bench.scan_throughput import MIXES

NAME = "scan_cpu"
ROUNDS = 2
COLUMNS = ["mix", "format", "lines", "round", "load 1m", "before CPU s", "CPU s", "after/before",
           "same totals"]
CHILD = """
import json, os, sys, time
os.environ["LABCONSOLE_SCAN_PARTS"] = "1"
from labconsole.scan.scanner import scan_input
cpu = time.process_time()
report = scan_input(sys.argv[1], default_year=2025)
cpu = time.process_time() - cpu
hangs = report.hangs  # a list, or the episodes written out (len without reading)
print(json.dumps({"cpu_s": round(cpu, 3), "lines": report.lines,
                  "hangs": len(hangs)}))
"""


def _one(path: Path, pythonpath: str, cwd: Path) -> dict[str, object]:
    return run_child(CHILD, [str(path)], pythonpath, cwd, timeout=900)


def run(cfg: BenchConfig) -> BenchResult:
    """The registry's entry (see the module docstring)."""
    result = BenchResult(NAME, COLUMNS)
    baseline = baseline_checkout()
    rounds = cfg.repeat or (1 if cfg.quick else ROUNDS)
    size = cfg.main_size()
    with tempfile.TemporaryDirectory(prefix="lc-baseline-") as tmp:
        sides = paired_sides(baseline, Path(tmp))
        for profile, fmt in MIXES:
            path, stats = cached_log(cfg.cache_dir, fmt, size, profile=profile)
            for i in range(1, rounds + 1):
                load = os.getloadavg()[0]
                runs: dict[str, dict[str, object]] = {}
                for side, (pythonpath, cwd) in sides.items():
                    try:
                        runs[side] = _one(path, pythonpath, cwd)
                    except (RuntimeError, subprocess.TimeoutExpired) as exc:
                        result.note(f"{profile}/{fmt} {side} {i}: no result ({exc})")
                result.rows.append(_row(profile, fmt, stats.lines, i, load, runs))
    result.note("time.process_time around scan_input in one process (LABCONSOLE_SCAN_PARTS=1), "
                "a fresh interpreter per run; " + (
                    f"before = {checkout_label(baseline)}" if baseline else
                "no 'before' side: set $LABCONSOLE_BENCH_BASELINE to an older checkout"))
    return result


def _row(profile: str, fmt: str, lines: int, i: int, load: float,
         runs: dict[str, dict[str, object]]) -> dict[str, Cell]:
    before, after = runs.get("before"), runs.get("after")
    cpu = {side: float(r["cpu_s"]) for side, r in runs.items()}  # type: ignore[arg-type]
    ratio = (round(cpu["after"] / cpu["before"], 2)
             if "after" in cpu and cpu.get("before") else None)
    same = None
    if before is not None and after is not None:
        same = bool((before["lines"], before["hangs"]) == (after["lines"], after["hangs"]))
    return {"mix": profile, "format": fmt, "lines": lines, "round": i, "load 1m": round(load, 2),
            "before CPU s": cpu.get("before"), "CPU s": cpu.get("after"),
            "after/before": ratio, "same totals": same}
