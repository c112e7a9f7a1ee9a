"""A third-party library may raise anything inside a source, SystemExit included (proxmoxer
does when its HTTP backend is missing): that source fails, shown; the others keep running."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from labconsole.events import KernelText
from labconsole.pipeline import Pipeline
from labconsole.sources.base import Emit

AT = datetime(2026, 3, 14, 6, 19, tzinfo=timezone.utc)


class Raising:
    def __init__(self, exc: BaseException) -> None:
        self.name = "pve-api"
        self.exc = exc

    async def run(self, emit: Emit) -> None:
        await asyncio.to_thread(self._in_worker_thread)

    def _in_worker_thread(self) -> None:
        raise self.exc


class OneLine:
    name = "ssh:pve01"

    async def run(self, emit: Emit) -> None:
        await asyncio.sleep(0)
        await emit(KernelText(at=AT, source=self.name, node="pve01", text="still here"))


@pytest.mark.parametrize("exc", [SystemExit(1), ValueError("bad"), RuntimeError("x"),
                                 ImportError("no requests")])
def test_any_exception_in_a_source_is_that_source_failing(exc: BaseException) -> None:
    pipeline = Pipeline(sources=[Raising(exc), OneLine()])
    asyncio.run(pipeline.run())
    assert pipeline.failures == [f"pve-api: {type(exc).__name__}: {exc}"]
    assert pipeline.state.health["pve-api"].state == "failed"
    assert len(pipeline.state.log.entries) == 1  # the other source ran to its end


def test_cancellation_still_stops_the_pipeline() -> None:
    async def main() -> None:
        task = asyncio.create_task(Pipeline(sources=[OneLine()]).run())
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
