"""``b`` on a hang whose device name fails validation: the runbook is refused with the reason
on screen, nothing is built from the name, and the console keeps running (once it crashed,
with exit status 0)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from labconsole.app import LabConsoleApp
from labconsole.events import KernelText
from labconsole.runbook.session import RunbookLauncher
from labconsole.sources.replay import ReplayControl, ReplaySource
from tests.ui.helpers import b_on_first_episode, screen_lines

AT = datetime(2026, 3, 14, 6, 19, 2, tzinfo=timezone.utc)


@pytest.mark.parametrize(("device", "shown"), [
    ("eno1toolongname0x", "invalid interface name 'eno1toolongname0x'"),
    ("eno1$(touch${IFS}x)", "invalid interface name"),
])
async def test_b_on_an_invalid_device_is_a_message_not_a_crash(
        tmp_path: Path, device: str, shown: str) -> None:
    lines = [f"e1000e 0000:00:1f.6 {device}: Detected Hardware Unit Hang:",
             "  TDH                  <f6>", "  next_to_clean        <f6>"]
    control = ReplayControl(speed=0)
    app = LabConsoleApp([ReplaySource([KernelText(at=AT, source="file", node="pve03", text=t)
                                       for t in lines], control=control)],
                        replay=control, tick_seconds=0)
    audit = tmp_path / "audit.jsonl"
    app.runbook_launcher = RunbookLauncher.offline(  # type: ignore[attr-defined]
        operator="alice", clock=app.clock, audit_path=audit)
    async with app.run_test(size=(120, 30)) as pilot:
        dash = await b_on_first_episode(pilot)
        assert app.screen is dash  # no runbook screen, no crash
        assert dash.message.startswith("runbook refused: ") and shown in dash.message
        assert any("runbook refused" in line for line in screen_lines(app))
        await pilot.press("j")  # still answering keys
        assert app.is_running
    assert app.return_code in (None, 0)
    assert not (tmp_path / "x").exists() and not audit.exists()  # nothing ran or was logged
