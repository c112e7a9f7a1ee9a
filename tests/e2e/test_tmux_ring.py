"""End to end in tmux: the console rings when an incident starts, and tmux flags the window
(``#{window_bell_flag}``), as an operator with the console in a background window would see.
The desktop notification escapes go through tmux's passthrough and leave nothing on screen."""

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


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    with labconsole_in_tmux(["replay", "--speed", "4", str(DEMO_RECORDING)], width=100,
                            height=30, window="console", exit_mark=False,
                            name="labconsole-ring") as t:
        # the operator is looking at another window
        t.run("new-window", "-d", "-t", "lc", "-n", "shell", "sleep 120")
        yield t


def bell_flag(t: Tmux) -> str:
    return t.run("display-message", "-p", "-t", "lc:console", "#{window_bell_flag}").strip()


def test_an_incident_flags_the_tmux_window(tmux: Tmux) -> None:
    tmux.wait_for(lambda s: "homelab 3/3 quorate" in s, "3/3 votes")
    assert bell_flag(tmux) == "0"  # nothing has happened yet
    tmux.wait_for(lambda _s: bell_flag(tmux) == "1", "tmux to flag the window's bell")
    screen = tmux.wait_for(lambda s: "── incident 1" in s, "incident 1 on the timeline")
    assert "]9;" not in screen and "777;notify" not in screen and "Ptmux" not in screen
