"""The package as a user installs it: ``pip install .`` with no extras into a fresh venv, then
``labconsole run`` with the documented ``[clusters.proxmox]`` config against the local HTTPS
server that answers in the real Proxmox shapes. It must poll the API and keep running (once,
``requests`` was only a dev dependency and proxmoxer's SystemExit ended the console).

Slow (a venv and an install; pip's cache makes it about a minute), so e2e. The console runs in
tmux as an operator would run it; every wait is bounded.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.pve_api_server import MockPve
from tests.tmux_driver import TmuxSession as Tmux

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="no ssh-keygen"),
]

ROOT = Path(__file__).resolve().parents[2]
SKIP = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", "build", "dist",
                              ".hypothesis", ".pytest_cache", ".mypy_cache", ".ruff_cache")
TOKEN_ID, SECRET = "root@pam!labconsole", "0f1e2d3c-0000-4000-8000-123456789abc"


@pytest.fixture(scope="module")
def plain_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the package installed from a copy of the tree, no extras."""
    base = tmp_path_factory.mktemp("plain")
    source = base / "src"
    shutil.copytree(ROOT, source, ignore=SKIP)
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    out = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                          str(source)], capture_output=True, text=True, timeout=900,
                         check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return venv


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again: SSH to it is refused at once


def _config(tmp_path: Path, pve: MockPve) -> Path:
    """The sample config's shape: SSH to a closed loopback port (refused at once, shown as a
    source error), the API on the local HTTPS server with its CA file."""
    ssh_port = _closed_port()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                    str(tmp_path / "id_lab")], check=True, timeout=60)
    public = (tmp_path / "id_lab.pub").read_text().split()
    (tmp_path / "known_hosts").write_text(f"[127.0.0.1]:{ssh_port} {public[0]} {public[1]}\n")
    path = tmp_path / "config.toml"
    path.write_text(f"""
[console]
recording_dir = "{tmp_path / 'rec'}"
runbook_dir = "{tmp_path / 'runbooks'}"

[syslog]
enabled = false

[[clusters]]
name = "lab"
[clusters.ssh]
port = {ssh_port}
key_file = "id_lab"
known_hosts = "known_hosts"
[clusters.proxmox]
host = "127.0.0.1"
port = {pve.port}
token_id = "{TOKEN_ID}"
token_secret_env = "LC_PLAIN_PVE_SECRET"
ca_file = "{pve.cert}"

[[clusters.nodes]]
name = "pve01"
address = "127.0.0.1"
interfaces = ["eno1"]
""")
    return path


@pytest.fixture
def pve(tmp_path: Path) -> Iterator[MockPve]:
    with MockPve(tmp_path, token=f"{TOKEN_ID}={SECRET}") as mock:
        yield mock


def test_a_plain_install_runs_the_console_against_the_proxmox_api(
        plain_venv: Path, pve: MockPve, tmp_path: Path) -> None:
    config = _config(tmp_path, pve)
    labconsole = plain_venv / "bin" / "labconsole"
    check = subprocess.run([str(labconsole), "check", "--config", str(config)],
                           capture_output=True, text=True, timeout=60, check=False,
                           env={**os.environ, "LC_PLAIN_PVE_SECRET": SECRET})
    assert check.returncode == 0, check.stdout + check.stderr
    t = Tmux(f"labconsole-plain-{os.getpid()}-{uuid.uuid4().hex[:8]}", polls=240,
             poll_seconds=0.25)
    command = (f"{shlex.quote(str(labconsole))} run --config {shlex.quote(str(config))}; "
               "echo LABCONSOLE_EXIT=$?; sleep 60")
    env = {**os.environ, "TERM": "xterm-256color", "LC_PLAIN_PVE_SECRET": SECRET}
    subprocess.run(["tmux", "-L", t.socket, "-f", os.devnull, "new-session", "-d", "-s", "lc",
                    "-x", "160", "-y", "40", "sh", "-c", command], check=True, timeout=20,
                   env=env)
    try:
        t.wait_for(lambda s: any(p.endswith("/network") for p in pve.requests),
                   "the console to poll the API")
        polls = len(pve.requests)
        screen = t.wait_for(lambda s: len(pve.requests) > polls, "a second round of polls")
        assert "LABCONSOLE_EXIT" not in screen and "Traceback" not in screen
        assert "/api2/json/cluster/status" in pve.requests
        t.keys("q")
        t.wait_for(lambda s: "LABCONSOLE_EXIT=0" in s, "a clean exit")
    finally:
        subprocess.run(["tmux", "-L", t.socket, "kill-server"], capture_output=True,
                       timeout=20, check=False)
