"""Smoke run of the benchmarks at tiny sizes: the harness works and its numbers are sane.

Never a timing assertion: speed is what ``python -m bench`` reports, not a test verdict.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from bench import (
    BENCHMARKS,
    DEFAULT,
    file_lookups,
    flood_paired,
    flood_pipeline,
    marks_drop,
    prefilter,
    replay,
    scan_cpu,
    scan_events_memory,
    scan_startup,
    scan_throughput,
    startup,
    startup_paired,
)
from bench.__main__ import main as bench_main
from bench.baseline import BASELINE_CHECKOUT_ENV
from bench.chunked_scan import scan_kernel_stream
from bench.config import BenchConfig
from bench.loggen import FORMATS, HANG_MARKER, PROFILES, cached_log, write_log
from bench.measure import MeasureError, gnu_time, measure, run_once
from bench.report import BenchResult, render

SIZES = (4000, 8000)


def _sane_timing_row(row: Mapping[str, object]) -> None:
    median, low = float(row["median s"]), float(row["min s"])  # type: ignore[arg-type]
    assert 0 < low <= median < 120, row


# -- generator -------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_generator_counts_are_the_truth(tmp_path: Path, fmt: str) -> None:
    path, stats = cached_log(tmp_path, fmt, 20_000)
    text = path.read_text()
    assert stats.lines == text.count("\n") >= 20_000
    assert stats.bytes == path.stat().st_size
    assert stats.hang_reports == text.count(HANG_MARKER) > 0
    assert stats.hang_episodes == text.count("Reset adapter unexpectedly") == stats.resets
    assert stats.link_events == text.count("NIC Link is Down") + text.count("NIC Link is Up")
    assert 0 < stats.hang_episodes < stats.hang_reports


def test_generator_is_deterministic_and_seeded() -> None:
    a, b, c = io.StringIO(), io.StringIO(), io.StringIO()
    write_log(a, "short-iso", 3000, seed=1)
    write_log(b, "short-iso", 3000, seed=1)
    write_log(c, "short-iso", 3000, seed=2)
    assert a.getvalue() == b.getvalue() != c.getvalue()


def test_generator_formats_share_the_story() -> None:
    """The same seed tells the same story in every format (only the rendering differs)."""
    stats = []
    for fmt in FORMATS:
        stats.append(write_log(io.StringIO(), fmt, 10_000))
    short, dmesg, _js = stats
    assert (short.hang_reports, short.hang_episodes) == (dmesg.hang_reports, dmesg.hang_episodes)


def test_generator_rejects_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown log format"):
        write_log(io.StringIO(), "syslog-ng", 10)


@pytest.mark.parametrize("profile", sorted(set(PROFILES) - {"realdata"}))
def test_every_profile_counts_its_own_truth(profile: str) -> None:
    out = io.StringIO()
    stats = write_log(out, PROFILES[profile].fmt, 20_000, profile=profile)
    text = out.getvalue()
    assert stats.lines == text.count("\n") >= 20_000
    assert stats.hang_reports == text.count(HANG_MARKER)
    assert stats.cef_records == text.count("CEF:0|")
    links = sum(text.count(w) for w in ("Link is Down", "Link is Up"))
    assert stats.link_events == links


def test_busy_profile_is_link_heavy_and_storm_is_hang_heavy() -> None:
    busy = write_log(io.StringIO(), "short-iso", 20_000, profile="busy")
    storm = write_log(io.StringIO(), "short-iso", 20_000, profile="hang-storm")
    classic = write_log(io.StringIO(), "short-iso", 20_000)
    assert busy.link_lines_share >= 0.08
    assert storm.hang_reports * 15 > storm.lines / 2 > classic.hang_reports * 15


def test_realdata_noise_is_read_from_the_samples_and_holds_no_finding(realdata: Path) -> None:
    from bench.loggen import real_noise_lines

    noise = real_noise_lines(realdata)
    assert len(noise) > 50
    assert not any(w in line for line in noise for w in ("Hang", "Link", "CEF:", "WATCHDOG"))
    stats = write_log(io.StringIO(), "short-iso", 5000, profile="realdata", noise=noise)
    assert stats.lines >= 5000


def test_cached_log_is_reused(tmp_path: Path) -> None:
    path, _ = cached_log(tmp_path, "dmesg", 1000)
    stamp = path.stat().st_mtime_ns
    again, _ = cached_log(tmp_path, "dmesg", 1000)
    assert again == path and again.stat().st_mtime_ns == stamp


# -- measuring -------------------------------------------------------------------------------

def test_run_once_reports_the_childs_peak_rss_and_output() -> None:
    code = "b = bytearray(80 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096]); print('done')"
    run = run_once([sys.executable, "-c", code])
    assert run.returncode == 0 and run.stdout.strip() == "done"
    assert run.peak_rss_kb > 80 * 1024  # the 80 MiB the child touched
    small = run_once([sys.executable, "-c", "pass"])
    assert small.peak_rss_kb < run.peak_rss_kb - 60 * 1024


def test_measure_fails_on_unexpected_exit_and_on_timeout() -> None:
    with pytest.raises(MeasureError, match="exited with 3"):
        measure([sys.executable, "-c", "raise SystemExit(3)"], repeat=1)
    assert measure([sys.executable, "-c", "raise SystemExit(1)"], repeat=1,
                   ok_codes=(0, 1)).runs == 1
    with pytest.raises(MeasureError, match="killed"):
        measure([sys.executable, "-c", "import time; time.sleep(30)"], repeat=1,
                timeout_s=0.3)


def test_measure_summary_is_ordered() -> None:
    t = measure([sys.executable, "-c", "pass"], repeat=3)
    assert t.runs == 3 and 0 < t.min_s <= t.median_s <= t.max_s


# -- the benchmarks at tiny sizes --------------------------------------------------------------

def test_scan_benchmark_smoke(tmp_path: Path) -> None:
    cfg = BenchConfig(sizes=SIZES, repeat=1, cache_dir=tmp_path, install=False, profile=False)
    result = scan_throughput.run(cfg)
    mixes = {(r["profile"], r["format"]) for r in result.rows if r["tool"] == "labconsole"}
    assert {fmt for _, fmt in mixes} == set(FORMATS)
    assert {p for p, _ in mixes} >= set(PROFILES) - {"realdata"}
    for row in (r for r in result.rows if r["tool"] == "labconsole"):
        assert row["count ok"] is True, result.notes
        _sane_timing_row(row)
        assert 5 < float(row["peak RSS MB"]) < 100  # type: ignore[arg-type]
    counts = next(t for t in result.targets if t.name == "counts")
    assert counts.met is True, result.notes
    linear = result.extra["linearity"]
    assert [p["lines"] for p in linear] == sorted(p["lines"] for p in linear)
    assert len(linear) == len(SIZES) and all(p["us_per_line"] > 0 for p in linear)
    if shutil.which("grep"):
        grep_rows = [r for r in result.rows if r["tool"] == "grep -c"]
        assert grep_rows and all(r["count ok"] for r in grep_rows)
    if shutil.which("lnav"):
        lnav = [r for r in result.rows if r["tool"] == "lnav filter-in"]
        assert lnav and all(r["count ok"] for r in lnav)
        assert all(float(r["lnav/lc"]) > 0 for r in lnav)  # type: ignore[arg-type]
    else:
        assert any("lnav comparison skipped" in n for n in result.notes)
    assert "labconsole" in render(result)
    assert all(float(r["cpu s"]) > 0 for r in result.rows  # type: ignore[arg-type]
               if r["tool"] == "labconsole")


def test_scan_benchmark_measures_a_before_labconsole_in_the_same_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``LABCONSOLE_BENCH_BEFORE`` names another labconsole (here the same one): each mix gets
    a "labconsole before" row, checked like the current one, and before/now figures."""
    from bench.tools import labconsole_argv

    monkeypatch.setenv(scan_throughput.BEFORE_ENV, labconsole_argv()[0])
    monkeypatch.setattr(scan_throughput, "MIXES", (("classic", "short-iso"),))
    cfg = BenchConfig(sizes=(200,), repeat=1, cache_dir=tmp_path, install=False,
                      profile=False)
    result = scan_throughput.run(cfg)
    before = [r for r in result.rows if r["tool"] == "labconsole before"]
    assert len(before) == 1 and before[0]["count ok"] is True, result.notes
    now = next(r for r in result.rows if r["tool"] == "labconsole" and r["lines"] == 200)
    assert float(now["before/now"]) > 0  # type: ignore[arg-type]
    figures = result.extra["before"]["classic/short-iso"]
    assert len(figures["cpu_s"]) == 2 and figures["before"] != labconsole_argv()[0]


