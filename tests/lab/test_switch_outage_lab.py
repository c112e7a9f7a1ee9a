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
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from labconsole.cli import main
from labconsole.events import ConnectionChange, Event, KernelText
from labconsole.parse.kernel_journal import parse_json_entry
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
    assert len(lost) == 1 and lost[0]["cause_kind"] == "conn_lost", lost[0]["cause"]
    assert "connection lost; no kernel, link or switch evidence" in lost[0]["cause"]
