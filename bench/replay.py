"""Benchmark ``replay``: opening a big plain kernel log, against log viewers (issue 13 item 3).

Per mix profile (``classic``; ``hang-storm``, the slowest to scan; ``busy``, the most fact
lines), a ``bench/loggen.py`` file of ``main_size()`` lines plus one last marker line
(``END_MARKER``, so that "the newest line is on screen" cannot be met by an older line that
happens to read the same) is opened in a detached tmux session on a private server, as an
operator would, by:

- ``labconsole replay --speed 0 FILE`` (this checkout; a file this big opens at once whatever
  the speed, and ``--speed 0`` makes a small file in the smoke test play through);
- the same with ``--speed 0`` from the checkout named by ``$LABCONSOLE_BENCH_BASELINE``
  ("before": the event replay, which reads every line into events first), when set;
- toolong (``tl FILE``; installed with pip into a venv under the cache folder when missing)
  and lnav (``lnav FILE``; apt-get when missing), which open at the file's end.

Each file is read once first (``warm``: every tool finds it in the page cache).
``capture-pane`` is polled until the marker is on screen ("newest line"); for labconsole also
until its status bar says the replay is at its end with no progress left ("all facts": every
line in and every fact found; lines/s is the file's lines over that time). Peak RSS is the
largest ``VmHWM`` among the session's processes when the tool is done (toolong and lnav: 2 s
after the newest line is shown, while they index). The load average is noted before and after:
the machine is shared, so the figures to quote are the ratios within one run.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.baseline import BASELINE_CHECKOUT_ENV, package_path
from bench.config import BenchConfig
from bench.loggen import cached_log
from bench.report import BenchResult, Cell, Target
from bench.tools import ensure_tool, labconsole_argv

NAME = "replay"
COLUMNS = ["profile", "tool", "newest line s", "all facts s", "lines/s", "peak RSS MB", "runs"]
PROFILES = ("classic", "hang-storm", "busy")
END_MARKER = "zz-bench-end-of-file-marker"
DONE = re.compile(r"replay [^\n]* end(?:\s|$)")  # the status bar at the end of a replay
BUSY_WORDS = ("indexing", "facts ")
POLL_S = 0.01
TIMEOUT_S = 300.0
SETTLE_S = 2.0  # viewers: how long after the newest line their RSS is read
FIRST_FRAME_TARGET_S = 1.0
RSS_TARGET_MB = 150.0
RATE_TARGET = 200_000


@dataclass
class Seen:
    newest_s: float
    done_s: float | None
    rss_mb: float | None


def marked_log(cache_dir: Path, lines: int, profile: str) -> tuple[Path, int]:
    """The generated log plus one last line holding ``END_MARKER``; its line count."""
    source, stats = cached_log(cache_dir, "short-iso", lines, profile=profile)
    path = source.with_name(source.stem + "-marked.log")
    if not path.exists() or path.stat().st_mtime < source.stat().st_mtime:
        with source.open("rb") as fh:
            fh.seek(max(0, source.stat().st_size - 16384))
            tail = fh.read().decode(errors="replace").splitlines()
        # The last stamped line's time (the file may end inside a hang report's registers).
        stamp = next(line.split(" ", 1)[0] for line in reversed(tail) if line[:1].isdigit())
        tmp = path.with_suffix(".part")
        shutil.copyfile(source, tmp)
        with tmp.open("a") as out:
            out.write(f"{stamp} pve03 kernel: {END_MARKER}\n")
        tmp.rename(path)
    return path, stats.lines + 1


def warm(path: Path) -> None:
    """Read ``path`` once, so that every tool finds it in the page cache: otherwise the first
    tool run on a file the cache had dropped (labconsole, run first) pays its disk reads."""
    with path.open("rb", buffering=0) as fh:
        while fh.read(1 << 24):
            pass


def toolong(cfg: BenchConfig) -> tuple[str | None, str]:
    """toolong's ``tl``: on the PATH, else pip-installed into a venv in the cache folder."""
    found = shutil.which("tl")
    if found:
        return found, ""
    venv = cfg.cache_dir / "toolong-venv"
    tl = venv / "bin" / "tl"
    if tl.exists():
        return str(tl), ""
    if not cfg.install:
        return None, "toolong not installed (installing disabled)"
    steps = ([sys.executable, "-m", "venv", str(venv)],
             [str(venv / "bin" / "pip"), "install", "-q", "toolong"])
    for argv in steps:
        done = subprocess.run(argv, capture_output=True, timeout=600, check=False)
        if done.returncode != 0:
            return None, f"toolong install failed: {done.stderr.decode(errors='replace')[-200:]}"
    return (str(tl), "") if tl.exists() else (None, "toolong install gave no tl")