def test_scan_benchmark_sums_the_rss_of_a_scan_in_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A scan in parts reports its processes and the sum of their peak RSS; the same code in
    one process is measured next to it."""
    monkeypatch.setenv(scan_throughput.PARTS_ENV, "2")
    monkeypatch.setattr(scan_throughput, "MIXES", (("hang-storm", "short-iso"),))
    cfg = BenchConfig(sizes=(300,), repeat=1, cache_dir=tmp_path, install=False,
                      profile=False)
    result = scan_throughput.run(cfg)
    rows = {str(r["tool"]): r for r in result.rows if r["lines"] and r["profile"] == "hang-storm"}
    assert rows["labconsole"]["processes"] == 2 and rows["labconsole"]["count ok"] is True
    assert rows["labconsole 1 process"]["count ok"] is True, result.notes
    figures = result.extra["one_process"]["hang-storm/short-iso"]
    assert figures["peak_rss_mb"][1] > 5  # the sum over both processes


def test_startup_benchmark_smoke(tmp_path: Path) -> None:
    cfg = BenchConfig(repeat=1, cache_dir=tmp_path, install=False,
                      first_frame=shutil.which("tmux") is not None)
    result = startup.run(cfg)
    rows = {str(r["what"]): r for r in result.rows}
    for what in ('python -c "import textual" (floor)', "labconsole --version",
                 "labconsole scan (1k lines)", "run_test: import + mount"):
        _sane_timing_row(rows[what])
    assert len(result.targets) == 1 and result.targets[0].met is not None, result.notes


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_replay_benchmark_smoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One small mix (about 5 s: labconsole and, where installed, lnav in tmux): the marker
    line is seen, labconsole's replay reaches its end, the figures and targets are filled."""
    monkeypatch.setattr(replay, "PROFILES", ("classic",))
    monkeypatch.delenv("LABCONSOLE_BENCH_BASELINE", raising=False)
    result = replay.run(BenchConfig(sizes=(2000,), repeat=1, cache_dir=tmp_path,
                                    install=False))
    rows = {str(r["tool"]): r for r in result.rows}
    ours = rows["labconsole"]
    assert 0 < float(ours["newest line s"]) <= float(ours["all facts s"]), result.notes
    assert int(ours["lines/s"]) > 0 and float(ours["peak RSS MB"]) > 10
    assert {t.name for t in result.targets} == {
        "first frame (newest line), slowest mix", "peak RSS",
        "all lines and facts in, slowest mix"}
    assert "replay" in BENCHMARKS and "replay" in DEFAULT
    path, lines = replay.marked_log(tmp_path, 2000, "classic")
    assert path.read_text().splitlines()[-1].endswith(replay.END_MARKER)
    assert lines == len(path.read_text().splitlines())


