"""The console's default kernel command against a real journal (issue 18 item 5).

Every lab node has a real journal file written by systemd-journal-remote (tests/lab/journal.py)
where its /var/log/journal is; the console runs plain ``journalctl -k -f -o json`` over SSH in
the node, as it would on a Proxmox VE node. Shown here: follow (entries appended while it
runs arrive), only kernel entries (corosync/pmxcfs lines are in the journal, under their units,
and never in the kernel stream), resume by ``__CURSOR`` across a switch outage that drops every
SSH session (no line lost, none repeated, on each node), and the ``--since``/``--until``
windows. Waits are bounded; nothing asserts on speed.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from labconsole.events import ConnectionChange, KernelText
from labconsole.parse.kernel_journal import parse_json_entry
from labconsole.sources.backoff import Backoff
from labconsole.sources.kernel_stream import KernelStreamSource
from labconsole.sources.ssh import SshPool
from tests.lab.collect import Collector, running
from tests.lab.labnet import Lab

pytestmark = pytest.mark.lab


def _pool(lab: Lab, *names: str) -> SshPool:
    return SshPool([lab.ssh_target(n) for n in names],
                   backoff=lambda: Backoff(base=0.2, cap=1.0, jitter=0.2))


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _messages(col: Collector, node: str, marker: str) -> list[str]:
    out = []
    for event in col.of(KernelText, node):
        entry = parse_json_entry(event.text)
        if marker in entry.message:
            out.append(entry.message)
    return out


def test_each_node_reads_its_own_journal_with_real_journalctl(lab: Lab) -> None:
    marker = f"own-{uuid.uuid4().hex[:8]}"
    for name in lab.nodes:
        lab.write_kernel_lines(name, f"[ 7000.000001] {marker} {name}")
        lab.write_daemon_lines(name, "corosync", [f"[KNET  ] link: {marker} {name}"])
    for name in lab.nodes:
        kernel = lab.node_exec(name, ["journalctl", "-k", "-o", "json", "--no-pager",
                                      "--grep", marker]).stdout.splitlines()
        assert len(kernel) == 1, kernel
        entry = json.loads(kernel[0])
        assert entry["MESSAGE"] == f"{marker} {name}" and entry["_HOSTNAME"] == name
        assert entry["_TRANSPORT"] == "kernel" and entry["__CURSOR"].startswith("s=")
        assert entry["_SOURCE_MONOTONIC_TIMESTAMP"] == "7000000001"
        unit = lab.node_exec(name, ["journalctl", "-u", "corosync", "-o", "cat",
                                    "--no-pager", "--grep", marker]).stdout
        assert unit == f"[KNET  ] link: {marker} {name}\n"


def test_default_command_follows_the_journal_and_streams_only_kernel_entries(
        lab: Lab) -> None:
    marker = f"follow-{uuid.uuid4().hex[:8]}"
    hang = (f"[ 7100.000001] e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang: {marker}\n"
            f"                 TDH                  <f6> {marker}\n")

    async def scenario() -> tuple[list[str], list[dict[str, object]], str]:
        pool = _pool(lab, "pve02")
        stream = KernelStreamSource(pool.node("pve02"),
                                    lab.journal_command("pve02", since=_now()))
        col = Collector()
        async with running(pool, stream, collector=col):
            await pool.node("pve02").connection(10)
            lab.write_kernel_lines("pve02", f"[ 7099.000000] {marker} before\n")
            await col.wait_for(lambda: len(_messages(col, "pve02", marker)) == 1, 15,
                               "the first line")
            # appended while journalctl -f runs: a new systemd-journal-remote run each time
            lab.write_daemon_lines("pve02", "corosync", [f"[TOTEM ] {marker} token lost"])
            lab.write_daemon_lines("pve02", "pmxcfs", [f"[status] notice: {marker} members"])
            lab.write_kernel_lines("pve02", hang)
            await col.wait_for(lambda: len(_messages(col, "pve02", marker)) == 3, 15,
                               "the hang lines appended while following")
            await asyncio.sleep(0.5)  # a non-kernel line, if it leaked, would be here now
            await pool.close()
        raw = [json.loads(e.text) for e in col.of(KernelText, "pve02")
               if marker in e.text]
        return _messages(col, "pve02", marker), raw, stream.strategy.kind

    messages, raw, kind = lab.run_in_ops(scenario, timeout=90)
    assert kind == "journal"
    assert messages == [f"{marker} before",
                        f"e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang: {marker}",
                        f"                 TDH                  <f6> {marker}"]
    assert all(r["_TRANSPORT"] == "kernel" and r["_HOSTNAME"] == "pve02" for r in raw)
    assert len({r["__CURSOR"] for r in raw}) == 3
    # the daemon lines are in the node's journal, under their units
    units = lab.node_exec("pve02", ["journalctl", "-o", "json", "--no-pager", "--grep",
                                    marker, "_TRANSPORT=syslog"]).stdout.splitlines()
    assert {json.loads(u)["_SYSTEMD_UNIT"] for u in units} == {"corosync.service",
                                                                "pve-cluster.service"}


def test_cursor_resume_across_a_switch_outage_loses_and_repeats_nothing(
        healthy_lab: Lab) -> None:
    """30 lines per node before, 30 written during a switch outage that drops every SSH
    session, 1 after: each node's stream has all 61, in order, once."""
    lab = healthy_lab
    marker = f"resume-{uuid.uuid4().hex[:8]}"
    names = tuple(lab.nodes)

    def lines(start: int, stop: int) -> str:
        return "".join(f"[ {8000 + i}.000000] {marker} {i}\n" for i in range(start, stop))

    async def scenario() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        pool = _pool(lab, *names)
        streams = [KernelStreamSource(pool.node(n), lab.journal_command(n, since=_now()))
                   for n in names]
        col = Collector()

        def have(n: int) -> bool:
            return all(len(_messages(col, name, marker)) >= n for name in names)

        def states(name: str) -> list[str]:
            return [e.state for e in col.of(ConnectionChange, name)]

        async with running(pool, *streams, collector=col):
            for name in names:
                await pool.node(name).connection(10)
                lab.write_kernel_lines(name, lines(0, 30))
            await col.wait_for(lambda: have(30), 20, "30 lines per node")
            await asyncio.to_thread(lab.bridge_down)
            try:
                await col.wait_for(
                    lambda: all("reconnecting" in states(n) for n in names), 20,
                    "every SSH session dropped")
                for name in names:  # written while the node cannot be reached
                    lab.write_kernel_lines(name, lines(30, 60))
            finally:
                await asyncio.to_thread(lab.bridge_up)
            await col.wait_for(lambda: have(60), 40, "the 30 lines written during the outage")
            for name in names:
                lab.write_kernel_lines(name, lines(60, 61))
            await col.wait_for(lambda: have(61), 15, "the line after")
            await asyncio.sleep(0.5)  # a repeated line, if any, would be here now
            await pool.close()
        return ({n: _messages(col, n, marker) for n in names},
                {n: states(n) for n in names})

    got, states = lab.run_in_ops(scenario, timeout=150)
    for name in names:
        assert got[name] == [f"{marker} {i}" for i in range(61)], name
        assert states[name].count("connected") >= 2, states[name]  # it really reconnected


