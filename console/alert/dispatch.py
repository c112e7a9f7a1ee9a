"""Alerts to every sink: deduplicated, rate-limited, retried with bounded backoff.

- **Deduplicated**: an alert with the key of one submitted within ``dedup_window`` seconds
  is dropped (the tracker says each change once; this guards against the same change being
  seen again, e.g. after the state was rebuilt).
- **Rate-limited** per sink: at most ``rate_limit`` deliveries per ``rate_window`` seconds;
  an alert over the limit is not sent and is reported as ``suppressed``.
- **Retried**: up to ``retries`` more attempts after a failure, waiting a capped
  exponential backoff between them; after the last, the alert is reported ``failed`` with
  the last error. Every wait and every attempt is bounded (sinks have timeouts).
- Each sink has its own queue and worker, so a sink that is down delays only itself; a full
  queue (``queue_size``) drops the alert as ``failed`` rather than growing without bound.

Every outcome (delivered, failed, suppressed, duplicate) goes to ``on_result``: the watcher
logs it and records it as an ``AlertNotice`` event.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from labconsole.alert.message import IncidentAlert
from labconsole.alert.sink import DeliveryError, Sink
from labconsole.config.watch_model import AlertPolicy
from labconsole.sources.backoff import Backoff

__all__ = ["DEFAULT_POLICY", "AlertDispatcher", "AlertPolicy", "Delivery", "Outcome"]

Outcome = Literal["delivered", "failed", "suppressed", "duplicate"]


@dataclass(frozen=True, slots=True)
class Delivery:
    """What became of ``alert`` at ``sink`` ("" for a duplicate, dropped before any sink)."""

    sink: str
    alert: IncidentAlert
    outcome: Outcome
    attempts: int = 0
    error: str = ""


DEFAULT_POLICY = AlertPolicy()
OnResult = Callable[[Delivery], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(slots=True)
class _Lane:
    sink: Sink
    queue: asyncio.Queue[IncidentAlert]
    sent: deque[float] = field(default_factory=deque)


class AlertDispatcher:
    def __init__(self, sinks: Sequence[Sink], on_result: OnResult, *,
                 policy: AlertPolicy = DEFAULT_POLICY, sleep: Sleep = asyncio.sleep,
                 clock: Callable[[], float] = time.monotonic,
                 rng: Callable[[], float] = lambda: 0.0) -> None:
        self.policy = policy
        self._on_result = on_result
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._seen: dict[tuple[str, str, str, int], float] = {}
        self._lanes = [_Lane(s, asyncio.Queue(policy.queue_size)) for s in sinks]
        self._results: asyncio.Queue[Delivery] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def sinks(self) -> list[str]:
        return [lane.sink.name for lane in self._lanes]

    def start(self) -> None:
        """One worker per sink (call from within the running event loop)."""
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._work(lane)) for lane in self._lanes]
            self._tasks.append(asyncio.create_task(self._report()))

    def submit(self, alert: IncidentAlert) -> None:
        """Queue ``alert`` for every sink, unless it repeats a recent one (never blocks: the
        pipeline's change callback calls it)."""
        now = self._clock()
        key = alert.dedup_key()
        last = self._seen.get(key)
        if last is not None and now - last < self.policy.dedup_window:
            self._results.put_nowait(Delivery("", alert, "duplicate"))
            return
        self._seen[key] = now
        for lane in self._lanes:
            try:
                lane.queue.put_nowait(alert)
            except asyncio.QueueFull:
                self._results.put_nowait(Delivery(lane.sink.name, alert, "failed",
                                                  error="alert queue full"))

    async def drain(self) -> None:
        """Wait until every queued alert has been delivered, failed or suppressed, and its
        outcome reported."""
        for lane in self._lanes:
            await lane.queue.join()
        await self._results.join()

    async def _report(self) -> None:
        while True:
            result = await self._results.get()
            try:
                await self._on_result(result)
            finally:
                self._results.task_done()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def _work(self, lane: _Lane) -> None:
        while True:
            alert = await lane.queue.get()
            try:
                self._results.put_nowait(await self._deliver(lane, alert))
            finally:
                lane.queue.task_done()

    def _allowed(self, lane: _Lane) -> bool:
        now = self._clock()
        while lane.sent and now - lane.sent[0] >= self.policy.rate_window:
            lane.sent.popleft()
        if len(lane.sent) >= self.policy.rate_limit:
            return False
        lane.sent.append(now)
        return True

    async def _deliver(self, lane: _Lane, alert: IncidentAlert) -> Delivery:
        name = lane.sink.name
        if not self._allowed(lane):
            return Delivery(name, alert, "suppressed",
                            error=f"rate limit: {self.policy.rate_limit} alerts per "
                                  f"{self.policy.rate_window:g} s")
        backoff = Backoff(base=self.policy.retry_delay, cap=self.policy.retry_max_delay,
                          jitter=0.5, rng=self._rng)
        error = ""
        for attempt in range(1, self.policy.retries + 2):
            try:
                await lane.sink.send(alert)
            except DeliveryError as exc:
                error = str(exc)
            except Exception as exc:  # a sink bug must not end the worker: it is a failure
                error = f"{type(exc).__name__}: {exc}"
            else:
                return Delivery(name, alert, "delivered", attempts=attempt)
            if attempt <= self.policy.retries:
                await self._sleep(backoff.next_delay())
        return Delivery(name, alert, "failed", attempts=self.policy.retries + 1, error=error)
