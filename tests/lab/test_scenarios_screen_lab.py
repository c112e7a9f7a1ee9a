"""The issue 18 scenario set on the screen (item 4): one real ``labconsole run --record`` in
tmux against the lab walks through the scenarios in turn, and the test reads the screen with
capture-pane at each phase, as an operator would; afterwards ``labconsole report`` of the
console's own recording says what happened.

One console for all scenarios keeps the suite short (a console start per scenario would cost
more than the scenarios). The recording and report of each fault on its own are in
tests/lab/test_fault_reports_lab.py (cable, TX stall, corosync kill -9, sshd kill), the switch
outages of 5 s and 25 s in tests/lab/test_switch_outage_lab.py, the slow node and flapping
link at the source level in tests/lab/test_faults.py.

Phases: paced hang reports on pve03 every 2 s (the folded episode, counted as it grows);
pve03's cable pulled and put back; its TX path stalled (egress dropped, it still receives)
and cleared; its corosync killed with SIGKILL and restarted; its sshd killed and restarted;
pve02 slowed to 32 kbit/s; pve03's link flapping. Every wait is a bounded number of polls;
nothing asserts on speed.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from labconsole.cli import main
from tests.lab.labnet import Lab
from tests.lab.recording_session import fresh_kernel_logs
from tests.lab.test_live_console import CLUSTER, hang_blocks, lab_config
from tests.tmux_driver import TmuxSession, labconsole_in_tmux

pytestmark = [pytest.mark.lab, pytest.mark.e2e]

WIDTH, HEIGHT = 160, 48


def _node_line(screen: str, node: str) -> str:
    """The Votes panel's row of ``node`` (its own view), or ""."""
    return next((line for line in screen.splitlines()
                 if f" {node} " in line and ("votes" in line or "unknown" in line)), "")


def _unknown(screen: str, node: str) -> bool:
    return any(node in line and "unknown since" in line for line in screen.splitlines())


def _status_line(screen: str) -> str:
    rows = [line for line in screen.splitlines() if "REC" in line or "rec off" in line]
    return rows[-1] if rows else ""


def _healthy(screen: str) -> bool:
    status = _status_line(screen)
    return (f"{CLUSTER} 3/3 quorate" in screen and not _unknown(screen, "pve03")
            and "ssh ✓" in status and "pve03" in status.split("ssh ✓", 1)[1])


def _vote_loss(screen: str) -> bool:
    """pve01 and pve02 agree on 2/3; pve03 cannot be read (never its last answer)."""
    return f"{CLUSTER} 2/3 quorate" in screen and _unknown(screen, "pve03")


class Console:
    """``labconsole run --config C --record R`` in tmux inside the lab's ops namespace."""

    def __init__(self, tmux: TmuxSession, recording: Path) -> None:
        self.tmux = tmux
        self.recording = recording

    def wait(self, check: Callable[[str], bool], what: str) -> str:
        return self.tmux.wait_for(check, what)

    def phase(self, name: str, broken: Callable[[str], bool],
              break_it: Callable[[], None], repair: Callable[[], None],
              healthy: Callable[[str], bool] = _healthy) -> str:
        """Break, read the screen until it shows the fault, repair, read it until healthy;
        returns the screen that showed the fault."""
        break_it()
        try:
            seen = self.wait(broken, f"{name}: the fault on screen")
        finally:
            repair()
        self.wait(healthy, f"{name}: healthy again on screen")
        return seen



@pytest.fixture
def console(healthy_lab: Lab, tmp_path: Path) -> Iterator[Console]:
    config = tmp_path / "config.toml"
    config.write_text(lab_config(healthy_lab))
    recording = tmp_path / "console.jsonl"
    with fresh_kernel_logs(healthy_lab), labconsole_in_tmux(
            ["run", "--config", str(config), "--record", str(recording)], width=WIDTH,
            height=HEIGHT, env={"LABCONSOLE_CONFIG": None}, netns=healthy_lab.ops_ns,
            name="labconsole-scenarios") as tmux:
        yield Console(tmux, recording)


def _next_second(t: datetime) -> datetime:
    whole = t.replace(microsecond=0)
    return whole if whole == t else whole + timedelta(seconds=1)


def _paced_hang_reports(lab: Lab, reports: int) -> datetime:
    """``reports`` e1000e hang reports on pve03, one every 2 s as the driver prints them,
    each stamped with a whole second not before it is written; returns the first stamp."""
    first = _next_second(datetime.now(timezone.utc))
    for i in range(reports):
        at = max(first + timedelta(seconds=2 * i), _next_second(datetime.now(timezone.utc)))
        lab.write_kernel_lines("pve03", hang_blocks(at, 1, first=i))
        if i + 1 < reports:
            time.sleep(2.0)
    return first


def _slow(lab: Lab, node: str) -> None:
    lab.node_exec(node, ["tc", "qdisc", "replace", "dev", "eno1", "root", "tbf", "rate",
                         "32kbit", "burst", "4kb", "latency", "400ms"])


def _flap(lab: Lab, times: int = 3, seconds: float = 3.0) -> None:
    for _ in range(times):
        lab.link_down("pve03")
        time.sleep(seconds)
        lab.link_up("pve03")
        time.sleep(seconds)


