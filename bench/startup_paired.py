"""First frame of the demo in tmux, before/after in alternated runs (issue 13 item 5).

``python -m bench startup_paired [--repeat N] [--quick]`` (registry entry: 10 runs of each
side, ``--quick`` 3, with the CPU time; the baseline is ``$LABCONSOLE_BENCH_BASELINE`` when it
is set, else the floor and this tree only) or ``python -m bench.startup_paired
BASELINE_CHECKOUT [--runs N] [--cpu]``: starts, in turn, the
one-widget Textual app (the floor any Textual app pays), the baseline checkout's ``python -m
labconsole run --demo`` (its code through ``bench.baseline.package_path``) and this tree's, each
in a detached 120x40 session on a private tmux server, and polls ``capture-pane`` every 5 ms
(``bench.startup.first_frame``) until "Votes" (the first frame) and "quorate" (the first votes)
are on screen; with ``--cpu`` also the process's CPU time at that frame (steadier than wall
time on a shared machine). Both trees' modules are byte-compiled first (``compileall``), as
an installed package's are: without that, an environment with ``PYTHONDONTWRITEBYTECODE``
set compiles every labconsole module again on each start (about 85 ms here) while Textual's
come compiled from its wheel, which is not what an operator's start costs. Every run is
written with the load average before it to
``bench/results/startup-first-frame-paired-<time>.json``, with the medians and their ratios.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.baseline import baseline_checkout, checkout_label, package_path
from bench.config import BenchConfig
from bench.report import BenchResult, Target
from bench.startup import _BARE_TEXTUAL, DATA_MARKER, FRAME_MARKER, first_frame
from bench.tools import ensure_tool

NAME = "startup_paired"
RESULTS = Path(__file__).resolve().parent / "results"
RUNS, QUICK_RUNS = 10, 3
FRAME_TARGET_S = 0.4
COLUMNS = ["side", "runs", "frame median s", "frame min s", "frame max s", "votes median s",
           "CPU at frame s", "load 1m"]
DEMO = ["-m", "labconsole", "run", "--demo"]
CPU_TIMEOUT_S = 30.0

# ``--cpu``: the same start in tmux, reporting the process's CPU time (user + system) when its
# first frame (the dashboard's, or the floor's only screen) is handed to the terminal, then
# quitting. CPU time hardly depends on what else the shared machine runs, wall time does.
_CPU_CHILD = """
import os, sys, time
from textual.app import App
OUT, WHAT = sys.argv[1], sys.argv[2]
display = App._display
def _display(self, screen, renderable):
    display(self, screen, renderable)
    target = "Screen" if WHAT == "floor" else "DashboardScreen"
    if renderable is not None and type(screen).__name__ == target and not self.is_headless:
        if not os.path.exists(OUT):
            with open(OUT, "w") as out:
                out.write(str(time.process_time()))
        self.exit()
App._display = _display
if WHAT == "floor":
    from textual.widgets import Static
    class Bare(App):
        def compose(self):
            yield Static("Votes")
    Bare().run()
else:
    import runpy
    sys.argv = ["labconsole", "run", "--demo"]
    runpy.run_module("labconsole", run_name="__main__")
"""


def _side(pythonpath: str | None, argv: list[str]) -> tuple[list[str], dict[str, str]]:
    """The command and environment of one side (``PYTHONPATH`` picks the code)."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    return [sys.executable, *argv], env


def _summary(runs: list[dict[str, object]]) -> dict[str, dict[str, list[float]]]:
    out: dict[str, dict[str, list[float]]] = {}
    for side in dict.fromkeys(str(r["side"]) for r in runs):
        for marker in ("frame", "votes", "cpu"):
            values = [float(r[marker]) for r in runs  # type: ignore[arg-type]
                      if r["side"] == side and r.get(marker) is not None]
            if values:
                out.setdefault(side, {})[marker] = [round(statistics.median(values), 3),
                                                    round(min(values), 3), round(max(values), 3)]
    return out


