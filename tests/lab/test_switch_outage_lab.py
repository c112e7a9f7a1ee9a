"""Switch outages of 5 s and of 25 s with corosync's default token (issue 18 items 3 and 4).

The lab switch stops forwarding (``bridge_down``) while the console's live pipeline records
the three nodes, with the kernel streams on each node's real journal. During the outage every
node keeps logging (numbered kernel lines into its journal). Shown: every SSH session drops and
comes back; every line written during the outage is recorded once, in order, on every node
(cursor resume); the votes are 3/3 again afterwards; and the report of the recording has one
incident over all three nodes whose cause is the lost connections (no kernel, link or switch
evidence: the console saw nothing else). With the default token (3650 ms here), 25 s is a real
partition: each node's own corosync sees itself alone (1 vote, not quorate) before the switch
comes back. Waits are bounded; nothing asserts on speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shlex
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from labconsole.cli import main
from labconsole.events import ConnectionChange, Event, KernelText, QuorumText
from labconsole.parse.kernel_journal import parse_json_entry
from labconsole.parse.quorum import parse_quorum
from tests.lab.labnet import Lab
from tests.lab.recording_session import RecordingSession, recorded_votes

pytestmark = pytest.mark.lab

LINES_DURING = 20


def _messages(events: list[Event], node: str, marker: str) -> list[str]:
    out = []
    for e in events:
        if isinstance(e, KernelText) and e.node == node and marker in e.text:
            out.append(parse_json_entry(e.text).message)
    return out


def _states(events: list[Event], node: str) -> list[str]:
    return [e.state for e in events if isinstance(e, ConnectionChange) and e.node == node]


async def _outage(lab: Lab, recording: Path, seconds: float, marker: str) -> dict[str, Any]:
    names = tuple(lab.nodes)
    alone: dict[str, int | None] = {}
    async with RecordingSession.for_lab(lab, recording, journal=True) as session:
        await session.wait_recorded(lambda ev: recorded_votes(ev)[-1:] == [3], 30, "3/3")
        await asyncio.to_thread(lab.bridge_down)
        started = time.monotonic()
        try:
            await session.wait_recorded(
                lambda ev: all("reconnecting" in _states(ev, n) for n in names), 20,
                "every SSH session dropped")
            for i in range(LINES_DURING):
                for name in names:
                    await asyncio.to_thread(lab.write_kernel_lines, name,
                                            f"[ {9500 + i}.000000] {marker} {i}")
            if seconds > 20:  # a real partition: wait until each node sees itself alone
                for _ in range(100):
                    alone = {n: await asyncio.to_thread(lab.total_votes, n) for n in names}
                    if all(v == 1 for v in alone.values()):
                        break
                    await asyncio.sleep(0.2)
            await asyncio.sleep(max(0.0, seconds - (time.monotonic() - started)))
        finally:
            await asyncio.to_thread(lab.bridge_up)
        want = [f"{marker} {i}" for i in range(LINES_DURING)]
        events = await session.wait_recorded(
            lambda ev: all(_messages(ev, n, marker) == want for n in names)
            and recorded_votes(ev)[-1:] == [3]
            and all(_states(ev, n)[-1:] == ["connected"] for n in names), 60,
            "every line of the outage, the votes back at 3/3, every node connected")
        await asyncio.sleep(0.5)  # a repeated line, if any, would be recorded now
        events = session.recorded()
    return {"events": events, "alone": alone, "names": names, "want": want}


def report(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert main(["report", *args]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("seconds", [5, 25])
def test_switch_outage_with_the_default_token(healthy_lab: Lab, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str],
                                              seconds: int) -> None:
    lab = healthy_lab
    marker = f"outage{seconds}-{uuid.uuid4().hex[:8]}"
    recording = tmp_path / "outage.jsonl"
    got = lab.run_in_ops(lambda: _outage(lab, recording, seconds, marker), timeout=180)
    events = got["events"]
    for name in got["names"]:
        assert _messages(events, name, marker) == got["want"], name  # once each, in order
        states = _states(events, name)
        assert "reconnecting" in states and states[-1] == "connected", states
    if seconds > 20:
        assert got["alone"] == {n: 1 for n in got["names"]}, got["alone"]
    lab.wait_votes(3, timeout=30)

    doc = json.loads(report(capsys, str(recording), "--no-audit", "--format", "json"))
    assert doc["errors"] == []
    lost = [i for i in doc["incidents"] if set(i["nodes"]) >= set(got["names"])]
    assert lost, [(i["nodes"], i["cause"]) for i in doc["incidents"]]
    # The console's SSH shares the switch: what it knows of the nodes' own word is the views
    # it read after reconnecting. Any of them NOT quorate says the nodes lost each other (a
    # network outage); none says only that the console lost every node at once.
    cut_off = any(not parse_quorum(e.text).quorate for e in events
                  if isinstance(e, QuorumText))
    want = "network_outage" if cut_off else "management_lost"
    assert len(lost) == 1 and lost[0]["cause_kind"] == want, lost[0]["cause"]
    assert lost[0]["cause"].startswith(
        "network outage: all nodes (pve01, pve02, pve03) lost each other at " if cut_off
        else "management (SSH) to all nodes lost from "), lost[0]["cause"]


# ---- the Votes panel against every node's own corosync-quorumtool, over a management path ---

CLUSTER = "netlab"  # not a substring of the demo's "homelab"
SHORT_TOKEN_MS = 1000  # totem.token at run time; corosync adds 650 ms per node above two
DEFAULT_TOKEN_MS = 3000  # corosync's default, what the lab's corosync.conf leaves it at

# quorate, members, total votes, expected votes, ring id (the ring is not on the panel)
Answer = tuple[bool, frozenset[str], int, int, str | None]


def _answer(lab: Lab, name: str) -> Answer | None:
    from labconsole.parse.quorum import QuorumParseError, parse_quorum

    try:
        st = parse_quorum(lab.quorum_text(name))
    except QuorumParseError:
        return None
    return (st.quorate, frozenset(st.node_names()), st.total_votes, st.expected_votes,
            st.ring_id)


def _answers(lab: Lab) -> dict[str, Answer | None]:
    """Every node's own ``corosync-quorumtool -s``, read in the node (not over SSH), the
    three at once (a loaded machine then keeps the reads close together)."""
    with ThreadPoolExecutor(len(lab.nodes)) as pool:
        answers = pool.map(lambda name: _answer(lab, name), lab.nodes)
        return dict(zip(lab.nodes, answers, strict=True))


def _words(answer: Answer) -> str:
    quorate, members, total, expected, _ = answer
    if len(members) == 1 and not quorate:
        return "alone, NOT quorate"
    return f"{total}/{expected} " + ("quorate" if quorate else "NOT quorate")


def _panel_says(answers: dict[str, Answer | None]) -> list[str]:
    """What the Votes panel must show for these answers (the operator's words, written out
    here rather than taken from the widget's code): the agreement or SPLIT headline, each
    side of a split with its own view, each node's own line."""
    if any(a is None for a in answers.values()):
        return ["<a node whose corosync does not answer>"]
    views = {n: a for n, a in answers.items() if a is not None}
    sides: dict[tuple[bool, frozenset[str]], list[str]] = {}
    for name in sorted(views):
        sides.setdefault(views[name][:2], []).append(name)
    want = []
    if len(sides) == 1:
        want.append(f"{CLUSTER} {_words(next(iter(views.values())))}")
    else:
        want.append(f"{CLUSTER} SPLIT  {len(sides)} sides")
        for nodes in sides.values():
            answer = views[nodes[0]]
            names = "{" + ", ".join(nodes) + "}"
            alone = len(nodes) == 1 and answer[1] <= set(nodes)
            want.append(f"  {names} alone, NOT quorate" if alone and not answer[0]
                        else f"  {names} {_words(answer)}")
    for name, answer in sorted(views.items()):
        mark = "●" if answer[0] else "✖"
        want.append(f" {mark} {name:<6} {_words(answer)}")
    return want


def votes_box(screen: str) -> str:
    """The Votes panel's box cut out of a captured screen (the timeline beside and below it
    names old splits too)."""
    lines = screen.splitlines()
    top = next((i for i, line in enumerate(lines) if "╭─ Votes" in line), None)
    if top is None:
        return ""
    left = lines[top].index("╭─ Votes")
    right = lines[top].index("╮", left)
    box = []
    for line in lines[top + 1:]:
        part = line[left:right + 1]
        if part.startswith("╰"):
            break
        box.append(part)
    return "\n".join(box)


def _shows(screen: str, want: list[str]) -> bool:
    box = votes_box(screen)
    if any(w not in box for w in want):
        return False
    return ("SPLIT" in box) == any("SPLIT" in w for w in want)


class PanelCheck:
    """The console in tmux and the nodes, compared: read every node, capture the screen,
    read every node again; the screen counts only when the nodes said the same both times."""

    def __init__(self, lab: Lab, tmux: Any) -> None:
        self.lab, self.tmux = lab, tmux
        self.seen: list[str] = []  # each phase's description, once its screen matched

    def matches(self, what: str, target: Any, until: Any = None, polls: int = 400) -> str:
        """Wait (bounded) until the nodes' answers satisfy ``target`` and the panel shows
        those same answers. ``until()`` true = the phase is over (the switch came back):
        after that, a phase whose nodes no longer satisfy ``target`` fails."""
        answers: dict[str, Answer | None] = {}
        screen = ""
        for _ in range(polls):
            over = until is not None and until()
            before = _answers(self.lab)
            screen = self.tmux.screen()
            after = _answers(self.lab)
            if before == after and target(after) and _shows(screen, _panel_says(after)):
                self.seen.append(what)
                return screen
            answers = after
            if over and not target(answers):
                break
            time.sleep(0.2)
        raise AssertionError(f"{what}: the panel never showed the nodes' own views; nodes say "
                             f"{answers}; wanted {_panel_says(answers)} in:\n{screen}")


def _everyone(lab: Lab) -> frozenset[str]:
    return frozenset(lab.nodes)


def _toml_str(text: str) -> str:
    return json.dumps(text)  # a JSON string is a TOML basic string


def _mgmt_config(lab: Lab, mgmt: Any) -> str:
    """The console reaches each node at its management address (known_hosts: the nodes'
    own keys there); corosync stays on the cluster switch."""
    nodes = "".join(
        f'\n[[clusters.nodes]]\nname = "{name}"\naddress = "{mgmt.addrs[name]}"\n'
        f'interfaces = ["eno1"]\nbridge = "vmbr0"\n'
        f"kernel_log_command = {_toml_str(lab.kernel_log_command(name))}\n"
        for name in lab.nodes)
    return (
        "[console]\nquorum_poll_interval = 0.25\nnic_refresh_interval = 5\nbell = false\n"
        "desktop_notification = false\n\n[syslog]\nenabled = false\n\n"
        f'[[clusters]]\nname = "{CLUSTER}"\n'
        f"[clusters.ssh]\nuser = \"root\"\nkey_file = {_toml_str(str(lab.client_key))}\n"
        f"known_hosts = {_toml_str(str(mgmt.known_hosts))}\n" + nodes)


def _set_token(lab: Lab, token_ms: int) -> None:
    """corosync's totem.token on every node, at run time (cmap; the runtime token follows)."""
    for name in lab.nodes:
        lab.node_exec(name, ["corosync-cmapctl", "-s", "totem.token", "u32", str(token_ms)])


@contextlib.contextmanager
def _console_in_tmux(lab: Lab, tmp_path: Path, config: str) -> Iterator[Any]:
    """``labconsole run --config`` in tmux in the ops namespace, 160x50 (every line of a
    three-sided SPLIT fits the Votes panel)."""
    from tests.tmux_driver import TmuxSession

    path = tmp_path / "config.toml"
    path.write_text(config)
    t = TmuxSession(f"labconsole-outage-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    command = (f"{shlex.quote(sys.executable)} -m labconsole run --config "
               f"{shlex.quote(str(path))}; echo LABCONSOLE_EXIT=$?; sleep 60")
    env = {k: v for k, v in os.environ.items() if k != "LABCONSOLE_CONFIG"}
    env["TERM"] = "xterm-256color"
    subprocess.run(["ip", "netns", "exec", lab.ops_ns, "tmux", "-L", t.socket, "-f",
                    os.devnull, "new-session", "-d", "-s", "lc", "-x", "160", "-y", "50",
                    "sh", "-c", command], check=True, timeout=20, env=env)
    try:
        yield t
    finally:
        t.run("kill-server")


def _switch_down(lab: Lab, check: PanelCheck, seconds: float, token: str) -> None:
    """The cluster switch down for ``seconds``: the console still reads every node over the
    management network. When the nodes are alone for longer than the console needs to poll
    (25 s; 5 s with the short token) the panel must show it: SPLIT, each node alone."""
    everyone = _everyone(lab)

    def alone(a: dict[str, Answer | None]) -> bool:
        return all(v is not None and v[:2] == (False, frozenset({n})) for n, v in a.items())

    def healthy(a: dict[str, Answer | None]) -> bool:
        return all(v is not None and v[:2] == (True, everyone) for v in a.values())

    rings = {n: a[4] if a is not None else None for n, a in _answers(lab).items()}

    def healthy_again(a: dict[str, Answer | None]) -> bool:
        """3/3 on a new ring on every node: corosync has been through the outage (with the
        default token a 5 s outage is noticed only as it ends, so 3/3 alone could be the
        answer from before it)."""
        return healthy(a) and all(v is not None and v[4] != rings[n] for n, v in a.items())

    up = threading.Event()

    def switch_back() -> None:
        lab.bridge_up()
        up.set()

    timer = threading.Timer(seconds, switch_back)
    lab.bridge_down()
    timer.start()
    try:
        if seconds > 20 or token == "short":
            screen = check.matches(f"{seconds} s outage ({token} token): every node alone",
                                   alone, until=up.is_set)
            box = votes_box(screen)
            assert all(f"{{{n}}} alone, NOT quorate" in box for n in lab.nodes), box
            assert "quorate " not in box.replace("NOT quorate", "")  # nobody quorate
        else:  # default token: the nodes notice a 5 s outage only as it ends; until then
            # they say 3/3 and so must the panel, the cluster switch being down or not
            check.matches(f"{seconds} s outage ({token} token): the nodes' views", healthy)
    finally:
        timer.join()
    check.matches(f"after the {seconds} s outage ({token} token): 3/3 agreement",
                  healthy_again)


@pytest.mark.parametrize("token", ["default", "short"])
def test_the_panel_shows_every_nodes_view_through_switch_outages(
        healthy_lab: Lab, tmp_path: Path, token: str) -> None:
    """``labconsole run`` in tmux reads the nodes over a management network: through a 25 s
    and a 5 s cluster-switch outage and one node's cable pulled, at each phase the Votes
    panel (capture-pane) shows what every node's own ``corosync-quorumtool -s`` says: SPLIT
    with each node alone while they are, agreement after."""
    from tests.lab.mgmtnet import ManagementNet

    lab = healthy_lab
    everyone = _everyone(lab)
    with ManagementNet(lab, tmp_path) as mgmt:
        config = _mgmt_config(lab, mgmt)
        if token == "short":
            _set_token(lab, SHORT_TOKEN_MS)
        try:
            with _console_in_tmux(lab, tmp_path, config) as tmux:
                check = PanelCheck(lab, tmux)
                check.matches("healthy: 3/3 agreement", lambda a: all(
                    v is not None and v[:2] == (True, everyone) for v in a.values()))
                for seconds in (25, 5):
                    _switch_down(lab, check, seconds, token)
                lab.link_down("pve03")
                try:
                    pair = frozenset({"pve01", "pve02"})
                    screen = check.matches("pve03's cable pulled: SPLIT", lambda a: (
                        a["pve03"] is not None and a["pve03"][:2] == (False, {"pve03"})
                        and all(a[n] is not None and a[n][:2] == (True, pair)
                                for n in pair)))
                    box = votes_box(screen)
                    assert "{pve01, pve02} 2/3 quorate" in box
                    assert "unknown since" not in box  # read over the management path
                finally:
                    lab.link_up("pve03")
                check.matches("pve03 back: 3/3 agreement", lambda a: all(
                    v is not None and v[:2] == (True, everyone) for v in a.values()))
                tmux.keys("q")
                tmux.wait_for(lambda s: "LABCONSOLE_EXIT=0" in s, "a clean exit")
        finally:
            if token == "short":
                _set_token(lab, DEFAULT_TOKEN_MS)
    assert len(check.seen) == 7, check.seen