def report_of(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["report", str(path), "--no-audit", "--format", "json"]) == 0
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    return doc


def test_every_scenario_shows_on_the_console_and_in_its_report(
        healthy_lab: Lab, console: Console, capsys: pytest.CaptureFixture[str]) -> None:
    lab = healthy_lab
    screen = console.wait(_healthy, "3/3 votes and every node connected")
    assert "REC" in _status_line(screen) and "PROBLEM" not in screen

    # paced hang reports: one folded, highlighted line that counts them as they come
    first = _paced_hang_reports(lab, 4)
    summary = f"hang x 4, TDH stuck at <f6> since {first:%H:%M:%S}"
    screen = console.wait(lambda s: summary in s, "the folded episode of 4 paced reports")
    assert "Detected Hardware Unit Hang" not in screen
    assert "pve03" in next(line for line in screen.splitlines() if summary in line)

    # cable pulled: the others agree on 2/3, pve03 is unknown (never its last 3/3)
    screen = console.phase("cable", _vote_loss, lambda: lab.link_down("pve03"),
                           lambda: lab.link_up("pve03"))
    assert "ssh:pve03" in _status_line(screen) or _unknown(screen, "pve03")

    # TX stall: pve03 still receives, but nothing it sends arrives: the same picture
    console.phase("TX stall", _vote_loss, lambda: lab.stuck_tx("pve03"),
                  lambda: lab.clear_tx("pve03"))

    # corosync killed: SSH to pve03 works, its own quorumtool answers nothing
    screen = console.phase(
        "corosync kill -9", lambda s: f"{CLUSTER} 2/3 quorate" in s and _unknown(s, "pve03"),
        lambda: lab.kill_corosync("pve03"), lambda: lab.start_corosync("pve03"))
    assert "pve03" in _status_line(screen).split("ssh ✓", 1)[-1]  # its SSH stayed up

    # sshd killed: the votes stay 3/3 (pve01 and pve02 say so); the console's own path to
    # pve03 is down, and the status bar says so
    def sshd_down(s: str) -> bool:
        status = _status_line(s)
        return "ssh:pve03" in status and f"{CLUSTER} 3/3" in s

    screen = console.phase("sshd kill", sshd_down, lambda: lab.kill_sshd("pve03"),
                           lambda: lab.start_sshd("pve03"))

    # slow node: pve02 at 32 kbit/s still delivers its log, and the other nodes stay read.
    # pve02's own rows are not asserted while it is throttled: its corosync packets share the
    # 32 kbit/s with the log burst, so whether it keeps its vote (and its quorumtool answers
    # in time) is up to corosync's token (a clean-clone CI run once showed it not 3/3 there);
    # once the throttle is gone, the screen must be healthy again with pve02 read
    marker = f"slow-node-mark-{uuid.uuid4().hex[:6]}"
    _slow(lab, "pve02")
    try:
        lab.write_kernel_lines("pve02", "\n".join(
            f"{datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%S%z} pve02 kernel: bulk {i} "
            + "x" * 100 for i in range(60)))
        lab.write_kernel_lines(
            "pve02", f"{datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%S%z} pve02 kernel: {marker}")
        if "following" not in console.tmux.screen():
            console.tmux.keys("space")  # follow: the newest line is on screen
        screen = console.wait(lambda s: marker in s, "the slow node's newest line")
        assert not _unknown(screen, "pve01") and not _unknown(screen, "pve03"), screen
    finally:
        lab.clear_tx("pve02")
    console.wait(lambda s: _healthy(s) and not _unknown(s, "pve02"),
                 "3/3 with pve02 read once its throttle is gone")

    # flapping link: pve03 drops and comes back by itself, three times
    _flap(lab)
    console.wait(_healthy, "3/3 after the flapping link")

    console.tmux.keys("q")
    console.wait(lambda s: "LABCONSOLE_EXIT=0" in s, "a clean exit")

    # the recording, reported: the hang, and each loss of pve03 as what it was
    doc = report_of(console.recording, capsys)
    assert doc["errors"] == []
    facts = [f for inc in doc["incidents"] for f in inc["facts"]]
    hangs = [f for f in facts if f["kind"] == "hang"]
    assert [(h["hang"]["reports"], h["hang"]["stuck"]) for h in hangs] == [(4, True)], hangs
    told = [(f["at"][11:19], f["kind"], f["node"], f["text"]) for f in facts]
    left = [f for f in facts if f["kind"] == "vote_left" and f["node"] == "pve03"]
    # the cable and the TX stall at least (measured once: exactly those two; the corosync
    # kill was on screen above, and is reported on its own in test_fault_reports_lab.py; a
    # 3 s flap is shorter than corosync's default token plus consensus time)
    assert len(left) >= 2, told
    lost = [f for f in facts if f["kind"] == "conn_lost" and f["node"] == "pve03"]
    assert lost, told  # sshd killed (and the cable, the stall): the console's path lost
    pve03 = [inc for inc in doc["incidents"] if "pve03" in inc["nodes"]]
    assert sum(inc["downtime"]["pve03"]["seconds"] for inc in pve03) > 0
    assert any(inc["cause_kind"] == "stuck_tx_ring" for inc in pve03), [
        (inc["cause_kind"], inc["cause"]) for inc in pve03]
