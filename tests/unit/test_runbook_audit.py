"""Audit log: the JSONL contract, append-only, torn last line tolerated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labconsole.runbook.audit import (
    AuditEntry,
    AuditError,
    AuditLog,
    finished_steps,
    read_audit,
    tail_bytes,
)

KEYS = {"at", "operator", "runbook", "step", "kind", "node", "iface", "command", "dry_run",
        "exit_status", "output", "result", "detail", "episode"}


def entry(step: str, result: str = "pass", **kw: object) -> AuditEntry:
    base: dict[str, object] = dict(
        at="2026-03-02T10:00:00+00:00", operator="alice", runbook="rb", step=step,
        kind="check", node="pve03", iface="eno1", command="ethtool -k eno1", dry_run=False,
        exit_status=0, output="out", result=result, detail="", episode="ep1")
    base.update(kw)
    return AuditEntry(**base)  # type: ignore[arg-type]


def test_each_line_is_one_object_with_the_contract_keys(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "sub" / "audit.jsonl")
    log.append(entry("a"))
    log.append(entry("b", kind="action", result="done", command="ethtool -K eno1 tso off"))
    lines = log.path.read_text().splitlines()
    assert len(lines) == 2
    objs = [json.loads(line) for line in lines]
    assert all(set(o) == KEYS for o in objs)
    assert objs[1]["command"] == "ethtool -K eno1 tso off" and objs[1]["kind"] == "action"
    assert [e.step for e in read_audit(log.path)] == ["a", "b"]


def test_torn_last_line_is_skipped_and_next_append_starts_a_new_line(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.append(entry("a"))
    with open(log.path, "ab") as fh:
        fh.write(b'{"at": "2026-03-02T1')
    assert [e.step for e in log.entries()] == ["a"]
    log.append(entry("b"))
    assert [e.step for e in log.entries()] == ["a", "b"]


def test_unknown_keys_ignored_missing_required_skipped(tmp_path: Path) -> None:
    p = tmp_path / "audit.jsonl"
    good = dict(entry("a").to_json(), extra="x")
    p.write_text(json.dumps(good) + "\n" + json.dumps({"at": "x", "step": "s"}) + "\n[1]\n")
    assert [e.step for e in read_audit(p)] == ["a"]


def test_finished_steps_per_runbook_and_episode_latest_wins() -> None:
    entries = [entry("a"), entry("b", "fail"), entry("c", "done", dry_run=True),
               entry("d", "skipped"), entry("b", "pass"), entry("e", episode="other"),
               entry("f", "done", kind="action"),
               entry("f", "done", kind="rollback")]
    # a skipped step is not finished (it resumes as skipped, never as passed)
    assert finished_steps(entries, "rb", "ep1") == {"a", "b"}


def test_output_is_bounded_to_the_last_bytes() -> None:
    text = "x" * 10000 + "é" * 10 + "END"
    cut = tail_bytes(text, 100)
    assert cut.endswith("END") and len(cut.encode()) <= 100


def test_unwritable_log_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(AuditError, match="cannot write audit log"):
        AuditLog(tmp_path / "f" / "audit.jsonl").append(entry("a"))