def _tree_rss_mb(pid: int) -> float | None:
    """The largest peak RSS (VmHWM) among ``pid`` and its descendants, in MB."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    best: float | None = None
    todo = [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    kb = float(line.split()[1])
                    best = kb / 1024 if best is None else max(best, kb / 1024)
        except OSError:
            continue
    return best


def watch(tmux: str, socket: str, argv: list[str], *, env: dict[str, str] | None = None,
          until_done: bool, timeout_s: float = TIMEOUT_S) -> Seen:
    """Start ``argv`` in a detached 120x40 tmux session; seconds until the marker is on its
    screen, and (``until_done``) until the replay's status bar says it is at its end."""
    base = [tmux, "-L", socket, "-f", os.devnull]
    run_env = dict(env or os.environ, TERM="xterm-256color")
    run_env.pop("TMUX", None)
    newest: float | None = None
    try:
        start = time.perf_counter()
        subprocess.run([*base, "new-session", "-d", "-s", "bench", "-x", "120", "-y", "40",
                        *argv], env=run_env, check=True, timeout=10, capture_output=True)
        pid = int(subprocess.run([*base, "list-panes", "-t", "bench", "-F", "#{pane_pid}"],
                                 capture_output=True, text=True, timeout=10,
                                 check=True).stdout.split()[0])
        deadline = start + timeout_s
        while time.perf_counter() < deadline:
            screen = subprocess.run([*base, "capture-pane", "-p", "-t", "bench"],
                                    capture_output=True, text=True, timeout=10,
                                    check=False).stdout
            now = time.perf_counter() - start
            if newest is None and END_MARKER in screen:
                newest = now
                if not until_done:
                    time.sleep(SETTLE_S)
                    return Seen(newest, None, _tree_rss_mb(pid))
            if (until_done and newest is not None and DONE.search(screen)
                    and not any(w in screen for w in BUSY_WORDS)):
                return Seen(newest, now, _tree_rss_mb(pid))
            time.sleep(POLL_S)
        what = "the newest line" if newest is None else "the end of the replay"
        raise TimeoutError(f"{what} not on screen after {timeout_s:.0f} s")
    finally:
        subprocess.run([*base, "kill-server"], capture_output=True, timeout=10, check=False)


def _tools(cfg: BenchConfig, result: BenchResult, work: Path) -> list[tuple[str, list[str],
                                                                             dict[str, str] | None,
                                                                             bool]]:
    """(name, argv before the file, env, waits for the end) of each tool to run."""
    tools: list[tuple[str, list[str], dict[str, str] | None, bool]] = [
        ("labconsole", [*labconsole_argv(), "replay", "--speed", "0"], None, True)]
    baseline = os.environ.get(BASELINE_CHECKOUT_ENV)
    if baseline:
        path = package_path(Path(baseline), work)
        env = dict(os.environ, PYTHONPATH=path)
        tools.append(("labconsole before (--speed 0)",
                      [sys.executable, "-m", "labconsole", "replay", "--speed", "0"], env, True))
    else:
        result.note(f"no 'before' side: set ${BASELINE_CHECKOUT_ENV} to an older checkout")
    tl, why = toolong(cfg)
    if tl is None:
        result.note(f"toolong skipped: {why}")
    else:
        tools.append(("toolong", [tl], None, False))
    lnav, why = ensure_tool("lnav", install=cfg.install)
    if lnav is None:
        result.note(f"lnav skipped: {why}")
    else:
        tools.append(("lnav", [lnav], None, False))
    return tools


