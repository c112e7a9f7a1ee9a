"""Smoke run of bench/cef_flood.py at a tiny size: the harness works and its accounting adds
up. No timing assertion: the keystroke figures are what ``python -m bench cef_flood`` reports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import BENCHMARKS, DEFAULT, cef_flood
from bench.baseline import BaselineError, package_path
from bench.report import BenchResult, render


def test_cef_flood_accounts_for_every_datagram_and_reports_its_target() -> None:
    plan = cef_flood.CefPlan(rate=500, seconds=1.0)
    stats = cef_flood.measure(plan)
    assert stats.sent == 500
    assert stats.delivered + (stats.kernel or 0) + stats.queue == stats.sent
    assert len(stats.idle_keys) == cef_flood.IDLE_KEYS and stats.keys
    assert stats.key_timeouts == 0
    result = BenchResult(cef_flood.NAME, cef_flood.COLUMNS)
    cef_flood.add_rows(result, stats, plan)
    assert [t.name for t in result.targets] == ["keystroke p99 under a CEF flood"]
    assert "keystroke p99 ms flood/idle" in render(result)
    assert "cef_flood" in BENCHMARKS and "cef_flood" not in DEFAULT


def test_a_baseline_checkout_is_importable_as_labconsole(tmp_path: Path) -> None:
    """``$LABCONSOLE_BENCH_BASELINE``: the checkout's own console/, widgets/, screens/ and
    bench/ are what a child interpreter imports (this checkout stands in for an older one)."""
    here = Path(__file__).resolve().parents[2]
    path = package_path(here, tmp_path / "tree")
    done = subprocess.run(
        [sys.executable, "-c", "import labconsole.app, labconsole.widgets.timeline_panel as t, "
         "bench.cef_flood as b; print(t.__file__); print(b.__file__)"],
        env=dict(os.environ, PYTHONPATH=path), cwd=tmp_path, capture_output=True, text=True,
        check=True, timeout=120)
    widget, bench = done.stdout.split()
    assert widget.startswith(str(tmp_path / "tree" / "labconsole"))
    assert Path(bench).resolve() == here / "bench" / "cef_flood.py"


def test_a_baseline_that_is_no_checkout_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="not a labconsole checkout"):
        package_path(tmp_path, tmp_path / "tree")
