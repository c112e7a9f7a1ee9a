"""Benchmark ``startup``: how long until labconsole is useful, against importing Textual.

- ``python -c "import textual"``: the floor any Textual app pays before drawing anything.
- ``labconsole --version`` and ``labconsole scan`` on a small log: the CLI's own start.
- First frame of the dashboard (demo), two ways:
  * in tmux, as an operator starts it: a detached session on a private socket
    (``tmux -L``), polling ``capture-pane`` until the Votes panel's title is on screen
    (bounded); the same poll on a ``print`` gives tmux's own overhead, and on a one-widget
    Textual app the least any Textual app pays, both reported beside it; the same demo app
    started without the CLI shows what the CLI's imports add;
  * in process, with Textual's headless ``run_test``: import time plus time to the mounted
    dashboard, which has no terminal in the way.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

from bench.config import BenchConfig
from bench.loggen import cached_log
from bench.measure import MeasureError, measure, run_once
from bench.report import BenchResult, Target
from bench.tools import ensure_tool, labconsole_argv

NAME = "startup"
COLUMNS = ["what", "median s", "min s", "max s", "runs", "peak RSS MB"]
FIRST_FRAME_TARGET_S = 0.4  # issue 13 item 5
FRAME_MARKER = "Votes"  # the votes panel's border title: the dashboard has been drawn
DATA_MARKER = "quorate"  # the first vote count from the demo recording is on screen
MARKER_MEANING = {FRAME_MARKER: "first frame", DATA_MARKER: "first votes shown"}
POLL_S = 0.005
FRAME_TIMEOUT_S = 20.0

# Runs in a child Python: what a first frame costs without a terminal (import + mount).
_IN_PROCESS = r"""
import asyncio, json, time
t0 = time.perf_counter()
from labconsole.app import LabConsoleApp
from labconsole.demo import DEMO_RECORDING
from labconsole.screens.dashboard import DashboardScreen
from labconsole.sources.replay import ReplayControl, ReplaySource, load_events
t1 = time.perf_counter()

