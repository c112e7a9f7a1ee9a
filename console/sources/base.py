"""The one interface every source implements, live or replay (DESIGN.md: "one pipeline").

A source is an asyncio producer: ``run(emit)`` produces events until cancelled or exhausted.
It never parses into domain state and never touches the UI; the pipeline hands each event to
the domain state and the recorder. Live and replay sources are interchangeable, so the same
code paths are exercised by the demo, the tests and an incident.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, runtime_checkable

from labconsole.events import Event

Emit = Callable[[Event], Awaitable[None]]
EmitBatch = Callable[[Sequence[Event]], Awaitable[None]]


class BatchEmit:
    """An ``Emit`` that also takes a batch of events in one call (``batch``): what the
    pipeline gives its sources. A source holding many events at once (the lines of one read)
    passes them through ``emit_all``; any other ``Emit`` gets them one by one."""

    __slots__ = ("batch", "one")

    def __init__(self, one: Emit, batch: EmitBatch) -> None:
        self.one = one
        self.batch = batch

    def __call__(self, event: Event) -> Awaitable[None]:
        return self.one(event)


async def emit_all(emit: Emit, events: Sequence[Event]) -> None:
    """Hand ``events`` on in order: in one call where ``emit`` takes batches, else each."""
    if isinstance(emit, BatchEmit):
        if events:
            await emit.batch(events)
        return
    for event in events:
        await emit(event)


@runtime_checkable
class Source(Protocol):
    """An asyncio producer of typed events."""

    name: str

    async def run(self, emit: Emit) -> None:
        """Produce events by awaiting ``emit(event)`` until done or cancelled."""
        ...
