"""The demo's runbook is a rehearsal: every step of e1000e-tx-hang walked with Pilot, checks
answered from the recording, actions shown and not sent, nothing red."""

from __future__ import annotations

from pathlib import Path

import pytest

from labconsole.runbook.audit import read_audit
from labconsole.screens.runbook import RunbookScreen
from tests.ui.helpers import b_on_first_episode, demo_app
from tests.ui.test_runbook_screen import screen_text, wait_state

RED = {"fail", "error", "refused", "aborted"}


async def test_demo_rehearsal_walks_every_step_with_nothing_red(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    app = demo_app()  # no launcher set: the console builds the offline one itself
    async with app.run_test(size=(110, 34)) as pilot:
        dash = await b_on_first_episode(pilot)
        screen = app.screen
        assert isinstance(screen, RunbookScreen), dash.message
        engine = screen.engine
        assert engine.runbook.id == "e1000e-tx-hang" and engine.rehearsal is not None
        actions = []
        for _ in range(len(engine.runs) + 1):
            await wait_state(pilot, engine, "waiting", "finished", "failed")
            assert engine.state != "failed", [(r.step.id, r.status, r.detail)
                                              for r in engine.runs]
            if engine.state == "finished":
                break
            run = engine.current
            assert run is not None and run.step.kind == "action"
            text = screen_text(app)
            assert "REHEARSAL" in text and "press c to rehearse it (not sent)" in text
            assert run.command in text
            actions.append(run.step.id)
            await pilot.press("c")
        assert engine.state == "finished"
        assert "rehearsal finished" in screen_text(app)
        # opened again: the rehearsal is said to be done, b again starts it over
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("b")
        await pilot.pause()
        assert app.screen is dash
        key = engine.ctx.episode
        assert dash.message.startswith(f"episode {key} already rehearsed (offloads-off "
                                       "rehearsed ")
        await pilot.press("b")
        await pilot.pause()
        again = app.screen
        assert isinstance(again, RunbookScreen) and again.engine.ctx.episode == f"{key}~2"
        await wait_state(pilot, again.engine, "waiting")
        assert not any(r.resumed for r in again.engine.runs)
    assert actions == ["offloads-off", "persist", "reload"]
    by_id = {r.step.id: r for r in engine.runs}
    assert not [r.step.id for r in engine.runs if r.status in RED]
    for run in engine.runs:
        if run.step.kind == "action":
            assert (run.status, run.detail) == ("rehearsed", "not sent (rehearsal)")
        else:
            assert run.detail.startswith("rehearsal: from the recording ("), run.detail
    # what the recording held at the episode: pve01's votes without pve03, the hang lines,
    # the e1000e driver, the offloads on (before the fix, which was not sent)
    assert "votes seen by pve01" in by_id["confirm-votes"].detail
    assert by_id["confirm-votes"].status == "pass" and "pve03 missing" in \
        by_id["confirm-votes"].detail
    assert by_id["kernel-log"].status == "pass"
    assert "Detected Hardware Unit Hang" in by_id["kernel-log"].output
    assert by_id["driver"].status == "pass" and "driver: e1000e" in by_id["driver"].output
    assert by_id["offloads-off"].command == "ethtool -K eno1 tso off gso off gro off"
    assert by_id["verify-offloads"].status == "rehearsed"
    assert "tcp-segmentation-offload: on" in by_id["verify-offloads"].output
    # progress went to the user's private offline log, as dry-run (rehearsal) entries
    log = tmp_path / "home/.local/share/labconsole/offline/offline-audit.jsonl"
    entries = list(read_audit(log))
    assert entries and all(e.dry_run for e in entries)
    assert {e.step for e in entries if e.episode == key} == set(by_id)
