"""The live sources against the real lab (issue 6 "Must show"): corosync, sshd, ethtool, tail -F.

Every source runs in the ops namespace (``lab.run_in_ops``) and reaches the nodes over real SSH
with host key checking on. Waits are bounded; nothing asserts on speed.
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid

import pytest

from labconsole.events import ConnectionChange, KernelText, NicText, QuorumText
from labconsole.parse.ethtool import parse_features
from labconsole.parse.quorum import parse_quorum
from labconsole.sources.backoff import Backoff
from labconsole.sources.kernel_stream import KernelStreamSource
from labconsole.sources.nic_poll import NicPollSource
from labconsole.sources.quorum_poll import QuorumPollSource
from labconsole.sources.ssh import HostKeyError, SshPool, SshTarget, connect
from tests.lab.collect import Collector, running
from tests.lab.labnet import Lab

pytestmark = pytest.mark.lab

HANG_BLOCK = """\
[ 5120.000001] e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:
                 TDH                  <f6>
                 TDT                  <1a>
                 next_to_use          <1a>
                 next_to_clean        <f6>
               buffer_info[next_to_clean]:
                 time_stamp           <10013a2b1>
                 next_to_watch        <f7>
                 jiffies              <10013a7c0>
                 next_to_watch.status <0>
"""


def _pool(lab: Lab, *names: str) -> SshPool:
    # Small, deterministic backoff so reconnects in tests happen promptly.
    return SshPool([lab.ssh_target(n) for n in names],
                   backoff=lambda: Backoff(base=0.2, cap=1.0, jitter=0.2))


def test_quorum_source_follows_a_node_link_down_and_up(healthy_lab: Lab) -> None:
    lab = healthy_lab

    async def scenario() -> list[int]:
        pool = _pool(lab, *lab.nodes)
        quorum = QuorumPollSource(list(pool.nodes.values()), cluster="lab", interval=0.3)
        col = Collector()

        def votes() -> int | None:
            seen = col.of(QuorumText)
            return parse_quorum(seen[-1].text).total_votes if seen else None

        async with running(pool, quorum, collector=col):
            await col.wait_for(lambda: votes() == 3, 15, "3/3 quorate")
            assert parse_quorum(col.of(QuorumText)[-1].text).quorate
            # ask from pve03 first: the source must fail over when its link goes
            quorum.current = 2
            lab.link_down("pve03")
            await col.wait_for(lambda: votes() == 2, 20, "2/3 after pve03 link down")
            last = parse_quorum(col.of(QuorumText)[-1].text)
            assert last.quorate and "pve03" not in last.node_names()
            assert col.of(QuorumText)[-1].node != "pve03"
            lab.link_up("pve03")
            await col.wait_for(lambda: votes() == 3, 20, "3/3 after pve03 link up")
            await pool.close()
        return [parse_quorum(e.text).total_votes for e in col.of(QuorumText)]

    seen = lab.run_in_ops(scenario, timeout=90)
    assert seen[0] == 3 and 2 in seen and seen[-1] == 3


def test_hang_lines_written_on_pve03_arrive_as_kernel_text(lab: Lab) -> None:
    """The block arrives whole and in order after a marker line written just before it.
    (The stream starts with ``tail -n +1``: it first replays what earlier tests of the
    session wrote into kern.log, so counting lines from the moment of connection was not
    enough: the count was once reached by replayed lines before the block was complete.)"""
    marker = f"[ 5119.000000] lab: before the hang block {uuid.uuid4().hex}"
    block = HANG_BLOCK.splitlines()

    def after_marker(col: Collector) -> list[str]:
        texts = [e.text for e in col.of(KernelText)]
        return texts[texts.index(marker) + 1:] if marker in texts else []

    async def scenario() -> list[str]:
        pool = _pool(lab, "pve03")
        stream = KernelStreamSource(pool.node("pve03"), lab.kernel_log_command("pve03"))
        col = Collector()
        async with running(pool, stream, collector=col):
            await pool.node("pve03").connection(10)
            lab.write_kernel_lines("pve03", marker + "\n" + HANG_BLOCK)
            await col.wait_for(lambda: len(after_marker(col)) >= len(block), 20,
                               "the marker, then the hang block")
            await pool.close()
        return after_marker(col)

    assert lab.run_in_ops(scenario) == block


def test_sshd_killed_reconnects_with_backoff_and_stream_resumes_exactly(
        healthy_lab: Lab) -> None:
    lab = healthy_lab
    marker = f"resume-{id(lab)}"

    async def scenario() -> tuple[list[str], list[ConnectionChange]]:
        pool = _pool(lab, "pve02", "pve03")
        stream = KernelStreamSource(pool.node("pve03"), lab.kernel_log_command("pve03"))
        col = Collector()

        def texts() -> list[str]:
            return [e.text for e in col.of(KernelText) if marker in e.text]

        def states(node: str) -> list[str]:
            return [e.state for e in col.of(ConnectionChange, node)]

        async with running(pool, stream, collector=col):
            await pool.node("pve03").connection(10)
            lab.write_kernel_lines("pve03", "".join(f"{marker} {i}\n" for i in range(5)))
            await col.wait_for(lambda: len(texts()) == 5, 10, "first 5 lines")
            lab.kill_sshd("pve03")
            await col.wait_for(lambda: states("pve03")[-1:] == ["reconnecting"], 10,
                               "pve03 reconnecting")
            # written while the node is unreachable over SSH: must not be lost
            lab.write_kernel_lines("pve03", "".join(f"{marker} {i}\n" for i in range(5, 10)))
            await asyncio.sleep(1.0)  # let a few retries fail
            assert pool.node("pve02").state == "connected"
            await asyncio.to_thread(lab.start_sshd, "pve03")
            await col.wait_for(lambda: states("pve03")[-1:] == ["connected"], 15,
                               "pve03 connected again")
            await col.wait_for(lambda: len(texts()) >= 10, 10, "lines 5..9 after reconnect")
            lab.write_kernel_lines("pve03", f"{marker} 10\n")
            await col.wait_for(lambda: len(texts()) >= 11, 10, "line 10")
            await asyncio.sleep(0.3)  # a duplicate, if any, would arrive now
            await pool.close()
        return texts(), col.of(ConnectionChange, "pve03")

    texts, changes = lab.run_in_ops(scenario, timeout=90)
    assert texts == [f"{marker} {i}" for i in range(11)]
    states = [c.state for c in changes]
    assert states[:2] == ["connecting", "connected"]
    retries = [c for c in changes if c.state == "reconnecting" and c.retry_in is not None]
    assert retries, states
    assert all(0 < c.retry_in <= 1.0 for c in retries if c.retry_in is not None)
    assert states[-2:] == ["connected", "closed"]


def test_unknown_and_changed_host_keys_are_refused_with_the_fingerprint(lab: Lab) -> None:
    node = lab.node("pve03")
    fp = subprocess.run(["ssh-keygen", "-lf", str(node.dir / "ssh_host_ed25519_key.pub")],
                        capture_output=True, text=True, check=True).stdout.split()[1]
    empty = lab.root / "client" / "known_hosts.empty"
    empty.write_text("")
    wrong = lab.root / "client" / "known_hosts.wrong"
    wrong.write_text(f"{node.addr} {lab.node('pve01').host_pub}\n")
    base = lab.ssh_target("pve03")

    async def attempt(known: str) -> HostKeyError:
        target = SshTarget(**{**_fields(base), "known_hosts": known})
        with pytest.raises(HostKeyError) as info:
            await connect(target)
        return info.value

    unknown = lab.run_in_ops(lambda: attempt(str(empty)))
    assert fp in str(unknown) and unknown.fingerprint == fp and not unknown.changed
    assert "unknown host key for pve03" in str(unknown)
    changed = lab.run_in_ops(lambda: attempt(str(wrong)))
    assert changed.changed and fp in str(changed) and "HOST KEY CHANGED" in str(changed)


def _fields(target: SshTarget) -> dict[str, object]:
    return {name: getattr(target, name) for name in SshTarget.__slots__}  # type: ignore[attr-defined]


def test_nic_source_reads_the_real_veth_and_sees_offloads_turned_off(healthy_lab: Lab) -> None:
    lab = healthy_lab
    lab.node_exec("pve02", ["ethtool", "-K", "eno1", "tso", "on", "gso", "on", "gro", "on"])

    async def scenario() -> tuple[NicText, NicText]:
        pool = _pool(lab, "pve02")
        nic = NicPollSource(pool.node("pve02"), "eno1", interval=3600)
        col = Collector()
        async with running(pool, nic, collector=col):
            await col.wait_for(lambda: len(col.of(NicText)) == 1, 10, "first NIC snapshot")
            await asyncio.to_thread(lab.node_exec, "pve02",
                                    ["ethtool", "-K", "eno1", "tso", "off", "gso", "off",
                                     "gro", "off"])
            nic.refresh()
            await col.wait_for(lambda: len(col.of(NicText)) == 2, 10, "refreshed snapshot")
            await pool.close()
        first, second = col.of(NicText)
        return first, second

    try:
        before, after = lab.run_in_ops(scenario)
    finally:
        lab.node_exec("pve02", ["ethtool", "-K", "eno1", "tso", "on", "gso", "on", "gro", "on"])
    on = parse_features(before.features)
    off = parse_features(after.features)
    assert on.device == "eno1"
    assert (on.tso, on.gso, on.gro) == (True, True, True)
    assert (off.tso, off.gso, off.gro) == (False, False, False)
    assert "driver: veth" in after.driver
    assert after.link == "up"


def test_default_journal_command_falls_back_to_dmesg_where_there_is_no_journal(
        lab: Lab) -> None:
    """pve01 with its journal hidden (an empty /var/log/journal): the probe finds no journal
    files and the stream falls back to the real ``dmesg -w``."""
    async def scenario() -> tuple[list[str], list[str], str]:
        pool = _pool(lab, "pve01")
        stream = KernelStreamSource(pool.node("pve01"))  # default: journalctl -k -f -o json
        col = Collector()
        async with running(pool, stream, collector=col):
            await col.wait_for(lambda: len(col.of(KernelText)) >= 3, 15, "real dmesg lines")
            await pool.close()
        return [e.text for e in col.of(KernelText)], stream.errors, stream.strategy.kind

    with lab.hide_journal("pve01"):
        probe = lab.node_exec("pve01", "journalctl --header 2>&1 | head -n 3", check=False)
        assert "No journal files" in probe.stdout, probe.stdout
        texts, errors, kind = lab.run_in_ops(scenario)
    assert kind == "dmesg"
    assert len(errors) == 1 and "falling back to 'dmesg -w'" in errors[0]
    assert all(t.startswith("[") for t in texts[:3])
