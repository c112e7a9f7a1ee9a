"""The runbook audit log loses nothing it acknowledged: fsync per entry (actions are rare, so
the cost is nothing next to the command itself), append-only, and a kill -9 in the middle of
an append costs at most that line, which both readers (the runbook's resume and the incident
report's) skip while keeping every complete entry."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labconsole.incident import audit_read
from labconsole.runbook import audit
from labconsole.runbook.audit import AuditEntry, AuditLog

ROOT = Path(__file__).resolve().parents[2]


def _entry(i: int, pad: int = 0) -> AuditEntry:
    return AuditEntry(at=f"2026-03-02T10:{i // 60 % 60:02d}:{i % 60:02d}+00:00",
                      operator="alice", runbook="e1000e-tx-hang", step=f"s{i}", kind="action",
                      node="pve03", iface="eno1", command="ethtool -K eno1 tso off gso off",
                      dry_run=False, exit_status=0, output="", result="done",
                      detail="x" * pad, episode="ep1")


def _steps(path: Path) -> tuple[list[int], list[int], list[str]]:
    """Step numbers as the runbook reader and the incident reader see them, and the latter's
    errors."""
    rb = [int(e.step[1:]) for e in audit.read_audit(path)]
    inc = audit_read.read_audit(path)
    return rb, [int(r.step[1:]) for r in inc.records], inc.errors


def test_every_entry_is_fsynced_once_written(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    seen: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        # at fsync time the entry being appended is already in the file, complete
        seen.append(len(log.path.read_bytes().splitlines()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    for i in range(3):
        log.append(_entry(i))
    assert seen == [1, 2, 3]


def test_appending_never_rewrites_what_is_there(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.append(_entry(0))
    before = log.path.read_bytes()
    with log.path.open("ab") as other:  # another writer (a second console) appends meanwhile
        other.write(json.dumps(_entry(1).to_json()).encode() + b"\n")
    log.append(_entry(2))
    data = log.path.read_bytes()
    assert data.startswith(before)
    assert _steps(log.path)[:2] == ([0, 1, 2], [0, 1, 2])


def test_a_line_cut_by_a_crash_is_reported_and_the_next_entry_is_whole(tmp_path: Path
                                                                        ) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.append(_entry(0))
    log.append(_entry(1))
    log.path.write_bytes(log.path.read_bytes()[:-30])
    rb, inc, errors = _steps(log.path)
    assert rb == inc == [0] and errors == ["audit.jsonl:2: truncated last line, skipped"]
    log.append(_entry(2))  # the console restarted: its first entry starts on a line of its own
    rb, inc, errors = _steps(log.path)
    assert rb == inc == [0, 2] and len(errors) == 1 and "audit.jsonl:2: not JSON" in errors[0]


def _with_deep_line(tmp_path: Path) -> Path:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.append(_entry(0))
    with log.path.open("a") as fh:
        fh.write("[" * 200_000 + "]" * 200_000 + "\n")
    log.append(_entry(1))
    return log.path


def test_a_deeply_nested_line_is_skipped_by_the_runbook_reader(tmp_path: Path) -> None:
    assert [e.step for e in audit.read_audit(_with_deep_line(tmp_path))] == ["s0", "s1"]


def test_a_deeply_nested_line_is_reported_by_the_incident_reader(tmp_path: Path) -> None:
    got = audit_read.read_audit(_with_deep_line(tmp_path))
    assert [r.step for r in got.records] == ["s0", "s1"] and len(got.errors) == 1


# -- kill -9 in the middle of appending -------------------------------------------------------

KILL_CHILD = r"""
import mmap, random, struct, sys
from pathlib import Path
from labconsole.runbook.audit import AuditEntry, AuditLog

path, acked_path, seed = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
with open(acked_path, "r+b") as fh:
    acked = mmap.mmap(fh.fileno(), 8)
rnd = random.Random(seed)
log = AuditLog(path)
for i in range(100000):
    log.append(AuditEntry(at="2026-03-02T10:00:00+00:00", operator="alice", runbook="rb",
                          step=f"s{i}", kind="action", node="pve03", iface="eno1",
                          command="ethtool -K eno1 tso off", dry_run=False, exit_status=0,
                          output="", result="done", detail="x" * rnd.randrange(0, 300000)))
    acked[:8] = struct.pack("Q", i + 1)  # append returned: the entry must survive kill -9
"""


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_9_mid_append_loses_at_most_the_last_line(tmp_path: Path, seed: int) -> None:
    path, acked = tmp_path / "audit.jsonl", tmp_path / "acked"
    acked.write_bytes(b"\0" * 8)
    child = subprocess.Popen([sys.executable, "-c", KILL_CHILD, str(path), str(acked),
                              str(seed)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 20
        while int.from_bytes(acked.read_bytes(), "little") < 5:  # bounded: 20 s at most
            assert time.monotonic() < deadline and child.poll() is None, "child did not write"
            time.sleep(0.005)
        time.sleep(random.Random(seed).uniform(0, 0.05))
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(10)
    n_acked = int.from_bytes(acked.read_bytes(), "little")
    rb, inc, errors = _steps(path)
    assert rb == inc  # both readers agree
    assert rb[:n_acked] == list(range(n_acked))  # every acknowledged entry is there
    assert rb == list(range(len(rb))) and len(rb) <= n_acked + 1  # and at most one more
    if path.read_bytes().endswith(b"\n"):
        assert errors == []
    else:
        assert errors == [f"audit.jsonl:{len(rb) + 1}: truncated last line, skipped"]
