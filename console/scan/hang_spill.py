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
from dataclasses import dataclass
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


@dataclass(slots=True)
class SpillPart:
    """The episodes a spill of a later part of a file holds (:meth:`HangSpill.export`), for
    the spill of the whole file to take in (:meth:`HangSpill.adopt`): where each of them is
    in the part's file (-1: held, not written), and the held ones with their index."""

    offsets: array
    held: list[tuple[int, HangEpisode]]


class HangSpill:
    """The episodes of ``detector`` in order: the final ones moved to a file by
    :meth:`settle` (call it now and then), the rest by :meth:`close` at the end of the scan.
    Iterating reads them back; ``len`` and truth work without reading. ``reports`` (``scan
    --events``) forgets the numbers of the final episodes at each :meth:`settle`, so that
    it holds none of them either."""

    def __init__(self, detector: HangDetector, keep: int | None = None,
                 reports: HangReports | None = None, file: IO[bytes] | None = None) -> None:
        self.detector = detector
        self.reports = reports
        self.keep = KEEP_IN_MEMORY if keep is None else keep
        self._held: list[tuple[int, HangEpisode]] = []  # not written yet, with their index
        self._count = 0
        self._offsets = array("q")
        self._file = file  # ours, written to (a temporary file made when first needed)
        # Every file episodes are in (ours and adopted ones), which one each episode is in,
        # and the line number shift of each file's episodes.
        self._files: list[IO[bytes]] = [] if file is None else [file]
        self._in = array("H")
        self._shifts: list[int] = [] if file is None else [0]
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
        if not self._files:
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
        if not self._files:
            yield from (ep for _, ep in self._held)
            yield from self.detector.episodes
            return
        files, shifts = self._files, self._shifts
        for where, offset in zip(self._in, self._offsets, strict=True):
            f = files[where]
            f.seek(offset)
            ep: HangEpisode = pickle.load(f)  # our own temporary files
            if shifts[where]:
                _renumber(ep, shifts[where])
            yield ep
        for f in files:
            f.seek(0, 2)

    def export(self) -> SpillPart:
        """What this spill of a later part of a file holds, for :meth:`adopt` in the spill
        of the whole file (the held ones are the episodes still open)."""
        self._take_new()
        return SpillPart(self._offsets, self._held)

    def adopt(self, part: SpillPart, file: IO[bytes], shift: int) -> None:
        """Take the episodes of a later part of the file after every episode listed so far
        (the detector's new ones included): those in ``file`` (the part's spill, read from
        the start) are read back from it, the held ones are held here. Their line numbers
        are the part's plus ``shift``."""
        self._take_new()
        where = len(self._files)
        self._files.append(file)
        self._shifts.append(shift)
        base = self._count
        self._offsets.extend(part.offsets)
        self._in.extend([where] * len(part.offsets))
        for index, ep in part.held:
            if shift:
                _renumber(ep, shift)
            self._held.append((base + index, ep))
            self._in[base + index] = 0  # rewritten by _write
        self._count += len(part.offsets)

    def _take_new(self) -> None:
        new = self.detector.episodes
        self._held += [(self._count + i, ep) for i, ep in enumerate(new)]
        self._count += len(new)
        self._offsets.extend([-1] * len(new))
        self._in.extend([0] * len(new))
        self.detector.episodes = []

    def _write(self, index: int, ep: HangEpisode) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="labconsole-hangs-")  # noqa: SIM115
            self._files.append(self._file)
            self._shifts.append(0)
        f = self._file
        f.seek(0, 2)
        self._offsets[index] = f.tell()
        self._in[index] = self._files.index(f)
        pickle.dump(ep, f, protocol=pickle.HIGHEST_PROTOCOL)


def _renumber(ep: HangEpisode, shift: int) -> None:
    """An episode of a part of a file, numbered as lines of the whole file."""
    ep.first_lineno += shift
    ep.last_lineno += shift
