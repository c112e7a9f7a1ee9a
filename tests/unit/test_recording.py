"""Recorder and recording reader: round trip, per-event flush, rotation, damaged lines."""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from labconsole.events import ConnectionChange, KernelText, QuorumText
from labconsole.sources.recording import (
    Recorder,
    RecordingError,
    is_recording,
    iter_recording,
    read_line_at,
)

T0 = datetime(2025, 11, 8, 6, 0, 0, tzinfo=timezone.utc)


def _kernel(i: int) -> KernelText:
    return KernelText(at=T0.replace(second=i % 60), source="ssh:pve03", node="pve03",
                      text=f"Nov 08 06:00:{i % 60:02d} pve03 kernel: line {i}")


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    events = [_kernel(1),
              QuorumText(at=T0, source="ssh:pve01", node="pve01", text="Quorate: Yes\n",
                         cluster="homelab"),
              ConnectionChange(at=T0, source="ssh:pve03", node="pve03", state="reconnecting",
                               detail="timeout", retry_in=4.0)]
    path = tmp_path / "rec.jsonl"
    with Recorder(path) as rec:
        for ev in events:
            rec.write(ev)
    assert [r.event for r in iter_recording(path)] == events


def test_each_event_is_on_disk_before_the_next_is_written(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    rec = Recorder(path)
    rec.write(_kernel(1))
    # Not closed: a crash now must still leave the first event readable.
    assert [r.event for r in iter_recording(path)] == [_kernel(1)]
    rec.close()


def test_truncated_last_line_is_reported_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    with Recorder(path) as rec:
        rec.write(_kernel(1))
        rec.write(_kernel(2))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 25])  # cut the second line mid-way, like a crash
    errors: list[RecordingError] = []
    got = [r.event for r in iter_recording(path, errors)]
    assert got == [_kernel(1)]
    assert len(errors) == 1
    assert errors[0].lineno == 2 and "truncated" in errors[0].reason


def test_bad_lines_in_the_middle_are_named(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    good = json.dumps(_kernel(1).to_json())
    path.write_text("\n".join([good, "{not json", '{"type": "nope", "at": "x"}',
                               '{"type": "kernel", "source": "s", "node": null}', good]) + "\n")
    errors: list[RecordingError] = []
    got = list(iter_recording(path, errors))
    assert [r.lineno for r in got] == [1, 5]
    assert [e.lineno for e in errors] == [2, 3, 4]
    assert "not JSON" in errors[0].reason
    assert "unknown event type" in errors[1].reason
    assert "without 'at'" in errors[2].reason


def test_rotation_keeps_bounded_backups(tmp_path: Path) -> None:
    path = tmp_path / "rec.jsonl"
    one = len(json.dumps(_kernel(1).to_json(), separators=(",", ":"))) + 1
    with Recorder(path, max_bytes=one * 3, backups=2) as rec:
        for i in range(10):
            rec.write(_kernel(i))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["rec.jsonl", "rec.jsonl.1", "rec.jsonl.2"]
    newest = [r.event for r in iter_recording(path)]
    assert newest == [_kernel(9)]
    assert [r.event for r in iter_recording(tmp_path / "rec.jsonl.1")] == [
        _kernel(6), _kernel(7), _kernel(8)]
    assert all(p.stat().st_size <= one * 3 for p in tmp_path.iterdir())


def test_recorder_rejects_nonsense_limits(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        Recorder(tmp_path / "r", max_bytes=0)
    with pytest.raises(ValueError, match="backups"):
        Recorder(tmp_path / "r", backups=-1)


def test_gzip_recordings_are_read_and_offsets_point_at_lines(tmp_path: Path) -> None:
    plain = tmp_path / "rec.jsonl"
    with Recorder(plain) as rec:
        for i in range(3):
            rec.write(_kernel(i))
    packed = tmp_path / "rec.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert is_recording(packed) and is_recording(plain)
    assert [r.event for r in iter_recording(packed)] == [r.event for r in iter_recording(plain)]
    third = list(iter_recording(plain))[2]
    assert json.loads(read_line_at(plain, third.offset))["text"].endswith("line 2")


def test_a_plain_log_is_not_a_recording(tmp_path: Path) -> None:
    log = tmp_path / "kern.log"
    log.write_text("Nov 08 06:00:01 pve03 kernel: e1000e 0000:00:1f.6 eno1: NIC Link is Down\n")
    assert not is_recording(log)
    assert not is_recording(tmp_path / "missing")
