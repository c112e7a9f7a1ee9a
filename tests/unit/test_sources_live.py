"""build_live wires a real config file to sources: one SSH connection per node, shared."""

from __future__ import annotations

from pathlib import Path

from labconsole.config import load_config
from labconsole.sources.base import Source
from labconsole.sources.kernel_stream import JournalResume, KernelStreamSource, TailResume
from labconsole.sources.live import build_live, build_live_sources
from labconsole.sources.nic_poll import NicPollSource
from labconsole.sources.pve_api import PveApiSource
from labconsole.sources.quorum_poll import QuorumPollSource
from labconsole.sources.ssh import SshPool
from labconsole.sources.syslog_listener import SyslogListener

CONFIG = """
[console]
quorum_poll_interval = 0.5
nic_refresh_interval = 45

[syslog]
address = "127.0.0.1"
port = 5515
protocols = ["udp"]

[[clusters]]
name = "lab"
[clusters.ssh]
user = "ops"
key_file = "id_lab"
known_hosts = "known_hosts"
jump_host = "admin@bastion:2222"
[clusters.proxmox]
host = "pve01.lab.test"
token_id = "labconsole@pve!console"
token_secret_env = "LC_TEST_SECRET"
ca_file = "ca.pem"

[[clusters.nodes]]
name = "pve01"
address = "10.99.0.11"
interfaces = ["eno1", "eno2"]

[[clusters.nodes]]
name = "pve03"
address = "pve03-alias"
kernel_log_command = "tail -n +1 -F /var/log/kern.log"
interfaces = ["eno1"]
"""


def _config(tmp_path: Path) -> Path:
    for name in ("id_lab", "known_hosts", "ca.pem"):
        (tmp_path / name).write_text("x\n")
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    return path


def test_one_connection_per_node_shared_by_all_its_sources(tmp_path: Path) -> None:
    live = build_live(load_config(_config(tmp_path)), env={"LC_TEST_SECRET": "s3cret"})
    assert live.problems == []
    assert all(isinstance(s, Source) for s in live.sources)
    kinds = [type(s) for s in live.sources]
    assert kinds.count(SshPool) == 1 and kinds.count(QuorumPollSource) == 1
    assert kinds.count(KernelStreamSource) == 2 and kinds.count(NicPollSource) == 3
    assert kinds.count(SyslogListener) == 1 and kinds.count(PveApiSource) == 1

    pve01 = live.pool.node("pve01")
    for s in live.sources:
        if isinstance(s, (KernelStreamSource, NicPollSource)) and s.conn.node == "pve01":
            assert s.conn is pve01
    target = pve01.target
    assert (target.host, target.username, target.jump_host) == ("10.99.0.11", "ops",
                                                               "admin@bastion:2222")
    assert target.client_keys == (str(tmp_path / "id_lab"),)
    assert target.known_hosts == str(tmp_path / "known_hosts")
    assert live.pool.node("pve03").target.host == "pve03-alias"  # resolved by ~/.ssh/config


def test_config_values_reach_the_sources(tmp_path: Path) -> None:
    live = build_live(load_config(_config(tmp_path)), env={"LC_TEST_SECRET": "s3cret"})
    by_type = {type(s): s for s in live.sources}
    quorum = by_type[QuorumPollSource]
    assert isinstance(quorum, QuorumPollSource) and quorum.interval == 0.5
    assert [c.node for c in quorum.conns] == ["pve01", "pve03"]
    streams = [s for s in live.sources if isinstance(s, KernelStreamSource)]
    assert isinstance(streams[0].strategy, JournalResume)
    assert isinstance(streams[1].strategy, TailResume)
    listener = by_type[SyslogListener]
    assert isinstance(listener, SyslogListener)
    assert (listener.port, listener.udp, listener.tcp) == (5515, True, False)
    api = by_type[PveApiSource]
    assert isinstance(api, PveApiSource)
    assert api.verify == str(tmp_path / "ca.pem") and api.token_secret == "s3cret"
    assert live.nics[("pve01", "eno2")].interval == 45
    assert live.refresh_nics("pve01") == 2 and live.refresh_nics("pve03", "eno1") == 1


def test_missing_api_secret_disables_only_the_api(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("LC_TEST_SECRET", raising=False)
    live = build_live(load_config(_config(tmp_path)), env={})
    assert not any(isinstance(s, PveApiSource) for s in live.sources)
    assert len(live.problems) == 1 and "LC_TEST_SECRET" in live.problems[0]
    assert any(isinstance(s, QuorumPollSource) for s in build_live_sources(
        load_config(_config(tmp_path))))
