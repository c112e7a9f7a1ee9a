"""End to end at 80x24 in tmux (issue 14): the demo, read back with capture-pane as an operator
would see it. Every node's votes, each NIC's tso/gso/gro with the warning, the newest hang
episode and a footer that keeps ``? Help`` and ``q Quit`` are all on the one screen."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from labconsole.demo import DEMO_RECORDING
from tests.tmux_driver import TmuxSession, labconsole_in_tmux

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

VOTES_WIDTH = 36  # the votes panel's columns at 80x24 (the NIC panel is to its right)


@pytest.fixture
def tmux() -> Iterator[TmuxSession]:
    with labconsole_in_tmux(["replay", "--speed", "0", str(DEMO_RECORDING)], width=80,
                            height=24, polls=160, name="labconsole-e2e80") as t:
        yield t


def test_everything_that_matters_fits_80x24(tmux: TmuxSession) -> None:
    screen = tmux.wait_for(lambda s: "end" in s and "newest hang:" in s, "the replay's end")
    lines = screen.splitlines()
    assert len(lines) == 24 and max(len(line) for line in lines) <= 80
    top = lines[1:8]  # votes | NICs
    for node in ("pve01", "pve02", "pve03"):
        assert any(node in line[:VOTES_WIDTH] for line in top), f"votes of {node}:\n{screen}"
        nic = next(line[VOTES_WIDTH:] for line in top if f"{node} eno1" in line)
        assert all(f"{flag} o" in nic for flag in ("tso", "gso", "gro")), nic
    assert "pve01 eno1  up tso on gso on gro on" in screen
    assert "pve03 eno1  up tso off gso off gro off" in screen  # after the fix
    assert "e1000e tso/gso on: known TX hang race" in screen
    assert "newest hang: pve03 e1000e eno1 hang x 37, TDH stuck at <f6> since 06:19:02" \
        in screen
    footer = lines[-1]
    assert footer.lstrip().startswith("? Help") and "q Quit" in footer, footer
    tmux.keys("q")
    tmux.wait_for(lambda s: "LABCONSOLE_EXIT=0" in s, "a clean exit")
