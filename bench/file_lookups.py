"""Search and jump to a time on a 1M-line file opened whole (issue 13 item 3), in process.

``python -m bench file_lookups [--sizes N] [--quick]`` (registry entry: 1M lines of the
classic and hang-storm mixes) or ``python -m bench.file_lookups [LINES] [PROFILE]``: writes
a ``bench.loggen`` file, runs the file view's facts pass (episodes folded), then times on the
pane's view: ``index_at`` as the loop it was (every row's ``time_of``) and as it is now (the
first call reads the file's line times, later calls use them), and a search miss
(``LogView.find``: what the UI thread did on ``n`` before; now it runs in a worker over a
``snapshot``, whose copy is all the UI thread pays). Prints one JSON object
(bench/results/file-lookups-*.json).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from bench.config import BenchConfig
from bench.loggen import write_log
from bench.report import BenchResult
from labconsole.pipeline import Pipeline
from labconsole.sources.file_view import FileViewSource, file_view_store
from labconsole.state.console_state import ConsoleState
from labconsole.state.line_archive import timestamp
from labconsole.state.log_view import LogView

NAME = "file_lookups"
PROFILES = ("classic", "hang-storm")
COLUMNS = ["profile", "lines", "rows", "index_at loop s", "index_at first s",
           "index_at next s", "search miss s", "snapshot s", "load 1m"]


def loop_index_at(view: LogView, when: datetime) -> int | None:
    """``index_at`` before (commit 9cd0eb1): a Python loop over every row's time. The
    reference ``tests/unit/test_log_view_index_at.py`` compares the fast one with."""
    target = timestamp(when)
    best: tuple[float, int] | None = None
    for i, code in enumerate(view.codes):
        t = view.store.time_of(code) if code > 0 else timestamp(view.row(code).at)
        if t >= target and (best is None or t < best[0]):
            best = (t, i)
    return None if best is None else best[1]


async def _facts(path: Path) -> FileViewSource:
    source = FileViewSource(file_view_store(path))
    task = asyncio.ensure_future(
        Pipeline(sources=[source], state=ConsoleState(log=source.store)).run())
    while not source.control.finished:  # bounded by the file: one pass
        await asyncio.sleep(0.05)
    task.cancel()
    return source


def _timed(fn: object) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()  # type: ignore[operator]
    return time.perf_counter() - start, result


def main(lines: int = 1_000_000, profile: str = "classic") -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pve03.log"
        with path.open("w") as out:
            write_log(out, "short-iso", lines, seed=13, profile=profile)
        source = asyncio.run(_facts(path))
        store = source.store
        view = LogView(store)
        view.rebuild()
        when = datetime.fromtimestamp(store.time_of(store.last_seq // 2), timezone.utc)
        figures: dict[str, object] = {"lines": store.last_seq, "rows": len(view.codes),
                                      "profile": profile, "load": os.getloadavg()}
        t_old, old = _timed(lambda: loop_index_at(view, when))
        t_first, first = _timed(lambda: view.index_at(when))
        t_next, nxt = _timed(lambda: view.index_at(when))
        assert old == first == nxt, (old, first, nxt)
        t_miss, miss = _timed(lambda: view.find("no such text anywhere", 0, unfold=True))
        assert miss is None
        t_snap, _ = _timed(view.snapshot)
        figures.update(index_at_loop_s=t_old, index_at_first_s=t_first, index_at_next_s=t_next,
                   search_miss_s=t_miss, snapshot_s=t_snap, load_after=os.getloadavg())
        store.close()
        return figures


def run(cfg: BenchConfig) -> BenchResult:
    """The registry's entry: each mix at the main size (1M lines; the smoke test's tiny)."""
    result = BenchResult(NAME, COLUMNS)
    for profile in PROFILES:
        got = main(cfg.main_size(), profile)
        load = got["load"], got["load_after"]
        result.rows.append({
            "profile": profile, "lines": got["lines"], "rows": got["rows"],  # type: ignore[dict-item]
            **{col: round(float(got[key]), 4) for col, key in (  # type: ignore[arg-type]
                ("index_at loop s", "index_at_loop_s"), ("index_at first s", "index_at_first_s"),
                ("index_at next s", "index_at_next_s"), ("search miss s", "search_miss_s"),
                ("snapshot s", "snapshot_s"))},
            "load 1m": f"{load[0][0]:.2f}-{load[1][0]:.2f}"})  # type: ignore[index]
    result.note("in process: the file view's facts pass, then LogView.index_at as the old loop "
                "and as now (first call, next call), a search miss and the snapshot a worker "
                "searches")
    return result


if __name__ == "__main__":
    args = sys.argv[1:]
    print(json.dumps(main(int(args[0]) if args else 1_000_000,
                          args[1] if len(args) > 1 else "classic"), indent=1))
