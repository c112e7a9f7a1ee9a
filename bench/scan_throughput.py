"""Benchmark ``scan``: ``labconsole scan --json`` against ``grep -c`` and lnav on big logs.

Three parts, all in one run so the ratios compare like with like on a noisy machine:

1. At the main size (1M lines), every mix profile of ``bench/loggen.py`` (quiet node, busy
   node with flapping NICs, hang storm, corosync churn, CEF-heavy, journal JSON, noise from the
   real samples, the classic mix in two formats): labconsole, ``grep -c 'Hardware Unit
   Hang'``, and lnav headless counting the same reports two ways: ``;SELECT count(*) FROM
   all_logs WHERE log_body LIKE ...`` (needs a log format lnav recognises; it has none for
   dmesg) and ``:filter-in`` printing the matching messages (counted here by the lines holding
   the marker). Every tool's count must equal the generator's, and labconsole's episodes,
   link events and CEF records must too. The slowest profile is the figure to quote: a
   target holds only when it holds on every mix.
2. Linearity on the busy (link-heavy) profile from 100k to 1M (and 10M in the full run): time
   and peak RSS per size; the cost per line net of the interpreter's start.
3. When a target is missed, a cProfile of ``labconsole scan`` on the slowest profile's file:
   the functions where the time goes.
"""

from __future__ import annotations

import io
import json
import os
import pstats
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from bench.baseline import checkout_label
from bench.config import BenchConfig
from bench.loggen import HANG_MARKER, PROFILES, LogStats, cached_log, real_noise_lines
from bench.measure import Timing, measure
from bench.report import BenchResult, Cell, Target
from bench.startup import byte_compile
from bench.tools import ensure_tool, labconsole_argv

NAME = "scan"
COLUMNS = ["profile", "format", "lines", "MB", "tool", "processes", "median s", "min s",
           "cpu s", "busiest cpu s", "peak RSS MB", "count", "count ok", "lnav/lc", "lc/grep",
           "before/now"]
# Another labconsole (an older checkout's ``.venv/bin/labconsole``) measured in the same run on
# the same files, next to the current one: "before" figures that share the machine's minutes.
BEFORE_ENV = "LABCONSOLE_BENCH_BEFORE"
# labconsole.scan.parallel's knobs (not imported: the measured labconsole may be another
# checkout): the number of parts, and where a scan in parts reports its processes' RSS sum.
PARTS_ENV = "LABCONSOLE_SCAN_PARTS"
PARTS_STATS_ENV = "LABCONSOLE_SCAN_STATS"
LNAV_SQL = f";SELECT count(*) FROM all_logs WHERE log_body LIKE '%{HANG_MARKER}%'"
LNAV_FILTER = f":filter-in {HANG_MARKER}"
TINY_LINES = 10
RSS_LIMIT_MB = 60.0
RSS_FLAT_MB = 10.0  # peak RSS of the largest file at most this much above the smallest's
TIME_LIMIT_S = 1.0  # per 1M lines, on every profile
LINEAR_PROFILE = "busy"
STORM_PROFILE = "hang-storm"  # its episodes are what grew with the file
# (profile, format) compared at the main size; the classic mix also as dmesg (no lnav format).
MIXES: tuple[tuple[str, str], ...] = (
    *((name, p.fmt) for name, p in PROFILES.items()), ("classic", "dmesg"))


def run(cfg: BenchConfig) -> BenchResult:
    result = BenchResult(NAME, COLUMNS)
    byte_compile()
    before = os.environ.get(BEFORE_ENV)
    if before:
        _byte_compile_checkout(before)
    grep, why = ensure_tool("grep", install=cfg.install)
    if grep is None:
        result.note(f"grep comparison skipped: {why}")
    lnav, why = ensure_tool("lnav", install=cfg.install)
    if lnav is None:
        result.note(f"lnav comparison skipped: {why}")
    with tempfile.TemporaryDirectory(prefix="lc-bench-lnav-") as lnav_home:
        bench = _ScanBench(cfg, result, grep, lnav, lnav_home)
        bench.compare_profiles()
        bench.linearity()
        bench.storm_memory()
        bench.check_targets()
    return result


