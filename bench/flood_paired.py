"""Kernel-line flood in process, before/after in alternated runs (issue 13 item 4).

``python -m bench flood_paired [--seconds S] [--repeat N] [--quick]`` (registry entry, run by
``make bench``): 3 nodes x 10,000 lines/s for 10 s (``--quick``: 3 s), ``--repeat`` runs of
this tree (default 2, ``--quick`` 1), each alternated with the checkout named by
``$LABCONSOLE_BENCH_BASELINE`` when it is set. Keystroke ``o`` every 0.5 s to the pane title.

``python -m bench.flood_paired BASELINE_CHECKOUT [--pairs N] [--rate R] [--seconds S]
[--side both|before|after]``: the same with the baseline given on the command line (and one
side only, for a long run), written to ``bench/results/flood-inprocess-paired-<time>.json``.

Each run is ``bench.flood.inprocess_flood`` in a fresh interpreter (``bench.baseline``).
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

from bench.baseline import baseline_checkout, checkout_label, paired_sides, run_child
from bench.config import BenchConfig
from bench.report import BenchResult, Target

NAME = "flood_paired"
RESULTS = Path(__file__).resolve().parent / "results"
RATE = 10_000  # lines/s per node, 3 nodes
SECONDS, QUICK_SECONDS = 10.0, 3.0
PAIRS = 2
KEY_TARGET_MS = 100.0
RSS_TARGET_MB = 200.0
COLUMNS = ["side", "run", "load 1m", "offered", "taken in", "lost", "lines/s", "keys",
           "key p50 ms", "key p99 ms", "key max ms", "keys > 100 ms", "RSS first MB",
           "RSS max MB", "RSS slope MB/min", "CPU us/line"]
CHILD = """
import json, sys
import labconsole
from bench.flood import FloodPlan, inprocess_flood, percentiles
s = inprocess_flood(FloodPlan(rate=int(sys.argv[1]), seconds=float(sys.argv[2])))
k = percentiles(s.keys) if s.keys else {}
third = max(1, len(s.rss_mb) // 3)
print(json.dumps({"code": labconsole.__file__, "written": s.written, "recorded": s.recorded,
    "unsent": s.unsent, "sustained": round(s.sustained), "keys_n": len(s.keys),
    "key_p50_ms": round(k.get("p50 ms", 0), 1), "key_p99_ms": round(k.get("p99 ms", 0), 1),
    "key_max_ms": round(1000 * max(s.keys, default=0), 1),
    "keys_over_100ms": sum(1 for x in s.keys if x > 0.1), "key_timeouts": s.key_timeouts,
    "rss_first_mb": round(s.rss_mb[0], 1) if s.rss_mb else None,
    "rss_max_mb": round(max(s.rss_mb), 1) if s.rss_mb else None,
    "rss_first_third_mean_mb": round(sum(s.rss_mb[:third]) / third, 1) if s.rss_mb else None,
    "rss_last_third_mean_mb": round(sum(s.rss_mb[-third:]) / third, 1) if s.rss_mb else None,
    "cpu_pct_mean": round(sum(s.cpu_pct) / len(s.cpu_pct)) if s.cpu_pct else None,
    "cpu_us_per_line": round(sum(s.cpu_pct) / 100 * 1e6 / s.recorded, 1)
        if s.recorded and s.cpu_pct else None,
    "rss_slope_mb_per_min_last_half": round(
        (s.rss_mb[-1] - s.rss_mb[len(s.rss_mb) // 2]) * 60 / max(1, len(s.rss_mb) - 1
                                                                 - len(s.rss_mb) // 2), 2)
        if len(s.rss_mb) > 3 else None,
    "rss_series_mb": [round(x, 1) for x in s.rss_mb]}))
"""


def run_one(pythonpath: str, cwd: Path, rate: int, seconds: float) -> dict[str, object]:
    return run_child(CHILD, [str(rate), str(seconds)], pythonpath, cwd,
                     timeout=seconds * 25 + 120)


def measure_runs(baseline: Path | None, pairs: int, rate: int, seconds: float,
                 side: str = "both") -> list[dict[str, object]]:
    """``pairs`` rounds of the sides (before, after; after alone without a baseline), each
    run's figures with the load average around it; a run that failed holds its error."""
    runs: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="lc-baseline-") as tmp:
        sides = paired_sides(baseline, Path(tmp))
        if side != "both":
            sides = {side: sides[side]}
        for i in range(1, pairs + 1):
            for name, (path, cwd) in sides.items():
                load0 = os.getloadavg()[0]
                start = time.strftime("%H:%M:%S", time.gmtime())
                try:
                    run = run_one(path, cwd, rate, seconds)
                except (RuntimeError, subprocess.TimeoutExpired) as exc:
                    run = {"error": str(exc)}
                run.update(side=name, run=i, utc=start,
                           loadavg_1m=f"{load0:.2f}-{os.getloadavg()[0]:.2f}")
                print(f"{name} {i}: code from {run.pop('code', '?')}", flush=True)
                print(json.dumps({k: v for k, v in run.items() if k != "rss_series_mb"}),
                      flush=True)
                runs.append(run)
    return runs


def _row(run: dict[str, object], offered: int) -> dict[str, object]:
    written, recorded = run.get("written"), run.get("recorded")
    lost = written - recorded if isinstance(written, int) and isinstance(recorded, int) else None
    return {"side": run["side"], "run": run["run"], "load 1m": run["loadavg_1m"],
            "offered": offered, "taken in": recorded, "lost": lost,
            "lines/s": run.get("sustained"), "keys": run.get("keys_n"),
            "key p50 ms": run.get("key_p50_ms"), "key p99 ms": run.get("key_p99_ms"),
            "key max ms": run.get("key_max_ms"), "keys > 100 ms": run.get("keys_over_100ms"),
            "RSS first MB": run.get("rss_first_mb"), "RSS max MB": run.get("rss_max_mb"),
            "RSS slope MB/min": run.get("rss_slope_mb_per_min_last_half"),
            "CPU us/line": run.get("cpu_us_per_line")}


def _targets(result: BenchResult, after: list[dict[str, object]]) -> None:
    p99 = [float(r["key_p99_ms"]) for r in after if r.get("keys_n")]  # type: ignore[arg-type]
    lost = [r["lost"] for r in result.rows if r["side"] == "after"]
    rss = [float(r["rss_max_mb"]) for r in after if r.get("rss_max_mb")]  # type: ignore[arg-type]
    result.targets += [
        Target("keystroke p99 during the flood", f"< {KEY_TARGET_MS:g} ms",
               ", ".join(f"{x:.1f} ms" for x in p99) or "no keys measured",
               bool(p99) and max(p99) < KEY_TARGET_MS if p99 else None),
        Target("no line lost in the recording", "0",
               ", ".join(str(x) for x in lost) or "no run finished",
               all(x == 0 for x in lost) if lost and None not in lost else None),
        Target("RSS", f"< {RSS_TARGET_MB:g} MB", ", ".join(f"{x:.1f} MB" for x in rss) or "-",
               max(rss) < RSS_TARGET_MB if rss else None),
    ]


def run(cfg: BenchConfig) -> BenchResult:
    """The registry's entry: this tree's runs, paired with ``$LABCONSOLE_BENCH_BASELINE``."""
    seconds = cfg.seconds or (QUICK_SECONDS if cfg.quick else SECONDS)
    pairs = cfg.repeat or (1 if cfg.quick else PAIRS)
    baseline = baseline_checkout()
    runs = measure_runs(baseline, pairs, RATE, seconds)
    result = BenchResult(NAME, COLUMNS)
    offered = int(3 * RATE * seconds)
    for r in runs:
        if "error" in r:
            result.note(f"{r['side']} {r['run']}: no result ({r['error']})")
        else:
            result.rows.append(_row(r, offered))  # type: ignore[arg-type]
    for i in range(1, pairs + 1):
        pair = {r["side"]: r for r in runs if r["run"] == i and r.get("keys_n")}
        if {"before", "after"} <= pair.keys() and pair["before"]["key_p99_ms"]:
            ratio = float(pair["after"]["key_p99_ms"]) / float(  # type: ignore[arg-type]
                pair["before"]["key_p99_ms"])  # type: ignore[arg-type]
            result.rows.append({"side": "after/before", "run": i, "key p99 ms": round(ratio, 2)})
    _targets(result, [r for r in runs if r["side"] == "after" and "error" not in r])
    result.note(f"3 nodes x {RATE:,} lines/s for {seconds:g} s in process, key 'o' every "
                f"0.5 s to the pane title; " + (
                    f"paired with {checkout_label(baseline)}" if baseline else
                "no 'before' side: set $LABCONSOLE_BENCH_BASELINE to an older checkout"))
    result.extra["runs"] = runs
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.flood_paired", description=__doc__)
    p.add_argument("baseline", type=Path, help="checkout of the code to compare against")
    p.add_argument("--pairs", type=int, default=PAIRS)
    p.add_argument("--rate", type=int, default=RATE, help="lines/s per node (3 nodes)")
    p.add_argument("--seconds", type=float, default=SECONDS)
    p.add_argument("--side", choices=("both", "before", "after"), default="both",
                   help="run one side only (a long run)")
    args = p.parse_args(argv)
    runs = measure_runs(args.baseline, args.pairs, args.rate, args.seconds, args.side)
    out = RESULTS / f"flood-inprocess-paired-{time.strftime('%Y-%m-%d-%H%M%S', time.gmtime())}.json"
    out.write_text(json.dumps({
        "name": "flood_inprocess_paired", "rate_per_node": args.rate, "seconds": args.seconds,
        "nodes": 3, "key": "o (kernel log node filter), every 0.5 s, to the pane title",
        "runs": runs}, indent=1) + "\n")
    print(f"written: {out}")
    return 0

if __name__ == "__main__":
    sys.exit(main())
