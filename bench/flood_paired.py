"""Kernel-line flood in process, before/after in alternated runs (issue 13 item 4).

``python -m bench.flood_paired BASELINE_CHECKOUT [--pairs N] [--rate R] [--seconds S]
[--side both|before|after]``: runs
``bench.flood.inprocess_flood`` in a fresh interpreter per run, alternating the baseline
checkout's code (``bench.baseline.package_path``) and this tree's, and writes every run's
figures with the load average around it to ``bench/results/flood-inprocess-paired-<time>.json``.
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

from bench.baseline import package_path, run_child

RESULTS = Path(__file__).resolve().parent / "results"
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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.flood_paired", description=__doc__)
    p.add_argument("baseline", type=Path, help="checkout of the code to compare against")
    p.add_argument("--pairs", type=int, default=2)
    p.add_argument("--rate", type=int, default=10_000, help="lines/s per node (3 nodes)")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--side", choices=("both", "before", "after"), default="both",
                   help="run one side only (a long run)")
    args = p.parse_args(argv)
    here = Path(__file__).resolve().parent.parent
    runs: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="lc-baseline-") as tmp:
        sides = {"before": (package_path(args.baseline, Path(tmp)), args.baseline.resolve()),
                 "after": (str(here), here)}
        if args.side != "both":
            sides = {args.side: sides[args.side]}
        for i in range(1, args.pairs + 1):
            for side, (path, cwd) in sides.items():
                load0 = os.getloadavg()[0]
                start = time.strftime("%H:%M:%S", time.gmtime())
                try:
                    run = run_one(path, cwd, args.rate, args.seconds)
                except (RuntimeError, subprocess.TimeoutExpired) as exc:
                    run = {"error": str(exc)}
                run.update(side=side, run=i, utc=start,
                           loadavg_1m=f"{load0:.2f}-{os.getloadavg()[0]:.2f}")
                print(f"{side} {i}: code from {run.pop('code', '?')}", flush=True)
                print(json.dumps({k: v for k, v in run.items() if k != "rss_series_mb"}),
                      flush=True)
                runs.append(run)
    out = RESULTS / f"flood-inprocess-paired-{time.strftime('%Y-%m-%d-%H%M%S', time.gmtime())}.json"
    out.write_text(json.dumps({
        "name": "flood_inprocess_paired", "rate_per_node": args.rate, "seconds": args.seconds,
        "nodes": 3, "key": "o (kernel log node filter), every 0.5 s, to the pane title",
        "runs": runs}, indent=1) + "\n")
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
