"""End to end in tmux: ``labconsole replay`` of the demo, driven by send-keys, read by capture-pane.

As an operator would: a detached tmux session (its own server socket, always killed at the end),
keys sent, the screen read back as text (and with colours for the highlighted hang line).
Every wait polls capture-pane a bounded number of times.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from labconsole.demo import DEMO_RECORDING
from tests.tmux_driver import TmuxSession as Tmux
from tests.tmux_driver import labconsole_in_tmux

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

POLLS = 160
POLL_SECONDS = 0.25


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    with labconsole_in_tmux(["replay", "--speed", "4", str(DEMO_RECORDING)], width=100,
                            height=30, polls=POLLS, poll_seconds=POLL_SECONDS) as t:
        yield t


def test_demo_replay_in_tmux(tmux: Tmux) -> None:
    tmux.wait_for(lambda s: "homelab 3/3 quorate" in s, "3/3 votes")
    tmux.wait_for(lambda s: "homelab 2/3 quorate" in s and "GONE" in s, "2/3 votes")
    screen = tmux.wait_for(lambda s: "hang x 37, TDH stuck at <f6> since 06:19:02" in s,
                           "the folded hang episode")
    assert screen.count("Detected Hardware Unit Hang") == 0  # folded: one line, not 37 blocks
    coloured = tmux.screen(colours=True)
    hang_line = next(line for line in coloured.splitlines() if "hang x 37" in line
                     and "▶" in line)
    assert "48;5;88" in hang_line  # dark red background: highlighted
    tmux.wait_for(lambda s: "replay 06:22:00/06:22:00 end" in s, "the end of the replay")

    tmux.keys("f", "perf", "Enter")
    screen = tmux.wait_for(lambda s: "filter 'perf'" in s, "the filter to apply")
    log = [line for line in screen.splitlines() if line.startswith("│  06:")]
    assert log and all("perf: interrupt" in line for line in log)

    tmux.keys("x", "/", "Link is Down", "Enter")
    tmux.wait_for(lambda s: "match for 'Link is Down'" in s, "the search to find a match")
    tmux.keys("q")
    tmux.wait_for(lambda s: "LABCONSOLE_EXIT=0" in s, "a clean exit")
