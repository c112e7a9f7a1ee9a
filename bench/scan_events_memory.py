"""Peak memory and output of ``labconsole scan --events`` for this checkout and an older one,
side by side on the same files (each file: the old commit, then this one).

    python -m bench.scan_events_memory --before-tree DIR FILE...

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

RESULTS = Path(__file__).resolve().parent / "results"


def _run(path: str, pythonpath: str | None) -> dict[str, Any]:
    """One ``scan --events`` run: peak RSS (KB), wall and CPU seconds, output hash and size."""
    env = dict(os.environ, LABCONSOLE_SCAN_PARTS="1")
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        cmd = ["/usr/bin/time", "-f", "%M %e %U %S", "-o", timing.name,
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
    rows = []
    with tempfile.TemporaryDirectory() as shim:
        (Path(shim) / "labconsole").symlink_to(tree / "console")
        for path in args.files:
            load = os.getloadavg()
            before = _run(path, shim)
            after = _run(path, None)
            row = {"file": Path(path).name, "loadavg_1m_at_start": round(load[0], 2),
                   "before": before, "after": after,
                   "identical": before["sha256"] == after["sha256"]
                   and before["bytes"] == after["bytes"]}
            rows.append(row)
            print(f"{row['file']}: {before['peak_rss_kb'] / 1024:.1f} -> "
                  f"{after['peak_rss_kb'] / 1024:.1f} MB peak RSS, "
                  f"identical={row['identical']}, load {load[0]:.2f}", flush=True)
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
