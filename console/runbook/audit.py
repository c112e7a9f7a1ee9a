"""The runbook audit log: append-only JSONL, one object per line, flushed and fsynced per line.

The format is a contract with the incident report (``labconsole.incident``): keys ``at``
(ISO 8601), ``operator``, ``runbook``, ``step``, ``kind`` (check|action|note|rollback),
``node``, ``iface``, ``command`` (exact command line as sent, "" for a note), ``dry_run``,
``exit_status``, ``output`` (the last 8 KiB), ``result`` (pass|fail|done|skipped|refused|
aborted|dry-run|error), ``detail``, ``episode``. Readers ignore unknown keys and tolerate a
truncated last line (a crash in the middle of a write).

fsync per entry, not on an interval as recordings do: actions are rare (a few per incident)
and each is a command on a node taking far longer than a disk flush, while an action that ran
but is missing from the log after a power cut is exactly what the log exists to prevent.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from labconsole.config.redact import redact
from labconsole.runbook.offline_state import open_private

# "typed": a command the operator typed by hand at the node's console (the node could not be
# reached), confirmed as typed; "deferred": a check on the node left for when it is back.
AuditKind = Literal["check", "action", "note", "rollback", "typed"]
AuditResult = Literal["pass", "fail", "done", "skipped", "refused", "aborted", "dry-run",
                      "error", "typed", "deferred"]
OUTPUT_LIMIT = 8 * 1024
# Results after which a step counts as finished when a run is resumed: a passed check, an
# action confirmed and verified. Skipped, failed, errored, refused and aborted steps are not.
FINISHED: frozenset[str] = frozenset({"pass", "done"})


class AuditError(OSError):
    """The audit log cannot be written: the engine refuses to run an action without it."""


def tail_bytes(text: str, limit: int = OUTPUT_LIMIT) -> str:
    """The last ``limit`` bytes of ``text`` (UTF-8), cut on a character boundary."""
    data = text.encode("utf-8", "surrogateescape")
    if len(data) <= limit:
        return text
    return data[-limit:].decode("utf-8", "ignore")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: str
    operator: str
    runbook: str
    step: str
    kind: AuditKind
    node: str | None
    iface: str | None
    command: str
    dry_run: bool
    exit_status: int | None
    output: str
    result: AuditResult
    detail: str = ""
    episode: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> AuditEntry:
        known = {k: obj[k] for k in cls.__dataclass_fields__ if k in obj}
        missing = [k for k in ("at", "runbook", "step", "result") if k not in known]
        if missing:
            raise ValueError(f"audit entry without {', '.join(missing)}")
        defaults: dict[str, Any] = {"operator": "", "kind": "note", "node": None,
                                    "iface": None, "command": "", "dry_run": False,
                                    "exit_status": None, "output": ""}
        return cls(**{**defaults, **known})

    @property
    def when(self) -> datetime:
        return datetime.fromisoformat(self.at)


class AuditLog:
    """Append-only JSONL file. Each ``append`` is one ``write`` of a whole line on an
    ``O_APPEND`` descriptor followed by ``fsync``: a crash leaves at most a partial last line,
    which :func:`read_audit` skips."""

    def __init__(self, path: Path, *, private: bool = False) -> None:
        """``private``: the file is this user's own state (the offline log): every open goes
        through :func:`~labconsole.runbook.offline_state.open_private` (no symlink, no other
        user's file, a 0700 directory)."""
        self.path = Path(path)
        self.private = private

    def _open(self, flags: int) -> int:
        if self.private:
            return open_private(self.path, flags)
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return os.open(self.path, flags | os.O_CREAT, 0o600)

    def append(self, entry: AuditEntry) -> None:
        line = redact(json.dumps(entry.to_json(), ensure_ascii=False, separators=(",", ":"))
                      ) + "\n"
        try:
            fd = self._open(os.O_RDWR | os.O_APPEND)
            try:
                if os.fstat(fd).st_size and not _ends_with_newline(fd):
                    # a previous crash cut the last line: start ours on a line of its own
                    line = "\n" + line
                os.write(fd, line.encode("utf-8", "surrogateescape"))
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise AuditError(exc.errno, f"cannot write audit log {self.path}: {exc.strerror}"
                             ) from exc

    def check_writable(self) -> None:
        """AuditError now, rather than after an action ran, when the log cannot be appended."""
        try:
            os.close(self._open(os.O_WRONLY | os.O_APPEND))
        except OSError as exc:
            raise AuditError(exc.errno, f"cannot write audit log {self.path}: {exc.strerror}"
                             ) from exc

    def entries(self) -> list[AuditEntry]:
        if not self.private:
            return list(read_audit(self.path))
        if not self.path.exists() and not self.path.is_symlink():
            return []
        with os.fdopen(open_private(self.path, os.O_RDONLY), "rb") as fh:
            return list(parse_audit(fh.read()))


def _ends_with_newline(fd: int) -> bool:
    size = os.fstat(fd).st_size
    return os.pread(fd, 1, size - 1) == b"\n"


def read_audit(path: Path) -> Iterator[AuditEntry]:
    """Every complete entry; a missing file is empty, broken lines are skipped."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return
    yield from parse_audit(data)


def parse_audit(data: bytes) -> Iterator[AuditEntry]:
    for raw in data.splitlines():
        try:
            obj = json.loads(raw.decode("utf-8", "surrogateescape"))
            if isinstance(obj, dict):
                yield AuditEntry.from_json(obj)
        except (ValueError, TypeError, RecursionError):  # RecursionError: "[[[[..." too deep
            continue


def latest_attempts(entries: list[AuditEntry], runbook: str, episode: str | None, *,
                    dry_run: bool = False) -> dict[str, AuditEntry]:
    """Each step's latest real (not dry-run) attempt for this runbook and episode; a
    rollback of a step is its latest attempt (it un-finishes the step). ``dry_run``: the
    dry-run (rehearsal) attempts instead, for resuming a dry run or rehearsal."""
    latest: dict[str, AuditEntry] = {}
    for entry in entries:
        if entry.runbook != runbook or entry.episode != episode or entry.dry_run != dry_run:
            continue
        latest[entry.step] = entry
    return latest


def finished_steps(entries: list[AuditEntry], runbook: str, episode: str | None) -> set[str]:
    """Steps of this runbook and episode whose latest real (not dry-run) result finished them
    (a passed check, a confirmed and verified action). A later rollback un-finishes a step."""
    return {step for step, e in latest_attempts(entries, runbook, episode).items()
            if is_finished(e)}


def is_finished(entry: AuditEntry) -> bool:
    """A passed check, a done action; in a dry run or rehearsal also a step shown, not sent."""
    if entry.kind == "rollback":
        return False
    return entry.result in FINISHED or (entry.dry_run and entry.result == "dry-run")
