"""Peak memory and output of ``labconsole scan --events`` for this checkout and an older one,
side by side on the same files (each file: the old commit, then this one).

    python -m bench.scan_events_memory --before-tree DIR FILE...

``python -m bench scan_events_memory [--sizes N] [--quick]`` is the registry's entry (run by
``make bench``): the 10M-line hang-storm and busy files (``--quick``: 1M) and the classic,
corosync, journal JSON and CEF files at 1M, from ``bench.loggen``'s cache; the older checkout
is ``$LABCONSOLE_BENCH_BASELINE`` when it is set, else this tree is measured alone.

``DIR`` is a checkout of the older commit (``git worktree add --detach DIR COMMIT``); its
``console`` package is imported as ``labconsole`` through ``PYTHONPATH``. Peak RSS is GNU
time's ``%M``; the two outputs are compared by SHA-256 (the bytes are not kept). Writes
``bench/results/scan-events-memory-<time>.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.baseline import baseline_checkout
from bench.config import BenchConfig
from bench.loggen import cached_log
from bench.measure import gnu_time
from bench.report import BenchResult, Target

NAME = "scan_events_memory"
RESULTS = Path(__file__).resolve().parent / "results"
# (profile, format, at the largest size): the README's files
FILES = (("hang-storm", "short-iso", True), ("busy", "short-iso", True),
         ("classic", "short-iso", False), ("corosync", "short-iso", False),
         ("busy", "json", False), ("cef", "short-iso", False))
RSS_TARGET_MB = 60.0
COLUMNS = ["file", "lines", "load 1m", "before RSS MB", "RSS MB", "before CPU s", "CPU s",
           "output MB", "identical"]


def _run(path: str, pythonpath: str | None) -> dict[str, Any]:
    """One ``scan --events`` run: peak RSS (KB), wall and CPU seconds, output hash and size."""
    env = dict(os.environ, LABCONSOLE_SCAN_PARTS="1")
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        cmd = [gnu_time() or "/usr/bin/time", "-f", "%M %e %U %S", "-o", timing.name,
               sys.executable, "-m", "labconsole", "scan", "--events", path]
        digest = hashlib.sha256()
        size = 0
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env) as proc:
            assert proc.stdout is not None
            while block := proc.stdout.read(1 << 20):
                digest.update(block)
                size += len(block)
        if proc.returncode != 0:
            raise SystemExit(f"scan --events {path} exited {proc.returncode}")
        rss, wall, user, sys_s = timing.read().split()[-4:]
    return {"peak_rss_kb": int(rss), "wall_s": float(wall), "cpu_s": float(user) + float(sys_s),
            "sha256": digest.hexdigest(), "bytes": size}


def measure_files(tree: Path | None, files: list[str]) -> list[dict[str, Any]]:
    """Per file: the older tree's run (when one is given), then this tree's."""
    rows = []
    with tempfile.TemporaryDirectory() as shim:
        if tree is not None:
            (Path(shim) / "labconsole").symlink_to(tree / "console")
        for path in files:
            load = os.getloadavg()
            row: dict[str, Any] = {"file": Path(path).name,
                                   "loadavg_1m_at_start": round(load[0], 2)}
            if tree is not None:
                row["before"] = _run(path, shim)
            row["after"] = after = _run(path, None)
            if tree is not None:
                before = row["before"]
                row["identical"] = (before["sha256"] == after["sha256"]
                                    and before["bytes"] == after["bytes"])
            rows.append(row)
            print(f"{row['file']}: {after['peak_rss_kb'] / 1024:.1f} MB peak RSS, "
                  f"identical={row.get('identical', '-')}, load {load[0]:.2f}", flush=True)
    return rows


def run(cfg: BenchConfig) -> BenchResult:
    """The registry's entry (see the module docstring)."""
    result = BenchResult(NAME, COLUMNS)
    if gnu_time() is None:
        result.note("scan_events_memory skipped: GNU time (Debian package time) is missing")
        return result
    big, main_size = max(cfg.scan_sizes()), cfg.main_size()
    if cfg.quick:
        big = main_size
    files, lines = [], {}
    for profile, fmt, largest in FILES:
        path, stats = cached_log(cfg.cache_dir, fmt, big if largest else main_size,
                                 profile=profile)
        files.append(str(path))
        lines[path.name] = stats.lines
    tree = baseline_checkout()
    rows = measure_files(tree.resolve() if tree else None, files)
    for row in rows:
        before, after = row.get("before"), row["after"]
        result.rows.append({
            "file": row["file"], "lines": lines[row["file"]],
            "load 1m": row["loadavg_1m_at_start"],
            "before RSS MB": round(before["peak_rss_kb"] / 1024, 1) if before else None,
            "RSS MB": round(after["peak_rss_kb"] / 1024, 1),
            "before CPU s": before["cpu_s"] if before else None, "CPU s": after["cpu_s"],
            "output MB": round(after["bytes"] / 1e6, 1), "identical": row.get("identical")})
    peak = max(r["after"]["peak_rss_kb"] for r in rows) / 1024
    result.targets.append(Target("scan --events peak RSS, every file", f"< {RSS_TARGET_MB:g} MB",
                                 f"{peak:.1f} MB", peak < RSS_TARGET_MB))
    result.note("labconsole scan --events, one process (LABCONSOLE_SCAN_PARTS=1), GNU time %M; "
                + (f"before = {tree}, outputs compared by SHA-256" if tree else
                   "no 'before' side: set $LABCONSOLE_BENCH_BASELINE to an older checkout"))
    result.extra["runs"] = rows
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before-tree", required=True, type=Path,
                    help="a checkout of the older commit")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args(argv)
    if shutil.which("/usr/bin/time") is None:
        raise SystemExit("GNU time (/usr/bin/time) is needed for the peak RSS")
    tree = args.before_tree.resolve()
    commit = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=True).stdout.strip()
    rows = measure_files(tree, args.files)
    stamp = time.strftime("%Y-%m-%d-%H%M%S", time.gmtime())
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"scan-events-memory-{stamp}.json"
    out.write_text(json.dumps({"benchmark": "scan --events peak RSS, before/after",
                               "before_commit": commit, "cpus": os.cpu_count(),
                               "time_utc": stamp, "runs": rows}, indent=1) + "\n")
    print(f"wrote {out}")
    return 0 if all(r["identical"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
