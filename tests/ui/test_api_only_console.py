"""A config with only the Proxmox API (no SSH node): the console's Votes and NIC panels are fed
by the API, against the local HTTPS mock in the real PVE shapes (a quorate cluster, a node
offline, then not quorate). The app is built from the config file as ``labconsole run
--config`` builds it, and driven in Pilot; the panels' own renders are read."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from labconsole.commands.run import build_live_app
from labconsole.config import load_config
from tests.fixtures.pve_api_server import MockPve

TOKEN_ID, SECRET = "root@pam!labconsole", "0f1e2d3c-0000-4000-8000-123456789abc"
ENV = "LABCONSOLE_TEST_PVE_SECRET"


@pytest.fixture
def pve(tmp_path: Path) -> Iterator[MockPve]:
    with MockPve(tmp_path, token=f"{TOKEN_ID}={SECRET}") as mock:
        yield mock


def api_only_config(tmp_path: Path, pve: MockPve) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        "[console]\nbell = false\ndesktop_notification = false\n"
        f"recording_dir = {json.dumps(str(tmp_path / 'rec'))}\n\n"
        "[syslog]\nenabled = false\n\n"
        '[[clusters]]\nname = "lab"\n\n[clusters.proxmox]\nhost = "127.0.0.1"\n'
        f'port = {pve.port}\ntoken_id = "{TOKEN_ID}"\ntoken_secret_env = "{ENV}"\n'
        f"ca_file = {json.dumps(str(pve.cert))}\npoll_interval = 0.2\n")
    return path


def test_an_api_only_config_loads_without_nodes(tmp_path: Path, pve: MockPve) -> None:
    config = load_config(api_only_config(tmp_path, pve))
    assert config.nodes == () and config.clusters[0].proxmox is not None


async def test_with_only_the_api_configured_the_panels_show_what_the_api_says(
        tmp_path: Path, pve: MockPve, monkeypatch: pytest.MonkeyPatch) -> None:
    from labconsole.widgets.nic_panel import NicPanel
    from labconsole.widgets.votes_panel import VotesPanel

    monkeypatch.setenv(ENV, SECRET)
    app = build_live_app(api_only_config(tmp_path, pve), argparse.Namespace(record=None))
    async with app.run_test(size=(120, 36)) as pilot:
        def votes() -> str:
            return str(app.screen.query_one(VotesPanel).render())

        def nics() -> str:
            return str(app.screen.query_one(NicPanel).render())

        async def until(check: Callable[[], bool], what: str) -> None:
            for _ in range(300):  # bounded: 300 pauses of 0.05 s
                if check():
                    return
                await pilot.pause(0.05)
            raise AssertionError(f"{what}: votes {votes()!r}; NICs {nics()!r}")

        await until(lambda: "lab 3/3 quorate" in votes() and all(
            f"{n} eno1" in nics() for n in ("pve01", "pve02", "pve03")), "quorate, 3 NICs")
        assert "pve01  3/3 quorate" in votes() and "API from pve01" in votes()
        assert "up" in nics()

        pve.online["pve03"] = False  # the API node sees pve03 offline: 2/3, still quorate
        await until(lambda: "lab 2/3 quorate" in votes() and "pve03  GONE" in votes(),
                    "pve03 offline")
        assert "pve01  2/3 quorate" in votes()
        # its NIC row, read through that API, is old now: unknown, never its last "up"
        await until(lambda: any("pve03" in row and "unknown" in row
                                for row in nics().splitlines()), "pve03's NIC unknown")
        assert "offline (API from pve01)" in nics()
        assert [row for row in nics().splitlines() if "unknown" in row] == [
            row for row in nics().splitlines() if "pve03 eno1" in row]

        pve.online["pve02"] = False  # pve01 alone: not quorate
        await until(lambda: "lab 1/3 NOT quorate" in votes(), "not quorate")
        assert "pve01  alone, NOT quorate" in votes() and "API from pve01" in votes()
        kinds = [e.fact.kind for e in app.state.timeline.entries]
        assert "vote_left" in kinds and "quorum_lost" in kinds
