"""CPU per kernel line of the pipeline alone (state + recorder, no UI), before/after.

``python -m bench flood_pipeline [--sizes N] [--repeat R] [--quick]`` (registry entry: 100,000
lines, 3 rounds; ``--quick`` 30,000 lines, 1 round; paired with ``$LABCONSOLE_BENCH_BASELINE``
when it is set, else this tree alone) or ``python -m bench.flood_pipeline BASELINE_CHECKOUT
[--lines N] [--rounds R]``: in a fresh
interpreter per run, alternating the baseline checkout's code and this tree's, feeds ``N`` flood
lines of one node (``bench.flood.flood_batch``) to a ``Pipeline`` with a ``Recorder`` and
measures CPU time (``time.process_time``: what a loaded machine's other jobs do not inflate,
unlike the wall clock) per line: each event through ``Pipeline.emit``, and, where the code has
it, the lines of each 600-line read through ``Pipeline.emit_batch`` (as ``KernelStream`` hands
them on). The collector runs with the young threshold the app sets after its first frame where
the code has it (``labconsole.app.GC_YOUNG``), else Python's default. Writes
``bench/results/flood-pipeline-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import cast

from bench.baseline import baseline_checkout, checkout_label, paired_sides, run_child
from bench.config import BenchConfig
from bench.report import BenchResult, Cell

NAME = "flood_pipeline"
RESULTS = Path(__file__).resolve().parent / "results"
LINES, QUICK_LINES = 100_000, 30_000
ROUNDS = 3
COLUMNS = ["side", "round", "load 1m", "lines", "emit us/line", "emit_batch us/line"]
CHILD = """
import asyncio, gc, json, sys, tempfile, time
from datetime import datetime, timedelta, timezone
from pathlib import Path
import labconsole
from labconsole.events import KernelText
from labconsole.pipeline import Pipeline
from labconsole.sources.recording import Recorder
from bench.flood import FloodPlan, flood_batch
try:
    from labconsole.app import GC_YOUNG
    gc.set_threshold(GC_YOUNG, *gc.get_threshold()[1:])
except ImportError:
    GC_YOUNG = None
n = int(sys.argv[1])
t0 = datetime(2026, 11, 25, 6, 19, tzinfo=timezone.utc)
texts = flood_batch("pve01", 0, n, t0, FloodPlan(rate=10_000, seconds=n / 10_000,
                                                 nodes=("pve01",)))
def read(k):  # one arrival time (one object) per read, as KernelStream stamps them
    at = t0 + timedelta(seconds=k / 10_000)
    return [KernelText(at=at, source="kernel:pve01", node="pve01", text=t)
            for t in texts[k:k + 600]]
reads = [read(k) for k in range(0, n, 600)]
out = {"code": labconsole.__file__, "gc_young": GC_YOUNG}
with tempfile.TemporaryDirectory() as tmp:
    for mode in ("emit", "emit_batch"):
        pipe = Pipeline(sources=[], recorder=Recorder(Path(tmp) / f"{mode}.jsonl"))
        if not hasattr(pipe, mode):
            out[mode] = None
            continue
        async def feed():
            for read in reads:
                if mode == "emit":
                    for event in read:
                        await pipe.emit(event)
                else:
                    await pipe.emit_batch(read)
        cpu = time.process_time()
        asyncio.run(feed())
        out[mode + "_cpu_us_per_line"] = round((time.process_time() - cpu) * 1e6 / n, 2)
        pipe.recorder.close()
print(json.dumps(out))
"""


def run_one(pythonpath: str, cwd: Path, lines: int) -> dict[str, object]:
    return run_child(CHILD, [str(lines)], pythonpath, cwd, timeout=600)


def measure_runs(baseline: Path | None, lines: int, rounds: int) -> list[dict[str, object]]:
    """``rounds`` rounds of the sides (before, after; after alone without a baseline)."""
    runs: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="lc-baseline-") as tmp:
        sides = paired_sides(baseline, Path(tmp))
        for i in range(1, rounds + 1):
            for side, (path, cwd) in sides.items():
                load0 = os.getloadavg()[0]
                try:
                    run = run_one(path, cwd, lines)
                except (RuntimeError, subprocess.TimeoutExpired) as exc:
                    run = {"error": str(exc)}
                run.update(side=side, round=i, utc=time.strftime("%H:%M:%S", time.gmtime()),
                           loadavg_1m=f"{load0:.2f}-{os.getloadavg()[0]:.2f}")
                run.pop("code", None)
                print(json.dumps(run), flush=True)
                runs.append(run)
    return runs


def run(cfg: BenchConfig) -> BenchResult:
    """The registry's entry (see the module docstring)."""
    lines = min(cfg.sizes) if cfg.sizes else (QUICK_LINES if cfg.quick else LINES)
    rounds = cfg.repeat or (1 if cfg.quick else ROUNDS)
    baseline = baseline_checkout()
    result = BenchResult(NAME, COLUMNS)
    for r in measure_runs(baseline, lines, rounds):
        if "error" in r:
            result.note(f"{r['side']} {r['round']}: no result ({r['error']})")
            continue
        row = {"side": r["side"], "round": r["round"], "load 1m": r["loadavg_1m"],
               "lines": lines, "emit us/line": r.get("emit_cpu_us_per_line"),
               "emit_batch us/line": r.get("emit_batch_cpu_us_per_line")}
        result.rows.append(cast(dict[str, Cell], row))  # a child's JSON figures
    result.note("CPU (process time) per flood line of one node through Pipeline + Recorder, "
                "no UI, 600-line reads; " + (
                    f"paired with {checkout_label(baseline)}" if baseline else
                "no 'before' side: set $LABCONSOLE_BENCH_BASELINE to an older checkout"))
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.flood_pipeline", description=__doc__)
    p.add_argument("baseline", type=Path, help="checkout of the code to compare against")
    p.add_argument("--lines", type=int, default=LINES)
    p.add_argument("--rounds", type=int, default=ROUNDS)
    args = p.parse_args(argv)
    runs = measure_runs(args.baseline, args.lines, args.rounds)
    out = RESULTS / f"flood-pipeline-{time.strftime('%Y-%m-%d-%H%M%S', time.gmtime())}.json"
    out.write_text(json.dumps({"name": "flood_pipeline_cpu", "lines": args.lines,
                               "read_lines": 600, "runs": runs}, indent=1) + "\n")
    print(f"written: {out}")
    return 0

if __name__ == "__main__":
    sys.exit(main())
