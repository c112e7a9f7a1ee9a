"""End to end in tmux on the real lab: ``labconsole runbook run`` fixes pve03, driven by
send-keys and read by capture-pane, as an operator would (issue 4 "Must show").

The console runs inside the lab's ops namespace with a config that points at the lab nodes
(lab client key, lab known_hosts: host keys checked). pve03 logs e1000e hang blocks and loses
its link; the operator confirms the actions with ``c``; the test checks the real veth, pve03's
own interfaces file and the audit log. Every wait polls a bounded number of times.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from labconsole.runbook.audit import AuditEntry, read_audit
from tests.lab.labnet import Lab, cleanup_stale, interfaces_text, missing_requirements
from tests.lab.test_lab_sources import HANG_BLOCK
from tests.tmux_driver import TmuxSession as Tmux

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.lab,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

POLLS = 240
POLL_SECONDS = 0.25
HOOK = "/sbin/ethtool -K eno1 tso off gso off gro off"


def lab_config(the_lab: Lab, tmp: Path) -> Path:
    nodes = "".join(
        f'[[clusters.nodes]]\nname = "{n}"\naddress = "{the_lab.node(n).addr}"\n'
        f'interfaces = ["eno1"]\nbridge = "vmbr0"\n'
        f"kernel_log_command = {_toml(the_lab.kernel_log_command(n))}\n\n"
        for n in the_lab.nodes)
    text = (f"[console]\nrecording_dir = {_toml(str(tmp / 'rec'))}\n"
            f"runbook_dir = {_toml(str(tmp / 'runbooks'))}\nquorum_poll_interval = 0.5\n\n"
            "[syslog]\nenabled = false\n\n"
            '[[clusters]]\nname = "lab"\n\n[clusters.ssh]\nuser = "root"\n'
            f"key_file = {_toml(str(the_lab.client_key))}\n"
            f"known_hosts = {_toml(str(the_lab.known_hosts))}\n\n" + nodes)
    path = tmp / "config.toml"
    path.write_text(text)
    return path


def _toml(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def audit_has(path: Path, step: str, *results: str) -> Callable[[str], bool]:
    def check(_: str) -> bool:
        return any(e.step == step and e.result in results for e in _entries(path))
    return check


def _entries(path: Path) -> list[AuditEntry]:
    return list(read_audit(path))


@pytest.fixture(scope="module")
def e2e_lab() -> Iterator[Lab]:
    """A lab of its own (prefix ``lc<pid>-e2e``): the lab tests' session lab may run in the
    same process, and fixtures of tests/lab/conftest.py are not visible here."""
    reason = missing_requirements()
    if reason:
        pytest.skip(reason)
    cleanup_stale()
    lab = Lab(prefix=f"lc{os.getpid()}-e2e")
    lab.start()
    try:
        yield lab
    finally:
        lab.stop()


@pytest.fixture
def tmux(e2e_lab: Lab, tmp_path: Path) -> Iterator[tuple[Tmux, Path]]:
    config = lab_config(e2e_lab, tmp_path)
    audit = tmp_path / "audit.jsonl"
    assert config.exists()
    t = Tmux(f"labconsole-rb-{os.getpid()}-{uuid.uuid4().hex[:8]}", "rb", polls=POLLS,
             poll_seconds=POLL_SECONDS)
    yield t, audit
    t.run("kill-server")


def test_operator_fixes_pve03_with_keys_in_tmux(
        tmux: tuple[Tmux, Path], e2e_lab: Lab, tmp_path: Path) -> None:
    t, audit = tmux
    the_lab = e2e_lab
    node = the_lab.node("pve03")
    original = interfaces_text(node.addr)
    assert node.interfaces_file.read_text() == original
    the_lab.node_exec("pve03", ["ethtool", "-K", "eno1", "tso", "on", "gso", "on", "gro", "on"])
    the_lab.write_kernel_lines("pve03", HANG_BLOCK * 2)
    the_lab.link_down("pve03")
    the_lab.wait_votes(2, nodes=("pve01", "pve02"), timeout=20)
    command = shlex.join([
        "ip", "netns", "exec", the_lab.ops_ns, sys.executable, "-m", "labconsole",
        "runbook", "run", "e1000e-tx-hang", "--config", str(tmp_path / "config.toml"),
        "--node", "pve03", "--iface", "eno1", "--audit", str(audit), "--settle", "2",
        "--operator", "e2e", "--episode", f"e2e-{uuid.uuid4().hex[:6]}"])
    t.run("new-session", "-d", "-s", "rb", "-x", "100", "-y", "32",
          f"cd {shlex.quote(os.getcwd())} && {command}; sleep 30")
    t.wait_for(lambda s: "e1000e TX hang" in s, "the runbook screen")
    t.wait_for(audit_has(audit, "confirm-votes", "pass"), "symptom confirmed (2/3)")
    the_lab.link_up("pve03")
    for _ in range(8):  # pve03's SSH connection may still be in its reconnect backoff
        screen = t.wait_for(lambda s: "waiting for your confirm" in s or "step failed" in s,
                            "first action (or a failed check to retry)")
        if "waiting for your confirm" in screen:
            break
        time.sleep(2)
        t.keys("r")
    assert "ethtool -K eno1 tso off gso off gro off" in screen
    assert the_lab.node_exec("pve03", ["ethtool", "-k", "eno1"]).stdout.count(": on") >= 3
    t.keys("c")
    t.wait_for(audit_has(audit, "settle", "pass", "fail"), "verify and settle")
    t.wait_for(lambda s: "waiting for your confirm" in s and "post-up" in s, "persist step")
    t.keys("c")
    t.wait_for(audit_has(audit, "persist", "done", "refused", "error"), "persist")
    assert node.interfaces_file.read_text() == interfaces_text(node.addr, post_up=HOOK)
    t.wait_for(lambda s: "waiting for your confirm" in s and "ifdown" in s, "reload step")
    the_lab.node_exec("pve03", ["ethtool", "-K", "eno1", "tso", "on"])  # the hook must undo it
    t.keys("c")
    t.wait_for(audit_has(audit, "verify-after-reload", "pass", "fail", "error"),
               "verify after reload")
    for _ in range(20):  # corosync may need a moment after vmbr0 came back
        if audit_has(audit, "votes-back", "pass")(""):
            break
        t.wait_for(audit_has(audit, "votes-back", "pass", "fail", "error"), "votes check")
        if audit_has(audit, "votes-back", "pass")(""):
            break
        time.sleep(1)
        t.keys("r")
    screen = t.wait_for(lambda s: "finished" in s, "finished")
    out = the_lab.node_exec("pve03", ["ethtool", "-k", "eno1"]).stdout
    for name in ("tcp-segmentation-offload", "generic-segmentation-offload",
                 "generic-receive-offload"):
        assert f"{name}: off" in out
    assert the_lab.total_votes("pve01") == 3
    results = {e.step: e.result for e in _entries(audit)}
    assert results["reload"] == "done" and results["votes-back"] == "pass"
    assert all(e.operator == "e2e" for e in _entries(audit))
    # roll back from the console: the file is what it was, byte for byte
    t.keys("R")
    t.wait_for(lambda _: node.interfaces_file.read_text() == original, "rollback")
    t.wait_for(audit_has(audit, "persist", "done"), "rollback audited")
    assert any(e.kind == "rollback" and e.result == "done" for e in _entries(audit))
    t.keys("q")
    the_lab.node_exec("pve03", ["ethtool", "-K", "eno1", "tso", "on", "gso", "on", "gro", "on"])
