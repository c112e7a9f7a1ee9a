"""Benchmark ``scale`` (issue 9 item 6): one cluster of 32 lab nodes (``--quick``: 8).

The lab of tests/lab/labnet.py with more nodes: every node a namespace with its own sshd and
corosync (knet, one vote each), all in one corosync cluster; once it is up, corosync keeps
running on the first ``COROSYNC_NODES`` only (see there), the rest are sshd only. Each node
gets its own empty ``/root`` (:func:`clean_root_home`). The console's real live set
(``build_live`` from a config for the lab: the SSH pool, the quorum poller, a kernel stream
and a NIC poller per node) runs in the ops namespace. Measured:

- **cold start**: from starting the sources to the domain state holding N/N votes and every
  node's eno1 (driver, offloads and link);
- **full refresh**: every NIC poller asked to fetch at once (what the runbook does after a
  change) and one quorum poll, until every NIC in the state carries a newer observation; p50
  and max over a few rounds. Target: under 2 s;
- **SSH connections**: established TCP connections from the ops namespace to port 22 while
  everything runs (target: exactly one per node, all sources sharing it);
- **memory per node**: RSS of the real console process (``labconsole run --config`` in tmux in
  the ops namespace) watching 3 nodes and watching all N, once settled; the difference over
  N - 3 is what a node costs.

Needs root; skips with the reason when the lab cannot run.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from bench.config import BenchConfig
from bench.report import BenchResult, Target

if TYPE_CHECKING:
    from labconsole.sources.live import LiveSet
    from labconsole.sources.ssh import NodeConnection
    from labconsole.state.console_state import ConsoleState
    from tests.lab.labnet import Lab

NAME = "scale"
FULL_NODES = 32
QUICK_NODES = 8
BASE_NODES = 3  # the usual cluster: the memory baseline
# Nodes that keep corosync running once the lab is up; the others are sshd only. 32 corosync
# processes (realtime priority) on 2 shared CPUs starved the rest: SSH connects timed out on
# 13 of 32 nodes and membership flapped (31/32). With 8 the lab is steady.
COROSYNC_NODES = 8
REFRESH_TARGET_S = 2.0
ROUNDS = 5
SETTLE_S = 8.0  # after the votes show: NIC snapshots in, first redraws done
COLUMNS = ["what", "nodes", "value", "unit", "n"]


def node_names(count: int) -> tuple[str, ...]:
    """``pve01`` .. ``pveNN``: the lab's node names for a cluster of ``count``."""
    if not 1 <= count <= 99:
        raise ValueError(f"node count must be 1..99, got {count}")
    return tuple(f"pve{i:02d}" for i in range(1, count + 1))


def complete(state: ConsoleState, cluster: str, names: tuple[str, ...],
             since: datetime | None = None, votes: int | None = None) -> bool:
    """Whether the state holds the cluster with ``votes`` votes (default: one per node) and
    every node's eno1 with driver, offloads and link (observed after ``since`` if given)."""
    return not missing(state, cluster, names, since, votes)


def missing(state: ConsoleState, cluster: str, names: tuple[str, ...],
            since: datetime | None = None, votes: int | None = None) -> str:
    """What :func:`complete` still waits for ("" when nothing)."""
    want = len(names) if votes is None else votes
    seen = state.votes.clusters.get(cluster)
    if seen is None:
        return "no votes yet"
    pic = seen.picture()
    total = pic.sides[0].total_votes if pic.kind == "agree" else None
    if total != want:
        return f"votes {pic.kind} {[(s.nodes, s.total_votes) for s in pic.sides]}, not {want}"
    stale = [name for name in names if not _nic_fresh(state, name, since)]
    return f"eno1 of {', '.join(stale)} not (re)fetched" if stale else ""


def clean_root_home(lab: Lab) -> None:
    """Give each node its own empty ``/root`` (bind mount in the node's private mount
    namespace), as a real node has. Without it every SSH command runs this machine's root
    ``~/.bashrc`` (bash sources it for commands from sshd): here about 100 processes and
    90 ms of CPU per command, which no Proxmox node pays."""
    for node in lab.nodes.values():
        home = node.dir / "root-home"
        home.mkdir(mode=0o700, exist_ok=True)
        lab.node_exec(node.name, ["mount", "--bind", str(home), "/root"])


