"""Bytes to syslog messages: the framing half of a syslog listener, pure and incremental.

TCP (RFC 6587) carries either octet-counted frames (``<len> <PRI>...``) or non-transparent
frames ended by LF, CRLF or NUL. :class:`StreamFramer` tells them apart frame by frame: a frame
is octet-counted when it starts with a decimal length (no leading zero), one space and ``<``
(every RFC 5424/3164 message starts with ``<PRI>``). Requiring the ``<`` keeps a newline-framed
line that happens to start with digits (``2026-07-17T10:51:14+02:00 relay ...`` or
``5 packets lost``) from being read as a length. A sender that switches framing mid-connection
is therefore handled too.

Nothing here raises on bad input or buffers without bound: a frame longer than
``max_message`` is counted as oversized and skipped (octet-counted: exactly its length;
newline-framed: up to the next terminator), a frame holding control bytes (say a TLS
handshake sent to the plain port) is counted as garbage and dropped, and text is decoded as
UTF-8 with ``errors="replace"``. UDP is simpler: one datagram is one message
(:class:`DatagramDecoder`).

Hand-written: the standard library has no syslog receiver, and the listener libraries on the
package index either own the socket (so they cannot be fed recorded bytes) or do not
implement octet counting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

DEFAULT_MAX_MESSAGE = 64 * 1024
_MAX_COUNT_DIGITS = 9  # a length of 10 digits would be over any sane max_message anyway
_TERMINATORS = re.compile(rb"[\n\x00]")
_TRAILING = b"\r\n\x00"
# Control bytes that never occur in a syslog text message (TAB, LF and CR may).
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(slots=True)
class FramingStats:
    """What a framer delivered and what it dropped, by reason."""

    messages: int = 0
    oversized: int = 0
    garbage: int = 0
    truncated: int = 0  # an octet-counted frame cut short by the end of the connection

    @property
    def dropped(self) -> int:
        return self.oversized + self.garbage + self.truncated


class _State(Enum):
    START = "start"  # between frames
    COUNT = "count"  # reading the digits of an octet count
    COUNT_SPACE = "count_space"  # read "<digits> ", waiting for "<"
    BODY = "body"  # reading an octet-counted body
    LINE = "line"  # reading a newline/NUL-terminated frame
    SKIP_BODY = "skip_body"  # discarding an oversized octet-counted body
    SKIP_LINE = "skip_line"  # discarding an oversized line up to its terminator


def _decode(frame: bytes, stats: FramingStats) -> str | None:
    """Text of one frame, or None when it is empty (not counted) or garbage (counted)."""
    frame = frame.rstrip(_TRAILING)
    if not frame:
        return None
    if _CONTROL.search(frame):
        stats.garbage += 1
        return None
    stats.messages += 1
    return frame.decode("utf-8", errors="replace")


class StreamFramer:
    """One TCP connection's byte stream -> syslog messages; feed chunks as they arrive."""

    def __init__(self, max_message: int = DEFAULT_MAX_MESSAGE) -> None:
        if max_message < 1:
            raise ValueError(f"max_message must be positive, got {max_message}")
        self.max_message = max_message
        self.stats = FramingStats()
        self._state = _State.START
        self._buf = bytearray()
        self._need = 0

    @property
    def buffered(self) -> int:
        """Bytes held for an unfinished frame (never more than ``max_message + 2``)."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[str]:
        """Messages completed by this chunk, in order (possibly none)."""
        out: list[str] = []
        pos = 0
        while pos < len(data):
            pos = self._step(data, pos, out)
        return out

    def close(self) -> list[str]:
        """End of connection: deliver a last unterminated line; count a cut-short body."""
        out: list[str] = []
        if self._state in (_State.LINE, _State.COUNT, _State.COUNT_SPACE):
            if len(self._buf.rstrip(b"\r")) > self.max_message:
                self.stats.oversized += 1
            else:
                self._emit(out)
        elif self._state is _State.BODY:
            self.stats.truncated += 1
        self._reset()
        return out

    def _reset(self) -> None:
        self._state = _State.START
        self._buf.clear()
        self._need = 0

    def _emit(self, out: list[str]) -> None:
        message = _decode(bytes(self._buf), self.stats)
        if message is not None:
            out.append(message)
        self._reset()

    def _step(self, data: bytes, pos: int, out: list[str]) -> int:
        """Consume some bytes of ``data`` from ``pos`` in the current state; return new pos."""
        state = self._state
        if state is _State.START:
            return self._start(data, pos)
        if state is _State.COUNT:
            return self._count(data, pos)
        if state is _State.COUNT_SPACE:
            return self._count_space(data, pos)
        if state is _State.BODY:
            return self._body(data, pos, out)
        if state is _State.SKIP_BODY:
            take = min(self._need, len(data) - pos)
            self._need -= take
            if self._need == 0:
                self._reset()
            return pos + take
        if state is _State.SKIP_LINE:
            found = _TERMINATORS.search(data, pos)
            if found is None:
                return len(data)
            self._reset()
            return found.end()
        return self._line(data, pos, out)

    def _start(self, data: bytes, pos: int) -> int:
        byte = data[pos]
        if byte in _TRAILING:
            return pos + 1  # empty frame or a stray separator
        if 0x31 <= byte <= 0x39:  # 1-9: maybe an octet count
            self._state = _State.COUNT
            self._buf.append(byte)
            return pos + 1
        self._state = _State.LINE
        return pos

    def _count(self, data: bytes, pos: int) -> int:
        byte = data[pos]
        if 0x30 <= byte <= 0x39 and len(self._buf) < _MAX_COUNT_DIGITS:
            self._buf.append(byte)
            return pos + 1
        if byte == 0x20:
            self._state = _State.COUNT_SPACE
            return pos + 1
        self._state = _State.LINE  # digits then something else: a plain line
        return pos

    def _count_space(self, data: bytes, pos: int) -> int:
        if data[pos] != ord("<"):
            self._buf.append(0x20)
            self._state = _State.LINE
            return pos
        length = int(self._buf)
        self._buf.clear()
        self._need = length
        if length > self.max_message:
            self.stats.oversized += 1
            self._state = _State.SKIP_BODY
        else:
            self._state = _State.BODY
        return pos

    def _body(self, data: bytes, pos: int, out: list[str]) -> int:
        take = min(self._need, len(data) - pos)
        self._buf += data[pos : pos + take]
        self._need -= take
        if self._need == 0:
            self._emit(out)
        return pos + take

    def _line(self, data: bytes, pos: int, out: list[str]) -> int:
        found = _TERMINATORS.search(data, pos)
        end = found.start() if found else len(data)
        # Keep at most max_message + 2 bytes (room for a CR before the LF, plus one byte that
        # proves the line too long): the verdict then depends only on those bytes, so it is
        # the same however the stream was chunked.
        room = self.max_message + 2 - len(self._buf)
        self._buf += data[pos : min(end, pos + room)]
        too_long = len(self._buf) > self.max_message + 1 or (
            found is not None and len(self._buf.rstrip(b"\r")) > self.max_message
        )
        if too_long:
            self.stats.oversized += 1
            self._reset()
            if found is None:
                self._state = _State.SKIP_LINE
                return len(data)
            return found.end()
        if found is None:
            return len(data)
        self._emit(out)
        return found.end()


class DatagramDecoder:
    """UDP syslog: one datagram is one message; counts what it drops."""

    def __init__(self, max_message: int = DEFAULT_MAX_MESSAGE) -> None:
        if max_message < 1:
            raise ValueError(f"max_message must be positive, got {max_message}")
        self.max_message = max_message
        self.stats = FramingStats()

    def decode(self, datagram: bytes) -> str | None:
        """The message text, or None for an empty, oversized or garbage datagram."""
        if len(datagram.rstrip(_TRAILING)) > self.max_message:
            self.stats.oversized += 1
            return None
        return _decode(datagram, self.stats)
