"""What a benchmark run is asked to do: sizes, repeats, where generated logs are cached."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

FULL_SIZES = (100_000, 1_000_000, 10_000_000)
QUICK_SIZES = (100_000, 1_000_000)
MAIN_SIZE = 1_000_000  # the size the three formats and the three tools are compared at


def default_cache_dir() -> Path:
    """Generated logs are big (about 1 GB at 10M lines): kept out of the repository, reused."""
    base = os.environ.get("LABCONSOLE_BENCH_CACHE")
    if base:
        return Path(base)
    return Path(tempfile.gettempdir()) / "labconsole-bench"


@dataclass(frozen=True)
class BenchConfig:
    quick: bool = False
    sizes: tuple[int, ...] | None = None  # line counts for the linearity series
    repeat: int | None = None  # runs per measurement (median reported)
    cache_dir: Path = field(default_factory=default_cache_dir)
    install: bool = True  # apt-get install missing comparison tools when root
    profile: bool = True  # profile labconsole scan when it misses a target
    first_frame: bool = True  # startup: run the dashboard in tmux
    timeout_s: float = 900.0
    seconds: float | None = None  # how long a timed run lasts (flood_paired), when given

    def scan_sizes(self) -> tuple[int, ...]:
        if self.sizes:
            return tuple(sorted(self.sizes))
        return QUICK_SIZES if self.quick else FULL_SIZES

    def main_size(self) -> int:
        """The largest size up to ``MAIN_SIZE`` (tiny sizes in the smoke test)."""
        sizes = self.scan_sizes()
        below = [s for s in sizes if s <= MAIN_SIZE]
        return max(below) if below else min(sizes)

    def repeats(self) -> int:
        if self.repeat is not None:
            return max(1, self.repeat)
        return 1 if self.quick else 3
