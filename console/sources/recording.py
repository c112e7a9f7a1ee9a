"""Append-only JSONL recordings of pipeline events, and reading them back.

Durability (what a crash or a full disk can cost):

- One event per line (``Event.to_json()``), each line handed to the kernel in one ``write`` on
  an ``O_APPEND`` descriptor: there is no user-space buffer, so ``kill -9`` loses at most the
  line being written (a partial last line), never a complete one.
- ``fsync`` runs when ``fsync_interval`` seconds (default 1 s, on an injectable monotonic
  clock) have passed since the last one or ``fsync_every`` events are unsynced, whichever comes
  first, and on :meth:`Recorder.close` (the pipeline closes it on exit) and on rotation. Per
  event would cost a disk flush per kernel line during a hang storm; a second bounds what a
  power cut can take. :meth:`Recorder.sync_if_due` lets a ticker sync a quiet recorder.
  With ``sync_thread`` (the console's recorders) a due fsync runs in a thread, one at a
  time, so that the event loop never waits for the disk; ``close`` waits for it.
- A failed write (disk full, I/O error) is undone (the file is cut back to its last complete
  line), counted in ``outage.lost`` and raised; the next write tries again. The first write that
  succeeds after an outage is preceded, in the same ``write``, by a ``ConnectionChange`` from
  source ``recorder`` saying how many events are missing, so a replay shows the gap.

Reading tolerates exactly that damage: a truncated or otherwise undecodable line (also one
nested too deeply for the JSON decoder) is skipped and reported with its line number, never a
crash; a gzip stream cut short yields every line before the damage, then reports it.
Recordings may be gzip-compressed (``.gz``), which is how the bundled demo ships.

Rotation: when the current file would exceed ``max_bytes``, or (with ``max_age``) holds events
older than that many seconds of wall time, it is renamed to ``NAME.1`` (older ones shift to
``.2`` ... ``.backups``) and a fresh file is started, so a console or watcher left running for
weeks keeps a bounded amount of disk and a recording per day (or hour) is easy to find. The
age of a file the recorder did not start is counted from its last rotation (the mtime of
``NAME.1``), else from when the recorder opened it.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import json
import os
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from labconsole.config.redact import redact
from labconsole.events import ConnectionChange, Event, KernelText, event_from_json
from labconsole.sources.plain_or_gzip import open_binary

MAX_LINE = 16 * 1024 * 1024  # longest recording line read back (a PVE API body is ~100 KiB)
RECORDER_SOURCE = "recorder"  # source name of the recorder's own ConnectionChange events

# What reading a damaged gzip stream raises (BadGzipFile is an OSError, named for clarity).
_GZIP_DAMAGE: tuple[type[Exception], ...] = (EOFError, gzip.BadGzipFile, zlib.error)

WriteFn = Callable[[int, bytes], int]
SyncFn = Callable[[int], None]


class UnrecordableEvent(ValueError):
    """An event that has no JSON line (a value JSON cannot hold): it is not recorded."""


@dataclass(frozen=True, slots=True)
class RecordingError:
    """A line of a recording that could not be read back (reported, then skipped)."""

    path: str
    lineno: int
    reason: str
    ends_input: bool = False  # nothing after this line could be read (a truncated .gz)

    def __str__(self) -> str:
        return f"{self.path}:{self.lineno}: {self.reason}"


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event read back from a recording, with where it came from (for re-reading)."""

    event: Event
    lineno: int
    offset: int


@dataclass(slots=True)
class RecordingOutage:
    """The recorder cannot write: why, and how many events it has not recorded since."""

    reason: str
    lost: int = 0

    def problem(self) -> str:
        """One line for the status bar: ``rec: disk full, 12 events not recorded``."""
        return f"rec: {self.reason}, {self.lost} event{'s' * (self.lost != 1)} not recorded"


