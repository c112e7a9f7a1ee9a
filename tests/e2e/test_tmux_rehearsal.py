"""End to end in tmux: the demo's runbook is a rehearsal an operator can walk to the end.

``labconsole replay`` of the bundled incident with a fresh HOME (its offline progress goes to
that HOME's data directory); the hang episode selected with the keys, ``b`` opens the
e1000e-tx-hang runbook, ``c`` rehearses each action; every step ends passed (from the
recording) or rehearsed (not sent); no step is marked failed, errored, refused or aborted.
Every wait polls capture-pane a bounded number of times.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from labconsole.demo import DEMO_RECORDING
from labconsole.runbook.audit import read_audit
from tests.tmux_driver import TmuxSession as Tmux
from tests.tmux_driver import labconsole_in_tmux

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

RED_MARKS = ("✖", "⊘", "■")  # fail/error, refused, aborted (widgets/runbook_steps.py)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def tmux(home: Path) -> Iterator[Tmux]:
    with labconsole_in_tmux(["replay", "--speed", "0", str(DEMO_RECORDING)], width=110,
                            height=34, env={"XDG_DATA_HOME": None, "HOME": str(home)},
                            polls=160) as t:
        yield t


def steps_pane(screen: str) -> list[str]:
    return [line.split("││")[0] for line in screen.splitlines()
            if line.startswith("│") and "││" in line and ("check" in line or "ACTION" in line)]


def test_demo_rehearsal_in_tmux_walks_every_step_with_nothing_red(tmux: Tmux,
                                                                 home: Path) -> None:
    tmux.wait_for(lambda s: "replay 06:22:00/06:22:00 end" in s, "the end of the replay")
    tmux.keys("space")  # pause the log's follow, then the cursor onto the hang episode
    tmux.wait_for(lambda s: "PAUSED" in s, "the log to pause")
    tmux.keys("Up")
    tmux.keys("b")
    screen = tmux.wait_for(lambda s: "REHEARSAL: checks from the recording" in s
                           and "waiting for your confirm" in s, "the rehearsal to open")
    assert "ethtool -K eno1 tso off gso off gro off" in screen
    assert "press c to rehearse it (not sent)" in screen
    for step in ("8 ACTION", "9 ACTION"):  # offloads-off, then persist, then reload
        tmux.keys("c")
        tmux.wait_for(lambda s, step=step: any(step in line and "▶?" in line
                                               for line in steps_pane(s)),
                      f"step {step} to wait for its confirm")
    tmux.keys("c")
    screen = tmux.wait_for(lambda s: "11/11 steps  rehearsal finished" in s,
                           "the rehearsal to finish")
    rows = steps_pane(screen)
    assert len(rows) == 11
    assert not [r for r in rows if any(m in r for m in RED_MARKS)], rows
    assert all("✔" in r or "○" in r for r in rows), rows
    assert "step failed" not in screen
    for _ in range(10):  # back to step 1 (k: the step pane's scroll keeps the arrows)
        tmux.keys("k")
    screen = tmux.wait_for(lambda s: "1. Confirm the symptom" in s, "step 1's detail")
    assert "rehearsal: from the recording (votes seen by pve01" in screen
    tmux.keys("Escape")  # alone: Escape then q in one write reads as alt+q
    tmux.wait_for(lambda s: "Kernel log" in s, "the dashboard")
    tmux.keys("q")
    tmux.wait_for(lambda s: "LABCONSOLE_EXIT=0" in s, "a clean exit")
    log = home / ".local/share/labconsole/offline/offline-audit.jsonl"
    entries = list(read_audit(log))
    assert len({e.step for e in entries}) == 11 and all(e.dry_run for e in entries)
