"""Every node's own view on the Votes panel, against every node's own corosync-quorumtool.

Real corosync (the lab's default token), real sshd, the console app itself (LabConsoleApp in
Pilot at 80x24) with its real quorum source over SSH; the Votes panel widget is read. At each
phase the test reads every node's ``corosync-quorumtool -s`` in the node (Lab.quorum_text, not
over SSH) and waits until the panel shows the same views; whenever the panel shows a node's
view, it must be that node's current answer or an answer it gave in this phase (never an old
one as current):

- healthy: "lab 3/3 quorate", every node's own 3/3;
- a partition readable over SSH (pve03's corosync traffic blackholed by wrong neighbour
  entries; SSH from the console still works): SPLIT with "{pve03} alone, NOT quorate" and
  "{pve01, pve02} 2/3 quorate", then agreement again;
- one node's link down (the console cannot reach it either): pve01/pve02 2/3 quorate and
  pve03 "unknown since", never its old 3/3;
- switch outages of 5 s and 25 s (every node alone; every SSH session cut): the panel never
  says the cluster is quorate while the nodes say they are alone; 3/3 agreement after.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from labconsole.incident.wording import picture_text
from labconsole.model.vote_view import ClusterPicture
from labconsole.parse.quorum import QuorumParseError, parse_quorum
from labconsole.sources.backoff import Backoff
from labconsole.sources.quorum_poll import QuorumPollSource
from labconsole.sources.ssh import SshPool
from labconsole.state.console_state import ConsoleState
from tests.lab.labnet import Lab

pytestmark = pytest.mark.lab

Truth = dict[str, tuple[bool, frozenset[str]] | None]


async def _truth(lab: Lab) -> Truth:
    """Every node's own answer now (None: its corosync does not answer)."""
    out: Truth = {}
    for name in lab.nodes:
        text = await asyncio.to_thread(lab.quorum_text, name)
        try:
            st = parse_quorum(text)
        except QuorumParseError:
            out[name] = None
            continue
        out[name] = (st.quorate, frozenset(st.node_names()))
    return out


def _shown(state: ConsoleState) -> tuple[ClusterPicture | None, dict[str, object]]:
    c = state.votes.clusters.get("lab")
    if c is None:
        return None, {}
    pic = c.picture()
    unknown = {u.node for u in pic.unknown}
    shown: dict[str, object] = {}
    for name in c.nodes:
        view = c.views.get(name)
        if name in unknown:
            shown[name] = "unknown"
        elif view is not None:
            shown[name] = (view.quorate, frozenset(view.members))
    return pic, shown


class Watch:
    """The console (pipeline + state) and the nodes, compared at every step."""

    def __init__(self, lab: Lab, state: ConsoleState, panel: Callable[[], str]) -> None:
        self.lab, self.state, self.panel = lab, state, panel
        self.phase_answers: dict[str, set[object]] = {n: set() for n in lab.nodes}
        self.last: Truth = {}
        self.checks = 0

    def new_phase(self) -> None:
        """Answers of a new phase: each node's answer at its start still counts (it is that
        node's current answer until the node says otherwise; the console may show it a poll
        after the phase began)."""
        self.phase_answers = {n: ({self.last[n]} if n in self.last else set())
                              for n in self.lab.nodes}

    async def shows(self, want: Callable[[str], bool], what: str,
                    timeout: float = 5.0) -> None:
        """The panel widget shows it (its redraw follows the state within a refresh)."""
        deadline = time.monotonic() + timeout
        while not want(self.panel()):
            assert time.monotonic() < deadline, f"{what}: panel shows {self.panel()!r}"
            await asyncio.sleep(0.1)

    async def until(self, want: Callable[[Truth, ClusterPicture | None, dict[str, object]],
                                         bool], what: str, timeout: float = 60.0) -> Truth:
        """Wait until ``want(truth, picture, shown)``; on the way, a shown view is always an
        answer its node gave in this phase."""
        deadline = time.monotonic() + timeout
        truth: Truth = {}
        pic, shown = None, {}
        while time.monotonic() < deadline:
            # the console's views first, the nodes' answers after: a view the console read
            # is then an answer its node gave before this truth reading (reading the nodes
            # first let a node change between the two reads, and the console's newer, right
            # view looked like one the node never gave: the flake of the partition phase)
            pic, shown = _shown(self.state)
            truth = await _truth(self.lab)
            self.last = truth
            for name, answer in truth.items():
                self.phase_answers[name].add(answer)
            self.checks += 1
            for name, view in shown.items():
                if view != "unknown" and pic is not None and pic.kind != "waiting":
                    assert view in self.phase_answers[name] or view == truth.get(name), (
                        f"{what}: {name} shown as {view}, its answers {truth.get(name)}")
            if want(truth, pic, shown):
                return truth
            await asyncio.sleep(0.3)
        raise AssertionError(f"{what}: not within {timeout} s: nodes say {truth}; panel "
                             f"{picture_text(pic) if pic else None} {shown}")


def _same(truth: Truth, shown: dict[str, object]) -> bool:
    return all(truth[n] is not None and shown.get(n) == truth[n] for n in truth)