def cpu_at_first_frame(tmux: str, socket: str, what: str, env: dict[str, str],
                       work: Path) -> float:
    """CPU seconds of the process when its first frame was drawn, in a detached 120x40 tmux
    session on a private server (killed afterwards)."""
    out = work / f"{socket}.cpu"
    base = [tmux, "-L", socket, "-f", os.devnull]
    try:
        subprocess.run([*base, "new-session", "-d", "-s", "bench", "-x", "120", "-y", "40",
                        sys.executable, "-c", _CPU_CHILD, str(out), what],
                       env=dict(env, TERM="xterm-256color"), check=True, timeout=10,
                       capture_output=True)
        deadline = time.monotonic() + CPU_TIMEOUT_S
        while time.monotonic() < deadline:
            if out.exists() and out.read_text():
                return float(out.read_text())
            time.sleep(0.02)
        raise TimeoutError(f"no first frame after {CPU_TIMEOUT_S:.0f} s")
    finally:
        subprocess.run([*base, "kill-server"], capture_output=True, timeout=10, check=False)


def measure_runs(tmux: str, baseline: Path | None, runs: int,
                 cpu: bool) -> list[dict[str, object]]:
    """``runs`` rounds of floor, before (when a baseline is named) and after, alternated; both
    trees byte-compiled first. A run that failed holds its error."""
    here = Path(__file__).resolve().parent.parent
    out: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="lc-baseline-") as tmp:
        folders = [here / "console", here / "widgets", here / "screens"]
        sides = {"floor": _side(None, ["-c", _BARE_TEXTUAL])}
        if baseline is not None:
            sides["before"] = _side(package_path(baseline, Path(tmp)), DEMO)
            # The baseline's top-level modules are imported through links in ``tmp`` (their
            # compiled files go there); its subpackages through linked folders, which
            # ``compile_dir`` does not enter: they are compiled where they are.
            folders += [baseline.resolve() / name for name in ("console", "widgets", "screens")]
            compileall.compile_dir(str(Path(tmp) / "labconsole"), maxlevels=0, quiet=1)
        sides["after"] = _side(str(here), DEMO)
        for folder in folders:
            if folder.is_dir():
                compileall.compile_dir(str(folder), quiet=1)
        for i in range(1, runs + 1):
            for side, (cmd, env) in sides.items():
                out.append(_one(tmux, side, i, cmd, env, Path(tmp) if cpu else None))
                print(json.dumps(out[-1]), flush=True)
    return out


def _one(tmux: str, side: str, i: int, cmd: list[str], env: dict[str, str],
         cpu_work: Path | None) -> dict[str, object]:
    markers = (FRAME_MARKER,) if side == "floor" else (FRAME_MARKER, DATA_MARKER)
    load = os.getloadavg()[0]
    try:
        seen = first_frame(tmux, f"lc-ffp-{os.getpid()}-{side}-{i}", cmd, markers, env=env)
    except (TimeoutError, OSError) as exc:
        return {"side": side, "run": i, "load1": load, "error": str(exc)}
    run: dict[str, object] = {
        "side": side, "run": i, "load1": load, "frame": round(seen[FRAME_MARKER], 4),
        "votes": round(seen[DATA_MARKER], 4) if DATA_MARKER in seen else None}
    if cpu_work is not None:
        try:
            run["cpu"] = round(cpu_at_first_frame(
                tmux, f"lc-ffc-{os.getpid()}-{side}-{i}",
                "floor" if side == "floor" else "demo", env, cpu_work), 4)
        except (TimeoutError, OSError, ValueError) as exc:
            run["cpu_error"] = str(exc)
    return run


def _ratios(summary: dict[str, dict[str, list[float]]]) -> dict[str, float]:
    """Median ratios between the sides measured (after/floor always, after/before paired)."""
    ratios: dict[str, float] = {}
    for marker, prefix in (("frame", ""), ("cpu", "cpu ")):
        med = {s: v[marker][0] for s, v in summary.items() if marker in v}
        if "after" in med and "floor" in med:
            ratios[f"{prefix}after/floor"] = round(med["after"] / med["floor"], 2)
            if marker == "cpu":
                ratios["cpu after-floor s"] = round(med["after"] - med["floor"], 3)
        if "after" in med and "before" in med:
            ratios[f"{prefix}after/before"] = round(med["after"] / med["before"], 2)
            if "floor" in med and marker == "frame":
                ratios["before/floor"] = round(med["before"] / med["floor"], 2)
    return ratios


