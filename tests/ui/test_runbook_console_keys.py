"""Pilot: on the runbook screen, ``t`` switches a runbook whose node cannot be reached to
the node's console, then confirms each command shown as typed."""

from __future__ import annotations

from pathlib import Path

from labconsole.app import LabConsoleApp
from labconsole.screens.runbook import RunbookScreen
from tests.unit.test_runbook_console import Reachability, engine_for
from tests.unit.test_runbook_support import FakeNode


async def test_t_switches_to_the_console_and_confirms_typed(tmp_path: Path) -> None:
    node = FakeNode(tmp_path / "pve03")
    executor = Reachability(node.executor())
    executor.down.add("pve03")
    engine = engine_for(node, executor, tmp_path / "audit.jsonl")
    app = LabConsoleApp([], tick_seconds=0)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.push_screen(RunbookScreen(engine))
        for _ in range(200):
            if engine.state == "failed" and not engine.busy:
                break
            await pilot.pause(0.02)
        assert engine.current is not None and engine.current.status == "error"
        await pilot.press("t")
        for _ in range(200):
            if engine.state == "waiting" and not engine.busy:
                break
            await pilot.pause(0.02)
        run = engine.current
        assert run is not None and run.status == "at-console"
        assert run.command == "ethtool -K eno1 tso off gso off gro off"
        await pilot.press("t")
        for _ in range(200):
            if engine.current is not run and not engine.busy:
                break
            await pilot.pause(0.02)
        assert run.status == "typed"
        assert engine.current is not None and engine.current.step.id == "persist"
