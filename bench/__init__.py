"""labconsole benchmarks (issue 9): ``python -m bench [names...] [--quick]``.

Each benchmark is a module with ``NAME`` and ``run(BenchConfig) -> BenchResult``; results are
printed as a table and written to ``bench/results/<name>-<date>.json``. Benchmarks are not part
of the test suite's pass/fail (tests/unit/test_bench_smoke.py only runs each at tiny sizes).
"""

from __future__ import annotations

from collections.abc import Callable

from bench import (
    cef_flood,
    flood,
    lab_latency,
    prefilter,
    replay,
    scale,
    scan_throughput,
    startup,
    ui_memory,
    vote_screen,
)
from bench.config import BenchConfig
from bench.report import BenchResult

Benchmark = Callable[[BenchConfig], BenchResult]

# name -> run function, in the order a full run executes them
BENCHMARKS: dict[str, Benchmark] = {
    scan_throughput.NAME: scan_throughput.run,
    startup.NAME: startup.run,
    prefilter.NAME: prefilter.run,
    ui_memory.NAME: ui_memory.run,
    lab_latency.NAME: lab_latency.run,
    flood.NAME: flood.run,
    scale.NAME: scale.run,
    cef_flood.NAME: cef_flood.run,
    vote_screen.NAME: vote_screen.run,
    replay.NAME: replay.run,
}
# Run when no name is given; lab, flood and scale build network namespaces as root and take
# minutes, so they run only on request; so does replay (minutes of tmux sessions on 1M-line
# files, and the "before" side's event replay takes 1-2 minutes a file).
DEFAULT = (scan_throughput.NAME, startup.NAME, prefilter.NAME, ui_memory.NAME)