def run(cfg: BenchConfig) -> BenchResult:
    """The registry's entry (see the module docstring)."""
    result = BenchResult(NAME, COLUMNS)
    tmux, why = ensure_tool("tmux", install=cfg.install)
    if tmux is None:
        result.note(f"startup_paired skipped: {why}")
        return result
    baseline = baseline_checkout()
    runs = measure_runs(tmux, baseline, cfg.repeat or (QUICK_RUNS if cfg.quick else RUNS),
                        cpu=True)
    summary = _summary(runs)
    for side, figures in summary.items():
        mine = [r for r in runs if r["side"] == side]
        loads = [float(r["load1"]) for r in mine]  # type: ignore[arg-type]
        frame = figures.get("frame", [None, None, None])
        result.rows.append({
            "side": side, "runs": len(mine), "frame median s": frame[0],
            "frame min s": frame[1], "frame max s": frame[2],
            "votes median s": figures.get("votes", [None])[0],
            "CPU at frame s": figures.get("cpu", [None])[0],
            "load 1m": f"{min(loads):.2f}-{max(loads):.2f}"})
    for r in runs:
        if "error" in r or "cpu_error" in r:
            result.note(f"{r['side']} {r['run']}: {r.get('error') or r.get('cpu_error')}")
    ratios = _ratios(summary)
    result.rows += [{"side": name, "frame median s": value} for name, value in ratios.items()]
    after = summary.get("after", {}).get("frame")
    result.targets.append(Target(
        "first frame of the demo (median, in tmux)", f"<= {FRAME_TARGET_S} s",
        f"{after[0]:.3f} s (floor {summary['floor']['frame'][0]:.3f} s)"
        if after and "floor" in summary else "not measured",
        after[0] <= FRAME_TARGET_S if after else None))
    result.note("the demo (python -m labconsole run --demo) and a one-widget Textual app (the "
                "floor) in a detached 120x40 tmux session, until 'Votes' (frame) and "
                "'quorate' (votes); CPU: the process's CPU time at its first frame; "
                + (f"paired with {checkout_label(baseline)}" if baseline else
                   "no 'before' side: set $LABCONSOLE_BENCH_BASELINE to an older checkout"))
    result.extra.update(runs=runs, median_min_max=summary, ratios=ratios)
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.startup_paired", description=__doc__)
    p.add_argument("baseline", type=Path, help="checkout of the code to compare against")
    p.add_argument("--runs", type=int, default=RUNS, help="runs of each side")
    p.add_argument("--label", default="", help="a word for the result file's name")
    p.add_argument("--cpu", action="store_true",
                   help="also each side's CPU time at its first frame (one more start each)")
    args = p.parse_args(argv)
    tmux, why = ensure_tool("tmux", install=False)
    if tmux is None:
        print(f"tmux unavailable: {why}", file=sys.stderr)
        return 2
    runs = measure_runs(tmux, args.baseline, args.runs, args.cpu)
    summary = _summary(runs)
    loads = [float(r["load1"]) for r in runs]  # type: ignore[arg-type]
    ratios = _ratios(summary)
    out = {"name": "startup_first_frame_paired", "date": time.strftime("%Y-%m-%d %H:%M UTC",
                                                                       time.gmtime()),
           "how": "bench.startup.first_frame (tmux 120x40, capture-pane every 5 ms until "
                  "'Votes'; 'votes' = until 'quorate'), both trees byte-compiled, runs "
                  "alternated floor/before/after; "
                  "before = the baseline checkout, after = this tree (python -m labconsole "
                  "run --demo), floor = one-widget Textual app; seconds; 'cpu' (--cpu): "
                  "the process's CPU seconds when its first frame went to the terminal",
           "loadavg_1m_min_max": [min(loads), max(loads)],
           "median_min_max": summary, "frame_median_ratios": ratios, "runs": runs}
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y-%m-%dT%H%M", time.gmtime())
    label = f"-{args.label}" if args.label else ""
    path = RESULTS / f"startup-first-frame-paired-{stamp}{label}.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps({"median_min_max": summary, "ratios": ratios,
                      "load": out["loadavg_1m_min_max"]}, indent=1))
    print(f"written: {path}")
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
