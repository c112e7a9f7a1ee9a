"""The programs the benchmarks compare against, installed from Debian when missing, and the
machine and versions every result is stamped with."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

# tool -> Debian package that provides it
DEBIAN_PACKAGES = {"lnav": "lnav", "grep": "grep", "tmux": "tmux", "time": "time"}


def ensure_tool(name: str, *, install: bool = True) -> tuple[str | None, str]:
    """The tool's path, or ``None`` and the reason it is missing.

    When it is missing, ``install`` is set and we are root, ``apt-get install`` it (one
    attempt; the benchmark reports a failure instead of stopping).
    """
    found = shutil.which(name)
    if found:
        return found, ""
    package = DEBIAN_PACKAGES.get(name, name)
    if not install:
        return None, f"{name} not installed (installing disabled)"
    if os.geteuid() != 0:
        return None, f"{name} not installed and not root: apt-get install {package} first"
    if shutil.which("apt-get") is None:
        return None, f"{name} not installed and no apt-get on this machine"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for args in (["apt-get", "install", "-y", "-q", package],
                 ["apt-get", "update", "-q"],
                 ["apt-get", "install", "-y", "-q", package]):
        done = subprocess.run(args, env=env, capture_output=True, timeout=600, check=False)
        if args[1] == "install" and done.returncode == 0:
            break
    found = shutil.which(name)
    return (found, "") if found else (None, f"apt-get install {package} failed")


def version_of(argv: list[str]) -> str:
    """First line of ``argv``'s output (``grep --version``), or why there is none."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable ({exc.__class__.__name__})"
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


BASELINE_ENV = "LABCONSOLE_BENCH_BIN"


def labconsole_argv() -> list[str]:
    """How to start the installed ``labconsole``: its script next to this Python, else -m.
    ``$LABCONSOLE_BENCH_BIN`` names another ``labconsole`` (an older checkout's) to measure a
    baseline with the same harness and files."""
    other = os.environ.get(BASELINE_ENV)
    if other:
        return [other]
    script = Path(sys.executable).parent / "labconsole"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "labconsole"]


def machine_info() -> dict[str, object]:
    """What a reader needs to compare figures: cores, memory, kernel, date, versions."""
    from labconsole import __version__

    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "loadavg_1m": round(load[0], 2),
        "python": platform.python_version(),
        "labconsole": __version__,
        "grep": version_of(["grep", "--version"]) if shutil.which("grep") else "not installed",
        "lnav": version_of(["lnav", "-V"]) if shutil.which("lnav") else "not installed",
    }
