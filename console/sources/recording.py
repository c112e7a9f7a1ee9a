"""Append-only JSONL recordings of pipeline events, and reading them back.

One event per line (``Event.to_json()``), flushed after every event so that a crash loses at
most the line being written. Reading tolerates exactly that damage: a truncated or otherwise
undecodable line is skipped and reported (with its line number), never a crash. Recordings may
be gzip-compressed (``.gz``), which is how the bundled demo ships.

Rotation: when the current file would exceed ``max_bytes`` it is renamed to ``NAME.1`` (older
ones shift to ``.2`` ... ``.backups``) and a fresh file is started, so a console left running for
weeks keeps a bounded amount of disk.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from labconsole.events import Event, EventDecodeError, event_from_json


@dataclass(frozen=True, slots=True)
class RecordingError:
    """A line of a recording that could not be read back (reported, then skipped)."""

    path: str
    lineno: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.lineno}: {self.reason}"


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event read back from a recording, with where it came from (for re-reading)."""

    event: Event
    lineno: int
    offset: int


class Recorder:
    """Append-only JSONL writer with per-event flush and size-based rotation."""

    def __init__(self, path: str | Path, *, max_bytes: int = 64 * 1024 * 1024,
                 backups: int = 3) -> None:
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, got {max_bytes}")
        if backups < 0:
            raise ValueError(f"backups must be >= 0, got {backups}")
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.backups = backups
        self.written = 0
        self._fh: IO[str] | None = None
        self._size = 0

    def _open(self) -> IO[str]:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("a", encoding="utf-8")
            self._size = self.path.stat().st_size
        return self._fh

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

    def write(self, event: Event) -> None:
        """Append one event as one line and flush it to the OS."""
        line = json.dumps(event.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n"
        size = len(line.encode("utf-8"))
        fh = self._open()
        if self._size > 0 and self._size + size > self.max_bytes:
            self._rotate()
            fh = self._open()
        fh.write(line)
        fh.flush()
        self._size += size
        self.written += 1

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _open_binary(path: Path) -> IO[bytes]:
    raw = path.open("rb")
    magic = raw.read(2)
    raw.seek(0)
    if magic == b"\x1f\x8b":
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
    return raw


def is_recording(path: str | Path) -> bool:
    """True when the file's first non-blank line is a JSON object with a known event type."""
    try:
        with _open_binary(Path(path)) as fh:
            for raw in io.TextIOWrapper(fh, encoding="utf-8", errors="replace"):
                if not raw.strip():
                    continue
                try:
                    event_from_json(json.loads(raw))
                except (ValueError, EventDecodeError):
                    return False
                return True
    except (OSError, EOFError, gzip.BadGzipFile):
        return False
    return False


def iter_recording(path: str | Path,
                   errors: list[RecordingError] | None = None) -> Iterator[RecordedEvent]:
    """Yield the events of a recording in file order.

    Undecodable lines (a truncated last line after a crash, a hand edit) are appended to
    ``errors`` and skipped. ``offset`` is the byte offset of the line in the (decompressed)
    stream, so a viewer can re-read a line later without keeping it in memory.
    """
    p = Path(path)
    offset = 0
    with _open_binary(p) as fh:
        for lineno, raw in enumerate(fh, start=1):
            start = offset
            offset += len(raw)
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw.decode("utf-8"))
                event = event_from_json(obj)
            except UnicodeDecodeError as exc:
                _report(errors, p, lineno, f"not UTF-8: {exc.reason}")
                continue
            except json.JSONDecodeError as exc:
                truncated = not raw.endswith(b"\n")
                why = "truncated last line" if truncated else f"not JSON: {exc.msg}"
                _report(errors, p, lineno, why)
                continue
            except EventDecodeError as exc:
                _report(errors, p, lineno, str(exc))
                continue
            yield RecordedEvent(event=event, lineno=lineno, offset=start)


def read_line_at(path: str | Path, offset: int) -> str:
    """The raw line starting at ``offset`` of an uncompressed recording or log file."""
    with Path(path).open("rb") as fh:
        fh.seek(offset)
        return fh.readline().decode("utf-8", errors="replace").rstrip("\n")


def _report(errors: list[RecordingError] | None, path: Path, lineno: int, reason: str) -> None:
    if errors is not None:
        errors.append(RecordingError(path=str(path), lineno=lineno, reason=reason))
