"""``b`` on an episode an earlier session already remediated: the dashboard says so and a
second ``b`` opens a new session (its own audit key), never the old one resumed."""

from __future__ import annotations

from pathlib import Path

from labconsole.runbook.audit import AuditEntry, AuditLog
from labconsole.runbook.session import RunbookLauncher
from labconsole.screens.runbook import RunbookScreen
from tests.ui.helpers import b_on_first_episode, demo_app


async def test_remediated_episode_says_so_and_b_again_opens_a_new_session(
        tmp_path: Path) -> None:
    app = demo_app()
    audit = tmp_path / "audit.jsonl"
    app.runbook_launcher = RunbookLauncher.offline(  # type: ignore[attr-defined]
        operator="alice", clock=app.clock, audit_path=audit)
    async with app.run_test(size=(100, 30)) as pilot:
        dash = await b_on_first_episode(pilot)
        screen = app.screen
        assert isinstance(screen, RunbookScreen)
        key = screen.engine.ctx.episode
        assert key is not None and "~" not in key
        await pilot.press("escape")
        await pilot.pause()
        # a live session fixed it meanwhile (the audit log says so)
        AuditLog(audit, private=True).append(AuditEntry(
            at="2025-11-08T06:25:04+00:00", operator="bob", runbook="e1000e-tx-hang",
            step="offloads-off", kind="action", node="pve03", iface="eno1",
            command="ethtool -K eno1 tso off gso off gro off", dry_run=False, exit_status=0,
            output="", result="done", episode=key))
        await pilot.press("b")
        await pilot.pause()
        assert app.screen is dash
        assert dash.message.startswith(f"episode {key} already remediated (offloads-off "
                                       "done 06:25:04")
        assert dash.message.endswith("b again opens a new session")
        await pilot.press("b")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RunbookScreen)
        assert screen.engine.ctx.episode == f"{key}~2"
        assert dash.message == f"runbook e1000e-tx-hang on pve03 (new session {key}~2)"