def test_prefilter_experiment_smoke(tmp_path: Path) -> None:
    """The chunked prototype's result equals the real kernel scan's in every format."""
    result = prefilter.run(BenchConfig(sizes=(6000,), repeat=1, cache_dir=tmp_path))
    assert result.targets[0].met is True, result.rows
    sames = [r["same result"] for r in result.rows if r["same result"] is not None]
    assert len(sames) == 5 * len(FORMATS) and all(sames)
    for row in result.rows:
        _sane_timing_row(row)


@pytest.mark.parametrize("text", [
    "",
    "no newline at the end",
    "[    1.000000] e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:\n"
    "[    1.000000]   TDH                  <f6>\n[    1.000000] PCI Status             <10>",
    "__CURSOR=s=1\nMESSAGE=e1000e 0000:00:1f.6 eno1: NIC Link is Down\n_TRANSPORT=kernel\n",
])
def test_chunked_scan_edges_match_the_line_scan(text: str) -> None:
    from labconsole.parse.kernel_scan import scan_kernel_lines

    want = scan_kernel_lines(io.StringIO(text), default_year=2024)
    got = scan_kernel_stream(io.BytesIO(text.encode()), default_year=2024)
    assert got.to_json() == want.to_json() and got.kernel_lines == want.kernel_lines


