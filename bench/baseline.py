"""An older checkout's ``labconsole`` importable beside this one, for paired in-process runs.

The CLI benchmarks compare against another checkout's installed ``labconsole`` script
(``$LABCONSOLE_BENCH_BIN``). In-process benchmarks (``cef_flood``) need the older code's
package itself: the project maps ``console/`` to ``labconsole`` and ``widgets/``, ``screens/``
to its subpackages (``[tool.setuptools] package-dir``), so a plain checkout is not importable as
``labconsole``. ``package_path`` builds that mapping as a folder of symbolic links and returns
the ``PYTHONPATH`` that imports the checkout's ``labconsole`` and its ``bench`` (with this
interpreter's third-party packages). ``$LABCONSOLE_BENCH_BASELINE`` names the checkout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

BASELINE_CHECKOUT_ENV = "LABCONSOLE_BENCH_BASELINE"
SUBPACKAGES = ("widgets", "screens")


class BaselineError(ValueError):
    """The named baseline is not a labconsole checkout."""


def package_path(checkout: Path, work: Path) -> str:
    """``PYTHONPATH`` for the checkout's code; the links are made under ``work``."""
    checkout = checkout.resolve()
    if not (checkout / "console" / "app.py").is_file() or not (checkout / "bench").is_dir():
        raise BaselineError(f"{checkout}: not a labconsole checkout (no console/app.py, bench/)")
    package = work / "labconsole"
    package.mkdir(parents=True, exist_ok=True)
    for item in (checkout / "console").iterdir():
        (package / item.name).symlink_to(item)
    for name in SUBPACKAGES:
        if (checkout / name).is_dir() and not (package / name).exists():
            (package / name).symlink_to(checkout / name)
    return os.pathsep.join([str(work), str(checkout)])


def run_child(code: str, args: list[str], pythonpath: str, cwd: Path,
              timeout: float) -> dict[str, Any]:
    """Run ``code`` (``python -c``) in a fresh interpreter importing the code on
    ``pythonpath`` and return the last JSON object it printed; RuntimeError with the child's
    last words when it printed none."""
    env = dict(os.environ, PYTHONPATH=pythonpath)
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False, timeout=timeout)
    found = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not found:
        tail = " | ".join(done.stderr.strip().splitlines()[-6:])
        raise RuntimeError(f"exit status {done.returncode}: {tail}")
    return dict(json.loads(found[-1]))


def checkout_label(checkout: Path) -> str:
    """How results name a checkout: its commit, never its path on this machine (results are
    committed)."""
    try:
        done = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "another checkout"
    commit = done.stdout.strip()
    return f"commit {commit}" if done.returncode == 0 and commit else "another checkout"


def baseline_checkout() -> Path | None:
    """The checkout ``$LABCONSOLE_BENCH_BASELINE`` names, or None (measure this tree alone)."""
    value = os.environ.get(BASELINE_CHECKOUT_ENV)
    return Path(value) if value else None


def paired_sides(baseline: Path | None, work: Path) -> dict[str, tuple[str, Path]]:
    """side -> (``PYTHONPATH``, working folder) of a paired run, in the order runs alternate:
    "before" (the baseline checkout's code, its links made under ``work``) when a baseline
    is named, then "after" (this tree)."""
    here = Path(__file__).resolve().parent.parent
    sides: dict[str, tuple[str, Path]] = {}
    if baseline is not None:
        sides["before"] = (package_path(baseline, work), baseline.resolve())
    sides["after"] = (str(here), here)
    return sides
