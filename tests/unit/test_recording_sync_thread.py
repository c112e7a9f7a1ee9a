"""A recorder with ``sync_thread`` (the console's): a due fsync runs in a thread, so the
caller does not wait for the disk; one runs at a time; ``close`` waits for it and syncs the
rest; an fsync that failed in the thread is raised at the next due check, with its events
counted as unsynced again. Every wait is on a condition, bounded."""

from __future__ import annotations

import errno
import os
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from labconsole.events import KernelText
from labconsole.sources.recording import Recorder, iter_recording

T0 = datetime(2026, 11, 25, 6, 19, 0, tzinfo=timezone.utc)
WAIT_S = 30.0  # bound only: every wait below ends as soon as its condition holds


def _kernel(i: int) -> KernelText:
    return KernelText(at=T0 + timedelta(milliseconds=i), source="kernel:pve01", node="pve01",
                      text=f"line {i}")


class SlowDisk:
    """An fsync that waits until the test lets it finish (the disk of a loaded machine)."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.calls: list[tuple[int, str]] = []
        self.fail_next = False

    def __call__(self, fd: int) -> None:
        self.calls.append((fd, threading.current_thread().name))
        self.started.set()
        assert self.release.wait(WAIT_S)
        if self.fail_next:
            self.fail_next = False
            raise OSError(errno.EIO, os.strerror(errno.EIO))


def test_a_due_fsync_runs_in_a_thread_one_at_a_time_and_close_waits(tmp_path: Path) -> None:
    disk = SlowDisk()
    rec = Recorder(tmp_path / "r.jsonl", fsync_interval=60, fsync_every=4, fsync_fn=disk,
                   sync_thread=True)
    assert rec.write_many([_kernel(i) for i in range(4)])  # due: started, not waited for
    assert disk.started.wait(WAIT_S)
    assert rec.syncs == 1 and rec.unsynced == 0
    assert disk.calls[0][1].startswith("rec-fsync")  # not this thread
    assert rec.write_many([_kernel(i) for i in range(4, 12)])  # due again, one still runs
    assert len(disk.calls) == 1 and rec.unsynced == 8 and not rec.sync_if_due()
    disk.release.set()
    rec.close()  # waits for the running fsync, then syncs the 8 waiting
    assert len(disk.calls) == 2 and rec.syncs == 2 and rec.unsynced == 0
    assert [r.event.text for r in iter_recording(rec.path)] == [f"line {i}" for i in range(12)]


def test_a_failed_fsync_in_the_thread_is_raised_at_the_next_check(tmp_path: Path) -> None:
    disk = SlowDisk()
    disk.fail_next = True
    disk.release.set()
    rec = Recorder(tmp_path / "r.jsonl", fsync_interval=60, fsync_every=2, fsync_fn=disk,
                   sync_thread=True)
    rec.write(_kernel(0))
    rec.write(_kernel(1))  # due: the thread's fsync fails
    assert disk.started.wait(WAIT_S)
    syncing = rec._syncing
    assert syncing is not None
    syncing.exception(timeout=WAIT_S)  # finished (with its error)
    with pytest.raises(OSError):
        rec.sync_if_due()
    assert rec.unsynced == 2  # what it covered waits for the next fsync
    assert rec.sync_if_due()  # due again: this one works
    rec.close()
    assert rec.unsynced == 0 and len(disk.calls) == 2


def test_without_the_thread_a_due_fsync_is_done_before_returning(tmp_path: Path) -> None:
    calls: list[str] = []
    rec = Recorder(tmp_path / "r.jsonl", fsync_interval=60, fsync_every=2,
                   fsync_fn=lambda fd: calls.append(threading.current_thread().name))
    rec.write(_kernel(0))
    rec.write(_kernel(1))
    assert calls == [threading.current_thread().name] and rec.unsynced == 0
    rec.close()


def test_a_failed_fsync_after_a_batch_is_shown_and_the_source_goes_on(tmp_path: Path) -> None:
    import asyncio

    from labconsole.pipeline import Pipeline

    def broken(fd: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    rec = Recorder(tmp_path / "r.jsonl", fsync_interval=60, fsync_every=2, fsync_fn=broken)
    pipeline = Pipeline(sources=[], recorder=rec)
    asyncio.run(pipeline.emit_batch([_kernel(i) for i in range(3)]))  # the fsync fails
    asyncio.run(pipeline.emit_batch([_kernel(i) for i in range(3, 6)]))
    assert pipeline.failures == ["rec: fsync failed: Input/output error"]
    assert pipeline.state.log.last_seq == 6 and rec.written == 6
    with pytest.raises(OSError):
        rec.close()
    assert [r.event.text for r in iter_recording(rec.path)] == [f"line {i}" for i in range(6)]