def test_cli_writes_json_and_table(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(cfg: BenchConfig) -> BenchResult:
        assert cfg.quick and cfg.repeat == 1
        result = BenchResult("fake", ["what", "median s"])
        result.rows.append({"what": "x", "median s": 0.5})
        return result

    monkeypatch.setitem(BENCHMARKS, "fake", fake)
    out = tmp_path / "results"
    assert bench_main(["fake", "--quick", "--repeat", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "nproc=" in printed and "| x" not in printed and "x     0.50" in printed
    (written,) = out.glob("fake-*.json")
    body = json.loads(written.read_text())
    assert body["machine"]["nproc"] and body["rows"] == [{"what": "x", "median s": 0.5}]
    assert bench_main(["nope"]) == 2


# -- lab benchmark helpers (the lab itself is too slow for a smoke run) ------------------------

def test_lab_hang_block_is_one_complete_report_with_its_tdh() -> None:
    from bench.lab_latency import hang_block
    from labconsole.parse.kernel_scan import scan_kernel_lines

    texts = [hang_block(i, 100.0 + i)[0] for i in (7, 8)]
    result = scan_kernel_lines("".join(texts).splitlines(), default_year=2024)
    (episode,) = result.hangs
    assert episode.reports == 2 and episode.registers["TDH"] == hang_block(8, 0)[1] == "8"


def test_lab_percentiles_nearest_rank() -> None:
    from bench.lab_latency import percentiles

    p = percentiles([i / 1000 for i in range(1, 101)])  # 1..100 ms
    assert (p["p50 ms"], p["p90 ms"], p["p99 ms"], p["max ms"]) == pytest.approx((50, 90, 99, 100))
    assert percentiles([0.005])["p99 ms"] == pytest.approx(5)


def test_lab_benchmark_is_not_in_the_default_run() -> None:
    from bench import DEFAULT

    assert "lab" in BENCHMARKS and "lab" not in DEFAULT


# -- flood (issue 9 item 4): its generator, helpers and the in-process variant ----------------

def test_flood_lines_are_one_physical_line_each_with_a_hang_report_every_2_s() -> None:
    from datetime import datetime, timezone

    from bench.flood import FloodPlan, flood_batch
    from labconsole.parse.kernel_scan import scan_kernel_lines

    plan = FloodPlan(rate=100, seconds=9.0)  # a report every 200 lines, 900 lines
    t0 = datetime(2026, 11, 25, 6, 19, 0, tzinfo=timezone.utc)
    lines = flood_batch("pve02", 0, plan.per_node, t0, plan)
    assert len(lines) == 900 and all("\n" not in line for line in lines)
    assert lines == flood_batch("pve02", 0, 450, t0, plan) + flood_batch("pve02", 450, 450,
                                                                         t0, plan)
    result = scan_kernel_lines(lines, default_year=2026)
    (episode,) = result.hangs
    assert episode.reports == 5 and episode.registers["TDH"] == "f6"
    assert episode.host == "pve02" and episode.first == t0


def test_flood_helpers() -> None:
    from bench.flood import FloodPlan, batch_due, percentiles, rss_flat, title_node

    plan = FloodPlan(rate=1000, seconds=2.0)
    assert (batch_due(0.0, plan), batch_due(0.5, plan), batch_due(9.0, plan)) == (0, 500, 2000)
    assert rss_flat([50.0] * 5) == (None, 0.0)
    assert rss_flat([40.0] * 10 + [60.0, 61.0, 62.0]) == (True, 2.0)
    assert rss_flat([40.0] * 10 + [60.0, 75.0, 90.0]) == (False, 30.0)
    p = percentiles([i / 1000 for i in range(1, 101)])
    assert (p["p50 ms"], p["p99 ms"], p["max ms"]) == pytest.approx((50, 99, 100))
    assert title_node("┌ Kernel log: all nodes | 3 rows ┐") == "all nodes"
    assert title_node("── Kernel log: pve03 | filter 'x' ──") == "pve03"
    assert title_node("no pane here") is None


def test_flood_count_recorded_is_exact_and_skips_a_torn_line(tmp_path: Path) -> None:
    from bench.flood import count_recorded

    rec = tmp_path / "r.jsonl"
    rec.write_text('{"type":"kernel","at":"x","source":"k","node":"pve01","text":"a"}\n'
                   '{"type":"quorum","at":"x","source":"q","node":"pve01","text":"b"}\n'
                   '{"type":"kernel","at":"x","source":"k","node":"pve02","text":"c"}\n'
                   '{"type":"kernel","at":"x","source":"k","node":"pv')
    assert count_recorded(rec) == (2, {"pve01": 1, "pve02": 1})


def test_flood_in_process_smoke() -> None:
    """A tiny flood through the real pipeline, recorder and app: every line recorded, the
    node-cycling key changes the pane, RSS sampled. No speed is asserted."""
    from bench.flood import FloodPlan, add_rows, add_targets, inprocess_flood

    plan = FloodPlan(rate=200, seconds=2.5)
    stats = inprocess_flood(plan)
    assert stats.written == 3 * 500 == stats.recorded
    assert stats.keys and stats.key_timeouts == 0 and stats.rss_mb
    result = BenchResult("flood", ["variant", "what", "value", "unit", "n"])
    add_rows(result, stats, plan)
    add_targets(result, stats, plan)
    lost = next(t for t in result.targets if t.name == "no line lost in the recording")
    assert lost.met is True and "0 of 1500" in lost.measured


# -- scale (issue 9 item 6): its pure helpers (the 32-node lab is a benchmark, not a test) ----

def test_scale_node_names_and_peer_count() -> None:
    from bench.scale import count_peers, node_names

    assert node_names(3) == ("pve01", "pve02", "pve03") and node_names(32)[-1] == "pve32"
    with pytest.raises(ValueError, match=r"1\.\.99"):
        node_names(0)
    ss = ("0      0      10.99.0.100:41234     10.99.0.11:22\n"
          "0      0      10.99.0.100:41236     10.99.0.12:22\n"
          "0      0      10.99.0.100:41238     10.99.0.12:22\n"
          "garbage\n"
          "0      0      [fd00::64]:41240      [fd00::13]:22\n")
    assert count_peers(ss) == {"10.99.0.11": 1, "10.99.0.12": 2, "fd00::13": 1}


def test_scale_complete_needs_every_vote_and_every_nic() -> None:
    from datetime import datetime, timedelta, timezone

    from bench.scale import complete
    from labconsole.events import NicText, QuorumText
    from labconsole.state.console_state import ConsoleState

    at = datetime(2026, 11, 25, 6, 0, tzinfo=timezone.utc)
    names = ("pve01", "pve02")
    quorum = ("Quorum information\n------------------\nNodes:            2\n"
              "Quorate:          Yes\n\n"
              "Votequorum information\n----------------------\nExpected votes:   2\n"
              "Highest expected: 2\nTotal votes:      2\nQuorum:           2\n"
              "Flags:            Quorate\n\nMembership information\n----------------------\n"
              "    Nodeid      Votes Name\n         1          1 pve01 (local)\n"
              "         2          1 pve02\n")
    state = ConsoleState()
    state.apply(QuorumText(at=at, source="q", node="pve01", text=quorum, cluster="lab"))
    assert not complete(state, "lab", names)
    features = ("Features for eno1:\ntcp-segmentation-offload: on\n"
                "generic-segmentation-offload: on\n")
    driver = "driver: e1000e\nversion: 6.1\nfirmware-version: 0.6-4\n"
    link = '[{"ifname":"eno1","operstate":"UP","flags":["UP","LOWER_UP"]}]'
    for name in names:
        state.apply(NicText(at=at, source="n", node=name, iface="eno1", features=features,
                            driver=driver, link=link))
    assert complete(state, "lab", names)
    assert not complete(state, "lab", names, since=at + timedelta(seconds=1))
    assert not complete(state, "lab", (*names, "pve03"))


def test_flood_and_scale_run_only_when_named() -> None:
    from bench import DEFAULT

    assert {"flood", "scale"} <= set(BENCHMARKS) and not {"flood", "scale"} & set(DEFAULT)


def test_flood_shallow_to_json_experiment_keeps_the_recording_format() -> None:
    from datetime import datetime, timezone

    from bench.flood import shallow_to_json
    from labconsole.events import ConnectionChange, KernelText

    at = datetime(2026, 11, 25, 6, 19, 2, tzinfo=timezone.utc)
    for event in (KernelText(at=at, source="kernel:pve01", node="pve01", text="x <f6>"),
                  ConnectionChange(at=at, source="ssh", node=None, state="failed",
                                   detail="gone")):
        got, want = shallow_to_json(event), event.to_json()
        assert got == want and list(got) == list(want)


def test_flood_recording_counter_follows_rotation_and_torn_lines(tmp_path: Path) -> None:
    from bench.flood import RecordingCounter

    def line(node: str) -> str:
        return f'{{"type":"kernel","at":"x","source":"kernel:{node}","node":"{node}"}}\n'

    rec = tmp_path / "r.jsonl"
    rec.write_text(line("pve01") + '{"type":"quorum","source":"quorum:lab"}\n')
    counter = RecordingCounter(rec, ("pve01", "pve02"))
    assert counter.update() == 1
    with open(rec, "a") as fh:
        fh.write(line("pve02") + line("pve01")[:20])  # the last one torn (still being written)
    assert counter.update() == 2
    with open(rec, "a") as fh:
        fh.write(line("pve01")[20:])
    rec.rename(tmp_path / "r.jsonl.1")  # the recorder rotates ...
    rec.write_text(line("pve02"))  # ... and goes on in a fresh file
    assert counter.update() == 4 and counter.per_node == {"pve01": 2, "pve02": 2}
    counter.close()


# -- issue 13's benchmarks: every one the README quotes runs from ``python -m bench NAME`` -----

README = Path(__file__).resolve().parents[2] / "bench" / "README.md"


def test_every_benchmark_the_readme_names_is_in_the_registry() -> None:
    """``python -m bench NAME`` and ``python -m bench.MODULE`` in bench/README.md name
    registered benchmarks (the generator aside), and a plain ``make bench`` runs every one
    that needs no root."""
    import re

    import bench

    text = README.read_text()
    names = set(re.findall(r"python -m bench ([a-z_-]+)", text))
    modules = set(re.findall(r"python -m bench\.([a-z_]+)", text)) - {"loggen"}
    assert names and modules
    assert names <= set(BENCHMARKS), names - set(BENCHMARKS)
    for module in modules:
        assert getattr(bench, module).NAME in BENCHMARKS, module
    root_only = {"lab", "votes-screen", "flood", "scale", "cef_flood"}
    assert set(DEFAULT) == set(BENCHMARKS) - root_only


def test_flood_paired_benchmark_smoke(monkeypatch: pytest.MonkeyPatch) -> None:
    """One short run of this tree in a child interpreter: every line recorded, keys measured,
    the targets filled (no speed asserted)."""
    monkeypatch.setattr(flood_paired, "RATE", 200)
    monkeypatch.delenv(BASELINE_CHECKOUT_ENV, raising=False)
    result = flood_paired.run(BenchConfig(seconds=1.5, repeat=1, install=False))
    (row,) = result.rows
    assert row["side"] == "after" and row["lost"] == 0, result.notes
    assert row["taken in"] == row["offered"] == 900 and int(row["keys"]) > 0  # type: ignore[arg-type]
    assert {t.name for t in result.targets} == {
        "keystroke p99 during the flood", "no line lost in the recording", "RSS"}
    assert next(t for t in result.targets if "lost" in t.name).met is True
    assert "$LABCONSOLE_BENCH_BASELINE" in render(result)


def test_flood_pipeline_benchmark_pairs_a_baseline_checkout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With ``$LABCONSOLE_BENCH_BASELINE`` (here this checkout) each round runs the baseline's
    code, then this tree's, each in a child interpreter."""
    monkeypatch.setenv(BASELINE_CHECKOUT_ENV, str(README.parents[1]))
    result = flood_pipeline.run(BenchConfig(sizes=(1200,), repeat=1, install=False))
    assert [r["side"] for r in result.rows] == ["before", "after"], result.notes
    for row in result.rows:
        assert row["lines"] == 1200
        assert float(row["emit us/line"]) > 0 < float(row["emit_batch us/line"])  # type: ignore[arg-type]


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_startup_paired_benchmark_smoke(monkeypatch: pytest.MonkeyPatch) -> None:
    """One run each of the floor and this tree's demo in tmux, with the CPU at the frame."""
    monkeypatch.delenv(BASELINE_CHECKOUT_ENV, raising=False)
    result = startup_paired.run(BenchConfig(repeat=1, install=False))
    rows = {str(r["side"]): r for r in result.rows}
    for side in ("floor", "after"):
        assert float(rows[side]["frame median s"]) > 0, result.notes  # type: ignore[arg-type]
        assert float(rows[side]["CPU at frame s"]) > 0, result.notes  # type: ignore[arg-type]
    assert rows["after"]["votes median s"] is not None
    assert "after/floor" in rows and "cpu after-floor s" in rows
    assert result.targets[0].met is not None


def test_marks_drop_benchmark_smoke() -> None:
    """Each mix drops twice at a tiny capacity; the benchmark itself checks both live marks
    against the full correlation at every drop."""
    result = marks_drop.run(BenchConfig(sizes=(300,), install=False))
    assert [r["mix"] for r in result.rows] == list(marks_drop.PROFILES)
    for row in result.rows:
        assert row["drops"] == 2 and row["capacity"] == 300
        assert row["facts fed full"] == 300  # the old way: every held fact again
        assert 0 < row["facts fed graft"] < 300  # only what the drop touched
    assert marks_drop.NAME in BENCHMARKS and marks_drop.NAME in DEFAULT


def test_file_lookups_benchmark_smoke() -> None:
    result = file_lookups.run(BenchConfig(sizes=(3000,), repeat=1, install=False))
    assert [r["profile"] for r in result.rows] == list(file_lookups.PROFILES)
    for row in result.rows:
        assert int(row["lines"]) >= 3000 and 0 < int(row["rows"]) <= int(row["lines"])  # type: ignore[arg-type]
        assert float(row["search miss s"]) >= 0  # type: ignore[arg-type]


def test_scan_events_memory_benchmark_smoke(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BASELINE_CHECKOUT_ENV, raising=False)
    result = scan_events_memory.run(BenchConfig(sizes=(2000,), repeat=1, cache_dir=tmp_path,
                                                install=False))
    if gnu_time() is None:
        assert any("GNU time" in n for n in result.notes) and not result.rows
        return
    assert len(result.rows) == len(scan_events_memory.FILES)
    for row, raw in zip(result.rows, result.extra["runs"], strict=True):
        assert 5 < float(row["RSS MB"]) < 200 and raw["after"]["bytes"] > 0  # type: ignore[arg-type]
        assert row["before RSS MB"] is None and row["identical"] is None
    assert result.targets[0].met is not None


def test_scan_cpu_benchmark_pairs_a_baseline_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two mixes at a tiny size, this checkout as its own baseline: both sides measured, the
    same totals."""
    monkeypatch.setattr(scan_cpu, "MIXES", (("hang-storm", "short-iso"), ("classic", "dmesg")))
    monkeypatch.setenv(BASELINE_CHECKOUT_ENV, str(README.parents[1]))
    result = scan_cpu.run(BenchConfig(sizes=(3000,), repeat=1, cache_dir=tmp_path,
                                      install=False))
    assert [(r["mix"], r["format"]) for r in result.rows] == list(scan_cpu.MIXES), result.notes
    for row in result.rows:
        assert row["same totals"] is True and int(row["lines"]) >= 3000  # type: ignore[arg-type]
        assert float(row["CPU s"]) > 0 and float(row["before CPU s"]) > 0  # type: ignore[arg-type]


def test_scan_startup_benchmark_pairs_a_before_labconsole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every input at a tiny size, this tree's labconsole as its own "before": both sides
    measured on each, the ratios filled (no speed asserted)."""
    from bench.tools import labconsole_argv

    monkeypatch.setenv(scan_startup.BEFORE_ENV, labconsole_argv()[0])
    result = scan_startup.run(BenchConfig(sizes=(3000,), repeat=1, cache_dir=tmp_path,
                                          install=False))
    assert [r["side"] for r in result.rows] == ["before", "after"] * 5, result.notes
    for row in result.rows:
        assert float(row["wall s"]) > 0 and row["runs"] == 1  # type: ignore[arg-type]
    assert all(float(r["before/after wall"]) > 0 for r in result.rows[1::2])  # type: ignore[arg-type]
