"""End to end in tmux: a kernel log whose lines carry terminal controls is shown, not obeyed.

A replayed plain log with a title-setting OSC, a clear-screen CSI, a ``\\r`` that would overwrite
its own row with a fake pve01 line, C1 controls, a bidi override and NUL: the pane title stays
what it was, the rows around it stay intact, and the hostile line is one row with its controls
as visible escapes (``\\x1b``, ``\\r``, ``<U+202E>``). Read back with capture-pane, every wait
bounded.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tmux_driver import TmuxSession as Tmux
from tests.tmux_driver import labconsole_in_tmux

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

LINES = [
    "Mar 14 06:30:00 pve01 kernel: first ordinary line",
    "Mar 14 06:30:01 pve03 kernel: e1000e eno1: hostile \x1b]0;PWNED-TITLE\x07 title"
    "\x1b]2;PWNED-TITLE\x1b\\ then \x1b[2J\x1b[H clear\r06:30:01 pve01 FAKE-PVE01-LINE",
    "Mar 14 06:30:02 pve02 kernel: c1 \u009b2J \u009d0;PWNED-C1\u009c bidi \u202etxt.exe nul \x00!",
    "Mar 14 06:30:03 pve01 kernel: last ordinary line",
]


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    log = tmp_path / "hostile.log"
    log.write_bytes(("\n".join(LINES) + "\n").encode("utf-8"))
    with labconsole_in_tmux(["replay", "--speed", "0", "--year", "2026", str(log)],
                            width=220, height=40, polls=160,
                            name="labconsole-hostile") as t:
        t.run("select-pane", "-t", "lc", "-T", "operator-title")
        yield t


def test_a_hostile_log_line_changes_neither_title_nor_other_rows(tmux: Tmux) -> None:
    screen = tmux.wait_for(lambda s: "last ordinary line" in s and "FAKE-PVE01-LINE" in s,
                           "every line of the log on screen")
    assert tmux.run("display-message", "-p", "-t", "lc", "#{pane_title}").strip() == (
        "operator-title")
    rows = screen.splitlines()
    hostile = [r for r in rows if "FAKE-PVE01-LINE" in r]
    assert len(hostile) == 1, hostile  # one record, one row
    row = hostile[0]
    assert "pve03" in row and "hostile \\x1b]0;PWNED-TITLE\\x07 title" in row
    assert "\\x1b[2J\\x1b[H clear\\r06:30:01 pve01 FAKE-PVE01-LINE" in row
    assert not any(r.lstrip("│ ").startswith("06:30:01 pve01 FAKE") for r in rows)
    c1 = next(r for r in rows if "PWNED-C1" in r)
    assert "c1 \\x9b2J \\x9d0;PWNED-C1\\x9c bidi <U+202E>txt.exe nul \\x00!" in c1
    # The rows around it are where they were: the screen was not cleared or overwritten.
    first = next(i for i, r in enumerate(rows) if "first ordinary line" in r)
    last = next(i for i, r in enumerate(rows) if "last ordinary line" in r)
    assert first < rows.index(row) < rows.index(c1) < last
    assert "Timeline" in screen and "Votes" in screen  # the panes' borders still drawn
    tmux.keys("q")
    tmux.wait_for(lambda s: "LABCONSOLE_EXIT=0" in s, "a clean exit")
