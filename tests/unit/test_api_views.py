"""The Proxmox API as a source of facts, with only the API configured: the local HTTPS mock in
the real shapes, polled by the real source through the real pipeline. /cluster/status is the
API node's own view (quorate, not quorate, a node offline); /nodes/{node}/network feeds the
NIC panel."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from labconsole.events import ApiJson
from labconsole.pipeline import Pipeline
from labconsole.sources.pve_api import PveApiSource
from labconsole.state.api_views import api_changes
from labconsole.state.console_state import ConsoleState
from labconsole.widgets.nic_panel import render_nics
from labconsole.widgets.votes_panel import picture_text, render_votes
from tests.fixtures.pve_api_server import MockPve

TOKEN_ID, SECRET = "root@pam!labconsole", "0f1e2d3c-0000-4000-8000-123456789abc"


@pytest.fixture
def pve(tmp_path: Path) -> Iterator[MockPve]:
    with MockPve(tmp_path, token=f"{TOKEN_ID}={SECRET}") as mock:
        yield mock


async def _poll(pve: MockPve, state: ConsoleState,
                until: Callable[[ConsoleState], bool]) -> None:
    """Run the real source in the real pipeline until ``until(state)`` (bounded: 20 s)."""
    source = PveApiSource("127.0.0.1", TOKEN_ID, SECRET, port=pve.port, verify=str(pve.cert),
                          interval=0.05, cluster="lab", name="pve_api:lab")
    task = asyncio.create_task(Pipeline([source], state=state).run())
    try:
        for _ in range(400):
            if until(state):
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert until(state), (list(state.errors), pve.requests[-3:])


def _complete(state: ConsoleState) -> bool:
    return "lab" in state.votes.clusters and all(
        (n, "eno1") in state.nics.nics for n in ("pve01", "pve02", "pve03"))


async def test_a_quorate_cluster_is_the_api_nodes_view_and_fills_the_nic_panel(
        pve: MockPve) -> None:
    state = ConsoleState()
    await _poll(pve, state, _complete)
    c = state.votes.clusters["lab"]
    view = c.views["pve01"]
    assert (view.source, view.via, view.quorate) == ("api", "API from pve01", True)
    assert view.members == {"pve01", "pve02", "pve03"}
    assert (view.total_votes, view.expected_votes) == (3, 3)
    assert picture_text(c.picture()) == "3/3 quorate"
    text = render_votes(state.votes, view.at).plain
    assert "lab 3/3 quorate" in text and "pve01  3/3 quorate" in text and "API from pve01" in text
    assert state.nics.nics[("pve02", "eno1")].link == "up"
    assert "pve03" in render_nics(state.nics).plain
    assert not state.errors


async def test_a_node_offline_is_out_of_the_votes_as_the_api_node_sees_it(
        pve: MockPve) -> None:
    pve.online["pve03"] = False
    state = ConsoleState()
    # pve03's network answers 595 (the API cannot reach it): the rest still comes through
    await _poll(pve, state, lambda s: "lab" in s.votes.clusters and all(
        (n, "eno1") in s.nics.nics for n in ("pve01", "pve02")))
    assert ("pve03", "eno1") not in state.nics.nics
    c = state.votes.clusters["lab"]
    view = c.views["pve01"]
    assert view.members == {"pve01", "pve02"} and view.quorate is True
    assert (view.total_votes, view.expected_votes) == (2, 3)
    assert set(c.out_since) == {"pve03"}
    facts = [(e.fact.kind, e.fact.node) for e in state.timeline.entries]
    assert ("vote_left", "pve03") in facts


async def test_a_cluster_turning_not_quorate_on_the_api_is_shown_and_on_the_timeline(
        pve: MockPve) -> None:
    state = ConsoleState()
    await _poll(pve, state, _complete)
    pve.online.update(pve02=False, pve03=False)
    await _poll(pve, state, lambda s: s.votes.clusters["lab"].views["pve01"].quorate is False)
    c = state.votes.clusters["lab"]
    pic = c.picture()
    assert pic.kind == "agree" and pic.quorate is False
    assert "lab 1/3 NOT quorate" in render_votes(state.votes, c.views["pve01"].at).plain
    kinds = [e.fact.kind for e in state.timeline.entries]
    assert "quorum_lost" in kinds and "picture_changed" in kinds


def test_a_status_whose_node_cannot_be_told_is_an_error_not_a_view() -> None:
    from datetime import datetime, timezone
    at = datetime(2026, 3, 2, tzinfo=timezone.utc)
    rows = [{"type": "cluster", "name": "lab", "quorate": 1, "nodes": 2, "version": 2},
            {"type": "node", "name": "a", "nodeid": 1, "online": 1, "local": 0},
            {"type": "node", "name": "b", "nodeid": 2, "online": 1, "local": 0}]
    out = api_changes(ApiJson(at=at, source="api", node=None, path="/cluster/status",
                              body=rows), at)
    assert not out.views and out.errors and "whose view" in out.errors[0]
    bad = api_changes(ApiJson(at=at, source="api", node=None, path="/cluster/status",
                              body={"data": "nope"}), at)
    assert bad.errors and not bad.views
