"""PVE API source against the local HTTPS mock: token auth, TLS verification, real shapes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from labconsole.events import ApiJson, ConnectionChange, Event
from labconsole.parse.pve_api import parse_pve_api
from labconsole.sources.backoff import Backoff
from labconsole.sources.pve_api import PveApiError, PveApiSource, split_token
from labconsole.sources.remote_command import CommandError
from tests.fixtures.pve_api_server import MockPve

TOKEN_ID, SECRET = "root@pam!labconsole", "0f1e2d3c-0000-4000-8000-123456789abc"


@pytest.fixture
def pve(tmp_path: Path) -> Iterator[MockPve]:
    with MockPve(tmp_path, token=f"{TOKEN_ID}={SECRET}") as mock:
        yield mock


def _source(pve: MockPve, **kw: object) -> PveApiSource:
    kw.setdefault("verify", str(pve.cert))
    return PveApiSource("127.0.0.1", TOKEN_ID, SECRET, port=pve.port,  # type: ignore[arg-type]
                        **kw)


async def test_fetches_cluster_status_nodes_and_each_network_with_a_ca_file(
        pve: MockPve) -> None:
    events = await _source(pve).fetch_all()
    assert [e.path for e in events] == ["/cluster/status", "/nodes", "/nodes/pve01/network",
                                        "/nodes/pve02/network", "/nodes/pve03/network"]
    status = events[0].body
    assert status[0]["type"] == "cluster" and status[0]["quorate"] == 1
    assert [e.node for e in events[2:]] == ["pve01", "pve02", "pve03"]
    bridge = events[2].body[0]
    assert (bridge["iface"], bridge["bridge_ports"]) == ("vmbr0", "eno1")
    # the domain parser reads what the source delivered
    parsed = parse_pve_api(_json(status))
    assert parsed is not None


def _json(body: object) -> str:
    return json.dumps({"data": body})


async def test_self_signed_cert_is_refused_without_the_ca_file(pve: MockPve) -> None:
    with pytest.raises(PveApiError, match=r"SSL|certificate"):
        await asyncio.to_thread(_source(pve, verify=True).get, "/cluster/status")


async def test_wrong_token_is_an_error_naming_the_path(pve: MockPve) -> None:
    src = PveApiSource("127.0.0.1", TOKEN_ID, "wrong", port=pve.port, verify=str(pve.cert))
    with pytest.raises(PveApiError, match=r"GET /nodes .*401"):
        await asyncio.to_thread(src.get, "/nodes")


async def test_run_reports_connection_state_and_recovers(pve: MockPve) -> None:
    got: list[Event] = []

    async def emit(e: Event) -> None:
        got.append(e)

    src = _source(pve, interval=0.05, nodes=("pve03",),
                  backoff=Backoff(base=0.05, cap=0.1, jitter=0))
    src.token_secret = "wrong"
    task = asyncio.create_task(src.run(emit))
    try:
        async def wait(cond: object) -> None:
            while not cond():  # type: ignore[operator]
                await asyncio.sleep(0.01)
        await asyncio.wait_for(wait(lambda: any(
            isinstance(e, ConnectionChange) and e.state == "reconnecting" for e in got)), 5)
        src.token_secret = SECRET
        src._api = None  # a new token is picked up by a new client
        await asyncio.wait_for(wait(lambda: any(isinstance(e, ApiJson) for e in got)), 5)
    finally:
        task.cancel()
    states = [e.state for e in got if isinstance(e, ConnectionChange)]
    assert states[0] == "connecting" and "reconnecting" in states and states[-1] == "connected"
    assert "401" in next(e.detail for e in got
                         if isinstance(e, ConnectionChange) and e.state == "reconnecting")


def test_token_ids_and_node_names_are_validated() -> None:
    assert split_token("root@pam!x") == ("root@pam", "x")
    for bad in ("root@pam", "!x", "root!x"):
        with pytest.raises(CommandError, match="USER@REALM!TOKENNAME"):
            split_token(bad)
    with pytest.raises(CommandError, match="invalid node name"):
        PveApiSource("h", TOKEN_ID, SECRET, nodes=("../../access",))
