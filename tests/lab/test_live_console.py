"""The real console, live, against the real lab: ``labconsole run --config`` in tmux.

The console process runs in the lab's ops namespace (the tmux server is started there, so the
pane's shell and labconsole inherit it) with a config generated for the lab: the nodes'
addresses, the lab client key and known_hosts (host keys checked), and each node's kernel log
command. The test writes e1000e hang blocks into pve03's kernel log, takes pve03's link down and
back up, and reads the screen with capture-pane, as an operator would. Every wait is a bounded
number of polls; nothing asserts on speed.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.lab.labnet import Lab
from tests.tmux_driver import TmuxSession as LabTmux
from tests.tmux_driver import labconsole_in_tmux

pytestmark = [
    pytest.mark.lab,
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

POLLS = 240
POLL_SECONDS = 0.25
HANG_START = datetime(2026, 11, 25, 6, 19, 2, tzinfo=timezone.utc)
HANG_REPORTS = 6
# Not a substring of the demo's "homelab": a screen of the demo can never pass for this one.
CLUSTER = "netlab"


def lab_config(lab: Lab, cluster: str = CLUSTER, journal: bool = False) -> str:
    """A labconsole config for the lab: SSH with the lab key, host keys checked, tail -F logs
    (``journal``: the console's default journalctl command on each node's real journal,
    started now rather than 10 minutes back, past what earlier tests wrote there)."""
    now = datetime.now(timezone.utc)

    def command(name: str) -> str:
        return (lab.journal_command(name, since=now) if journal
                else lab.kernel_log_command(name))

    nodes = "".join(
        f'\n[[clusters.nodes]]\nname = "{name}"\naddress = "{lab.node(name).addr}"\n'
        f'interfaces = ["eno1"]\nbridge = "vmbr0"\n'
        f"kernel_log_command = {_toml_str(command(name))}\n"
        for name in lab.nodes)
    return (
        "[console]\nquorum_poll_interval = 0.5\nnic_refresh_interval = 5\n\n"
        "[syslog]\nenabled = false\n\n"
        f'[[clusters]]\nname = "{cluster}"\n'
        f'[clusters.ssh]\nuser = "root"\nkey_file = {_toml_str(str(lab.client_key))}\n'
        f"known_hosts = {_toml_str(str(lab.known_hosts))}\n" + nodes)


def _toml_str(text: str) -> str:
    return "'" + text + "'" if "'" not in text else '"' + text.replace('"', '\\"') + '"'


def hang_blocks(start: datetime, reports: int, first: int = 0) -> str:
    """``journalctl -k -o short-iso`` rendering of an e1000e TX hang every 2 s, TDH stuck
    (``first``: the index of the first report, for its jiffies, when written one by one)."""
    out = []
    for i in range(first, first + reports):
        at = start + timedelta(seconds=2 * (i - first))
        head = f"{at:%Y-%m-%dT%H:%M:%S%z} pve03 kernel: "
        pad = " " * len(head)
        out.append(head + "e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:")
        for reg, value in (("TDH", "f6"), ("TDT", "1a"), ("next_to_use", "1a"),
                           ("next_to_clean", "f6")):
            out.append(f"{pad}  {reg:<20} <{value}>")
        out.append(f"{pad}buffer_info[next_to_clean]:")
        out.append(f"{pad}  {'next_to_watch':<20} <f7>")
        out.append(f"{pad}  {'jiffies':<20} <1004a{3 + i:x}d40>")
        out.append(f"{pad}  next_to_watch.status <0>")
    return "\n".join(out) + "\n"


def dmesg_hang(stamp: float, i: int) -> str:
    """One e1000e hang report as the kernel prints it (dmesg form, printk stamp)."""
    regs = (("TDH", "f6"), ("TDT", "1a"), ("next_to_use", "1a"), ("next_to_clean", "f6"))
    lines = [f"[{stamp:12.6f}] e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:"]
    lines += [f"                 {reg:<20} <{value}>" for reg, value in regs]
    lines += ["               buffer_info[next_to_clean]:",
              f"                 {'next_to_watch':<20} <f7>",
              f"                 {'jiffies':<20} <1004a{3 + i:x}d40>",
              "                 next_to_watch.status <0>"]
    return "\n".join(lines) + "\n"


def write_paced_hangs(lab: Lab) -> str:
    """HANG_REPORTS hang reports into pve03's journal, 2 s apart as e1000e prints them; the
    folded summary the console should show, its start read back from the journal: the
    earliest ``__REALTIME_TIMESTAMP`` of the reports written here. (``journalctl -n N
    --grep`` prints its matches newest first on systemd 252 here: taking the 6th line from
    the end picked the last report, which made the console look wrong when it was not.)"""
    since = int(time.time())
    marker_stamp = 12000.0 + (time.time() % 1000)
    for i in range(HANG_REPORTS):
        lab.write_kernel_lines("pve03", dmesg_hang(marker_stamp + 2 * i, i))
        if i + 1 < HANG_REPORTS:
            time.sleep(2.0)
    heads = [json.loads(line) for line in lab.node_exec("pve03", [
        "journalctl", "-k", "-o", "json", "--no-pager", f"--since=@{since}",
        "--grep", "Detected Hardware Unit Hang"]).stdout.splitlines()]
    assert len(heads) == HANG_REPORTS, heads
    start = datetime.fromtimestamp(min(int(h["__REALTIME_TIMESTAMP"]) for h in heads) / 1e6,
                                   tz=timezone.utc)
    return f"hang x {HANG_REPORTS}, TDH stuck at <f6> since {start:%H:%M:%S}"


@contextlib.contextmanager
def console_in_tmux(lab: Lab, tmp_path: Path, journal: bool = False) -> Iterator[LabTmux]:
    """``labconsole run`` in tmux in the ops namespace, its kernel streams on ``tail -F`` of
    kern.log or (``journal``) on the default ``journalctl -k -f -o json`` over each node's
    real journal."""
    config = tmp_path / "config.toml"
    config.write_text(lab_config(lab, journal=journal))
    with labconsole_in_tmux(["run", "--config", str(config)], width=110, height=32,
                            env={"LABCONSOLE_CONFIG": None}, netns=lab.ops_ns, polls=POLLS,
                            poll_seconds=POLL_SECONDS, name="labconsole-live") as t:
        yield t


@pytest.fixture
def live_console(healthy_lab: Lab, tmp_path: Path) -> Iterator[LabTmux]:
    with console_in_tmux(healthy_lab, tmp_path) as t:
        yield t


@pytest.fixture
def live_console_on_journal(healthy_lab: Lab, tmp_path: Path) -> Iterator[LabTmux]:
    with console_in_tmux(healthy_lab, tmp_path, journal=True) as t:
        yield t


@pytest.mark.parametrize("kernel", ["tail", "journal"])
def test_live_console_shows_the_hang_and_the_vote_loss(
        healthy_lab: Lab, kernel: str, request: pytest.FixtureRequest) -> None:
    """With ``journal``: the hang reports go into pve03's real journal 2 s apart, as e1000e
    prints them, and the console reads them with its default journalctl command."""
    lab = healthy_lab
    fixture = "live_console_on_journal" if kernel == "journal" else "live_console"
    tmux: LabTmux = request.getfixturevalue(fixture)
    screen = tmux.wait_for(lambda s: f"{CLUSTER} 3/3 quorate" in s, "3/3 votes from the lab")
    assert "PROBLEM" not in screen and "live (" in screen and "replay" not in screen

    if kernel == "journal":
        summary = write_paced_hangs(lab)
    else:
        lab.write_kernel_lines("pve03", hang_blocks(HANG_START, HANG_REPORTS))
        summary = f"hang x {HANG_REPORTS}, TDH stuck at <f6> since 06:19:02"
    screen = tmux.wait_for(lambda s: summary in s, "the folded hang episode")
    assert "pve03" in next(line for line in screen.splitlines() if summary in line)
    assert "Detected Hardware Unit Hang" not in screen  # folded: one line, not six blocks
    hang_line = next(line for line in tmux.screen(colours=True).splitlines()
                     if summary in line and "▶" in line)
    assert "48;5;88" in hang_line  # dark red background: highlighted

    lab.link_down("pve03")
    # pve01 and pve02 agree on 2/3; pve03 cannot be read, so it is "unknown since ..." with
    # the reason, never its last answer (3/3) shown as if current.
    screen = tmux.wait_for(lambda s: f"{CLUSTER} 2/3 quorate" in s and _unknown(s, "pve03"),
                           "2/3 votes, pve03 unknown")
    assert summary in screen  # the episode stays on screen while the node is gone

    lab.link_up("pve03")
    tmux.wait_for(lambda s: f"{CLUSTER} 3/3 quorate" in s and not _unknown(s, "pve03"),
                  "3/3 votes after link up")
    tmux.keys("q")
    tmux.wait_for(lambda s: "LABCONSOLE_EXIT=0" in s, "a clean exit")


def _unknown(screen: str, node: str) -> bool:
    """The Votes panel shows ``node`` as unknown (it cannot be read)."""
    return any(node in line and "unknown since" in line for line in screen.splitlines())
