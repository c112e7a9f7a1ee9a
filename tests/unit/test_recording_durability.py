"""Recordings lose nothing they acknowledged: fsync policy, kill -9 mid-write, a full disk
(injected, and a real tiny tmpfs in a private mount namespace), and lines that would crash a
naive reader (deep nesting, a cut line left by an earlier crash)."""

from __future__ import annotations

import asyncio
import errno
import gzip
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from labconsole.events import ConnectionChange, Event, KernelText
from labconsole.pipeline import Pipeline
from labconsole.sources.recording import (
    RECORDER_SOURCE,
    Recorder,
    RecordingError,
    is_recording,
    iter_recording,
    read_line_at,
)
from labconsole.widgets.status_bar import render_status

T0 = datetime(2025, 11, 8, 6, 19, 0, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parents[2]


def _kernel(i: int, pad: int = 0) -> KernelText:
    return KernelText(at=T0 + timedelta(milliseconds=i), source="ssh:pve03", node="pve03",
                      text=f"seq {i} e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:"
                           + "x" * pad)


def _seqs(events: list[Event]) -> list[int]:
    return [int(e.text.split()[1]) for e in events if isinstance(e, KernelText)]


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# -- fsync policy -----------------------------------------------------------------------------

def test_fsync_runs_on_the_interval_on_the_count_and_on_close(tmp_path: Path) -> None:
    clock, synced = FakeClock(), []
    rec = Recorder(tmp_path / "r.jsonl", fsync_interval=1.0, fsync_every=4, clock=clock,
                   fsync_fn=lambda fd: synced.append(fd))
    for i in range(3):
        rec.write(_kernel(i))
    assert synced == [] and rec.unsynced == 3  # not yet due: neither 1 s nor 4 events
    rec.write(_kernel(3))
    assert len(synced) == 1 and rec.unsynced == 0  # 4 events
    rec.write(_kernel(4))
    clock.now += 0.5
    assert not rec.sync_if_due()
    clock.now += 0.6
    assert rec.sync_if_due() and len(synced) == 2  # 1.1 s after the last sync, no new write
    rec.write(_kernel(5))
    rec.close()
    assert len(synced) == 3 and rec.syncs == 3  # close syncs what was waiting
    assert _seqs([r.event for r in iter_recording(rec.path)]) == list(range(6))


def test_nothing_waiting_means_no_fsync(tmp_path: Path) -> None:
    synced: list[int] = []
    rec = Recorder(tmp_path / "r.jsonl", fsync_interval=0.0, fsync_fn=synced.append)
    rec.write(_kernel(0))
    assert len(synced) == 1  # interval 0: every event
    assert not rec.sync_if_due()
    rec.close()
    assert len(synced) == 1


def test_the_pipeline_fsyncs_a_quiet_recorder_on_its_interval(tmp_path: Path) -> None:
    synced: list[int] = []
    rec = Recorder(tmp_path / "r.jsonl", fsync_interval=0.05, fsync_fn=synced.append)

    class OneThenWait:
        name = "quiet"

        async def run(self, emit: object) -> None:
            await emit(_kernel(0))  # type: ignore[operator]
            for _ in range(200):  # bounded: at most 2 s
                if synced:
                    return
                await asyncio.sleep(0.01)

    pipeline = Pipeline(sources=[OneThenWait()], recorder=rec)  # type: ignore[list-item]
    asyncio.run(pipeline.run())
    assert synced, "no fsync without a further event: the ticker did not run"


def test_recorder_rejects_nonsense_fsync_settings(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="fsync"):
        Recorder(tmp_path / "r", fsync_every=0)
    with pytest.raises(ValueError, match="fsync"):
        Recorder(tmp_path / "r", fsync_interval=-1)


# -- lines a naive reader would crash on ------------------------------------------------------

def test_a_deeply_nested_line_is_reported_and_the_rest_is_read(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    good = json.dumps(_kernel(1).to_json())
    path.write_text("\n".join([good, "[" * 200_000 + "]" * 200_000, good]) + "\n")
    errors: list[RecordingError] = []
    got = list(iter_recording(path, errors))
    assert [r.lineno for r in got] == [1, 3]
    assert [e.lineno for e in errors] == [2] and "nested too deeply" in errors[0].reason
    deep = tmp_path / "deep.jsonl"
    deep.write_text("[" * 200_000 + "\n")
    assert not is_recording(deep)


def test_a_line_cut_by_an_earlier_crash_does_not_swallow_the_next(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with Recorder(path) as rec:
        rec.write(_kernel(0))
        rec.write(_kernel(1))
    data = path.read_bytes()
    path.write_bytes(data[:-20])  # the process died mid-line
    with Recorder(path) as rec:  # the console is started again on the same file
        rec.write(_kernel(2))
    errors: list[RecordingError] = []
    assert _seqs([r.event for r in iter_recording(path, errors)]) == [0, 2]
    assert [e.lineno for e in errors] == [2] and "not JSON" in errors[0].reason


# -- disk full, injected ----------------------------------------------------------------------

class Disk:
    """os.write with a switch: full -> ENOSPC; ``room`` bytes left -> a short write first."""

    def __init__(self) -> None:
        self.full = False
        self.room: int | None = None

    def write(self, fd: int, data: bytes) -> int:
        if self.room is not None:
            if self.room == 0:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            n = os.write(fd, data[:self.room])
            self.room -= n
            return n
        if self.full:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return os.write(fd, data)


def test_disk_full_is_shown_state_keeps_updating_and_recording_resumes(tmp_path: Path
                                                                       ) -> None:
    disk = Disk()
    rec = Recorder(tmp_path / "r.jsonl", write_fn=disk.write)
    changes: list[set[str]] = []
    pipeline = Pipeline(sources=[], recorder=rec, on_change=changes.append)

    async def feed(seqs: range) -> None:
        for i in seqs:
            await pipeline.emit(_kernel(i))

    asyncio.run(feed(range(0, 3)))
    disk.full = True
    asyncio.run(feed(range(3, 10)))
    # the console goes on: every event reached the state, the outage is on screen
    assert pipeline.state.health["ssh:pve03"].events == 10
    assert pipeline.recorder is rec
    assert pipeline.failures == ["rec: disk full, 7 events not recorded"]
    assert pipeline.state.health[RECORDER_SOURCE].state == "failed"
    bar = render_status(pipeline.state.health, T0, recording=str(rec.path), replay=None,
                        errors=0, problems=pipeline.failures).plain
    assert "rec: disk full, 7 events not recorded" in bar and "recorder FAILED: disk full" in bar
    assert any("timeline" in c for c in changes)  # the failure is on the timeline too

    disk.full = False
    asyncio.run(feed(range(10, 12)))
    assert pipeline.state.health[RECORDER_SOURCE].state == "connected"
    assert pipeline.failures == ["rec: recording resumed after disk full: 7 events not recorded"]
    rec.close()
    got = [r.event for r in iter_recording(rec.path)]
    assert _seqs(got) == [0, 1, 2, 10, 11]
    notice = got[3]  # the gap is in the recording itself, just before the first event after
    assert isinstance(notice, ConnectionChange) and notice.source == RECORDER_SOURCE
    assert "7 events not recorded" in notice.detail
    assert (rec.written, rec.lost) == (5, 7)


def test_a_write_cut_short_by_a_full_disk_leaves_no_partial_line(tmp_path: Path) -> None:
    disk = Disk()
    rec = Recorder(tmp_path / "r.jsonl", write_fn=disk.write)
    rec.write(_kernel(0))
    size = rec.path.stat().st_size
    disk.room = 30  # the next line gets 30 bytes in, then ENOSPC
    with pytest.raises(OSError) as exc:
        rec.write(_kernel(1, pad=200))
    assert exc.value.errno == errno.ENOSPC
    assert rec.path.stat().st_size == size  # cut back to the last complete line
    disk.room = None
    rec.write(_kernel(2))
    rec.close()
    errors: list[RecordingError] = []
    events = [r.event for r in iter_recording(rec.path, errors)]
    assert _seqs(events) == [0, 2] and errors == []


def test_a_failing_fsync_on_exit_is_reported_not_raised(tmp_path: Path) -> None:
    def broken(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    rec = Recorder(tmp_path / "r.jsonl", fsync_interval=60, fsync_fn=broken)
    pipeline = Pipeline(sources=[], recorder=rec)
    asyncio.run(pipeline.emit(_kernel(0)))
    asyncio.run(pipeline.run())  # no sources: runs the exit path
    assert pipeline.failures and "not synced on exit" in pipeline.failures[0]


# -- a real full disk: a 64 KiB tmpfs in a private mount namespace ----------------------------

TMPFS_CHILD = r"""
import asyncio, json, sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from labconsole.events import KernelText
from labconsole.pipeline import Pipeline
from labconsole.sources.recording import Recorder, iter_recording

mnt = Path(sys.argv[1])
T0 = datetime(2025, 11, 8, 6, 19, tzinfo=timezone.utc)
rec = Recorder(mnt / "rec.jsonl", fsync_interval=0)
pipe = Pipeline(sources=[], recorder=rec)
ev = lambda i: KernelText(at=T0 + timedelta(milliseconds=i), source="ssh:pve03", node="pve03",
                          text=f"seq {i} " + "x" * 700)
async def feed(a, b):
    for i in range(a, b):
        await pipe.emit(ev(i))
asyncio.run(feed(0, 10))
filler = mnt / "filler"
with filler.open("wb", buffering=0) as fh:  # take every free block
    try:
        for _ in range(10000):
            fh.write(b"\0" * 4096)
    except OSError:
        pass
asyncio.run(feed(10, 60))
during = list(pipe.failures)
health = pipe.state.health["recorder"].state
filler.unlink()
asyncio.run(feed(60, 70))
rec.close()
errors = []
got = [r.event for r in iter_recording(rec.path, errors)]
print(json.dumps({
    "during": during, "health_during": health, "after": pipe.failures,
    "health_after": pipe.state.health["recorder"].state,
    "state_events": pipe.state.health["ssh:pve03"].events,
    "seqs": [int(e.text.split()[1]) for e in got if e.type == "kernel"],
    "notices": [e.detail for e in got if e.type == "conn"],
    "lost": rec.lost, "errors": [str(e) for e in errors]}))
"""


def _can_mount() -> str | None:
    if os.geteuid() != 0:
        return "needs root to mount a tmpfs in a private mount namespace"
    if shutil.which("unshare") is None:
        return "unshare (util-linux) not installed"
    return None


@pytest.mark.skipif(_can_mount() is not None, reason=_can_mount() or "")
def test_a_real_full_disk_is_reported_and_recording_resumes(tmp_path: Path) -> None:
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    script = ('mount -t tmpfs -o size=64k tmpfs "$1" || exit 90; '
              'exec "$2" -c "$3" "$1"')
    proc = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", str(mnt),
         sys.executable, TMPFS_CHILD], capture_output=True, text=True, timeout=60, cwd=ROOT)
    if proc.returncode == 90:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["state_events"] == 70  # the console kept taking every event
    assert out["health_during"] == "failed" and out["health_after"] == "connected"
    lost = out["lost"]
    assert lost > 0 and out["during"] == [f"rec: disk full, {lost} events not recorded"]
    assert out["after"] == [f"rec: recording resumed after disk full: {lost} events not recorded"]
    seqs = out["seqs"]
    assert len(seqs) + lost == 70  # every event was either recorded or counted as lost
    assert seqs == sorted(seqs) and seqs[-10:] == list(range(60, 70))
    assert out["notices"] == [f"recording resumed after disk full: {lost} events not recorded"]
    assert out["errors"] == []  # no half line was left where the disk ran out


# -- kill -9 in the middle of writing ---------------------------------------------------------

KILL_CHILD = r"""
import mmap, struct, sys, random
from datetime import datetime, timedelta, timezone
from labconsole.events import KernelText
from labconsole.sources.recording import Recorder

path, acked_path = sys.argv[1], sys.argv[2]
with open(acked_path, "r+b") as fh:
    acked = mmap.mmap(fh.fileno(), 8)
T0 = datetime(2025, 11, 8, 6, 19, tzinfo=timezone.utc)
rnd = random.Random(int(sys.argv[3]))
rec = Recorder(path)
for i in range(100000):
    rec.write(KernelText(at=T0 + timedelta(milliseconds=i), source="ssh:pve03", node="pve03",
                         text=f"seq {i} " + "x" * rnd.randrange(0, 200000)))
    acked[:8] = struct.pack("Q", i + 1)  # this write returned: it must survive kill -9
"""


def _kill_mid_write(tmp_path: Path, seed: int) -> tuple[int, list[int], list[RecordingError],
                                                         bool]:
    path, acked = tmp_path / f"kill{seed}.jsonl", tmp_path / f"acked{seed}"
    acked.write_bytes(b"\0" * 8)
    child = subprocess.Popen([sys.executable, "-c", KILL_CHILD, str(path), str(acked),
                              str(seed)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 20
        while int.from_bytes(acked.read_bytes(), "little") < 20:  # bounded: 20 s at most
            assert time.monotonic() < deadline and child.poll() is None, "child did not write"
            time.sleep(0.005)
        time.sleep(random.Random(seed).uniform(0, 0.05))  # a random moment in the loop
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(10)
    n_acked = int.from_bytes(acked.read_bytes(), "little")
    errors: list[RecordingError] = []
    seqs = _seqs([r.event for r in iter_recording(path, errors)])
    return n_acked, seqs, errors, path.read_bytes().endswith(b"\n")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_9_mid_write_loses_at_most_the_last_line(tmp_path: Path, seed: int) -> None:
    n_acked, seqs, errors, clean_end = _kill_mid_write(tmp_path, seed)
    # every write that returned is there, in order, and at most one more line after them
    assert seqs[:n_acked] == list(range(n_acked))
    assert seqs == list(range(len(seqs))) and len(seqs) <= n_acked + 1
    if clean_end:
        assert errors == []
    else:  # the line being written when the process died: reported, nothing else
        assert len(errors) == 1 and "truncated last line" in errors[0].reason
        assert errors[0].lineno == len(seqs) + 1


# -- damage that is not a bad line ------------------------------------------------------------

def test_a_gzip_recording_cut_short_yields_every_line_before_the_cut(tmp_path: Path) -> None:
    plain = tmp_path / "r.jsonl"
    with Recorder(plain) as rec:
        for i in range(400):
            rec.write(_kernel(i, pad=random.Random(i).randrange(0, 300)))
    packed = gzip.compress(plain.read_bytes())
    cut = tmp_path / "r.jsonl.gz"
    cut.write_bytes(packed[: len(packed) // 2])  # copied off the node mid-transfer
    errors: list[RecordingError] = []
    seqs = _seqs([r.event for r in iter_recording(cut, errors)])
    assert 0 < len(seqs) < 400 and seqs == list(range(len(seqs)))
    assert len(errors) == 1 and "compressed stream damaged" in errors[0].reason
    assert errors[0].lineno == len(seqs) + 1
    cut.write_bytes(packed[:2] + b"junk")
    assert not is_recording(cut)


def test_an_event_without_a_json_form_is_counted_and_the_console_goes_on(tmp_path: Path
                                                                         ) -> None:
    from labconsole.events import ApiJson

    rec = Recorder(tmp_path / "r.jsonl")
    pipeline = Pipeline(sources=[], recorder=rec)
    odd = ApiJson(at=T0, source="pve_api:lab", node=None, path="/x", body={1j})
    asyncio.run(pipeline.emit(odd))
    asyncio.run(pipeline.emit(_kernel(1)))
    assert rec.lost == 1 and rec.written == 1
    assert pipeline.failures and "not recorded" in pipeline.failures[0]
    lone = KernelText(at=T0, source="s", node=None, text="a\ud800b")  # from a "\ud800" escape
    rec.write(lone)
    rec.close()
    assert [r.event for r in iter_recording(rec.path)][-1] == lone


def test_an_overlong_line_is_skipped_without_reading_it_into_memory(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with Recorder(path) as rec:
        rec.write(_kernel(0))
        rec.write(_kernel(1, pad=5000))
        rec.write(_kernel(2))
    errors: list[RecordingError] = []
    got = list(iter_recording(path, errors, max_line=1000))
    assert _seqs([r.event for r in got]) == [0, 2]
    assert [e.lineno for e in errors] == [2] and "longer than 1000" in errors[0].reason
    assert json.loads(read_line_at(path, got[1].offset))["text"].startswith("seq 2 ")
    cut = tmp_path / "cut.jsonl"  # an endless last line (no newline at all)
    cut.write_bytes(path.read_bytes().splitlines(keepends=True)[0] + b"[" * 5000)
    errors = []
    assert _seqs([r.event for r in iter_recording(cut, errors, max_line=1000)]) == [0]
    assert len(errors) == 1 and "5000 bytes" in errors[0].reason
