"""Test helper: an ``emit`` that collects events and lets a test wait for a condition."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from labconsole.events import Event
from labconsole.sources.base import Source

E = TypeVar("E", bound=Event)


class Collector:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Condition()

    async def emit(self, event: Event) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def of(self, kind: type[E], node: str | None = None) -> list[E]:
        return [e for e in self.events
                if isinstance(e, kind) and (node is None or e.node == node)]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        """Wait until ``predicate()`` holds; fail with ``what`` and the events seen."""
        async def until() -> None:
            # woken by each event, and every 50 ms for predicates on state outside events
            async with self._changed:
                while not predicate():
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), 0.05)

        try:
            await asyncio.wait_for(until(), timeout)
        except asyncio.TimeoutError:
            tail = "\n".join(repr(e) for e in self.events[-10:])
            raise AssertionError(f"timed out after {timeout} s waiting for {what}; "
                                 f"last events:\n{tail}") from None


@contextlib.asynccontextmanager
async def running(*sources: Source | Callable[[Collector], Awaitable[None]],
                  collector: Collector) -> AsyncIterator[Collector]:
    """Run sources as tasks feeding ``collector``; cancel them on exit."""
    tasks = [asyncio.create_task(s.run(collector.emit)) if hasattr(s, "run")
             else asyncio.create_task(s(collector))  # type: ignore[operator]
             for s in sources]
    try:
        yield collector
    finally:
        for t in tasks:
            t.cancel()
        # a source that ignores cancellation is a bug: fail instead of hanging the test
        _, pending = await asyncio.wait(tasks, timeout=5)
        if pending:
            raise AssertionError(f"sources did not stop when cancelled: {pending}")
