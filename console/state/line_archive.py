"""The kernel log store's spill file: entries that left memory, re-readable by sequence number.

The store keeps only its newest lines in memory; each line it evicts is appended here as one
JSON record (ASCII only: ``ensure_ascii`` keeps journal bytes held as surrogate escapes, and
makes byte offsets safe). An index of byte offsets (8 bytes a line, in an ``array``) finds a
record, and reads go through an ``mmap`` of the file, so scrolling back touches only the pages
of the lines on screen (the approach of toolong). The file is an anonymous temporary file
(nothing is left behind when the console exits) in the user's cache folder rather than /tmp,
which is a RAM-backed tmpfs on many systems and would defeat the point.

Thread safety: one lock around appends and reads, so that a view can be rebuilt in a worker
thread (a text filter over the whole archive) while the pipeline keeps appending.

Why our own file rather than the recording or the replayed log: a live session need not record
at all, recordings may be gzip (no random access), and a record here carries what parsing found
(episode, severity, times), which re-reading the raw source would have to recompute.
"""

from __future__ import annotations

import json
import mmap
import tempfile
import threading
from array import array
from collections import OrderedDict
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

import platformdirs

from labconsole.model.kernel_line import KernelLine

_CACHE = 4096  # decoded records kept: a few screens of scrolling back and forth
_PENDING = 512  # records encoded and written together (one write, one encoder)
# One encoder for every record (``json.dumps`` with separators builds a new one per call).
_encode = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode


class ArchiveError(RuntimeError):
    """A record could not be read back (the spill file is damaged or was truncated)."""


class LineArchive:
    """Append-only records numbered ``base``, ``base + 1``, ...; random reads by number."""

    def __init__(self, base: int, directory: Path | str | None = None) -> None:
        """``directory`` None: the user cache folder, else the system temp folder."""
        self.base = base
        if directory is None:
            directory = default_directory()
        # Lives as long as the archive (closed by close()); the OS deletes it on close or exit.
        self._fh: IO[bytes] = tempfile.TemporaryFile(  # noqa: SIM115
            prefix="labconsole-log-", dir=directory)
        self._offsets = array("Q")
        self._size = 0
        self._map: mmap.mmap | None = None
        self._mapped = 0
        self._raw_cache: OrderedDict[int, list[Any]] = OrderedDict()
        self._pending: list[list[Any]] = []  # appended, not yet encoded and written
        self._punched = 0  # bytes at the start of the file whose disk blocks were given back
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._offsets) + len(self._pending)

    @property
    def end(self) -> int:
        """One past the last number stored."""
        return self.base + len(self)

    @property
    def size(self) -> int:
        """Bytes on disk (records still pending not counted)."""
        return self._size

    def append(self, fields: list[Any]) -> int:
        """Store one record (JSON-able fields); returns its number. Records are encoded and
        written in groups of ``_PENDING`` (or when one of them is read), which costs a
        flood of lines one ``write`` per group instead of one per line."""
        with self._lock:
            self._pending.append(fields)
            number = self.end - 1
            if len(self._pending) >= _PENDING:
                self._flush()
            return number

    def _flush(self) -> None:
        """Encode and write the pending records (under the lock). A record that cannot be
        encoded is written as ``null`` (read back as damaged), never lost from the count."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        chunks: list[bytes] = []
        offsets = array("Q")
        size = self._size
        for fields in pending:
            try:
                data = _encode(fields).encode("ascii") + b"\n"
            except (TypeError, ValueError):
                data = b"null\n"
            offsets.append(size)
            size += len(data)
            chunks.append(data)
        self._fh.write(b"".join(chunks))  # OSError: these records are lost, the count says so
        self._offsets.extend(offsets)
        self._size = size

    def drop_before(self, number: int) -> None:
        """Forget the records before ``number`` (reads of them raise IndexError). Their
        bytes stay in the file at their offsets, so nothing is moved; where the system can,
        the disk blocks under them are given back (``punch_hole``)."""
        with self._lock:
            cut = min(number - self.base, len(self))
            if cut <= 0:
                return
            written = len(self._offsets)
            if cut > written:
                del self._pending[:cut - written]
            end = self._offsets[cut] if cut < written else self._size
            del self._offsets[:cut]
            self.base += cut
            for old in [n for n in self._raw_cache if n < self.base]:
                del self._raw_cache[old]
            if end - self._punched >= _PUNCH_STEP:
                self._fh.flush()
                self._punched = punch_hole(self._fh.fileno(), self._punched, end)

    def flush(self) -> None:
        """Encode and write the pending records now, and hand the file's buffer to the OS."""
        with self._lock:
            self._flush()
            self._fh.flush()

    def fields(self, number: int) -> list[Any]:
        """The fields of record ``number`` (raises IndexError outside the archive)."""
        with self._lock:
            if self._pending and number >= self.base + len(self._offsets):
                try:
                    self._flush()
                except OSError as exc:
                    raise ArchiveError(f"spill file cannot be written: {exc}") from exc
            return self._fields(number)

    def _fields(self, number: int) -> list[Any]:
        index = number - self.base
        if not 0 <= index < len(self._offsets):
            raise IndexError(f"record {number} is not in the archive ({self.base}..{self.end})")
        cached = self._raw_cache.get(number)
        if cached is not None:
            self._raw_cache.move_to_end(number)
            return cached
        start = self._offsets[index]
        stop = self._offsets[index + 1] if index + 1 < len(self._offsets) else self._size
        view = self._view(stop)
        try:
            value = json.loads(view[start:stop - 1])
        except ValueError as exc:
            raise ArchiveError(f"record {number} at byte {start} is damaged: {exc}") from exc
        if not isinstance(value, list):
            raise ArchiveError(f"record {number} at byte {start} is not a list")
        self._raw_cache[number] = value
        if len(self._raw_cache) > _CACHE:
            self._raw_cache.popitem(last=False)
        return value

    def _view(self, needed: int) -> mmap.mmap:
        """The mapping, remapped after appends: writes are buffered until a read needs them."""
        if self._map is None or self._mapped < needed:
            if self._map is not None:
                self._map.close()
                self._map = None
            try:
                self._fh.flush()
                self._map = mmap.mmap(self._fh.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError) as exc:  # ValueError: an empty file cannot be mapped
                raise ArchiveError(f"spill file cannot be mapped: {exc}") from exc
            self._mapped = len(self._map)
            if self._mapped < needed:
                raise ArchiveError(f"spill file is {self._mapped} bytes, {needed} expected")
        return self._map

    def close(self) -> None:
        with self._lock:
            if self._map is not None:
                self._map.close()
                self._map = None
            self._fh.close()