async def main():
    control = ReplayControl(speed=1.0)
    app = LabConsoleApp([ReplaySource(load_events([DEMO_RECORDING]), control=control)],
                        replay=control, tick_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(2000):
            if isinstance(app.screen, DashboardScreen) and app.screen.is_mounted:
                break
            await pilot.pause(0.001)
        t2 = time.perf_counter()
        await pilot.press("q")
    return t2

t2 = asyncio.run(main())
print(json.dumps({"import_s": t1 - t0, "mount_s": t2 - t1}))
"""


# The least a Textual app can do before its first frame: one Static showing the marker.
_BARE_TEXTUAL = f"""
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static({FRAME_MARKER!r})

Bare().run()
"""


# The demo app as ``labconsole run --demo`` builds it, minus the CLI: what the first frame
# would cost if building the argument parser imported no command's dependencies.
_NO_CLI = """
from pathlib import Path
from labconsole.app import LabConsoleApp
from labconsole.demo import DEMO_RECORDING
from labconsole.sources.replay import ReplayControl, ReplaySource

control = ReplayControl(speed=1.0)
source = ReplaySource.from_paths([Path(DEMO_RECORDING)], control=control, errors=[], year=None)
LabConsoleApp([source], replay=control, subtitle="demo").run()
"""


def byte_compile() -> None:
    """Compile labconsole's modules as an installed package has them: with
    ``PYTHONDONTWRITEBYTECODE`` set, an editable install would otherwise compile every module
    again on each start (about 85 ms), which no operator's start pays."""
    import compileall

    import labconsole
    import labconsole.screens
    import labconsole.widgets

    for package in (labconsole, labconsole.widgets, labconsole.screens):
        for folder in package.__path__:
            compileall.compile_dir(folder, quiet=1)


def run(cfg: BenchConfig) -> BenchResult:
    result = BenchResult(NAME, COLUMNS)
    byte_compile()
    repeat = 3 if cfg.quick else 7
    if cfg.repeat is not None:
        repeat = max(1, cfg.repeat)
    small, _ = cached_log(cfg.cache_dir, "short-iso", 1000)
    lc = labconsole_argv()
    commands = [
        ('python -c "import textual" (floor)', [sys.executable, "-c", "import textual"]),
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("labconsole --version", [*lc, "--version"]),
        ("labconsole scan (1k lines)", [*lc, "scan", str(small)]),
        ("labconsole scan --json (1k lines)", [*lc, "scan", "--json", str(small)]),
    ]
    for what, argv in commands:
        try:
            timing = measure(argv, repeat=repeat, timeout_s=60)
        except MeasureError as exc:
            result.note(f"{what}: {exc}")
            continue
        result.rows.append({"what": what, "median s": timing.median_s, "min s": timing.min_s,
                            "max s": timing.max_s, "runs": timing.runs,
                            "peak RSS MB": round(timing.peak_rss_kb / 1024, 1)})
    _in_process(result, repeat)
    if cfg.first_frame:
        _tmux_first_frame(result, cfg, repeat)
    _targets(result)
    return result


def _in_process(result: BenchResult, repeat: int) -> None:
    imports: list[float] = []
    mounts: list[float] = []
    for _ in range(repeat):
        run = run_once([sys.executable, "-c", _IN_PROCESS], timeout_s=60)
        try:
            got = json.loads(run.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            result.note(f"in-process first frame: no result (exit {run.returncode})")
            return
        imports.append(float(got["import_s"]))
        mounts.append(float(got["mount_s"]))
    for what, values in (("run_test: import labconsole.app", imports),
                         ("run_test: app start to dashboard mounted", mounts),
                         ("run_test: import + mount", [a + b for a, b in
                                                       zip(imports, mounts, strict=True)])):
        result.rows.append({"what": what, "median s": statistics.median(values),
                            "min s": min(values), "max s": max(values), "runs": len(values)})


def _tmux_first_frame(result: BenchResult, cfg: BenchConfig, repeat: int) -> None:
    tmux, why = ensure_tool("tmux", install=cfg.install)
    if tmux is None:
        result.note(f"tmux first frame skipped: {why}")
        return
    socket = f"lc-bench-{os.getpid()}"
    floor = [sys.executable, "-c", f"print({FRAME_MARKER!r}); import time; time.sleep(30)"]
    bare = [sys.executable, "-c", _BARE_TEXTUAL]
    app = [*labconsole_argv(), "run", "--demo"]
    no_cli = [sys.executable, "-c", _NO_CLI]
    for what, argv, markers in (
            ("tmux: python prints the marker (tmux floor)", floor, (FRAME_MARKER,)),
            ("tmux: one-widget Textual app (Textual floor)", bare, (FRAME_MARKER,)),
            ("tmux: demo app without the CLI", no_cli, (FRAME_MARKER,)),
            ("tmux: labconsole run --demo", app, (FRAME_MARKER, DATA_MARKER))):
        times: dict[str, list[float]] = {m: [] for m in markers}
        for i in range(repeat):
            try:
                seen = first_frame(tmux, f"{socket}-{i}", argv, markers)
            except (TimeoutError, subprocess.SubprocessError) as exc:
                result.note(f"{what}: {exc}")
                break
            for marker, at in seen.items():
                times[marker].append(at)
        for marker, values in times.items():
            if not values:
                continue
            label = f"{what}: {MARKER_MEANING[marker]}" if len(markers) > 1 else what
            result.rows.append({"what": label, "median s": statistics.median(values),
                                "min s": min(values), "max s": max(values),
                                "runs": len(values)})


def first_frame(tmux: str, socket: str, argv: list[str],
                markers: tuple[str, ...] = (FRAME_MARKER,),
                timeout_s: float = FRAME_TIMEOUT_S,
                env: dict[str, str] | None = None) -> dict[str, float]:
    """Seconds from starting ``argv`` in a detached 120x40 tmux session on a private server
    until each of ``markers`` is first on its screen. The server is killed afterwards.
    ``env`` (default: this process's) is the tmux server's, which the session inherits."""
    base = [tmux, "-L", socket, "-f", os.devnull]
    env = dict(os.environ if env is None else env, TERM="xterm-256color")
    env.pop("TMUX", None)
    seen: dict[str, float] = {}
    try:
        start = time.perf_counter()
        subprocess.run([*base, "new-session", "-d", "-s", "bench", "-x", "120", "-y", "40",
                        *argv], env=env, check=True, timeout=10, capture_output=True)
        deadline = start + timeout_s
        while time.perf_counter() < deadline:
            screen = subprocess.run([*base, "capture-pane", "-p", "-t", "bench"],
                                    capture_output=True, text=True, timeout=10, check=False)
            now = time.perf_counter() - start
            for marker in markers:
                if marker not in seen and marker in screen.stdout:
                    seen[marker] = now
            if len(seen) == len(markers):
                return seen
            time.sleep(POLL_S)
        missing = [m for m in markers if m not in seen]
        raise TimeoutError(f"{missing!r} not on screen after {timeout_s:.0f} s")
    finally:
        subprocess.run([*base, "kill-server"], capture_output=True, timeout=10, check=False)


def _targets(result: BenchResult) -> None:
    rows = {str(r["what"]): r for r in result.rows}
    tmux = rows.get("tmux: labconsole run --demo: first frame")
    in_proc = rows.get("run_test: import + mount")
    row = tmux or in_proc
    if row is None:
        result.targets.append(Target("first frame", f"<= {FIRST_FRAME_TARGET_S} s",
                                     "not measured", None))
        return
    value = float(row["median s"])  # type: ignore[arg-type]
    how = "in tmux" if tmux else "run_test"
    result.targets.append(Target("first frame (demo)", f"<= {FIRST_FRAME_TARGET_S} s",
                                 f"{value:.3f} s ({how})", value <= FIRST_FRAME_TARGET_S))
    floor = rows.get('python -c "import textual" (floor)')
    if floor is not None:
        floor_s = float(floor["median s"])  # type: ignore[arg-type]
        result.note(f"first frame is {value / floor_s:.1f}x the cost of importing Textual")
