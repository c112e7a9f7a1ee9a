"""``check --connect`` tries each cluster's Proxmox API token against the local HTTPS server
that answers in the real shapes (no PVE server can run here)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from labconsole.config import ClusterConfig, load_config
from labconsole.preflight.connect import probe_api
from tests.fixtures.pve_api_server import MockPve

TOKEN_ID = "labconsole@pve!console"
SECRET = "0f1e2d3c-0000-4000-8000-123456789abc"


@pytest.fixture
def pve(tmp_path: Path) -> Iterator[MockPve]:
    with MockPve(tmp_path, token=f"{TOKEN_ID}={SECRET}") as mock:
        yield mock


def _cluster(tmp_path: Path, pve: MockPve) -> ClusterConfig:
    config = tmp_path / "c.toml"
    config.write_text(f'[syslog]\nenabled = false\n[[clusters]]\nname = "lab"\n'
                      f'[clusters.proxmox]\nhost = "127.0.0.1"\nport = {pve.port}\n'
                      f'token_id = "{TOKEN_ID}"\ntoken_secret_env = "LC_CHECK_SECRET"\n'
                      f'ca_file = "{pve.cert}"\n'
                      '[[clusters.nodes]]\nname = "pve01"\naddress = "127.0.0.1"\n')
    return load_config(config).clusters[0]


async def test_a_working_token_is_no_problem(tmp_path: Path, pve: MockPve) -> None:
    cluster = _cluster(tmp_path, pve)
    assert await probe_api(cluster, 5, {"LC_CHECK_SECRET": SECRET}) == []


async def test_a_wrong_secret_is_one_line_with_the_fix(tmp_path: Path, pve: MockPve) -> None:
    cluster = _cluster(tmp_path, pve)
    found = await probe_api(cluster, 5, {"LC_CHECK_SECRET": "s3cr3t-wrong"})
    assert len(found) == 1
    line = str(found[0])
    assert line.startswith(f"cluster lab: proxmox API 127.0.0.1:{pve.port}: ")
    assert "401" in line and line.endswith(
        ": check token_id and the secret (Datacenter > Permissions > API Tokens)")
    assert "s3cr3t-wrong" not in line  # the secret never appears
