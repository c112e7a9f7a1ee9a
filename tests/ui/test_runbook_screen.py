"""The runbook screen driven by Pilot over a fake node (real shell, fake tools)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static

from labconsole.app import LabConsoleApp
from labconsole.runbook.audit import AuditLog, read_audit
from labconsole.runbook.engine import RunbookEngine
from labconsole.runbook.load import bundled
from labconsole.screens.runbook import RunbookScreen
from tests.unit.test_runbook_support import FakeNode, TickClock


async def no_sleep(_: float) -> None:
    await asyncio.sleep(0)


def engine_on(node: FakeNode, audit: Path, *, dry_run: bool = False) -> RunbookEngine:
    book = next(b for b in bundled() if b.id == "e1000e-tx-hang")
    return RunbookEngine(book, node.context(), node.executor(), AuditLog(audit),
                         operator="alice", clock=TickClock(), dry_run=dry_run, sleep=no_sleep,
                         settle_seconds=0, detached_dir=str(node.detached), detached_delay=0)


async def wait_state(pilot: Pilot[int], engine: RunbookEngine, *states: str,
                     rounds: int = 400) -> None:
    for _ in range(rounds):
        await pilot.pause(0.01)
        if engine.state in states and not engine.busy:
            return
    raise AssertionError(f"engine state {engine.state}, wanted {states}: "
                         f"{[(r.step.id, r.status, r.detail) for r in engine.runs]}")


def screen_text(app: LabConsoleApp) -> str:
    screen = app.screen
    parts = [str(w.render()) for w in screen.query(Static)]
    return "\n".join(parts)


async def test_pilot_runs_the_fix_with_confirm_keys_and_feeds_the_timeline(
        tmp_path: Path) -> None:
    node = FakeNode(tmp_path / "pve03")
    engine = engine_on(node, tmp_path / "audit.jsonl")
    app = LabConsoleApp([], tick_seconds=0)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.push_screen(RunbookScreen(engine))
        await wait_state(pilot, engine, "waiting")
        text = screen_text(app)
        assert "ethtool -K eno1 tso off gso off gro off" in text
        assert "press c to run it" in text
        assert node.flag("tso") == "on"
        await pilot.press("s")  # skip is a key...
        await wait_state(pilot, engine, "failed")  # ...and verify then fails
        assert engine.current is not None and engine.current.step.id == "verify-offloads"
        assert "step failed" in screen_text(app)
        await pilot.press("r")
        await wait_state(pilot, engine, "failed")
        # do it properly: the operator turns them off by hand, retries
        for flag in ("tso", "gso", "gro"):
            (node.state / flag).write_text("off\n")
        await pilot.press("r")
        await wait_state(pilot, engine, "waiting")
        assert engine.current is not None and engine.current.step.id == "persist"
        await pilot.press("c")
        await wait_state(pilot, engine, "waiting")
        assert "post-up /sbin/ethtool -K eno1" in node.interfaces.read_text()
        assert "R restores" in screen_text(app)
        await pilot.press("R")  # roll back: the file is the original again
        await wait_state(pilot, engine, "waiting")
        assert "post-up" not in node.interfaces.read_text()
        await pilot.press("c")  # persist again
        await wait_state(pilot, engine, "waiting")
        node.set_votes(["pve01", "pve02", "pve03"])
        await pilot.press("c")  # reload
        await wait_state(pilot, engine, "finished")
        assert "finished" in screen_text(app)
        for _ in range(50):  # the timeline workers run after the engine
            await pilot.pause(0.01)
        actions = [e for e in app.state.timeline.entries if e.kind == "action"]
        await pilot.press("escape")
        assert not isinstance(app.screen, RunbookScreen)
    entries = list(read_audit(tmp_path / "audit.jsonl"))
    kinds = {(e.step, e.kind, e.result) for e in entries}
    assert ("offloads-off", "action", "skipped") in kinds
    assert ("persist", "rollback", "done") in kinds
    assert ("reload", "action", "done") in kinds
    assert entries[-1].step == "votes-back" and entries[-1].result == "pass"
    # every audit entry is on the timeline, a passed step in green
    assert len(actions) == len(entries)
    assert any(a.text.startswith("e1000e-tx-hang/votes-back:") and a.severity == "ok"
               for a in actions)
    assert any("[skipped]" in a.text for a in actions)


async def test_dry_run_screen_says_so_and_sends_nothing(tmp_path: Path) -> None:
    node = FakeNode(tmp_path / "pve03")
    engine = engine_on(node, tmp_path / "audit.jsonl", dry_run=True)
    app = LabConsoleApp([], tick_seconds=0)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(RunbookScreen(engine))
        await wait_state(pilot, engine, "waiting")
        text = screen_text(app)
        assert "DRY RUN" in text and "dry run: shown, not sent" in text
        await pilot.press("c")
        await wait_state(pilot, engine, "failed")
    assert node.flag("tso") == "on" and not (node.state / "ethtool-K.log").exists()


async def test_demo_hang_episode_opens_the_e1000e_runbook_offline(tmp_path: Path) -> None:
    """In the demo there is no node: the runbook opens on the selected episode, shows the
    exact commands, and every command reports it was not run (none pretends to pass)."""
    from labconsole.runbook.session import RunbookLauncher
    from labconsole.screens.dashboard import DashboardScreen
    from labconsole.widgets.kernel_log import KernelLogPane
    from tests.ui.helpers import demo_app, settle

    app = demo_app()
    app.runbook_launcher = RunbookLauncher.offline(  # type: ignore[attr-defined]
        operator="alice", clock=app.clock, audit_path=tmp_path / "audit.jsonl")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        dash = app.screen
        assert isinstance(dash, DashboardScreen)
        pane = dash.query_one(KernelLogPane)
        index = next(i for i, r in enumerate(pane.view.rows) if r.episode is not None)
        pane.follow = False
        pane.move_to(index)
        await pilot.press("b")  # the dashboard's runbook key
        await pilot.pause()
        assert dash.message == "runbook e1000e-tx-hang on pve03"
        screen = app.screen
        assert isinstance(screen, RunbookScreen)
        engine = screen.engine
        await wait_state(pilot, engine, "failed")
        assert engine.ctx.iface == "eno1" and engine.ctx.episode is not None
        assert engine.ctx.peers == ("pve01", "pve02")  # from the votes: who to ask
        assert engine.ctx.episode.startswith("pve03-eno1-2025")
        assert engine.runs[0].status == "error"
        assert "no live connection" in engine.runs[0].detail
        text = screen_text(app)
        assert "node pve03  iface eno1" in text


async def test_lost_node_opens_hang_runbook_if_it_hung_else_node_left(tmp_path: Path) -> None:
    """'b' away from any episode: pve03 lost its vote; with its hang in the log the e1000e
    runbook opens, with no kernel log at all the node-left-cluster one."""
    from labconsole.demo import DEMO_RECORDING
    from labconsole.events import KernelText
    from labconsole.runbook.session import RunbookLauncher
    from labconsole.screens.dashboard import DashboardScreen
    from labconsole.sources.replay import ReplayControl, ReplaySource, load_events
    from tests.ui.helpers import MID_INCIDENT, settle

    events = [e for e in load_events([DEMO_RECORDING]) if e.at <= MID_INCIDENT]
    results = []
    for keep_kernel in (True, False):
        chosen = [e for e in events if keep_kernel or not isinstance(e, KernelText)]
        control = ReplayControl(speed=0)
        app = LabConsoleApp([ReplaySource(chosen, control=control)], replay=control,
                            tick_seconds=0)
        app.runbook_launcher = RunbookLauncher.offline(  # type: ignore[attr-defined]
            operator="alice", clock=app.clock, audit_path=tmp_path / "audit.jsonl")
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            dash = app.screen
            assert isinstance(dash, DashboardScreen)
            pane = dash.log_pane
            plain = [i for i, r in enumerate(pane.view.rows) if r.episode is None]
            if plain:
                pane.follow = False
                pane.move_to(plain[0])
            await pilot.press("b")
            await pilot.pause()
            results.append(dash.message)
            if isinstance(app.screen, RunbookScreen):
                assert app.screen.engine.ctx.peers == ("pve01", "pve02")
    assert results == ["runbook e1000e-tx-hang on pve03", "runbook node-left-cluster on pve03"]
