"""The one interface every source implements, live or replay (DESIGN.md: "one pipeline").

A source is an asyncio producer: ``run(emit)`` produces events until cancelled or exhausted.
It never parses into domain state and never touches the UI; the pipeline hands each event to
the domain state and the recorder. Live and replay sources are interchangeable, so the same
code paths are exercised by the demo, the tests and an incident.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

from labconsole.events import Event

Emit = Callable[[Event], Awaitable[None]]


@runtime_checkable
class Source(Protocol):
    """An asyncio producer of typed events."""

    name: str

    async def run(self, emit: Emit) -> None:
        """Produce events by awaiting ``emit(event)`` until done or cancelled."""
        ...