def netns_cpu_s(ns: str) -> float:
    """CPU seconds used so far by the processes in namespace ``ns`` and their reaped
    children (user + system)."""
    pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True,
                          timeout=20, check=False).stdout.split()
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        ticks += sum(int(f) for f in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


async def server_cpu_per_command(lab: Lab, name: str, count: int = 10) -> float:
    """CPU seconds the node spends per ``true`` run over SSH (sshd session, shell, ...)."""
    from labconsole.sources.ssh import NodeConnection

    conn = NodeConnection(lab.ssh_target(name))
    try:
        await conn.connection(10)
        await conn.run("true", timeout=10)
        before = netns_cpu_s(lab.node(name).ns)
        for _ in range(count):
            await conn.run("true", timeout=10)
        return (netns_cpu_s(lab.node(name).ns) - before) / count
    finally:
        await conn.close()


def _nic_fresh(state: ConsoleState, node: str, since: datetime | None) -> bool:
    nic = state.nics.nics.get((node, "eno1"))
    if nic is None or nic.offloads is None or nic.driver is None or nic.link is None:
        return False
    return since is None or nic.updated >= since


def established_ssh(ns: str) -> dict[str, int]:
    """Established TCP connections from namespace ``ns`` to port 22, per remote address."""
    out = subprocess.run(["ip", "netns", "exec", ns, "ss", "-Htn", "state", "established",
                          "( dport = :22 )"], capture_output=True, text=True, timeout=20,
                         check=False).stdout
    return count_peers(out)


def count_peers(ss_output: str) -> dict[str, int]:
    """``ss -Htn state established`` lines -> connections per peer address (port dropped)."""
    per: dict[str, int] = {}
    for line in ss_output.splitlines():
        parts = line.split()
        if len(parts) < 4:
            continue
        peer = parts[-1].rsplit(":", 1)[0].strip("[]")
        per[peer] = per.get(peer, 0) + 1
    return per


@dataclass
class ScaleStats:
    nodes: int
    cold_s: float = 0.0
    refresh_s: list[float] = field(default_factory=list)
    quorum_poll_s: list[float] = field(default_factory=list)
    refresh_cpu_s: list[float] = field(default_factory=list)  # this process, per refresh
    alone: dict[str, float] = field(default_factory=dict)  # one command, nothing else running
    connections: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


async def live_refresh(lab: Lab, config_path: Path, rounds: int, votes: int) -> ScaleStats:
    """In the ops namespace: the real live set against the lab (see the module doc)."""
    from labconsole.config import load_config
    from labconsole.pipeline import Pipeline
    from labconsole.sources.live import build_live
    from labconsole.sources.quorum_poll import QuorumPollSource
    from tests.lab.test_live_console import CLUSTER

    config = load_config(config_path)
    live = build_live(config)
    pipe = Pipeline(sources=live.sources)
    names = tuple(lab.nodes)
    stats = ScaleStats(len(names))
    quorum = next(s for s in live.sources if isinstance(s, QuorumPollSource))
    start = time.perf_counter()
    task = asyncio.create_task(pipe.run())
    try:
        try:
            await _until(partial(missing, pipe.state, CLUSTER, names, None, votes), 120)
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}; {why_missing(live, pipe.state, names)}") from None
        stats.cold_s = time.perf_counter() - start
        stats.connections = established_ssh(lab.ops_ns)
        for _ in range(rounds):
            since = datetime.now(timezone.utc)
            cpu = time.process_time()
            t = time.perf_counter()
            for node in names:
                live.refresh_nics(node)
            answer = await quorum.poll_once()
            stats.quorum_poll_s.append(time.perf_counter() - t)
            if answer is None:
                stats.errors.append("a quorum poll had no answer: " + "; ".join(
                    quorum.errors[-3:]))
            await _until(partial(missing, pipe.state, CLUSTER, names, since, votes), 30)
            stats.refresh_s.append(time.perf_counter() - t)
            stats.refresh_cpu_s.append(time.process_time() - cpu)
            await asyncio.sleep(0.5)
        stats.alone = await one_command_costs(live.pool.node(names[0]), rounds)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await live.pool.close()
    stats.errors += pipe.failures
    return stats


def why_missing(live: LiveSet, state: ConsoleState, names: tuple[str, ...]) -> str:
    """For nodes whose eno1 is not in the state: the connection's state and last error,
    and the NIC source's last error."""
    out = []
    for name in names:
        if _nic_fresh(state, name, None):
            continue
        conn = live.pool.node(name)
        nic = live.nics.get((name, "eno1"))
        err = nic.errors[-1] if nic is not None and nic.errors else "no NIC error"
        out.append(f"{name}: ssh {conn.state} {conn.last_error!r}, nic: {err}")
    return "; ".join(out)


