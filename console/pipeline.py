"""The one pipeline: sources -> events -> domain state (+ recorder) -> "what changed" callback.

Live and replay sources run through the same code. Each event is applied to the domain state,
then written to the recorder (if any), then the callback is told which panels changed; the app
turns that into a Textual message (coalesced there, so a flood of kernel lines costs one redraw
per refresh, not one per line). A source that fails is reported as a ConnectionChange-like
error in the state and the others keep running.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from labconsole.clock import Clock, system_clock
from labconsole.events import ConnectionChange, Event
from labconsole.sources.base import Source
from labconsole.sources.recording import Recorder
from labconsole.state.console_state import ConsoleState

OnChange = Callable[[set[str]], None]
RESET = "reset"  # pseudo panel: the state was reset (a replay seek backwards)


@dataclass(slots=True)
class Pipeline:
    sources: Sequence[Source]
    state: ConsoleState = field(default_factory=ConsoleState)
    recorder: Recorder | None = None
    on_change: OnChange | None = None
    clock: Clock = system_clock
    failures: list[str] = field(default_factory=list)

    async def emit(self, event: Event) -> None:
        """Apply one event; the Emit every source is given."""
        changed = self.state.apply(event)
        if self.recorder is not None:
            try:
                self.recorder.write(event)
            except OSError as exc:
                self.failures.append(f"recording stopped: {exc}")
                self.recorder = None
                changed.add("health")
        if changed and self.on_change is not None:
            self.on_change(changed)

    def reset_state(self) -> None:
        """Start the domain state over (replay seek backwards)."""
        self.state.reset()
        if self.on_change is not None:
            self.on_change({RESET})

    async def _run_one(self, source: Source) -> None:
        try:
            await source.run(self.emit)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.failures.append(f"{source.name}: {type(exc).__name__}: {exc}")
            await self.emit(ConnectionChange(at=self.clock(), source=source.name, node=None,
                                             state="failed", detail=str(exc)))

    async def run(self) -> None:
        """Run every source until all finish (or the task is cancelled)."""
        try:
            await asyncio.gather(*(self._run_one(s) for s in self.sources))
        finally:
            if self.recorder is not None:
                self.recorder.close()
