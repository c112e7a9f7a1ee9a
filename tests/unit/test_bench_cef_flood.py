"""Smoke run of bench/cef_flood.py at a tiny size: the harness works and its accounting adds
up. No timing assertion: the keystroke figures are what ``python -m bench cef_flood`` reports."""

from __future__ import annotations

from bench import BENCHMARKS, DEFAULT, cef_flood
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
