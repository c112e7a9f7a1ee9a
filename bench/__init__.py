"""labconsole benchmarks (issue 9): ``python -m bench [names...] [--quick]``.

Each benchmark is a module with ``NAME`` and ``run(BenchConfig) -> BenchResult``; results are
printed as a table and written to ``bench/results/<name>-<date>.json``. Benchmarks are not part
of the test suite's pass/fail (tests/unit/test_bench_smoke.py only runs each at tiny sizes).
"""

from __future__ import annotations

from collections.abc import Callable

from bench import (
    cef_flood,
    file_lookups,
    flood,
    flood_paired,
    flood_pipeline,
    lab_latency,
    marks_drop,
    prefilter,
    replay,
    scale,
    scan_cpu,
    scan_events_memory,
    scan_startup,
    scan_throughput,
    startup,
    startup_paired,
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
    startup_paired.NAME: startup_paired.run,
    flood_paired.NAME: flood_paired.run,
    flood_pipeline.NAME: flood_pipeline.run,
    file_lookups.NAME: file_lookups.run,
    scan_events_memory.NAME: scan_events_memory.run,
    scan_cpu.NAME: scan_cpu.run,
    scan_startup.NAME: scan_startup.run,
    marks_drop.NAME: marks_drop.run,
}
# Run when no name is given (``make bench``): every benchmark that needs no root, which is
# every one bench/README.md quotes for issue 13 (the paired ones take their "before" side from
# ``$LABCONSOLE_BENCH_BASELINE`` when it is set). lab, votes-screen, flood and scale build
# network namespaces as root and take minutes, so they run only on request; so does cef_flood
# (issue 19; a sender process at 5,000 datagrams/s).
DEFAULT = (scan_throughput.NAME, scan_cpu.NAME, startup.NAME, startup_paired.NAME, prefilter.NAME,
           ui_memory.NAME, replay.NAME, flood_paired.NAME, flood_pipeline.NAME,
           file_lookups.NAME, scan_events_memory.NAME, scan_startup.NAME, marks_drop.NAME)