_PUNCH_STEP = 16 << 20  # give disk blocks back 16 MiB at a time
_FALLOC_FL_KEEP_SIZE = 0x01
_FALLOC_FL_PUNCH_HOLE = 0x02
_fallocate: Any = None  # libc's fallocate, looked up once (False: not available here)


def punch_hole(fd: int, start: int, end: int) -> int:
    """Give back the disk blocks of bytes ``start..end`` of the file (Linux
    ``fallocate(FALLOC_FL_PUNCH_HOLE)``; the file keeps its size and offsets, those bytes
    read as zeros). Returns how far the file is now punched: ``end``, or ``start`` where the
    system cannot (then the spill file grows with the lines taken in, as it did before)."""
    global _fallocate
    if _fallocate is None:
        _fallocate = _libc_fallocate()
    if _fallocate is False or end <= start:
        return start
    done = _fallocate(fd, _FALLOC_FL_PUNCH_HOLE | _FALLOC_FL_KEEP_SIZE, start, end - start)
    return end if done == 0 else start


def _libc_fallocate() -> Any:
    try:
        import ctypes
        import ctypes.util

        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.fallocate
    except (OSError, AttributeError):
        return False
    fn.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64)
    fn.restype = ctypes.c_int
    return fn


def default_directory() -> Path | None:
    """The user cache folder (made if missing), or None (the system temp folder) if unusable."""
    try:
        path = platformdirs.user_cache_path("labconsole")
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path


# KernelLine <-> record fields. Positional lists keep the file small; the order is fixed here.

_last_iso: tuple[datetime | None, str | None] = (None, None)


def iso(t: datetime | None) -> str | None:
    """``t.isoformat()``; the last answer is kept: a log's lines share their times (the
    store's and the line's time are one object, lines of one second one object)."""
    global _last_iso
    last, text = _last_iso
    if t is last:
        return text
    text = None if t is None else t.isoformat()
    _last_iso = (t, text)
    return text


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def encode_line(line: KernelLine) -> list[Any]:
    """The line's fields in a fixed order. The message, nearly always the end of the raw
    line, is written as where it starts in it (a number) then: half the text to encode."""
    raw, message = line.raw, line.message
    cut = len(raw) - len(message)
    return [raw, cut if cut >= 0 and raw.endswith(message) else message, line.lineno,
            iso(line.time), line.uptime, line.host, line.facility, line.priority,
            line.driver, line.device, line.pci, line.continuation, line.is_kernel, line.app,
            line.headed]


def decode_line(f: list[Any]) -> KernelLine:
    raw, message = f[0], f[1]
    return KernelLine(raw=raw, message=raw[message:] if type(message) is int else message,
                      lineno=f[2], time=_time(f[3]), uptime=f[4], host=f[5], facility=f[6],
                      priority=f[7], driver=f[8], device=f[9], pci=f[10], continuation=f[11],
                      is_kernel=f[12], app=f[13] if len(f) > 13 else None,
                      headed=f[14] if len(f) > 14 else True)


def timestamp(t: datetime) -> float:
    """Seconds since the epoch (times without a zone count as UTC, as everywhere on screen)."""
    return (t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)).timestamp()
