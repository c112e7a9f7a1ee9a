"""Reading the runbook audit log (append-only JSONL; the contract is in the runbook engine).

One object per line: ``at``, ``operator``, ``runbook``, ``step``, ``kind``, ``node``, ``iface``,
``command``, ``dry_run``, ``exit_status``, ``output``, ``result``, ``detail``, ``episode``.
Readers ignore unknown keys and tolerate a truncated last line (the writer was killed mid-line).
A line that is not an object, or lacks ``at``/``runbook``/``step``, or has a value of the wrong
type, is skipped and reported with its line number: the rest of the log still counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from labconsole.incident.facts import ActionRecord

RESULTS = frozenset({"pass", "fail", "done", "skipped", "refused", "aborted", "dry-run",
                     "error", "typed", "deferred"})


class AuditLineError(ValueError):
    """One audit line that cannot be used (the message names the key)."""


@dataclass(slots=True)
class AuditRead:
    records: list[ActionRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _str(obj: dict[str, Any], key: str, *, required: bool = False) -> str:
    value = obj.get(key)
    if value is None:
        if required:
            raise AuditLineError(f"missing {key!r}")
        return ""
    if not isinstance(value, str):
        raise AuditLineError(f"{key!r} must be a string, got {type(value).__name__}")
    return value


def _opt_str(obj: dict[str, Any], key: str) -> str | None:
    return _str(obj, key) or None


def _at(obj: dict[str, Any]) -> datetime:
    text = _str(obj, "at", required=True)
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise AuditLineError(f"'at' is not ISO 8601: {text!r}") from exc
    return at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)


def _exit_status(obj: dict[str, Any]) -> int | None:
    value = obj.get("exit_status")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise AuditLineError(f"'exit_status' must be an integer or null, got {value!r}")
    return value


def record_from_json(obj: Any) -> ActionRecord:
    """One audit object -> ActionRecord; raises AuditLineError naming what is wrong."""
    if not isinstance(obj, dict):
        raise AuditLineError(f"not a JSON object ({type(obj).__name__})")
    dry_run = obj.get("dry_run", False)
    if not isinstance(dry_run, bool):
        raise AuditLineError(f"'dry_run' must be true/false, got {dry_run!r}")
    result = _str(obj, "result") or "done"
    if result not in RESULTS:
        raise AuditLineError(f"unknown result {result!r}")
    return ActionRecord(
        at=_at(obj), runbook=_str(obj, "runbook", required=True),
        step=_str(obj, "step", required=True), command=_str(obj, "command"), result=result,
        node=_opt_str(obj, "node"), kind=_str(obj, "kind") or "action",
        operator=_str(obj, "operator"), iface=_opt_str(obj, "iface"), dry_run=dry_run,
        exit_status=_exit_status(obj), output=_str(obj, "output"), detail=_str(obj, "detail"),
        episode=_opt_str(obj, "episode"))


def parse_audit(text: str, name: str = "audit") -> AuditRead:
    """Records of an audit log's text, in file order; bad lines reported as ``name:N: why``."""
    out = AuditRead()
    lines = text.split("\n")
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            out.records.append(record_from_json(json.loads(line)))
        except json.JSONDecodeError as exc:
            last = lineno == len(lines)  # no newline after it: the writer was cut off
            why = "truncated last line" if last else f"not JSON ({exc.msg})"
            out.errors.append(f"{name}:{lineno}: {why}, skipped")
        except RecursionError:
            out.errors.append(f"{name}:{lineno}: JSON nested too deeply, skipped")
        except AuditLineError as exc:
            out.errors.append(f"{name}:{lineno}: {exc}, skipped")
    return out


def read_audit(path: str | Path) -> AuditRead:
    """Read an audit log file (UTF-8; undecodable bytes replaced, never a crash)."""
    p = Path(path)
    return parse_audit(p.read_bytes().decode("utf-8", errors="replace"), p.name)
