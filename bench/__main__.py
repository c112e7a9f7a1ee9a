"""``python -m bench [names...] [--quick]``: run benchmarks, print tables, write JSON."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bench import BENCHMARKS, DEFAULT
from bench.config import BenchConfig, default_cache_dir
from bench.report import render, write_json
from bench.tools import ensure_tool, machine_info

RESULTS = Path(__file__).resolve().parent / "results"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("names", nargs="*", metavar="NAME",
                   help=f"benchmarks to run (default: {', '.join(DEFAULT)}; also: lab, which "
                   "builds the real 3-node lab as root)")
    p.add_argument("--quick", action="store_true",
                   help="fewer repeats, no 10M-line file")
    p.add_argument("--sizes", type=lambda s: tuple(int(x) for x in s.split(",")),
                   default=None, help="scan: comma-separated line counts (e.g. 1000,10000)")
    p.add_argument("--repeat", type=int, default=None, help="runs per measurement")
    p.add_argument("--seconds", type=float, default=None,
                   help="flood_paired: seconds of flood per run (default 10, --quick 3)")
    p.add_argument("--cache", type=Path, default=default_cache_dir(),
                   help="where generated logs are kept (default: %(default)s)")
    p.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    p.add_argument("--no-install", action="store_true",
                   help="never apt-get install missing tools (skip their comparison)")
    p.add_argument("--markdown", action="store_true", help="print Markdown tables")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}",
              file=sys.stderr)
        return 2
    cfg = BenchConfig(quick=args.quick, sizes=args.sizes, repeat=args.repeat,
                      cache_dir=args.cache, install=not args.no_install,
                      seconds=args.seconds)
    timer, why = ensure_tool("time", install=cfg.install)
    if timer is None:
        print(f"note: GNU time unavailable ({why}): peak RSS may include the harness's own")
    machine = machine_info()
    print(" ".join(f"{k}={v}" for k, v in machine.items()))
    for name in args.names or list(DEFAULT):
        print(f"\nrunning {name} ...", flush=True)
        result = BENCHMARKS[name](cfg)
        machine["loadavg_1m_after"] = machine_info()["loadavg_1m"]
        print()
        print(render(result, markdown=args.markdown))
        path = write_json(result, machine, args.out, quick=args.quick)
        print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
