"""One fault on pve03 at a time, recorded by the console's live pipeline and reported
(issue 18 item 4): its cable pulled and put back, a TX stall (egress dropped, the node still
receives), corosync killed with SIGKILL and restarted, sshd killed and restarted. Kernel
streams run on the nodes' real journals; corosync runs with its default token. Each test
asserts what the recording holds (the votes or the connection as the console saw them) and
what ``labconsole report`` says afterwards. Waits are bounded; nothing asserts on speed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from labconsole.cli import main
from labconsole.events import ConnectionChange, Event
from tests.lab.labnet import Lab
from tests.lab.recording_session import RecordingSession, recorded_votes

pytestmark = pytest.mark.lab


def _states(events: list[Event], node: str) -> list[str]:
    return [e.state for e in events if isinstance(e, ConnectionChange) and e.node == node]


def _votes_were(n: int) -> Callable[[list[Event]], bool]:
    return lambda ev: n in recorded_votes(ev)


def _reconnected(node: str) -> Callable[[list[Event]], bool]:
    def check(ev: list[Event]) -> bool:
        states = _states(ev, node)
        return "reconnecting" in states and states[-1] == "connected"
    return check


# fault name -> (break, repair, what the recording shows while broken)
FAULTS: dict[str, tuple[Callable[[Lab], None], Callable[[Lab], None],
                        Callable[[list[Event]], bool]]] = {
    "link": (lambda lab: lab.link_down("pve03"), lambda lab: lab.link_up("pve03"),
             _votes_were(2)),
    "tx-stall": (lambda lab: lab.stuck_tx("pve03"), lambda lab: lab.clear_tx("pve03"),
                 _votes_were(2)),
    "corosync-kill-9": (lambda lab: lab.kill_corosync("pve03"),
                        lambda lab: lab.start_corosync("pve03"), _votes_were(2)),
    "sshd-kill": (lambda lab: lab.kill_sshd("pve03"), lambda lab: lab.start_sshd("pve03"),
                  lambda ev: "reconnecting" in _states(ev, "pve03")),
}


async def _record(lab: Lab, recording: Path, fault: str) -> list[Event]:
    broken, repair, shows = FAULTS[fault]
    async with RecordingSession.for_lab(lab, recording, journal=True) as session:
        await session.wait_recorded(lambda ev: recorded_votes(ev)[-1:] == [3], 30, "3/3")
        await asyncio.to_thread(broken, lab)
        try:
            await session.wait_recorded(shows, 40, f"{fault} seen by the console")
        finally:
            await asyncio.to_thread(repair, lab)
        done = (_reconnected("pve03") if fault == "sshd-kill"
                else lambda ev: recorded_votes(ev)[-1:] == [3])
        return await session.wait_recorded(done, 60, f"healthy again after {fault}")


def report(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["report", *args, "--no-audit", "--format", "json"]) == 0
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    return doc


@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_on_pve03_is_recorded_and_reported(healthy_lab: Lab, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 fault: str) -> None:
    lab = healthy_lab
    recording = tmp_path / f"{fault}.jsonl"
    events = lab.run_in_ops(lambda: _record(lab, recording, fault), timeout=180)
    lab.wait_votes(3, timeout=30)
    doc = report(capsys, str(recording))
    assert doc["errors"] == []
    pve03 = [i for i in doc["incidents"] if "pve03" in i["nodes"]]
    assert len(pve03) == 1, [(i["nodes"], i["cause"]) for i in doc["incidents"]]
    inc = pve03[0]
    votes = recorded_votes(events)
    if fault == "sshd-kill":  # only the console's connection was lost; the votes stayed 3/3
        assert set(votes) == {3}, votes
        assert inc["nodes"] == ["pve03"] and inc["cause_kind"] == "management_lost", \
            inc["cause"]
        assert inc["downtime"]["pve03"]["seconds"] == 0
        return
    assert 2 in votes and votes[-1] == 3, votes
    assert inc["downtime"]["pve03"]["seconds"] > 0
    if fault == "corosync-kill-9":  # sshd was fine all along: the votes tell it
        assert "reconnecting" not in _states(events, "pve03")
        assert inc["cause_kind"] == "node_down", inc["cause"]
        assert inc["cause"].startswith("corosync on pve03 down: it left the votes"), \
            inc["cause"]
    else:  # link or TX stall: pve03 unreachable; its peers lost it, no link line reached us
        assert "reconnecting" in _states(events, "pve03")
        assert inc["cause_kind"] == "node_isolated", inc["cause"]
        assert inc["cause"].startswith("pve03 cut off: its peers lost it at "), inc["cause"]