def describe_os_error(exc: OSError) -> str:
    """Short words for why a write failed (``disk full`` for ENOSPC and EDQUOT)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "disk full"
    return exc.strerror or type(exc).__name__


class Recorder:
    """Append-only JSONL writer: one ``write`` per event, fsync on an interval, rotation,
    and recovery from a full disk (see the module docstring for the guarantees).

    ``write_fn`` and ``fsync_fn`` are the system calls used (``os.write``/``os.fsync``),
    injectable so that a test can fill the disk or count the syncs without root.
    """

    def __init__(self, path: str | Path, *, max_bytes: int = 64 * 1024 * 1024,
                 backups: int = 3, fsync_interval: float = 1.0, fsync_every: int = 256,
                 clock: Callable[[], float] = time.monotonic, write_fn: WriteFn = os.write,
                 fsync_fn: SyncFn = os.fsync, max_age: float | None = None,
                 wall: Callable[[], float] = time.time, sync_thread: bool = False) -> None:
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, got {max_bytes}")
        if backups < 0:
            raise ValueError(f"backups must be >= 0, got {backups}")
        if fsync_interval < 0 or fsync_every < 1:
            raise ValueError(f"fsync_interval must be >= 0 and fsync_every >= 1, got "
                             f"{fsync_interval} and {fsync_every}")
        self.path = Path(path)
        self.max_bytes = max_bytes
        if max_age is not None and max_age <= 0:
            raise ValueError(f"max_age must be positive, got {max_age}")
        self.max_age = max_age
        self._wall = wall
        self._born = 0.0  # wall time the current file was started (for max_age)
        self.backups = backups
        self.fsync_interval = fsync_interval
        self.fsync_every = fsync_every
        self.written = 0  # events on disk (the recorder's own notices not counted)
        self.lost = 0  # events never recorded, over the recorder's life
        self.syncs = 0
        self.outage: RecordingOutage | None = None
        self._clock = clock
        self._write_fn = write_fn
        self._fsync_fn = fsync_fn
        self._fd: int | None = None
        self._size = 0
        self._unsynced = 0
        self._synced_at = 0.0
        self._cut = False  # a partial line could not be removed: start the next on its own
        # ``sync_thread``: a due fsync runs in a thread of its own, so that the caller (the
        # console's event loop) does not wait for the disk (see ``sync_if_due``).
        self.sync_thread = sync_thread
        self._pool: ThreadPoolExecutor | None = None
        self._syncing: Future[None] | None = None
        self._syncing_events = 0  # the events the running fsync covers

    @property
    def unsynced(self) -> int:
        """Events written to the kernel whose fsync has not started yet."""
        return self._unsynced

    def _open(self) -> int:
        if self._fd is None:
            # Private: a recording holds node logs and API answers (issue 19 item 6).
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC,
                         0o600)
            size = os.fstat(fd).st_size
            self._fd, self._size, self._synced_at = fd, size, self._clock()
            self._cut = size > 0 and not _ends_with_newline(self.path, size)
            self._born = self._wall()
            if size > 0:
                with contextlib.suppress(OSError):
                    self._born = self.path.with_name(f"{self.path.name}.1").stat().st_mtime
        return self._fd

    def _rotate(self) -> None:
        self.close()
        if self.backups == 0:
            self.path.unlink(missing_ok=True)
            return
        for n in range(self.backups - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{n}")
            if older.exists():
                older.replace(self.path.with_name(f"{self.path.name}.{n + 1}"))
        self.path.replace(self.path.with_name(f"{self.path.name}.1"))

    def write(self, event: Event) -> ConnectionChange | None:
        """Append one event as one line (one ``write``), fsync when due.

        Raises OSError when it cannot (the event is counted in ``outage.lost``) and
        UnrecordableEvent for an event with no JSON form (counted in ``lost`` only: the disk
        is fine). When this write ends an outage, the notice of the gap written just before
        the event is returned, so that the caller can show it too.
        """
        try:
            line = _line(event)
        except UnrecordableEvent:
            self.lost += 1
            raise
        notice = self._resume_notice(event)
        data = line if notice is None else _line(notice) + line
        try:
            self._append(data)
        except OSError as exc:
            if self.outage is None:
                self.outage = RecordingOutage(describe_os_error(exc))
            self.outage.lost += 1
            self.lost += 1
            raise
        self.outage = None
        self.written += 1
        self._unsynced += 1
        self.sync_if_due()
        return notice

    def write_many(self, events: Sequence[Event]) -> bool:
        """``write`` of each event with one ``write`` call for all, when nothing is amiss:
        returns False, having written nothing, during an outage, for an event with no JSON
        form or when the write fails (the caller then writes them one by one, which counts
        and reports each as ``write`` does)."""
        if self.outage is not None:
            return False
        try:
            data = _lines(events)
        except UnrecordableEvent:
            return False
        try:
            self._append(data)
        except OSError:
            return False  # _append cut what it wrote; one by one says why and counts
        self.written += len(events)
        self._unsynced += len(events)
        self.sync_if_due()
        return True

    def _resume_notice(self, event: Event) -> ConnectionChange | None:
        if self.outage is None:
            return None
        lost = self.outage.lost
        return ConnectionChange(
            at=event.at, source=RECORDER_SOURCE, node=None, state="connected",
            detail=f"recording resumed after {self.outage.reason}: {lost} "
                   f"event{'s' * (lost != 1)} not recorded")

    def _append(self, data: bytes) -> None:
        fd = self._open()
        if self._size > 0 and (self._size + len(data) > self.max_bytes or self._too_old()):
            self._rotate()
            fd = self._open()
        if self._cut:
            data = b"\n" + data
        done = 0
        try:
            while done < len(data):  # a short write is not an error yet: the next one says why
                done += self._write_fn(fd, data[done:])
        except OSError:
            if done:
                self._undo(fd)
            raise
        self._size += len(data)
        self._cut = False

    def _too_old(self) -> bool:
        return self.max_age is not None and self._wall() - self._born >= self.max_age

    def _undo(self, fd: int) -> None:
        """Cut a half-written line off again; if even that fails, the next line starts fresh."""
        try:
            os.ftruncate(fd, self._size)
        except OSError:
            self._size = os.fstat(fd).st_size
            self._cut = True

    def sync_if_due(self) -> bool:
        """fsync if the interval has passed or enough events wait; True if it synced (with
        ``sync_thread``: started an fsync in the thread; one runs at a time, and an fsync
        that failed there raises here, as a failed fsync in ``sync`` does).

        Why a thread: in a flood of 30,000 lines a second the count (``fsync_every``) is due
        about 100 times a second, and each fsync waits for the disk (1-5 ms measured on a
        shared machine: a fifth of the console's time was spent waiting in it). The thread
        waits instead; the policy (when a sync starts, what a power cut can take) is the same,
        plus the time one fsync takes."""
        if self._syncing is not None:
            if not self._syncing.done():
                return False
            self._sync_done()
        if not self._unsynced or self._fd is None:
            return False
        if (self._unsynced < self.fsync_every
                and self._clock() - self._synced_at < self.fsync_interval):
            return False
        if not self.sync_thread:
            self.sync()
            return True
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rec-fsync")
        self._syncing = self._pool.submit(self._fsync_fn, self._fd)
        self._syncing_events, self._unsynced = self._unsynced, 0
        self._synced_at = self._clock()
        self.syncs += 1
        return True

    def _sync_done(self) -> None:
        """Collect the thread's fsync (waiting for it if it still runs): the events it
        covered count as unsynced again when it failed, and its error is raised."""
        syncing, self._syncing = self._syncing, None
        if syncing is None:
            return
        try:
            syncing.result()
        except OSError:
            self._unsynced += self._syncing_events
            raise
        finally:
            self._syncing_events = 0

    def sync(self) -> None:
        """fsync now (a no-op when nothing is waiting), after the thread's fsync if one runs."""
        self._sync_done()
        if self._fd is None or not self._unsynced:
            return
        self._fsync_fn(self._fd)
        self._unsynced = 0
        self._synced_at = self._clock()
        self.syncs += 1

    def close(self) -> None:
        """fsync what is waiting and close; the descriptor is closed even if fsync fails."""
        if self._fd is None:
            return
        fd = self._fd
        try:
            self.sync()
        finally:  # sync() waited for the thread's fsync, if any, even when it raised
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
            self._fd = None
            self._unsynced = 0
            os.close(fd)

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ``json.dumps(obj, ensure_ascii=False, separators=(",", ":"))`` without building an encoder
# for every event (a flood records thousands a second).
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


# A JSON string as ``_encode`` writes one inside an object (the C function it uses).
_string = json.encoder.encode_basestring


def _lines(events: Sequence[Event]) -> bytes:
    """``b"".join(_line(e) for e in events)``, built faster for the kernel lines of one read
    (one arrival time, source and node): their JSON up to the text is the same, so it is
    encoded once and each line adds its text (a flood records 30,000 lines a second)."""
    out: list[str] = []
    at = iso = source = node = head = None
    for event in events:
        if type(event) is not KernelText or type(event.text) is not str:
            try:
                out.append(redact(_encode(event.to_json())) + "\n")
            except (TypeError, ValueError, RecursionError):
                _line(event)  # raises UnrecordableEvent, worded as write() words it
                raise
            continue
        if event.at is not at:
            at = event.at
            iso, was = at.isoformat(), iso
            if iso != was:
                head = None
        if head is None or event.source != source or event.node != node:
            source, node = event.source, event.node
            head = _kernel_head(event, iso)
        out.append(redact(f"{head}{_string(event.text)}}}\n"))
    try:
        return "".join(out).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate somewhere: each line as ``_line`` writes it
        return b"".join([_line(event) for event in events])


def _kernel_head(event: KernelText, iso: str | None) -> str:
    """The JSON line of ``event`` up to its text: ``to_json``'s keys in its order (type, at,
    source, node, text), without the text's value."""
    try:
        whole = _encode({"type": KernelText.type, "at": iso, "source": event.source,
                         "node": event.node, "text": ""})
    except (TypeError, ValueError, RecursionError):
        _line(event)  # raises UnrecordableEvent, worded as write() words it
        raise
    return str(whole[:-3])  # without the empty text's ``""}``


def _line(event: Event) -> bytes:
    """One JSON line; UnrecordableEvent when the event has no JSON form."""
    try:
        obj = event.to_json()
        text = redact(_encode(obj))
        try:
            return (text + "\n").encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate (read back from a "\ud800" escape):
            # ASCII JSON escapes it again, so it reads back exactly as it was
            return (redact(json.dumps(obj, separators=(",", ":"))) + "\n").encode("ascii")
    except (TypeError, ValueError, RecursionError) as exc:
        raise UnrecordableEvent(f"{event.type} event has no JSON form: "
                                f"{type(exc).__name__}: {exc}") from exc


def _ends_with_newline(path: Path, size: int) -> bool:
    with path.open("rb") as fh:
        fh.seek(size - 1)
        return fh.read(1) == b"\n"


def is_recording(path: str | Path) -> bool:
    """True when the file's first non-blank line is a JSON object with a known event type."""
    try:
        with open_binary(Path(path)) as fh:
            while raw := fh.readline(MAX_LINE + 1):
                if len(raw) > MAX_LINE:
                    return False  # not read into memory: no recording line is that long
                if not raw.strip():
                    continue
                try:
                    event_from_json(json.loads(raw.decode("utf-8", errors="replace")))
                except (ValueError, RecursionError):  # EventDecodeError is a ValueError
                    return False
                return True
    except (OSError, EOFError, zlib.error):  # OSError covers gzip.BadGzipFile
        return False
    return False


def _decode(raw: bytes) -> Event:
    """One recording line -> event; ValueError (or a subclass) saying why not."""
    try:
        obj = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8: {exc.reason}") from exc
    except json.JSONDecodeError as exc:
        truncated = not raw.endswith(b"\n")
        raise ValueError("truncated last line" if truncated else f"not JSON: {exc.msg}"
                         ) from exc
    except RecursionError as exc:  # json.loads recurses per level: "[[[[..." exhausts the stack
        raise ValueError("not an event: JSON nested too deeply") from exc
    return event_from_json(obj)


def iter_recording(path: str | Path, errors: list[RecordingError] | None = None, *,
                   max_line: int = MAX_LINE) -> Iterator[RecordedEvent]:
    """Yield the events of a recording in file order.

    Undecodable lines (a truncated last line after a crash, a hand edit) are appended to
    ``errors`` and skipped; so is a line longer than ``max_line`` bytes, read past in chunks
    rather than into memory. ``offset`` is the byte offset of the line in the (decompressed)
    stream, so a viewer can re-read a line later without keeping it in memory.
    """
    p = Path(path)
    offset = lineno = 0
    with open_binary(p) as fh:
        while True:
            try:
                raw = fh.readline(max_line + 1)
                extra = _skip_rest_of_line(fh, max_line) if len(raw) > max_line else 0
            except _GZIP_DAMAGE as exc:  # a .gz cut short (copied mid-write): keep what we had
                _report(errors, p, lineno + 1, f"compressed stream damaged: {exc}",
                        ends_input=True)
                return
            if not raw:
                return
            lineno += 1
            start = offset
            offset += len(raw) + extra
            if len(raw) > max_line:
                _report(errors, p, lineno, f"line of {len(raw) + extra} bytes, longer than "
                                           f"{max_line}: skipped")
                continue
            if not raw.strip():
                continue
            try:
                event = _decode(raw)
            except ValueError as exc:
                _report(errors, p, lineno, str(exc))
                continue
            yield RecordedEvent(event=event, lineno=lineno, offset=start)


def _skip_rest_of_line(fh: IO[bytes], chunk: int) -> int:
    """Read up to and including the next newline without keeping it; bytes read."""
    skipped = 0
    while True:
        part = fh.readline(chunk)
        skipped += len(part)
        if not part or part.endswith(b"\n"):
            return skipped


def read_line_at(path: str | Path, offset: int) -> str:
    """The raw line starting at ``offset`` of an uncompressed recording or log file."""
    with Path(path).open("rb") as fh:
        fh.seek(offset)
        return fh.readline().decode("utf-8", errors="replace").rstrip("\n")


def _report(errors: list[RecordingError] | None, path: Path, lineno: int, reason: str, *,
            ends_input: bool = False) -> None:
    if errors is not None:
        errors.append(RecordingError(path=str(path), lineno=lineno, reason=reason,
                                     ends_input=ends_input))
