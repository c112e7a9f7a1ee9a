"""The watcher: the console's pipeline without a screen, turning incidents into alerts.

Sources -> ``Pipeline`` (the console's, with its recorder) -> ``ConsoleState``; after the
state changes, at most once per ``every`` seconds of data time (and on a wall-clock ticker
while nothing arrives), the ``IncidentTracker`` looks at the state's incidents and the
alerts go to the ``AlertDispatcher``. Each delivery outcome is a log line and an
``AlertNotice`` event put through the same pipeline, so the recording keeps it (and a
replay of that recording shows which alerts went out and which did not).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from labconsole.alert.dispatch import DEFAULT_POLICY, AlertDispatcher, AlertPolicy, Delivery
from labconsole.alert.message import IncidentAlert
from labconsole.alert.sink import Sink
from labconsole.alert.text import subject, visible
from labconsole.clock import Clock, system_clock
from labconsole.events import AlertNotice
from labconsole.incident.correlate import DEFAULT_RULES, Rules
from labconsole.pipeline import Pipeline
from labconsole.sources.base import Source
from labconsole.sources.recording import Recorder
from labconsole.state.console_state import ConsoleState
from labconsole.watch.tracker import DEFAULT_HOLD, IncidentTracker

Log = Callable[[str], None]


class Watcher:
    def __init__(self, sources: Sequence[Source], sinks: Sequence[Sink], *, log: Log,
                 recorder: Recorder | None = None, policy: AlertPolicy = DEFAULT_POLICY,
                 hold: timedelta = DEFAULT_HOLD, every: float | None = 1.0,
                 clock: Clock = system_clock, rules: Rules = DEFAULT_RULES) -> None:
        """``every``: seconds (data time, and wall time while nothing arrives) between looks
        at the incidents; None: only one look, at the end (``--once``)."""
        self.log = log
        self.every = timedelta(seconds=every) if every is not None else None
        self.tracker = IncidentTracker(rules=rules, hold=hold)
        self.pipeline = Pipeline(sources=sources, recorder=recorder, on_change=self._changed,
                                 clock=clock)
        self.dispatcher = AlertDispatcher(sinks, self._delivered, policy=policy)
        self.alerts: list[IncidentAlert] = []
        self.deliveries: list[Delivery] = []
        self._dirty = False
        self._looked_at: datetime | None = None  # data time of the last look
        self._failures_logged = 0
        self._conn: dict[str, str] = {}

    @property
    def state(self) -> ConsoleState:
        return self.pipeline.state

    def _changed(self, panels: set[str]) -> None:
        self._dirty = True
        if "health" in panels:
            self._log_connections()
        latest = self.state.latest
        if self.every is not None and latest is not None and (
                self._looked_at is None or latest - self._looked_at >= self.every):
            self.look()

    def look(self) -> list[IncidentAlert]:
        """Compare the state's incidents with the last look; alert on what changed."""
        self._dirty = False
        self._looked_at = self.state.latest
        alerts = self.tracker.update(self.state)
        for alert in alerts:
            self.alerts.append(alert)
            self.log(f"ALERT {subject(alert)}")
            self.dispatcher.submit(alert)
        self._log_failures()
        return alerts

    def _log_connections(self) -> None:
        for name, h in self.state.health.items():
            if name.startswith("alert:") or self._conn.get(name, "connecting") == h.state:
                continue
            self._conn[name] = h.state
            detail = f": {visible(h.detail)}" if h.detail and h.state != "connected" else ""
            self.log(f"source {name} {h.state}{detail}")

    def _log_failures(self) -> None:
        for problem in self.pipeline.failures[self._failures_logged:]:
            self.log(f"problem: {visible(problem)}")
        self._failures_logged = len(self.pipeline.failures)

    async def _delivered(self, d: Delivery) -> None:
        self.deliveries.append(d)
        what = f"{d.alert.incident_id} {d.alert.change}"
        if d.outcome == "duplicate":
            self.log(f"alert {what}: duplicate, not sent again")
            return
        if d.outcome == "delivered":
            self.log(f"alert {d.sink}: delivered {what} (attempt {d.attempts})")
        elif d.outcome == "suppressed":
            self.log(f"alert {d.sink}: SUPPRESSED {what}: {d.error}")
        else:
            self.log(f"alert {d.sink}: FAILED {what} after {d.attempts} attempt"
                     f"{'s' * (d.attempts != 1)}: {visible(d.error)}")
        await self.pipeline.emit(AlertNotice(
            at=self.pipeline.clock(), source=f"alert:{d.sink}", node=None, sink=d.sink,
            incident=d.alert.incident_id, change=d.alert.change, status=d.outcome,
            attempts=d.attempts, detail=d.error))

    async def _ticker(self) -> None:
        if self.every is None:
            return
        while True:
            await asyncio.sleep(self.every.total_seconds())
            if self._dirty:
                self.look()

    async def run(self, stop: asyncio.Event | None = None,
                  window: float | None = None) -> None:
        """Until every source ends (files), ``stop`` is set (a service stopping) or
        ``window`` seconds have passed (``--once`` on live sources); then a last look, and
        every alert delivered or given up before returning."""
        self.dispatcher.start()
        ticker = asyncio.create_task(self._ticker())
        pipeline = asyncio.create_task(self.pipeline.run())
        waits: set[asyncio.Task[Any]] = {pipeline}
        if stop is not None:
            waits.add(asyncio.create_task(stop.wait()))
        try:
            await asyncio.wait(waits, timeout=window, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (*waits, ticker):
                task.cancel()
            await asyncio.gather(*waits, ticker, return_exceptions=True)
        self.look()
        await self.finish()

    async def finish(self) -> None:
        """Deliver what is queued (bounded by the retry policy), then stop the workers."""
        await self.dispatcher.drain()
        await self.dispatcher.stop()
        if self.pipeline.recorder is not None:
            with contextlib.suppress(OSError):
                self.pipeline.recorder.close()

