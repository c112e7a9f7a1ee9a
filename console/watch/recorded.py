"""Recordings and log files as a source that ends: ``watch PATH`` and ``watch --once PATH``.

The console's ``ReplaySource`` paces events and waits at the end for a seek; a watcher over
files wants neither: every event once, as fast as the pipeline takes them, then done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from labconsole.events import Event
from labconsole.sources.base import Emit
from labconsole.sources.recording import RecordingError
from labconsole.sources.replay import ReplayError, load_events

_YIELD_EVERY = 200  # let the alert dispatcher run now and then during a long file


class RecordedSource:
    """Every event of ``events`` in order, then the source finishes."""

    def __init__(self, events: Sequence[Event], name: str = "replay") -> None:
        self.name = name
        self.events = list(events)

    @classmethod
    def from_paths(cls, paths: Sequence[Path], errors: list[RecordingError],
                   year: int | None = None) -> RecordedSource:
        """Raises ReplayError (missing file, nothing readable) or OSError."""
        events = load_events(paths, errors, year=year)
        if not events:
            raise ReplayError("nothing to read in " + ", ".join(str(p) for p in paths))
        return cls(events)

    async def run(self, emit: Emit) -> None:
        for i, event in enumerate(self.events, 1):
            await emit(event)
            if i % _YIELD_EVERY == 0:
                await asyncio.sleep(0)
