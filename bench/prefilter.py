"""Benchmark ``prefilter``: where ``labconsole scan`` spends its time, and what the chunked
prototype in :mod:`bench.chunked_scan` would save, in process (no interpreter start).

Per format at the main size, median of the repeats:

- ``read blocks + count lines``: the floor of any Python scan (1 MiB reads, ``bytes.count``);
- ``opener lines only``: iterating the decoded lines ``labconsole scan`` feeds the scan;
- ``scan_input``: the whole current ``labconsole scan`` path (sniff, CEF divert, kernel scan);
- ``scan_kernel_lines``: the current kernel scan over the opener's lines;
- ``current + tight keywords``: the current scan with ``_hit`` narrowed (proposal 2 alone);
- ``chunked``: the prototype, same keywords; its result must equal ``scan_kernel_lines``'s;
- ``chunked, kernel flag only``: the prototype counting kernel lines only up to the first;
- ``chunked + tight keywords``: that, with the link keywords narrowed.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

from bench.chunked_scan import BLOCK, TIGHT_HIT, scan_kernel_stream, tight_hit
from bench.config import BenchConfig
from bench.loggen import FORMATS, cached_log
from bench.report import BenchResult, Target
from labconsole.parse import kernel_scan
from labconsole.parse.kernel_scan import KernelScanResult, scan_kernel_lines
from labconsole.scan import scan_input
from labconsole.scan.opener import open_input

NAME = "prefilter"
COLUMNS = ["format", "lines", "variant", "median s", "min s", "us/line", "vs current",
           "same result"]


def _floor(path: Path) -> int:
    lines = 0
    with path.open("rb") as f:
        while block := f.read(BLOCK):
            lines += block.count(b"\n")
    return lines


def _opener_lines(path: Path) -> int:
    with open_input(str(path)) as opened:
        return sum(1 for _ in opened.lines())


def _current(path: Path) -> KernelScanResult:
    with open_input(str(path)) as opened:
        return scan_kernel_lines(opened.lines(), default_year=2024)


def _chunked(path: Path) -> KernelScanResult:
    with path.open("rb") as f:
        return scan_kernel_stream(f, default_year=2024)


def _chunked_flag(path: Path) -> KernelScanResult:
    with path.open("rb") as f:
        return scan_kernel_stream(f, default_year=2024, exact_kernel_lines=False)


def _tight(path: Path) -> KernelScanResult:
    with path.open("rb") as f:
        return scan_kernel_stream(f, default_year=2024, hit=TIGHT_HIT, exact_kernel_lines=False)


def _current_tight(path: Path) -> KernelScanResult:
    """The current scan with only ``_hit`` swapped for :func:`tight_hit` (a one-line change)."""
    with mock.patch.object(kernel_scan, "_hit", tight_hit):
        return _current(path)


def _scan_input(path: Path) -> object:
    return scan_input(str(path), default_year=2024)


def _time(fn: Callable[[Path], Any], path: Path, repeat: int) -> tuple[list[float], Any]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn(path)
        times.append(time.perf_counter() - start)
    return times, out


def _same(a: KernelScanResult, b: KernelScanResult, *, kernel_lines: bool = True) -> bool:
    return a.to_json() == b.to_json() and (not kernel_lines or a.kernel_lines == b.kernel_lines)


def run(cfg: BenchConfig) -> BenchResult:
    result = BenchResult(NAME, COLUMNS)
    repeat = cfg.repeats()
    size = cfg.main_size()
    gains: dict[str, list[float]] = {}
    all_same = True
    for fmt in FORMATS:
        path, stats = cached_log(cfg.cache_dir, fmt, size)
        current_times, current = _time(_current, path, repeat)
        base = statistics.median(current_times)
        variants: list[tuple[str, Callable[[Path], Any]]] = [
            ("read blocks + count lines", _floor), ("opener lines only", _opener_lines),
            ("scan_input (whole current path)", _scan_input),
            ("current + tight keywords", _current_tight),
            ("chunked", _chunked), ("chunked, kernel flag only", _chunked_flag),
            ("chunked + tight keywords", _tight),
        ]
        rows: dict[str, tuple[list[float], bool | None]] = {
            "scan_kernel_lines (current)": (current_times, True)}
        for label, fn in variants:
            times, out = _time(fn, path, repeat)
            same: bool | None = None
            if label == "chunked":
                same = _same(out, current)
                all_same &= same
            elif label.startswith(("chunked", "current")):
                same = _same(out, current, kernel_lines=False)
                all_same &= same
            if same is not None:
                gains.setdefault(label, []).append(base / statistics.median(times))
            rows[label] = (times, same)
        for label, (times, same) in rows.items():
            med = statistics.median(times)
            result.rows.append({"format": fmt, "lines": stats.lines, "variant": label,
                                "median s": med, "min s": min(times),
                                "us/line": round(med / stats.lines * 1e6, 3),
                                "vs current": round(base / med, 2), "same result": same})
    result.targets.append(Target("variants' results", "equal to scan_kernel_lines (all formats)",
                                 "equal" if all_same else "DIFFERENT", all_same))
    for label, values in gains.items():
        result.note(f"{label}: {min(values):.2f}x to {max(values):.2f}x the speed of the "
                    "current kernel scan")
    return result
