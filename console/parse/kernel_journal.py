"""journalctl ``-o json`` and ``-o export`` entries, turned into plain field dictionaries.

The export format is framed by lines, so it is collected here line by line with a bounded
buffer; the binary-safe field form (name line, 64-bit little-endian length, data) is decoded
from the text the caller already decoded. Callers that decode bytes with ``surrogateescape``
(or latin-1) keep the length exact; with lossy decoding the length is best effort.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from labconsole.parse.syslog_header import host_or_none

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_FIELD = re.compile(r"[A-Z0-9_]+$")
# Fields that only a journal export starts with; a log line never looks like these.
EXPORT_START = re.compile(
    r"(?:__CURSOR|__REALTIME_TIMESTAMP|__MONOTONIC_TIMESTAMP|__SEQNUM|__SEQNUM_ID|_BOOT_ID)="
)
MAX_ENTRY_CHARS = 1 << 20
MAX_ENTRY_FIELDS = 512


class JournalError(ValueError):
    """A journal entry that cannot be read (bad JSON, bad binary length, oversized entry)."""


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """The fields the console uses from one journal entry."""

    message: str
    time: datetime | None
    uptime: float | None
    host: str | None
    identifier: str | None
    priority: int | None
    is_kernel: bool


def entry_from_fields(fields: dict[str, object]) -> JournalEntry:
    """Build an entry from decoded fields (JSON values or export strings)."""
    message = _text(fields.get("MESSAGE"))
    time = _micros_to_time(fields.get("__REALTIME_TIMESTAMP"))
    mono = _int(fields.get("_SOURCE_MONOTONIC_TIMESTAMP"))
    identifier = _text_or_none(fields.get("SYSLOG_IDENTIFIER"))
    transport = _text_or_none(fields.get("_TRANSPORT"))
    return JournalEntry(
        message=message,
        time=time,
        uptime=mono / 1_000_000 if mono is not None else None,
        host=host_or_none(_text_or_none(fields.get("_HOSTNAME"))),
        identifier=identifier,
        priority=_int(fields.get("PRIORITY")),
        is_kernel=transport == "kernel" or identifier == "kernel",
    )


def plain_kernel_fields(
    transport: bytes | None, identifier: bytes | None, stamp: bytes | None,
    mono: bytes | None, host: bytes | None,
) -> tuple[datetime | None, float | None, str | None] | None:
    """``(time, uptime, host)`` of an entry whose fields are all printable ASCII strings,
    from its ``_TRANSPORT``, ``SYSLOG_IDENTIFIER``, ``__REALTIME_TIMESTAMP``,
    ``_SOURCE_MONOTONIC_TIMESTAMP`` and ``_HOSTNAME`` values given as bytes (``None`` or
    empty where the entry has no such field: both read alike), as :func:`entry_from_fields`
    reads them from ``json.loads``'s strings, when it is a kernel entry; ``None`` when it is
    not. A whole-file scan reads link entries of a JSON journal this way without decoding
    every field."""
    if transport != b"kernel" and identifier != b"kernel":
        return None
    return (
        _micros_time(int(stamp)) if stamp and stamp.isdigit() else None,
        int(mono) / 1_000_000 if mono and mono.isdigit() else None,
        host.decode() if host else None,
    )


def parse_json_entry(text: str) -> JournalEntry:
    """One line of ``journalctl -o json``; raises JournalError with the reason."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise JournalError(f"bad JSON: {exc}") from None
    except RecursionError:  # json.loads recurses per nesting level: "[[[[..." kills it
        raise JournalError("bad JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise JournalError("JSON line is not an object")
    if "MESSAGE" not in data and "__REALTIME_TIMESTAMP" not in data:
        raise JournalError("JSON object has neither MESSAGE nor __REALTIME_TIMESTAMP")
    return entry_from_fields(data)


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(b, int) and 0 <= b < 256 for b in value):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, list) and value:  # a field present several times: first one
        return _text(value[0])
    return ""


def _text_or_none(value: object) -> str | None:
    text = _text(value)
    return text or None


def _int(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _micros_to_time(value: object) -> datetime | None:
    micros = _int(value)
    return None if micros is None else _micros_time(micros)


def _micros_time(micros: int) -> datetime | None:
    try:  # timedelta(days, seconds, microseconds): by position, half the keyword call's cost
        return _EPOCH + timedelta(0, 0, micros)
    except OverflowError:
        return None


def _byte(ch: str) -> int:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape'd byte
        return code - 0xDC00
    if code > 0xFF:
        raise JournalError("binary field length is not 8 raw bytes")
    return code


@dataclass(slots=True)
class ExportCollector:
    """Collects ``journalctl -o export`` lines; ``feed`` returns a finished entry's fields."""

    fields: dict[str, str] = field(default_factory=dict)
    size: int = 0
    binary_name: str | None = None
    binary_len: int = 0
    binary_data: list[str] = field(default_factory=list)
    binary_have: int = 0

    @property
    def active(self) -> bool:
        return bool(self.fields) or self.binary_name is not None

    def feed(self, line: str) -> dict[str, str] | None:
        """Take one line; a blank line ends the entry and returns its fields."""
        if self.binary_name is not None:
            self._binary(line)
            return None
        if line == "":
            return self.finish()
        self.size += len(line)
        if self.size > MAX_ENTRY_CHARS or len(self.fields) >= MAX_ENTRY_FIELDS:
            self.reset()
            raise JournalError("export entry too large, dropped")
        name, eq, value = line.partition("=")
        if eq:
            self.fields.setdefault(name, value)
        elif _FIELD.match(line):
            self.binary_name = line
            self.binary_len = -1
        else:
            raise JournalError("export line is neither KEY=value nor a binary field name")
        return None

    def _binary(self, line: str) -> None:
        if self.binary_len < 0:
            if len(line) < 8:
                self.reset()
                raise JournalError("binary field without its 8-byte length")
            self.binary_len = int.from_bytes(bytes(_byte(c) for c in line[:8]), "little")
            line = line[8:]
        else:
            line = "\n" + line  # the newline the line split removed was part of the data
        self.binary_data.append(line)
        self.binary_have += len(line.encode("utf-8", "surrogateescape"))
        self.size += len(line)
        if self.size > MAX_ENTRY_CHARS:
            self.reset()
            raise JournalError("export entry too large, dropped")
        if self.binary_have >= self.binary_len:
            assert self.binary_name is not None
            self.fields.setdefault(self.binary_name, "".join(self.binary_data))
            self.binary_name = None
            self.binary_data = []
            self.binary_have = 0

    def finish(self) -> dict[str, str] | None:
        """The pending entry (end of input or blank line), or None when nothing is pending."""
        if self.binary_name is not None:
            self.reset()
            raise JournalError("export entry ends inside a binary field")
        done = self.fields or None
        self.reset()
        return done

    def reset(self) -> None:
        self.fields = {}
        self.size = 0
        self.binary_name = None
        self.binary_len = 0
        self.binary_data = []
        self.binary_have = 0
