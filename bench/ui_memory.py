"""Kernel log pane memory: peak RSS with N lines, spilling to disk vs everything in memory.

Each measurement runs in a fresh interpreter (``python -m bench.ui_memory --child N CAP``) that
feeds N generated kernel lines (three nodes, a hang block every 50 000 lines) through the real
``KernelLogStore`` and a ``LogView`` of all of them, then reports its peak RSS, the spill
file's size and the rows the view holds. ``capacity = N`` is the everything-in-memory case;
the spilling store keeps ``SPILL_CAPACITY`` lines as objects and the rest on disk. The figure of
merit is the RSS growth per line over an empty run (the interpreter and imports).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

from bench.config import BenchConfig
from bench.report import BenchResult, Target

NAME = "ui_memory"
SPILL_CAPACITY = 5_000
QUICK = (100_000, 300_000)
FULL = (100_000, 300_000, 1_000_000)
NODES = ("pve01", "pve02", "pve03")
T0 = datetime(2025, 11, 8, 0, 0, 0, tzinfo=timezone.utc)
GOAL_BYTES_PER_LINE = 64  # what a line may cost in memory once it is on disk


def child(lines: int, capacity: int) -> dict[str, float | int]:
    """Feed ``lines`` lines through a store of ``capacity``; what it cost (run in a child)."""
    from labconsole.demo.generate import hang_block
    from labconsole.state.kernel_log import KernelLogStore
    from labconsole.state.log_view import LogView

    store = KernelLogStore(capacity=max(1, capacity))
    start = time.perf_counter()
    for i in range(lines):
        at = T0 + timedelta(milliseconds=10 * i)
        node = NODES[i % 3]
        store.add(node, f"{at:%b %d %H:%M:%S} {node} kernel: chatter {i} end", at)
        if i % 50_000 == 49_999:
            for report in range(3):
                for ev in hang_block(at + timedelta(seconds=2 * report), report):
                    store.add("pve03", ev.text, ev.at)
    view = LogView(store)
    view.sync()
    seconds = time.perf_counter() - start
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"lines": store.last_seq, "in_memory": len(store.entries),
            "on_disk": store.archived,
            "disk_mb": (store.archive.size if store.archive else 0) / 1e6,
            "rows": len(view.rows), "rss_mb": rss_kb / 1024, "seconds": seconds}


def _measure(lines: int, capacity: int, timeout: float) -> dict[str, float | int]:
    out = subprocess.run([sys.executable, "-m", "bench.ui_memory", "--child", str(lines),
                          str(capacity)], capture_output=True, text=True, timeout=timeout,
                         check=True)
    result: dict[str, float | int] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def run(cfg: BenchConfig) -> BenchResult:
    sizes = cfg.sizes or (QUICK if cfg.quick else FULL)
    res = BenchResult(NAME, ["lines", "mode", "in_memory", "on_disk", "disk_mb", "rows",
                             "rss_mb", "bytes_per_line", "us_per_line"])
    empty = _measure(0, SPILL_CAPACITY, cfg.timeout_s)
    res.note(f"empty run (interpreter + imports): {empty['rss_mb']:.1f} MB RSS")
    worst: float | None = None
    for n in sizes:
        for mode, cap in (("spill", SPILL_CAPACITY), ("all in memory", 2 * n)):
            m = _measure(n, cap, cfg.timeout_s)
            per_line = (float(m["rss_mb"]) - float(empty["rss_mb"])) * 1024 * 1024 / max(
                1, int(m["lines"]))
            if mode == "spill" and n == max(sizes):
                worst = per_line
            res.rows.append({"lines": m["lines"], "mode": mode, "in_memory": m["in_memory"],
                             "on_disk": m["on_disk"], "disk_mb": m["disk_mb"],
                             "rows": m["rows"], "rss_mb": m["rss_mb"],
                             "bytes_per_line": round(per_line),
                             "us_per_line": float(m["seconds"]) * 1e6 / max(1, int(m["lines"]))})
    res.targets.append(Target(
        "kernel log memory per line, spilling", f"<= {GOAL_BYTES_PER_LINE} B/line",
        "-" if worst is None else f"{worst:.0f} B/line at {max(sizes)} lines",
        None if worst is None else worst <= GOAL_BYTES_PER_LINE))
    res.note(f"spill keeps {SPILL_CAPACITY} lines as objects; the rest is a temp file read by "
             "mmap; per line in memory stay 16 B of index (node, time, episode), 8 B of "
             "file offset and 8 B of view row")
    return res


def main(argv: list[str]) -> int:
    """``python -m bench.ui_memory [--quick]`` runs it alone (until it is in bench.BENCHMARKS)."""
    if len(argv) == 3 and argv[0] == "--child":
        print(json.dumps(child(int(argv[1]), int(argv[2]))))
        return 0
    from bench.report import render

    print(render(run(BenchConfig(quick="--quick" in argv))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
