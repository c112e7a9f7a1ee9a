"""Hang episodes of a whole-file scan kept in a temporary file once they are final.

A hang storm of 10M lines has tens of thousands of episodes, each with its registers: held as
objects they were most of the scan's memory (110 MB). The detector's finished episodes (no
later line can change them: :meth:`HangDetector.open_episodes`) are pickled to an anonymous
temporary file as the scan goes; the report iterates them back in their order, and ``scan
--json`` and ``scan --events`` write them one at a time. Small scans never touch the file.
"""

from __future__ import annotations

import pickle
import tempfile
from array import array
from collections.abc import Iterator
from typing import IO

from labconsole.model.hang import HangEpisode
from labconsole.parse.hang_detector import HangDetector
from labconsole.parse.kernel_scan import ScanSinks
from labconsole.parse.scan_facts import FactSink, HangReports

# Episodes held before the first ones are written out (about 1 MB).
KEEP_IN_MEMORY = 256


class KeptSinks(ScanSinks):
    """:class:`ScanSinks` that keeps the detector it made, for :class:`HangSpill`."""

    def __init__(self, on_fact: FactSink | None = None) -> None:
        super().__init__(on_fact)
        self.made: HangDetector | None = None

    def detector(self) -> HangDetector:
        self.made = super().detector()
        return self.made


class HangSpill:
    """The episodes of ``detector`` in order: the final ones moved to a file by
    :meth:`settle` (call it now and then), the rest by :meth:`close` at the end of the scan.
    Iterating reads them back; ``len`` and truth work without reading. ``reports`` (``scan
    --events``) forgets the numbers of the final episodes at each :meth:`settle`, so that
    it holds none of them either."""

    def __init__(self, detector: HangDetector, keep: int | None = None,
                 reports: HangReports | None = None) -> None:
        self.detector = detector
        self.reports = reports
        self.keep = KEEP_IN_MEMORY if keep is None else keep
        self._held: list[tuple[int, HangEpisode]] = []  # not written yet, with their index
        self._count = 0
        self._offsets = array("q")
        self._file: IO[bytes] | None = None
        self._closed = False

    def settle(self) -> None:
        """Write out the final episodes once more than ``keep`` are held."""
        new = self.detector.episodes
        if len(new) + len(self._held) <= self.keep:
            return
        self._take_new()
        still_open = self.detector.open_episodes()
        if self.reports is not None:
            self.reports.forget_final(still_open)
        still = {id(ep) for ep in still_open}
        held = []
        for index, ep in self._held:
            if id(ep) in still:
                held.append((index, ep))
            else:
                self._write(index, ep)
        self._held = held

    def close(self) -> None:
        """End of the scan (the detector finished): nothing changes any more."""
        if self._closed:
            return
        self._closed = True
        if self._file is None:
            return  # all in memory: iterate the detector's list
        self._take_new()
        for index, ep in self._held:
            self._write(index, ep)
        self._held = []

    def __len__(self) -> int:
        return self._count + len(self.detector.episodes)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __iter__(self) -> Iterator[HangEpisode]:
        """Every episode in order (after :meth:`close` when any was written out)."""
        if self._file is None:
            yield from (ep for _, ep in self._held)
            yield from self.detector.episodes
            return
        f = self._file
        for offset in self._offsets:
            f.seek(offset)
            yield pickle.load(f)  # our own temporary file
        f.seek(0, 2)

    def _take_new(self) -> None:
        new = self.detector.episodes
        self._held += [(self._count + i, ep) for i, ep in enumerate(new)]
        self._count += len(new)
        self._offsets.extend([-1] * len(new))
        self.detector.episodes = []

    def _write(self, index: int, ep: HangEpisode) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="labconsole-hangs-")  # noqa: SIM115
        f = self._file
        f.seek(0, 2)
        self._offsets[index] = f.tell()
        pickle.dump(ep, f, protocol=pickle.HIGHEST_PROTOCOL)