async def one_command_costs(conn: NodeConnection, rounds: int) -> dict[str, float]:
    """Median seconds of single commands over the node's connection, nothing else asked at
    the same time: the per-node cost a full refresh is made of."""
    from labconsole.sources.quorum_poll import DEFAULT_COMMAND
    from labconsole.sources.remote_command import nic_snapshot

    out: dict[str, float] = {}
    for what, command in (("true", "true"), ("corosync-quorumtool -s", DEFAULT_COMMAND),
                          ("NIC snapshot (ethtool -k, -i, ip link)", nic_snapshot("eno1"))):
        times = []
        for _ in range(max(3, rounds)):
            t = time.perf_counter()
            await conn.run(command, timeout=10)
            times.append(time.perf_counter() - t)
        out[what] = statistics.median(times)
    return out


async def _until(lacking: Callable[[], str], timeout: float) -> None:
    """Wait until ``lacking()`` says nothing is missing; the timeout says what was."""
    deadline = time.perf_counter() + timeout
    while what := lacking():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"state not complete after {timeout:.0f} s: {what}")
        await asyncio.sleep(0.005)


def console_rss(lab: Lab, config: Path, names: tuple[str, ...], votes: int) -> float:
    """Settled RSS (MB) of ``labconsole run --config`` watching ``names``, in tmux in ops."""
    from tests.lab.test_live_console import CLUSTER

    socket = f"lc-bench-scale-{os.getpid()}-{len(names)}"
    base = ["tmux", "-L", socket]
    env = {k: v for k, v in os.environ.items() if k != "LABCONSOLE_CONFIG"}
    env["TERM"] = "xterm-256color"
    command = (f"exec {shlex.quote(sys.executable)} -m labconsole run --config "
               f"{shlex.quote(str(config))}")
    subprocess.run(["ip", "netns", "exec", lab.ops_ns, *base, "-f", os.devnull, "new-session",
                    "-d", "-s", "lc", "-x", "110", "-y", "50", "sh", "-c", command],
                   check=True, timeout=20, env=env)
    try:
        deadline = time.monotonic() + 90
        screen = ""
        while f"{CLUSTER} {votes}/{len(lab.nodes)}" not in screen:
            if time.monotonic() > deadline:
                raise TimeoutError(f"console watching {len(names)} nodes never showed the "
                                   f"votes; screen:\n{screen}")
            time.sleep(0.2)
            screen = subprocess.run([*base, "capture-pane", "-p", "-t", "lc"],
                                    capture_output=True, text=True, timeout=10,
                                    check=False).stdout
        time.sleep(SETTLE_S)
        pid = int(subprocess.run([*base, "display-message", "-p", "-t", "lc", "#{pane_pid}"],
                                 capture_output=True, text=True, timeout=10,
                                 check=True).stdout.strip())
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"no VmRSS for pid {pid}")
    finally:
        subprocess.run([*base, "kill-server"], capture_output=True, timeout=20, check=False)


class LabView:
    """A lab seen through a subset of its nodes: what ``lab_config`` reads of a Lab."""

    def __init__(self, lab: Lab, names: tuple[str, ...]) -> None:
        self.nodes = {n: lab.node(n) for n in names}
        self.node = lab.node
        self.client_key, self.known_hosts = lab.client_key, lab.known_hosts
        self.kernel_log_command = lab.kernel_log_command


def subset_config(lab: Lab, names: tuple[str, ...]) -> str:
    """The lab config (tests/lab/test_live_console.lab_config) restricted to ``names``."""
    from tests.lab.test_live_console import lab_config

    return lab_config(LabView(lab, names))  # type: ignore[arg-type]


def run(cfg: BenchConfig) -> BenchResult:
    result = BenchResult(NAME, COLUMNS)
    count = QUICK_NODES if cfg.quick else FULL_NODES
    try:
        from tests.lab.labnet import Lab, LabError, cleanup_stale, missing_requirements
    except ImportError as exc:
        result.note(f"scale skipped: tests/lab not importable ({exc}); run from the "
                    "repository root")
        return result
    reason = missing_requirements() or (None if shutil.which("tmux") else "tmux not installed")
    if reason:
        result.note(f"scale skipped: {reason}")
        return result
    rounds = cfg.repeat or ROUNDS
    cleanup_stale()
    lab = Lab(nodes_names=node_names(count))
    t = time.perf_counter()
    try:
        lab.start(quorum_timeout=120)
        result.note(f"lab of {count} nodes (sshd + corosync each, one cluster) up in "
                    f"{time.perf_counter() - t:.0f} s")
        lab_names = tuple(lab.nodes)
        keep = lab_names[:COROSYNC_NODES]
        for name in lab_names[COROSYNC_NODES:]:
            lab.kill_corosync(name)
        if len(keep) < count:
            lab.wait_votes(len(keep), nodes=keep, timeout=60)
            result.note(f"then corosync stopped on {count - len(keep)} nodes (sshd only): "
                        f"{len(keep)} of {count} votes, not quorate (see COROSYNC_NODES)")
        _measure(lab, rounds, result, len(keep))
    except (TimeoutError, subprocess.SubprocessError, OSError, LabError) as exc:
        result.note(f"scale run failed: {type(exc).__name__}: {exc}")
    finally:
        lab.stop()
    return result