def _partition(lab: Lab, node: str, on: bool) -> None:
    """Blackhole corosync between ``node`` and the others with wrong neighbour entries (the
    console's SSH to every node is untouched: its own neighbour entries stay right)."""
    bogus = "02:00:00:00:00:99"
    others = [n for n in lab.nodes if n != node]
    pairs = [(node, o) for o in others] + [(o, node) for o in others]
    for here, there in pairs:
        addr = lab.node(there).addr.split("/")[0]
        if on:
            lab.node_exec(here, ["ip", "neigh", "replace", addr, "lladdr", bogus, "dev",
                                 "vmbr0", "nud", "permanent"])
        else:
            lab.node_exec(here, ["ip", "neigh", "del", addr, "dev", "vmbr0"], check=False)


def test_the_votes_panel_shows_every_nodes_own_view_through_faults(healthy_lab: Lab) -> None:
    lab = healthy_lab
    holder: list[ConsoleState] = []

    async def scenario() -> Watch:
        from labconsole.app import LabConsoleApp

        pool = SshPool([lab.ssh_target(n) for n in lab.nodes],
                       backoff=lambda: Backoff(base=0.2, cap=1.0, jitter=0.2))
        quorum = QuorumPollSource(list(pool.nodes.values()), cluster="lab", interval=0.5,
                                  command_timeout=2.0)
        app = LabConsoleApp([pool, quorum], tick_seconds=0.5, bell=False,
                            desktop_notification=False)
        async with app.run_test(size=(80, 24)):
            holder.append(app.state)
            w = Watch(lab, app.state, panel=lambda: _panel_text(app))
            try:
                await _phases(lab, w)
            finally:
                await pool.close()
        return w

    w = lab.run_in_ops(scenario, timeout=400)
    assert w.checks > 20
    flips = [e.fact.picture.kind for e in holder[0].timeline.entries
             if e.fact.kind == "picture_changed" and e.fact.picture is not None]
    assert "split" in flips and flips[-1] == "agree"


def _panel_text(app: object) -> str:
    """What the Votes panel of the running app shows (the widget's own render, 80x24)."""
    from labconsole.widgets.votes_panel import VotesPanel

    panel = app.screen.query_one(VotesPanel)  # type: ignore[attr-defined]
    return str(panel.render())


async def _phases(lab: Lab, w: Watch) -> None:
    state = w.state
    everyone = frozenset(lab.nodes)

    def agree_all(t: Truth, pic: ClusterPicture | None, shown: dict[str, object]) -> bool:
        return (pic is not None and pic.kind == "agree" and not pic.unknown
                and all(v == (True, everyone) for v in t.values()) and _same(t, shown))

    await w.until(agree_all, "healthy: 3/3 agreement")
    await w.shows(lambda t: t.startswith("lab 3/3 quorate") and t.count("●") == 3, "3/3")

    # a partition the console can still read: SPLIT, each side with its own view
    w.new_phase()
    await asyncio.to_thread(_partition, lab, "pve03", True)
    try:
        def split(t: Truth, pic: ClusterPicture | None, shown: dict[str, object]) -> bool:
            return (pic is not None and pic.kind == "split" and _same(t, shown)
                    and t["pve03"] == (False, frozenset({"pve03"})))

        await w.until(split, "partition: SPLIT", timeout=60)
        pic = state.votes.clusters["lab"].picture()
        assert picture_text(pic) == ("SPLIT  {pve03} alone, NOT quorate | "
                                     "{pve01, pve02} 2/3 quorate")
        await w.shows(lambda t: "lab SPLIT" in t and "{pve03} alone, NOT quorate" in t
                      and "{pve01, pve02} 2/3 quorate" in t, "SPLIT on the panel")
    finally:
        await asyncio.to_thread(_partition, lab, "pve03", False)
    w.new_phase()
    await w.until(agree_all, "partition healed: 3/3 agreement", timeout=60)

    # one node's cable pulled: the console cannot read it; never its old 3/3
    w.new_phase()
    await asyncio.to_thread(lab.link_down, "pve03")
    try:
        def pve03_out(t: Truth, pic: ClusterPicture | None, shown: dict[str, object]) -> bool:
            return (pic is not None and shown.get("pve03") == "unknown"
                    and all(shown.get(n) == t[n] == (True, frozenset({"pve01", "pve02"}))
                            for n in ("pve01", "pve02")))

        await w.until(pve03_out, "pve03 link down", timeout=60)
        await w.shows(lambda t: "pve03  unknown since" in t, "pve03 unknown on the panel")
    finally:
        await asyncio.to_thread(lab.link_up, "pve03")
    w.new_phase()
    await w.until(agree_all, "pve03 link back: 3/3 agreement", timeout=90)

    for seconds in (5, 25):
        w.new_phase()
        await asyncio.to_thread(lab.bridge_down)
        try:
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                truth = await _truth(lab)
                pic, shown = _shown(state)
                if all(v is not None and not v[0] for v in truth.values()):
                    # every node says it is alone: the panel must not call the cluster quorate
                    assert pic is None or pic.quorate is not True, (seconds, shown)
                await asyncio.sleep(0.5)
        finally:
            await asyncio.to_thread(lab.bridge_up)
        w.new_phase()
        await w.until(agree_all, f"after a {seconds} s switch outage: 3/3 agreement",
                      timeout=120)

