"""The one pipeline: sources -> events -> domain state (+ recorder) -> "what changed" callback.

Live and replay sources run through the same code. Each event is applied to the domain state,
then written to the recorder (if any), then the callback is told which panels changed; the app
turns that into a Textual message (coalesced there, so a flood of kernel lines costs one redraw
per refresh, not one per line). A source that fails, with any exception at all, is reported as
a ConnectionChange-like error in the state and the others keep running.

The recorder never stops the console: a write that fails (disk full) puts a ``recorder``
ConnectionChange ("failed") into the state and one problem line into ``failures``
("rec: disk full, N events not recorded", its count kept current); every later event tries
again, and the first that gets through records and shows the gap ("recording resumed after
disk full: N events not recorded"). A ticker fsyncs a quiet recorder on its interval.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from time import perf_counter

from labconsole.clock import Clock, system_clock
from labconsole.events import ConnectionChange, Event
from labconsole.sources.base import BatchEmit, Source
from labconsole.sources.recording import (
    RECORDER_SOURCE,
    Recorder,
    UnrecordableEvent,
    describe_os_error,
)
from labconsole.state.console_state import ConsoleState

OnChange = Callable[[set[str]], None]
# A batch of events (the lines of one read) is applied in slices of at most this much work,
# SLICE_EVENTS events between clock reads, with a turn of the event loop between slices
# (as the syslog listener forwards its queue: FORWARD_SLICE_S).
SLICE_SECONDS = 0.003
SLICE_EVENTS = 32
RESET = "reset"  # pseudo panel: the state was reset (a replay seek backwards)


@dataclass(slots=True)
class Pipeline:
    sources: Sequence[Source]
    state: ConsoleState = field(default_factory=ConsoleState)
    recorder: Recorder | None = None
    on_change: OnChange | None = None
    clock: Clock = system_clock
    # Told every event after it is applied (e.g. the live set re-reads a node's NICs after a
    # runbook action or a link change); must not block.
    on_event: Callable[[Event], None] | None = None
    failures: list[str] = field(default_factory=list)
    _rec_problem: int | None = field(default=None, init=False, repr=False)  # its failures[i]

    async def emit(self, event: Event) -> None:
        """Apply one event; the Emit every source is given."""
        changed = self.state.apply(event)
        if self.recorder is not None:
            changed |= self._record(self.recorder, event)
        if changed and self.on_change is not None:
            self.on_change(changed)
        if self.on_event is not None:
            self.on_event(event)

    async def emit_batch(self, events: Sequence[Event]) -> None:
        """``emit`` of each event in order, in slices of at most SLICE_SECONDS of work: each
        slice is applied ``SLICE_EVENTS`` events at a time, recorded with one write, told
        once, and then the event loop gets a turn (a keystroke waits for one slice, never
        for a whole read of a flood)."""
        n = len(events)
        start = 0
        while start < n:
            until = perf_counter() + SLICE_SECONDS
            end = start
            changed: set[str] = set()
            while end < n:
                stop = min(n, end + SLICE_EVENTS)
                changed |= self.state.apply_batch(events[end:stop])
                end = stop
                if perf_counter() >= until:
                    break
            self._told(changed, events[start:end])
            start = end
            if start < n:
                await asyncio.sleep(0)

    def _told(self, changed: set[str], events: Sequence[Event]) -> None:
        """Record a slice of applied events (one write), then say what changed."""
        recorder = self.recorder
        if recorder is not None and not self._write_many(recorder, events):
            for event in events:  # an outage or an odd event: one by one, each counted
                changed |= self._record(recorder, event)
        if changed and self.on_change is not None:
            self.on_change(changed)
        if self.on_event is not None:
            for event in events:
                self.on_event(event)

    def _write_many(self, recorder: Recorder, events: Sequence[Event]) -> bool:
        """``recorder.write_many``; an fsync due after the write that failed is shown as the
        ticker shows one (the events are written, the next fsync tries again), rather than
        failing the source that handed them on."""
        try:
            return recorder.write_many(events)
        except OSError as exc:
            self._set_rec_problem(f"rec: fsync failed: {describe_os_error(exc)}")
            return True

    def _record(self, recorder: Recorder, event: Event) -> set[str]:
        """Write one event; a failed write is shown, not fatal: the state keeps updating and
        the next event tries again (recording resumes by itself when space returns)."""
        was_down = recorder.outage is not None
        try:
            notice = recorder.write(event)
        except UnrecordableEvent as exc:
            self._set_rec_problem(f"rec: an event was not recorded: {exc}")
            return {"health"}
        except OSError as exc:
            outage = recorder.outage
            problem = outage.problem() if outage else f"rec: {describe_os_error(exc)}"
            self._set_rec_problem(problem)
            if was_down:
                return {"health"}
            return self.state.apply(ConnectionChange(
                at=event.at, source=RECORDER_SOURCE, node=None, state="failed",
                detail=f"{describe_os_error(exc)}: {exc}")) | {"health"}
        if notice is None:
            return set()
        self._set_rec_problem(f"rec: {notice.detail}")
        return self.state.apply(notice) | {"health"}

    def _set_rec_problem(self, text: str) -> None:
        """One entry in ``failures`` for the recorder, updated in place (the count moves)."""
        if self._rec_problem is None:
            self._rec_problem = len(self.failures)
            self.failures.append(text)
        else:
            self.failures[self._rec_problem] = text

    async def _sync_recorder(self, recorder: Recorder) -> None:
        """fsync a quiet recorder too: without this, the last events of a burst would wait
        for the next event (or exit) to reach the disk."""
        while True:
            await asyncio.sleep(max(recorder.fsync_interval, 0.05))
            try:
                recorder.sync_if_due()
            except OSError as exc:
                self._set_rec_problem(f"rec: fsync failed: {describe_os_error(exc)}")

    def _close_recorder(self) -> None:
        if self.recorder is None:
            return
        try:
            self.recorder.close()
        except OSError as exc:
            self._set_rec_problem(f"rec: not synced on exit: {describe_os_error(exc)}")

    def reset_state(self) -> None:
        """Start the domain state over (replay seek backwards)."""
        self.state.reset()
        if self.on_change is not None:
            self.on_change({RESET})

    async def _run_one(self, source: Source) -> None:
        try:
            await source.run(BatchEmit(self.emit, self.emit_batch))
        except (asyncio.CancelledError, KeyboardInterrupt, GeneratorExit):
            raise
        except BaseException as exc:
            # Third-party code inside a source may raise anything, even SystemExit (proxmoxer
            # does when its HTTP backend is missing): that source failed, the console did not.
            from labconsole.config.redact import redact  # only when a source fails

            why = redact(str(exc))  # a library's error may quote a secret in any form
            self.failures.append(f"{source.name}: {type(exc).__name__}: {why}")
            await self.emit(ConnectionChange(at=self.clock(), source=source.name, node=None,
                                             state="failed", detail=why))

    async def run(self) -> None:
        """Run every source until all finish (or the task is cancelled)."""
        ticker = (asyncio.create_task(self._sync_recorder(self.recorder))
                  if self.recorder is not None else None)
        try:
            await asyncio.gather(*(self._run_one(s) for s in self.sources))
        finally:
            if ticker is not None:
                ticker.cancel()
            self._close_recorder()
