"""Run a command and measure it: wall time, the child's peak RSS, exit status, its output.

Peak RSS comes from GNU time (``time -f %M``) wrapped around the command, not from our own
``wait4``: Linux keeps the high-water RSS of the memory a process had *before* exec, and a
child forked from this Python inherits ours (60 MB under pytest, reported for ``python -c
pass``). GNU time is a 2 MB process, so what it reports is the command's own peak. Without
GNU time the ``wait4`` figure is used and flagged. Wall time is ours, around the whole run.
"""

from __future__ import annotations

import functools
import os
import resource
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


class MeasureError(RuntimeError):
    """The measured command failed or ran past its time limit."""


@dataclass(frozen=True)
class Run:
    """One run of a command."""

    wall_s: float
    peak_rss_kb: int
    returncode: int
    stdout: str
    rss_exact: bool = True  # False: wait4's figure, may include this process's own RSS
    cpu_s: float = 0.0  # user + system CPU of the command (wait4), steadier than wall time


@functools.cache
def gnu_time() -> str | None:
    """Path of GNU time (Debian package ``time``), or None."""
    path = shutil.which("time")
    if path is None:
        return None
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return path if "GNU" in (done.stdout + done.stderr) else None


@dataclass(frozen=True)
class Timing:
    """Several runs of one command: the median is the figure, min/max show the noise."""

    median_s: float
    min_s: float
    max_s: float
    runs: int
    peak_rss_kb: int
    stdout: str  # of the last run
    rss_exact: bool = True
    cpu_s: float = 0.0  # median user + system CPU: on a shared machine wall time waits

    def to_json(self) -> dict[str, float | int]:
        return {"median_s": round(self.median_s, 4), "min_s": round(self.min_s, 4),
                "max_s": round(self.max_s, 4), "runs": self.runs,
                "peak_rss_mb": round(self.peak_rss_kb / 1024, 1),
                "cpu_s": round(self.cpu_s, 4)}


def run_once(argv: Sequence[str], *, env: Mapping[str, str] | None = None,
             timeout_s: float = 600.0) -> Run:
    """Run ``argv`` to completion; stdout goes to a temporary file (no pipe to drain)."""
    timer = gnu_time()
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r") as rss:
        full = [timer, "-q", "-f", "%M", "-o", rss.name, *argv] if timer else list(argv)
        start = time.perf_counter()
        proc = subprocess.Popen(full, stdout=out, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                env=dict(env) if env is not None else None)
        status, usage = _wait(proc, timeout_s)
        wall = time.perf_counter() - start
        out.seek(0)
        text = out.read().decode("utf-8", errors="replace")
        peak = _time_rss(rss.read()) if timer else None
    return Run(wall_s=wall, peak_rss_kb=peak if peak is not None else usage.ru_maxrss,
               returncode=os.waitstatus_to_exitcode(status), stdout=text,
               rss_exact=peak is not None, cpu_s=usage.ru_utime + usage.ru_stime)


def _time_rss(text: str) -> int | None:
    """GNU time's ``%M`` (KiB), the last line of its output file ("Command exited with non-zero
    status N" may come first)."""
    lines = text.strip().splitlines()
    try:
        return int(lines[-1])
    except (IndexError, ValueError):
        return None


def _wait(proc: subprocess.Popen[bytes], timeout_s: float) -> tuple[int, resource.struct_rusage]:
    """``wait4`` with a deadline: poll with WNOHANG, kill the child's whole session (GNU time
    and the command under it) when it runs too long."""
    deadline = time.monotonic() + timeout_s
    delay = 0.0005
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)  # keep Popen from re-waiting
            return status, usage
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            os.wait4(proc.pid, 0)
            proc.returncode = -9
            raise MeasureError(f"{proc.args!r} still running after {timeout_s:.0f} s: killed")
        time.sleep(delay)
        delay = min(delay * 2, 0.01)  # sub-ms resolution for short commands, cheap for long


def measure(argv: Sequence[str], *, repeat: int = 3, env: Mapping[str, str] | None = None,
            timeout_s: float = 600.0, ok_codes: tuple[int, ...] = (0,)) -> Timing:
    """Run ``argv`` ``repeat`` times; raise :class:`MeasureError` on an unexpected exit code."""
    runs: list[Run] = []
    for _ in range(max(1, repeat)):
        run = run_once(argv, env=env, timeout_s=timeout_s)
        if run.returncode not in ok_codes:
            raise MeasureError(f"{' '.join(argv)} exited with {run.returncode}")
        runs.append(run)
    walls = [r.wall_s for r in runs]
    return Timing(median_s=statistics.median(walls), min_s=min(walls), max_s=max(walls),
                  runs=len(runs), peak_rss_kb=max(r.peak_rss_kb for r in runs),
                  stdout=runs[-1].stdout, rss_exact=all(r.rss_exact for r in runs),
                  cpu_s=statistics.median(r.cpu_s for r in runs))