def test_since_and_until_windows_of_the_node_journal(lab: Lab) -> None:
    marker = f"window-{uuid.uuid4().hex[:8]}"
    now = datetime.now(timezone.utc).replace(microsecond=0)
    ages = (50, 40, 30, 20, 5)  # minutes ago
    for minutes in ages:
        lab.write_kernel_lines("pve01", f"[ 9000.000000] {marker} -{minutes}min",
                               at=now - timedelta(minutes=minutes))

    def window(*args: str) -> list[str]:
        out = lab.node_exec("pve01", ["journalctl", "-k", "-o", "cat", "--no-pager",
                                      "--grep", marker, *args]).stdout
        return out.splitlines()

    def at(minutes: int) -> str:
        return f"@{int((now - timedelta(minutes=minutes)).timestamp())}"

    assert window() == [f"{marker} -{m}min" for m in ages]
    assert window(f"--since={at(45)}", f"--until={at(25)}") == [
        f"{marker} -40min", f"{marker} -30min"]
    assert window(f"--since={at(30)}") == [f"{marker} -{m}min" for m in (30, 20, 5)]
    assert window(f"--until={at(40)}") == [f"{marker} -50min", f"{marker} -40min"]

    # the console's first start reads the last 10 minutes only (--since=-10min)
    async def scenario() -> list[str]:
        pool = _pool(lab, "pve01")
        stream = KernelStreamSource(pool.node("pve01"), lab.journal_command("pve01"))
        col = Collector()
        async with running(pool, stream, collector=col):
            await pool.node("pve01").connection(10)
            lab.write_kernel_lines("pve01", f"[ 9001.000000] {marker} now")
            await col.wait_for(lambda: f"{marker} now" in _messages(col, "pve01", marker),
                               15, "the line written now")
            await pool.close()
        return _messages(col, "pve01", marker)

    assert lab.run_in_ops(scenario, timeout=60) == [f"{marker} -5min", f"{marker} now"]