def run(cfg: BenchConfig) -> BenchResult:
    import tempfile

    result = BenchResult(NAME, COLUMNS)
    tmux, why = ensure_tool("tmux", install=cfg.install)
    if tmux is None:
        result.note(f"replay benchmark skipped: {why}")
        return result
    size = cfg.main_size()
    repeat = cfg.repeat if cfg.repeat is not None else (1 if cfg.quick else 3)
    result.extra["load_before"] = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        tools = _tools(cfg, result, Path(tmp))
        for profile in PROFILES:
            path, lines = marked_log(cfg.cache_dir, size, profile)
            warm(path)
            for tool, argv, env, until_done in tools:
                runs = 1 if "before" in tool else max(1, repeat)
                seen: list[Seen] = []
                for i in range(runs):
                    try:
                        socket = f"lc-replay-{os.getpid()}-{profile}-{len(result.rows)}-{i}"
                        seen.append(watch(tmux, socket,
                                          [*argv, str(path)], env=env,
                                          until_done=until_done))
                    except (TimeoutError, subprocess.SubprocessError, ValueError) as exc:
                        result.note(f"{profile} {tool}: {exc}")
                        break
                if seen:
                    result.rows.append(_row(profile, tool, lines, seen))
    result.extra["load_after"] = os.getloadavg()
    result.extra["lines"] = size
    result.note(f"load average {result.extra['load_before']} before, "
                f"{result.extra['load_after']} after")
    _ratios(result)
    _targets(result)
    return result


def _row(profile: str, tool: str, lines: int, seen: list[Seen]) -> dict[str, Cell]:
    done = [s.done_s for s in seen if s.done_s is not None]
    rss = [s.rss_mb for s in seen if s.rss_mb is not None]
    done_s = statistics.median(done) if done else None
    return {"profile": profile, "tool": tool,
            "newest line s": statistics.median(s.newest_s for s in seen),
            "all facts s": done_s,
            "lines/s": round(lines / done_s) if done_s else None,
            "peak RSS MB": round(max(rss), 1) if rss else None, "runs": len(seen)}


def _ratios(result: BenchResult) -> None:
    rows = {(r["profile"], r["tool"]): r for r in result.rows}
    for profile in PROFILES:
        ours = rows.get((profile, "labconsole"))
        if ours is None:
            continue
        for other in ("labconsole before (--speed 0)", "toolong", "lnav"):
            them = rows.get((profile, other))
            if them is None:
                continue
            ratio = float(ours["newest line s"]) / float(them["newest line s"])  # type: ignore[arg-type]
            result.extra.setdefault("ratios", {})[f"{profile}: labconsole / {other}"] = round(
                ratio, 3)
            result.note(f"{profile}: newest line on screen, labconsole / {other} = {ratio:.2f}")


def _targets(result: BenchResult) -> None:
    ours = [r for r in result.rows if r["tool"] == "labconsole"]
    if not ours:
        return
    worst = max(ours, key=lambda r: float(r["newest line s"]))  # type: ignore[arg-type]
    first = float(worst["newest line s"])  # type: ignore[arg-type]
    result.targets.append(Target("first frame (newest line), slowest mix",
                                 f"< {FIRST_FRAME_TARGET_S} s",
                                 f"{first:.2f} s ({worst['profile']})",
                                 first < FIRST_FRAME_TARGET_S))
    rss = [float(r["peak RSS MB"]) for r in ours if r["peak RSS MB"] is not None]
    if rss:
        result.targets.append(Target("peak RSS", f"< {RSS_TARGET_MB:.0f} MB",
                                     f"{max(rss):.1f} MB", max(rss) < RSS_TARGET_MB))
    rates = [(int(r["lines/s"]), str(r["profile"])) for r in ours
             if r["lines/s"] is not None]
    if rates:
        low, profile = min(rates)
        result.targets.append(Target("all lines and facts in, slowest mix",
                                     f">= {RATE_TARGET:,} lines/s", f"{low:,} ({profile})",
                                     low >= RATE_TARGET))