def _measure(lab: Lab, rounds: int, result: BenchResult, votes: int) -> None:
    names = tuple(lab.nodes)
    first = names[0]
    machine_home = lab.run_in_ops(lambda: server_cpu_per_command(lab, first), timeout=120)
    clean_root_home(lab)
    own_home = lab.run_in_ops(lambda: server_cpu_per_command(lab, first), timeout=120)
    result.rows += [
        {"what": "node CPU per SSH command, this machine's /root (~/.bashrc)", "nodes": 1,
         "value": round(machine_home, 4), "unit": "s", "n": 10},
        {"what": "node CPU per SSH command, the node's own empty /root (used below)",
         "nodes": 1, "value": round(own_home, 4), "unit": "s", "n": 10}]
    with tempfile.TemporaryDirectory(prefix="lc-bench-scale-") as tmp:
        full, small = Path(tmp) / "all.toml", Path(tmp) / "three.toml"
        full.write_text(subset_config(lab, names))
        small.write_text(subset_config(lab, names[:BASE_NODES]))
        stats = lab.run_in_ops(lambda: live_refresh(lab, full, rounds, votes), timeout=600)
        rss_small = console_rss(lab, small, names[:BASE_NODES], votes)
        rss_full = console_rss(lab, full, names, votes)
    add_rows(result, stats, rss_small, rss_full)


def add_rows(result: BenchResult, s: ScaleStats, rss_small: float | None,
             rss_full: float | None) -> None:
    n = s.nodes
    rows: list[tuple[str, int, float | int | str, str, int | None]] = [
        ("cold start -> all votes + every NIC in state", n, round(s.cold_s, 2), "s", None)]
    if s.refresh_s:
        rows += [("full refresh (NICs + votes) p50", n, round(statistics.median(s.refresh_s), 3),
                  "s", len(s.refresh_s)),
                 ("full refresh (NICs + votes) max", n, round(max(s.refresh_s), 3), "s",
                  len(s.refresh_s)),
                 ("quorum poll during the refresh p50", n,
                  round(statistics.median(s.quorum_poll_s), 3), "s", len(s.quorum_poll_s)),
                 ("console CPU per full refresh p50", n,
                  round(statistics.median(s.refresh_cpu_s), 3), "s", len(s.refresh_cpu_s))]
    rows += [(f"one command alone over SSH: {what}", 1, round(sec, 4), "s", None)
             for what, sec in s.alone.items()]
    total = sum(s.connections.values())
    rows += [("SSH connections (ops -> :22, established)", n, total, "", None),
             ("nodes with exactly one connection", n,
              sum(1 for c in s.connections.values() if c == 1), "", None)]
    if rss_small is not None and rss_full is not None:
        per = (rss_full - rss_small) / max(1, n - BASE_NODES)
        rows += [("console RSS watching 3 nodes", BASE_NODES, round(rss_small, 1), "MB", None),
                 (f"console RSS watching {n} nodes", n, round(rss_full, 1), "MB", None),
                 ("RSS per extra node", n, round(per, 2), "MB", None)]
    result.rows += [{"what": w, "nodes": k, "value": v, "unit": u, "n": c}
                    for w, k, v, u, c in rows]
    if s.refresh_s:
        worst = max(s.refresh_s)
        result.targets.append(Target(f"full refresh of {n} nodes", f"< {REFRESH_TARGET_S:.0f} s",
                                     f"max {worst:.2f} s over {len(s.refresh_s)} rounds",
                                     worst < REFRESH_TARGET_S))
    one_each = total == n and all(c == 1 for c in s.connections.values())
    result.targets.append(Target("one SSH connection per node", f"{n} connections",
                                 f"{total} to {len(s.connections)} nodes", one_each))
    for err in s.errors[:5]:
        result.note(f"source problem: {err}")
