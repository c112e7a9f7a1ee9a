"""The live console says what is wrong in words (issue 14): pve02's sshd is killed while
``labconsole run`` watches the lab in tmux; the status bar reads "connection refused" for it
and its NIC row turns unknown instead of keeping "up" and its old offloads."""

from __future__ import annotations

import shutil

import pytest

from tests.lab.labnet import Lab
from tests.lab.test_live_console import CLUSTER, live_console  # noqa: F401 (fixture)
from tests.tmux_driver import TmuxSession

pytestmark = [
    pytest.mark.lab,
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


def test_sshd_killed_reads_connection_refused_and_its_nics_unknown(
        healthy_lab: Lab, live_console: TmuxSession) -> None:  # noqa: F811
    lab, tmux = healthy_lab, live_console
    tmux.wait_for(lambda s: f"{CLUSTER} 3/3 quorate" in s and "ssh ✓ pve01 pve02 pve03" in s
                  and "pve02 eno1  up" in s, "the console connected to every node")
    lab.kill_sshd("pve02")
    screen = tmux.wait_for(lambda s: "ssh:pve02 connection refused" in s
                           and "? pve02 eno1  unknown, read" in s,
                           "connection refused and pve02's NIC unknown")
    status = next(line for line in screen.splitlines() if "ssh:pve02 connection refused" in line)
    assert "(is sshd running and the port right?), retry in" in status
    assert "pve02 eno1  up" not in screen
    lab.start_sshd("pve02")
    tmux.wait_for(lambda s: "ssh ✓ pve01 pve02 pve03" in s and "pve02 eno1  up" in s,
                  "pve02 back once sshd runs again")
    tmux.keys("q")
    tmux.wait_for(lambda s: "LABCONSOLE_EXIT=0" in s, "a clean exit")
