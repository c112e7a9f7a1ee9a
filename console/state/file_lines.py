"""The lines of a plain log file, read in place: an index of line offsets into the file.

A big file is never held as Python strings: ``build_index`` records where each line starts
(8 bytes a line, in an ``array``, a block of the file at a time, in a worker thread), and a
line's text is read from the file only when something asks for it (the rows on screen, a
search). 1M lines cost 8 MB of index, whatever their length. This is how log viewers such as
toolong open big files (toolong maps the file; here each read is a ``pread``: the pages of a
mapping count in the process's RSS once touched, 100 MB for a 100 MB file read through, while
the kernel's page cache serves a ``pread`` as fast without that).

Lines are numbered from 1 in file order; every physical line counts (blank ones too), so a
number is the line's place in the file. ``count`` grows while the index is built and is only
ever read, never shrunk: a reader in another thread sees a prefix of the final index.
"""

from __future__ import annotations

import os
import re
from array import array
from pathlib import Path

INDEX_BLOCK = 1 << 22  # bytes indexed per step (4 MB: about 40k lines)
# Bytes counted per step (``count_tail``: one reused buffer). Not more: a freed buffer of 16 MB
# raises glibc's mmap threshold that far, and later blocks stay in the heap (+5 MB peak RSS).
COUNT_BLOCK = 1 << 22
TAIL_BYTES = 1 << 16  # the end of the file indexed first: a few screens of the newest lines
_NEWLINE = re.compile(b"\n")


class FileLines:
    """Random access to the lines of one file by number (see the module docstring)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._fh = open(self.path, "rb")  # noqa: SIM115 - lives as long as the index
        self._fd = self._fh.fileno()
        self.size = os.fstat(self._fd).st_size
        # _starts[i] is where line i + 1 starts; one more entry than lines when the file ends
        # with a newline (the end), so line i + 1 is _starts[i]:_starts[i + 1].
        self._starts = array("Q", [0])
        self._prefix = 0  # lines indexed from the start
        # The file's last lines, indexed first (the newest screen): numbers _tail_first...
        self._tail_first = 1
        self._tail = array("Q")
        self.count = 0  # lines known (all of them once counted, before the index is built)
        self.indexed = 0  # bytes indexed so far
        self.done = self.size == 0

    @property
    def progress(self) -> float:
        """Share of the file indexed, 0..1."""
        return 1.0 if self.size == 0 else self.indexed / self.size

    def build_index(self, block: int = INDEX_BLOCK, tail: int = TAIL_BYTES) -> None:
        """Count the lines and index the last ``tail`` bytes' lines (``count_tail``), then
        index every line from the start (``index_all``). Call once, in a worker thread for
        big files."""
        self.count_tail(block, tail)
        self.index_all(block)

    def count_tail(self, block: int = INDEX_BLOCK, tail: int = TAIL_BYTES) -> None:
        """Count the lines and index the last ``tail`` bytes' lines: the newest lines can be
        read from then on (``count`` is set). Counting is ``bytearray.count`` over one
        reused buffer (C, about 0.05 s per 100 MB, no new bytes object a block)."""
        total = self._count_lines(max(block, COUNT_BLOCK))
        self._index_tail(total, tail)
        self.count = total

    def index_all(self, block: int = INDEX_BLOCK) -> None:
        """Index every line from the start (after ``count_tail``)."""
        pos = 0
        while pos < self.size:
            chunk = os.pread(self._fd, block, pos)
            if not chunk:
                break
            self._starts.extend([pos + hit.end() for hit in _NEWLINE.finditer(chunk)])
            pos += len(chunk)
            # Lines complete so far: those followed by a newline (the last may be cut).
            self._prefix = len(self._starts) - 1
            self.indexed = pos
        if self._starts[-1] < self.size:  # a last line without a newline
            self._starts.append(self.size)
            self._prefix = len(self._starts) - 1
        self.count = self._prefix
        self.done = True

    def _count_lines(self, block: int) -> int:
        buf = bytearray(min(block, max(1, self.size)))
        newlines, pos, last = 0, 0, b"\n"
        while pos < self.size:
            got = os.preadv(self._fd, [buf], pos)
            if not got:
                break
            newlines += buf.count(b"\n", 0, got)
            last = bytes(buf[got - 1:got])
            pos += got
        return newlines + (last != b"\n")

    def _index_tail(self, total: int, tail: int) -> None:
        start = max(0, self.size - tail)
        data = os.pread(self._fd, self.size - start, start)
        starts = [start + hit.end() for hit in _NEWLINE.finditer(data)]
        if start == 0:
            starts.insert(0, 0)
        elif not starts:
            return  # one line longer than the tail: read once indexed
        if starts[-1] < self.size:
            starts.append(self.size)
        self._tail = array("Q", starts)
        self._tail_first = total - (len(starts) - 1) + 1

    def ready(self, number: int) -> bool:
        """Whether line ``number`` can be read yet (indexed from the start, or in the tail)."""
        return 1 <= number <= self._prefix or (
            self._tail_first <= number <= self.count and len(self._tail) > 1)

    def raw(self, number: int) -> bytes:
        """Line ``number`` (1-based) without its line end (IndexError: not indexed yet)."""
        if 1 <= number <= self._prefix:
            start, stop = self._starts[number - 1], self._starts[number]
        elif self.ready(number):
            i = number - self._tail_first
            start, stop = self._tail[i], self._tail[i + 1]
        else:
            raise IndexError(f"line {number} of {self.path.name} is not indexed "
                             f"(1..{self._prefix} so far of {self.count})")
        return os.pread(self._fd, stop - start, start).rstrip(b"\r\n")

    def raw_in(self, block: bytes, base: int, number: int) -> bytes:
        """``raw(number)`` cut from ``block``, the file's bytes from ``base`` holding the line
        (indexed from the start): no read."""
        start, stop = self._starts[number - 1] - base, self._starts[number] - base
        return block[start:stop].rstrip(b"\r\n")

    def text(self, number: int) -> str:
        """Line ``number`` decoded as the replay decodes it (invalid UTF-8 replaced)."""
        return self.raw(number).decode("utf-8", errors="replace")

    def number_at(self, offset: int) -> int:
        """The number of the line holding byte ``offset`` (an indexed part of the file)."""
        from bisect import bisect_right

        return bisect_right(self._starts, offset, 0, self._prefix + 1)

    def start_of(self, number: int) -> int:
        """Byte offset where line ``number`` starts."""
        return self._starts[number - 1]

    def block(self, start: int, stop: int) -> bytes:
        """The file's bytes ``start:stop``."""
        return os.pread(self._fd, stop - start, start) if stop > start else b""

    def close(self) -> None:
        self._fh.close()
