"""Text stream -> lines, with a hard cap on line length (for the SSH line readers).

A remote command that prints megabytes without a newline (binary junk, a runaway process) must
not be buffered until a newline comes: a line reaching ``max_line`` characters is emitted at
once, cut, with :data:`TRUNCATION_MARK` appended so the reader sees that it was cut, and the
rest up to the next newline is dropped and counted. Memory per stream is bounded by
``max_line`` whatever arrives. Hand-written because asyncssh's ``readline`` only stops at its
receive window (megabytes) and then returns the partial line unmarked.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MAX_LINE = 16384  # printk lines are < 1 KiB; the kernel log reader's own cap
TRUNCATION_MARK = " [... line truncated by labconsole]"


@dataclass
class LineSplitter:
    """Feed text chunks as they arrive; get whole lines (without ``\\n``; ``\\r`` stripped)."""

    max_line: int = DEFAULT_MAX_LINE
    truncated: int = 0  # lines cut
    dropped_chars: int = 0  # characters dropped from cut lines

    def __post_init__(self) -> None:
        if self.max_line < 1:
            raise ValueError(f"max_line must be positive, got {self.max_line}")
        self._buf: list[str] = []
        self._len = 0
        self._skipping = False

    @property
    def buffered(self) -> int:
        """Characters held for an unfinished line (never more than ``max_line``)."""
        return self._len

    def feed(self, chunk: str) -> list[str]:
        out: list[str] = []
        pos = 0
        while pos < len(chunk):
            end = chunk.find("\n", pos)
            piece = chunk[pos:] if end < 0 else chunk[pos:end]
            self._take(piece, out)
            if end < 0:
                break
            self._end_line(out)
            pos = end + 1
        return out

    def close(self) -> list[str]:
        """End of stream: the unfinished last line, if any."""
        out: list[str] = []
        if self._len and not self._skipping:
            out.append(self._flush())
        self._reset()
        return out

    def _take(self, piece: str, out: list[str]) -> None:
        if self._skipping:
            self.dropped_chars += len(piece)
            return
        room = self.max_line - self._len
        if len(piece) <= room:
            self._buf.append(piece)
            self._len += len(piece)
            return
        self._buf.append(piece[:room])
        self.dropped_chars += len(piece) - room
        self.truncated += 1
        out.append(self._flush() + TRUNCATION_MARK)
        self._skipping = True

    def _end_line(self, out: list[str]) -> None:
        if not self._skipping:
            out.append(self._flush())
        self._reset()

    def _flush(self) -> str:
        line = "".join(self._buf).rstrip("\r")
        self._buf, self._len = [], 0
        return line

    def _reset(self) -> None:
        self._buf, self._len, self._skipping = [], 0, False
