"""Open a scan input (path, gzip'd path or stdin) as a stream of text lines plus its head."""

from __future__ import annotations

import io
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from labconsole.sources.plain_or_gzip import GZIP_MAGIC

# How much of an input the content sniffers see.
HEAD_BYTES = 64 * 1024
# Read size of the block scan: big enough that per-read costs vanish, small enough for RSS.
BLOCK_BYTES = 1 << 20


class InputError(OSError):
    """An input that cannot be read at all (missing, a directory, no permission, bad gzip)."""


@dataclass(slots=True)
class OpenedInput:
    """A readable binary stream whose first ``HEAD_BYTES`` are already known."""

    head: bytes
    stream: BinaryIO
    # Set when the input broke off inside the head (e.g. a truncated gzip): what was read
    # before it is still scanned, and the scan reports this.
    head_error: str | None = None

    def head_text(self) -> str:
        return self.head.decode("utf-8", errors="replace")

    def lines(self) -> Iterator[str]:
        """Every line of the input without its line terminator.

        Decoded per line with ``surrogateescape``: a stray invalid byte costs nothing else, and
        binary fields keep their exact bytes (``journalctl -o export`` prefixes them with an
        8-byte length that "replace" would destroy). Writers must encode output with
        ``errors="replace"``.
        """
        reader = io.BufferedReader(_Prepend(self.head, self.stream), buffer_size=1 << 20)
        for raw in reader:
            yield raw.decode("utf-8", errors="surrogateescape").rstrip("\r\n")


    def blocks(self, size: int | None = None) -> Iterator[bytes]:
        """The whole input as binary chunks of at most ``size`` bytes (default
        ``BLOCK_BYTES``; the head first), read from the stream without seeking
        (stdin and gzip are streams). A read error (truncated gzip) propagates to the caller
        after every chunk read before it."""
        size = size or BLOCK_BYTES
        for at in range(0, len(self.head), size):
            yield self.head[at:at + size]
        while chunk := self.stream.read(size):
            yield chunk


class _Prepend(io.RawIOBase):
    """A raw stream that first returns ``head`` then the rest of ``stream``."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = memoryview(head)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._stream.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n


class _Gunzip(io.RawIOBase):
    """Streaming gunzip that hands out everything decodable before a truncation.

    ``gzip.GzipFile`` raises on a cut-off file without returning the data it already
    decompressed; a log rotated mid-write is exactly what an operator scans, so this keeps the
    readable part and raises only at the point where the stream breaks. Multi-member files
    (``cat a.gz b.gz``) are followed member by member.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._z = zlib.decompressobj(wbits=31)
        self._pending = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending and not self._done:
            self._fill()
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def _fill(self) -> None:
        chunk = self._raw.read(1 << 16)
        if not chunk:
            self._done = True
            if not self._z.eof:
                raise EOFError("compressed file ended before the end-of-stream marker")
            return
        try:
            self._pending = self._z.decompress(chunk)
        except zlib.error as exc:
            self._done = True
            raise OSError(f"corrupt gzip data: {exc}") from exc
        while self._z.eof and self._z.unused_data:
            rest = self._z.unused_data
            self._z = zlib.decompressobj(wbits=31)
            self._pending += self._z.decompress(rest)


def _read_head(stream: BinaryIO) -> tuple[bytes, str | None]:
    chunks: list[bytes] = []
    size = 0
    error = None
    while size < HEAD_BYTES:
        try:
            chunk = stream.read(min(HEAD_BYTES - size, 8192))
        except (OSError, EOFError) as exc:  # truncated or corrupt gzip
            error = str(exc)
            break
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks), error


@contextmanager
def open_input(path: str) -> Iterator[OpenedInput]:
    """Open ``path`` ("-" is stdin); gzip is recognised by its magic bytes, not the name."""
    raw: BinaryIO
    try:
        raw = sys.stdin.buffer if path == "-" else Path(path).open("rb")  # noqa: SIM115
    except IsADirectoryError as exc:
        raise InputError(f"{path}: is a directory") from exc
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file") from exc
    except PermissionError as exc:
        raise InputError(f"{path}: permission denied") from exc
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from exc
    try:
        stream: BinaryIO = raw
        try:
            magic = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
        except OSError as exc:
            raise InputError(f"{path}: {exc.strerror or exc}") from exc
        if magic == GZIP_MAGIC:
            stream = _Gunzip(raw)  # type: ignore[assignment]
        head, error = _read_head(stream)
        if error is not None and not head:
            raise InputError(f"{path}: cannot read: {error}")
        if error is not None:
            stream = io.BytesIO()  # nothing readable after the break
        yield OpenedInput(head=head, stream=stream, head_error=error)
    finally:
        if raw is not sys.stdin.buffer:
            raw.close()
