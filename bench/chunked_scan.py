"""The chunked prefilter, now the real scan: a thin adapter kept for ``bench.prefilter``.

The prototype that lived here became :mod:`labconsole.parse.kernel_scan_blocks` (used by
``labconsole scan`` for line logs). This module keeps the prototype's names so the prefilter
benchmark can still compare keyword sets: ``HIT`` is the old prefilter's (``ink `` also took
IPv6 "link becomes ready" notices), ``TIGHT_HIT`` what the link parser accepts (the real one).
"""

from __future__ import annotations

from typing import BinaryIO

from labconsole.parse.kernel_scan import KernelScanResult, _hit
from labconsole.parse.kernel_scan_blocks import BLOCK_SIZE, HIT_KEYWORDS, scan_kernel_blocks

BLOCK = BLOCK_SIZE
HIT = (b"Hang", b"WATCHDOG", b"ink ", b"Reset adapter")
TIGHT_HIT = HIT_KEYWORDS
tight_hit = _hit  # the line scan's own test now uses the tight keywords


def scan_kernel_stream(stream: BinaryIO, *, default_year: int | None = None,
                       hit: tuple[bytes, ...] = HIT,
                       exact_kernel_lines: bool = True) -> KernelScanResult:
    """``scan_kernel_lines`` over a binary stream read in ``BLOCK`` reads, by the real block
    scan with the keywords ``hit``."""
    return scan_kernel_blocks(iter(lambda: stream.read(BLOCK), b""), default_year=default_year,
                              keywords=hit, exact_kernel_lines=exact_kernel_lines)