class _ScanBench:
    def __init__(self, cfg: BenchConfig, result: BenchResult, grep: str | None,
                 lnav: str | None, lnav_home: str) -> None:
        self.cfg = cfg
        self.result = result
        self.grep = grep
        self.lnav = lnav
        # lnav reads and writes its config under $HOME: a private one keeps the machine's
        # formats and settings out of the figures, and the machine's home untouched.
        self.lnav_env = dict(os.environ, HOME=lnav_home, TERM="xterm")
        self.main: dict[str, dict[str, Timing]] = {}  # "profile/format" -> tool -> timing
        self.paths: dict[str, Path] = {}
        self.series: list[tuple[LogStats, Timing, Path]] = []
        self.counts_ok = True
        self.tiny_s: float | None = None
        self.processes: dict[str, int] = {}  # file -> processes of its scan in parts
        self.largest_rss_kb: dict[str, int] = {}  # file -> its scan's largest process's peak
        self.busiest_cpu: dict[str, float] = {}  # file -> CPU s of its busiest process

    # -- measurements ----------------------------------------------------------------------

    def _labconsole(self, path: Path, stats: LogStats,
                    repeat: int | None = None, argv: list[str] | None = None,
                    parts: int | None = None) -> tuple[Timing, bool]:
        """labconsole's timing; its peak RSS is the sum over its processes when it scanned
        in parts (the scan reports it: GNU time's ``%M`` shows only the largest process).
        ``parts=1`` makes it scan in one process."""
        with tempfile.NamedTemporaryFile("r", prefix="lc-bench-parts-") as sums:
            env = dict(os.environ, **{PARTS_STATS_ENV: sums.name})
            if parts is not None:
                env[PARTS_ENV] = str(parts)
            timing = measure([*(argv or labconsole_argv()), "scan", "--json", str(path)],
                             repeat=repeat or self.cfg.repeats(), timeout_s=self.cfg.timeout_s,
                             env=env)
            runs = [json.loads(line) for line in sums.read().splitlines() if line.strip()]
        self.largest_rss_kb[str(path)] = timing.peak_rss_kb  # GNU time's %M: one process
        if runs:
            summed = max(int(r["peak_rss_kb_sum"]) for r in runs)
            timing = replace(timing, peak_rss_kb=max(timing.peak_rss_kb, summed))
            self.processes[str(path)] = max(int(r["processes"]) for r in runs)
            # the busiest process's CPU (median over the runs): the wall time an idle machine
            # with a CPU per process would see, less start-up waits
            busiest = sorted(max(r.get("cpu_s") or [0.0]) for r in runs)
            self.busiest_cpu[str(path)] = busiest[len(busiest) // 2]
        return timing, self._check_scan(timing.stdout, stats)

    def _check_scan(self, stdout: str, stats: LogStats) -> bool:
        """labconsole's reports, episodes and links equal the generator's; note any gap."""
        try:
            report = json.loads(stdout)["files"][0]
        except (ValueError, KeyError, IndexError) as exc:
            self.result.note(f"{stats.fmt}: scan --json output unreadable ({exc})")
            return False
        reports = sum(int(h["reports"]) for h in report["hangs"])
        # per-device summaries; a baseline from before issue 13 lists every event instead
        links = sum(1 if "state" in s else int(s["downs"]) + int(s["ups"])
                    for s in report["links"])
        cef = len(report["cef"]) + int(report.get("cef_not_listed", 0))
        got = (reports, len(report["hangs"]), links, cef, report["lines"])
        want = (stats.hang_reports, stats.hang_episodes, stats.link_events, stats.cef_records,
                stats.lines)
        if got != want:
            self.result.note(f"{stats.profile} {stats.fmt} {stats.lines} lines: labconsole "
                             f"found (reports, episodes, links, cef, lines) {got}, generator "
                             f"wrote {want}")
            return False
        return True

    def _grep(self, path: Path) -> tuple[Timing, int] | None:
        if self.grep is None:
            return None
        timing = measure([self.grep, "-c", HANG_MARKER, str(path)], repeat=self.cfg.repeats(),
                         timeout_s=self.cfg.timeout_s, ok_codes=(0, 1))
        return timing, int(timing.stdout.strip() or 0)

    def _lnav_sql(self, path: Path) -> tuple[Timing, int | None] | None:
        if self.lnav is None:
            return None
        timing = measure([self.lnav, "-n", "-c", LNAV_SQL, str(path)], env=self.lnav_env,
                         repeat=self.cfg.repeats(), timeout_s=self.cfg.timeout_s)
        return timing, _last_int(timing.stdout)

    def _lnav_filter(self, path: Path) -> tuple[Timing, int] | None:
        if self.lnav is None:
            return None
        timing = measure([self.lnav, "-n", "-c", LNAV_FILTER, str(path)], env=self.lnav_env,
                         repeat=self.cfg.repeats(), timeout_s=self.cfg.timeout_s)
        return timing, sum(1 for line in timing.stdout.splitlines() if HANG_MARKER in line)

    def _row(self, stats: LogStats, tool: str, timing: Timing, count: int | None,
             ok: bool, lc: Timing | None = None, grep: Timing | None = None) -> None:
        row: dict[str, Cell] = {
            "profile": stats.profile, "format": stats.fmt, "lines": stats.lines,
            "MB": round(stats.bytes / 1e6, 1),
            "tool": tool, "median s": timing.median_s, "min s": timing.min_s,
            "cpu s": round(timing.cpu_s, 3),
            "peak RSS MB": round(timing.peak_rss_kb / 1024, 1), "count": count,
            "count ok": ok,
        }
        if lc is not None and tool.startswith("lnav") and ok:  # no ratio for a wrong count
            row["lnav/lc"] = round(timing.median_s / lc.median_s, 2)
        if tool.startswith("labconsole") and grep is not None:
            row["lc/grep"] = round(timing.median_s / max(grep.median_s, 1e-4), 1)
        self.result.rows.append(row)

    # -- parts -----------------------------------------------------------------------------

    def compare_profiles(self) -> None:
        size = self.cfg.main_size()
        have_real = bool(real_noise_lines())
        for profile, fmt in MIXES:
            if PROFILES[profile].real_noise and not have_real:
                self.result.note(f"profile {profile} skipped: the real samples are not there "
                                 "(../shared/realdata or $LABCONSOLE_REALDATA)")
                continue
            path, stats = cached_log(self.cfg.cache_dir, fmt, size, profile=profile)
            self.paths[f"{profile}/{fmt}"] = path
            self._compare_one(path, stats)

    def _compare_one(self, path: Path, stats: LogStats) -> None:
        tools: dict[str, Timing] = {}
        lc, ok = self._labconsole(path, stats)
        self.counts_ok &= ok
        tools["labconsole"] = lc
        grep = self._grep(path)
        if grep is not None:
            tools["grep"] = grep[0]
            grep_ok = grep[1] == stats.hang_reports
            self.counts_ok &= grep_ok
            self._row(stats, "grep -c", grep[0], grep[1], grep_ok)
        self._row(stats, "labconsole", lc, stats.hang_reports if ok else None, ok,
                  grep=grep[0] if grep else None)
        self.result.rows[-1]["processes"] = self.processes.get(str(path), 1)
        self.result.rows[-1]["busiest cpu s"] = round(
            self.busiest_cpu.get(str(path), lc.cpu_s), 3)
        if self.processes.get(str(path), 1) > 1:  # the same code in one process, same minutes
            one, one_ok = self._labconsole(path, stats, parts=1)
            self._row(stats, "labconsole 1 process", one, stats.hang_reports if one_ok else None,
                      one_ok, grep=grep[0] if grep else None)
            self.result.extra.setdefault("one_process", {})[f"{stats.profile}/{stats.fmt}"] = {
                "wall_s": [round(one.median_s, 3), round(lc.median_s, 3)],
                "cpu_s": [round(one.cpu_s, 3), round(lc.cpu_s, 3)],
                "peak_rss_mb": [round(one.peak_rss_kb / 1024, 1),
                                round(lc.peak_rss_kb / 1024, 1)]}
        before = os.environ.get(BEFORE_ENV)
        if before:
            old, old_ok = self._labconsole(path, stats, argv=[before])
            self._row(stats, "labconsole before", old, stats.hang_reports if old_ok else None,
                      old_ok, grep=grep[0] if grep else None)
            now_row = next(r for r in reversed(self.result.rows)
                           if r["tool"] == "labconsole" and r["profile"] == stats.profile
                           and r["format"] == stats.fmt)
            now_row["before/now"] = round(old.median_s / lc.median_s, 2)
            self.result.extra.setdefault("before", {})[f"{stats.profile}/{stats.fmt}"] = {
                "before": _checkout_of(before),
                "wall_s": [round(old.median_s, 3), round(lc.median_s, 3)],
                "cpu_s": [round(old.cpu_s, 3), round(lc.cpu_s, 3)],
                "peak_rss_mb": [round(old.peak_rss_kb / 1024, 1),
                                round(lc.peak_rss_kb / 1024, 1)]}
        for tool, measured in (("lnav sql", self._lnav_sql(path)),
                               ("lnav filter-in", self._lnav_filter(path))):
            if measured is None:
                continue
            timing, count = measured
            if count != stats.hang_reports:
                self.result.note(f"{stats.fmt}: {tool} counted {count}, not "
                                 f"{stats.hang_reports}" + (
                                     " (lnav recognised no log format in it)"
                                     if tool == "lnav sql" and not count else ""))
            tools[tool] = timing
            self._row(stats, tool, timing, count, count == stats.hang_reports, lc=lc)
        self.main[f"{stats.profile}/{stats.fmt}"] = tools

    def linearity(self) -> None:
        """The link-heavy profile at every size: labconsole's time per line and RSS as the
        file grows."""
        fmt = PROFILES[LINEAR_PROFILE].fmt
        tiny, _ = cached_log(self.cfg.cache_dir, fmt, TINY_LINES, profile=LINEAR_PROFILE)
        self.tiny_s = measure([*labconsole_argv(), "scan", "--json", str(tiny)],
                              repeat=max(3, self.cfg.repeats())).min_s
        main = self.cfg.main_size()
        key = f"{LINEAR_PROFILE}/{fmt}"
        for size in self.cfg.scan_sizes():
            path, stats = cached_log(self.cfg.cache_dir, fmt, size, profile=LINEAR_PROFILE)
            if size == main and key in self.main:
                timing = self.main[key]["labconsole"]
            elif size > main:
                # the RSS flatness point: labconsole once, no comparisons (minutes each on a
                # shared 2-CPU machine; the ratios are taken at the main size)
                timing, ok = self._labconsole(path, stats, repeat=1)
                self.counts_ok &= ok
                self._row(stats, "labconsole", timing, stats.hang_reports if ok else None, ok)
            else:
                timing, ok = self._labconsole(path, stats)
                self.counts_ok &= ok
                grep = self._grep(path)
                self._row(stats, "labconsole", timing, stats.hang_reports if ok else None, ok,
                          grep=grep[0] if grep else None)
                if grep is not None:
                    self._row(stats, "grep -c", grep[0], grep[1], grep[1] == stats.hang_reports)
                lnav = self._lnav_filter(path)
                if lnav is not None:
                    self._row(stats, "lnav filter-in", lnav[0], lnav[1],
                              lnav[1] == stats.hang_reports, lc=timing)
            self.series.append((stats, timing, path))
        # Per-line cost from the fastest run: on a shared machine the minimum is the best
        # estimate of what the work itself costs (noise only ever adds).
        self.result.extra["linearity"] = [
            {"lines": s.lines, "median_s": round(t.median_s, 4), "min_s": round(t.min_s, 4),
             "us_per_line": round(t.min_s / s.lines * 1e6, 3),
             "net_us_per_line": round(max(t.min_s - (self.tiny_s or 0), 0) / s.lines * 1e6,
                                      3),
             "peak_rss_mb": round(t.peak_rss_kb / 1024, 1),
             "processes": self.processes.get(str(path), 1),
             "largest_process_rss_mb": round(
                 self.largest_rss_kb.get(str(path), t.peak_rss_kb) / 1024, 1)}
            for s, t, path in self.series
        ]
        self.result.extra["startup_s"] = round(self.tiny_s, 4)

    def storm_memory(self) -> None:
        """The hang storm at the largest size, once: its episodes used to be all held (110 MB
        at 10M lines); in parts and in one process, RSS summed over the processes."""
        size = max(self.cfg.scan_sizes())
        if size <= self.cfg.main_size():
            return
        fmt = PROFILES[STORM_PROFILE].fmt
        path, stats = cached_log(self.cfg.cache_dir, fmt, size, profile=STORM_PROFILE)
        for parts in (None, 1):
            timing, ok = self._labconsole(path, stats, repeat=1, parts=parts)
            self.counts_ok &= ok
            self._row(stats, "labconsole" if parts is None else "labconsole 1 process", timing,
                      stats.hang_reports if ok else None, ok)
            self.result.rows[-1]["processes"] = (
                self.processes.get(str(path), 1) if parts is None else 1)
            self.result.extra.setdefault("storm_memory", []).append(
                {"lines": stats.lines, "episodes": stats.hang_episodes,
                 "processes": self.result.rows[-1]["processes"],
                 "peak_rss_mb": round(timing.peak_rss_kb / 1024, 1),
                 "wall_s": round(timing.median_s, 2), "cpu_s": round(timing.cpu_s, 2)})

    # -- targets ---------------------------------------------------------------------------

    def check_targets(self) -> None:
        """Every target on every mix: the worst profile is the figure."""
        t = self.result.targets
        t.append(Target("counts", "labconsole reports/episodes/links/CEF = generator = grep -c",
                        "all equal" if self.counts_ok else "mismatch (see notes)",
                        self.counts_ok))
        lc = {k: v["labconsole"] for k, v in self.main.items() if "labconsole" in v}
        if not lc:
            return
        slowest = max(lc, key=lambda k: lc[k].median_s)
        t.append(Target(f"scan, {self.cfg.main_size():,} lines, slowest mix",
                        f"<= {TIME_LIMIT_S:.1f} s on every mix",
                        f"{lc[slowest].median_s:.2f} s ({slowest})",
                        lc[slowest].median_s <= TIME_LIMIT_S))
        for name, goal, better in (("lnav sql", 4.0, True), ("lnav filter-in", 4.0, True),
                                   ("grep", 20.0, False)):
            t.append(self._worst_ratio(lc, name, goal, better))
        rss = max((tm.peak_rss_kb for tm in lc.values()), default=0) / 1024
        worst_rss = max(lc, key=lambda k: lc[k].peak_rss_kb)
        t.append(Target("peak RSS, every mix", f"< {RSS_LIMIT_MB:.0f} MB",
                        f"{rss:.1f} MB ({worst_rss})", rss < RSS_LIMIT_MB))
        t.append(self._flat_rss_target())
        t.append(self._linearity_target())
        if self.cfg.profile and any(x.met is False for x in t):
            self.result.extra["profile"] = profile_scan(self.paths[slowest])
            self.result.note(f"profile of labconsole scan ({slowest}, main size) in "
                             "extra.profile of the JSON")

    def _worst_ratio(self, lc: dict[str, Timing], tool: str, goal: float,
                     faster: bool) -> Target:
        """``faster``: labconsole at least ``goal`` x faster than ``tool`` on every mix it
        could read; else labconsole within ``goal`` x of it."""
        ratios = {}
        for key, timing in lc.items():
            other = self.main[key].get(tool)
            if other is not None and (tool == "grep" or self._lnav_ok(key, tool)):
                ratios[key] = (other.median_s / timing.median_s if faster
                               else timing.median_s / max(other.median_s, 1e-4))
        name = f"vs {tool}"
        if not ratios:
            return Target(name, "", "not measured", None)
        if faster:
            worst = min(ratios, key=lambda k: ratios[k])
            return Target(name, f">= {goal:.0f}x faster on every mix",
                          f"{ratios[worst]:.2f}x ({worst})", ratios[worst] >= goal)
        worst = max(ratios, key=lambda k: ratios[k])
        return Target(name, f"within {goal:.0f}x on every mix",
                      f"{ratios[worst]:.0f}x slower ({worst})", ratios[worst] <= goal)

    def _lnav_ok(self, key: str, tool: str) -> bool:
        """lnav's count was right on this mix (a wrong count is no comparison)."""
        profile, fmt = key.split("/")
        return any(r["tool"] == tool and r["profile"] == profile and r["format"] == fmt
                   and r["count ok"] for r in self.result.rows)

    def _flat_rss_target(self) -> Target:
        series = self.result.extra.get("linearity", [])
        if len(series) < 2:
            return Target("RSS flat over sizes", "", "one size only", None)
        # Per process: a small file is scanned in one process and a big one in parts, whose
        # summed peak grows with the number of parts (the CPUs), not with the lines; the
        # summed peak is held to the < 60 MB target above.
        first, last = series[0], series[-1]
        low, high = first["largest_process_rss_mb"], last["largest_process_rss_mb"]
        return Target("RSS flat over sizes",
                      f"largest process within {RSS_FLAT_MB:.0f} MB of smallest "
                      f"({LINEAR_PROFILE})",
                      f"{low:.1f} MB ({first['lines']:,}, {first['processes']} process) -> "
                      f"{high:.1f} MB ({last['lines']:,}, {last['processes']} processes, "
                      f"{last['peak_rss_mb']:.1f} MB summed)", high - low <= RSS_FLAT_MB)

    def _linearity_target(self) -> Target:
        """Net cost per line (start-up removed, fastest runs) of the largest file vs the
        smallest."""
        series = self.result.extra.get("linearity", [])
        if len(series) < 2:
            return Target("linear cost", "us/line constant", "one size only", None)
        first, last = series[0]["net_us_per_line"], series[-1]["net_us_per_line"]
        ratio = last / first if first else float("inf")
        return Target("linear cost", "net us/line at largest within 1.5x of smallest",
                      f"{first:.2f} -> {last:.2f} us/line ({ratio:.2f}x)", ratio <= 1.5)


def _byte_compile_checkout(program: str) -> None:
    """Compile the modules of the checkout whose ``.venv/bin/labconsole`` ``program`` is, as
    :func:`byte_compile` does this one's: otherwise, with ``PYTHONDONTWRITEBYTECODE`` set, the
    two sides would not start alike (each start of an uncompiled side compiles ~55 modules,
    ~0.06 s)."""
    import compileall

    root = Path(program).resolve().parent.parent.parent
    for name in ("console", "widgets", "screens"):
        if (root / name).is_dir():
            compileall.compile_dir(str(root / name), quiet=1)


def _checkout_of(program: str) -> str:
    """The commit of the checkout whose ``.venv/bin/labconsole`` ``program`` is (never the
    machine's path: results are committed)."""
    return checkout_label(Path(program).resolve().parent.parent.parent)


def _last_int(text: str) -> int | None:
    """The number in lnav's one-cell result table (``count(*)`` header, then the value)."""
    for line in reversed(text.splitlines()):
        if line.strip().isdigit():
            return int(line.strip())
    return None


def profile_scan(path: Path, top: int = 12) -> list[dict[str, object]]:
    """cProfile ``labconsole scan --json`` on ``path`` in a child; the ``top`` functions by own
    time, with their share of the total."""
    with tempfile.TemporaryDirectory(prefix="lc-bench-prof-") as tmp:
        out = Path(tmp) / "scan.prof"
        try:
            subprocess.run([sys.executable, "-m", "cProfile", "-o", str(out), "-m", "labconsole",
                            "scan", "--json", str(path)], stdout=subprocess.DEVNULL,
                           timeout=1800, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return [{"error": f"profile failed: {exc}"}]
        if not out.exists():
            return [{"error": "profile failed: no output"}]
        return _summarise(out, top)


def _summarise(prof: Path, top: int) -> list[dict[str, object]]:
    stats = pstats.Stats(str(prof), stream=io.StringIO())
    total = stats.total_tt  # type: ignore[attr-defined]
    rows: list[tuple[float, dict[str, object]]] = []
    for (file, line, func), (_cc, ncalls, tottime, cumtime, _callers) in (
            stats.stats.items()):  # type: ignore[attr-defined]
        rows.append((tottime, {"function": f"{Path(file).name}:{line}:{func}", "calls": ncalls,
                               "own_s": round(tottime, 3), "cum_s": round(cumtime, 3),
                               "own_share": round(tottime / total, 3) if total else 0.0}))
    rows.sort(key=lambda r: -r[0])
    return [entry for _, entry in rows[:top]]
