"""Benchmark ``votes-screen``: each node's view on the screen against its own quorumtool.

Issue 17 item 1: each node's view is on screen less than 0.5 s behind that node's own
``corosync-quorumtool``. The real lab (tests/lab/labnet.py, needs root), a management network
(tests/lab/mgmtnet.py) so the console reads every node however the cluster switch is, and
``labconsole run --config`` in tmux in the ops namespace with its default quorum poll. Per
repetition pve03's cable is pulled, then put back; for each node (pve01, pve02, pve03) two
clocks run from the pull (and again from the put-back):

- the node's own ``corosync-quorumtool -s``, read in the node every ~50 ms by a thread of
  its own, stops the first clock when its answer changes;
- the screen (``capture-pane`` in a tight loop, a few ms a read), cut to the Votes panel,
  stops the second when that node's line shows the new answer ("2/3 quorate", "alone, NOT
  quorate", "3/3 quorate").

The figure is the second minus the first, per node and change: how far the screen is behind
the node. The node's clock is read every ~50 ms, so the figure is low by up to that much plus
one ``nsenter`` (about 10-20 ms here); the table says so. Skips with the reason when the lab
cannot run.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from bench.config import BenchConfig
from bench.lab_latency import percentiles
from bench.report import BenchResult, Target

if TYPE_CHECKING:
    from tests.lab.labnet import Lab

NAME = "votes-screen"
COLUMNS = ["what", "n", "p50 ms", "p90 ms", "p99 ms", "max ms"]
TARGET_MS = 500.0
CLUSTER = "benchlab"
NODE_POLL_S = 0.05


def _node_words(lab: Lab, node: str) -> str | None:
    """What the Votes panel must say for ``node``'s own answer now (None: no answer)."""
    from labconsole.parse.quorum import QuorumParseError, parse_quorum

    try:
        st = parse_quorum(lab.quorum_text(node))
    except QuorumParseError:
        return None
    if not st.quorate and set(st.node_names()) <= {node}:
        return "alone, NOT quorate"
    return f"{st.total_votes}/{st.expected_votes} " + ("quorate" if st.quorate
                                                       else "NOT quorate")


def _config(lab: Lab, mgmt: object, interval: float | None) -> str:
    addrs = mgmt.addrs  # type: ignore[attr-defined]
    nodes = "".join(
        f'\n[[clusters.nodes]]\nname = "{name}"\naddress = "{addrs[name]}"\n'
        f'interfaces = ["eno1"]\nbridge = "vmbr0"\n'
        f"kernel_log_command = {json.dumps(lab.kernel_log_command(name))}\n"
        for name in lab.nodes)
    poll = "" if interval is None else f"quorum_poll_interval = {interval}\n"
    return (f"[console]\n{poll}bell = false\ndesktop_notification = false\n\n"
            "[syslog]\nenabled = false\n\n"
            f'[[clusters]]\nname = "{CLUSTER}"\n'
            f'[clusters.ssh]\nuser = "root"\nkey_file = {json.dumps(str(lab.client_key))}\n'
            f"known_hosts = {json.dumps(str(mgmt.known_hosts))}\n"  # type: ignore[attr-defined]
            + nodes)


def _votes_line(screen: str, node: str) -> str:
    """``node``'s own line in the Votes panel (the left box of the top row)."""
    for line in screen.splitlines():
        cut = line.split("││")[0]
        if f" {node}  " in cut and ("●" in cut or "✖" in cut or "?" in cut):
            return cut
    return ""


class _Clocks:
    """Threads that stop a clock per node when its answer / its screen line changes."""

    def __init__(self, lab: Lab, tmux: list[str], start: float) -> None:
        self.lab, self.tmux, self.start = lab, tmux, start
        self.node_at: dict[str, float] = {}
        self.screen_at: dict[str, float] = {}
        self.want: dict[str, str] = {}
        self.stop = threading.Event()

    def watch_node(self, node: str, before: str | None) -> None:
        deadline = self.start + 30
        while not self.stop.is_set() and time.perf_counter() < deadline:
            words = _node_words(self.lab, node)
            if words is not None and words != before:
                self.node_at[node] = time.perf_counter() - self.start
                self.want[node] = words
                return
            time.sleep(NODE_POLL_S)

    def watch_screen(self, nodes: tuple[str, ...]) -> None:
        deadline = self.start + 40
        while not self.stop.is_set() and time.perf_counter() < deadline:
            screen = subprocess.run([*self.tmux, "capture-pane", "-p", "-t", "lc"],
                                    capture_output=True, text=True, timeout=10,
                                    check=False).stdout
            now = time.perf_counter() - self.start
            for node in nodes:
                want = self.want.get(node)
                if node not in self.screen_at and want and want in _votes_line(screen, node):
                    self.screen_at[node] = now
            if all(n in self.screen_at for n in nodes):
                return


def _change(lab: Lab, tmux: list[str], act: Callable[[], None]) -> dict[str, float]:
    """Run ``act``; per node, seconds the screen showed its new answer after the node did."""
    nodes = tuple(lab.nodes)
    before = {n: _node_words(lab, n) for n in nodes}
    start = time.perf_counter()
    clocks = _Clocks(lab, tmux, start)
    threads = [threading.Thread(target=clocks.watch_node, args=(n, before[n])) for n in nodes]
    threads.append(threading.Thread(target=clocks.watch_screen, args=(nodes,)))
    act()
    for t in threads:
        t.start()
    for t in threads:
        t.join(45)
    clocks.stop.set()
    return {n: clocks.screen_at[n] - clocks.node_at[n] for n in nodes
            if n in clocks.node_at and n in clocks.screen_at}


def _settle(lab: Lab, tmux: list[str], want: Callable[[str], bool], timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        screen = subprocess.run([*tmux, "capture-pane", "-p", "-t", "lc"], capture_output=True,
                                text=True, timeout=10, check=False).stdout
        if want(screen):
            return
        time.sleep(0.1)
    raise TimeoutError("the console did not settle at 3/3")


def measure(lab: Lab, reps: int, interval: float | None) -> dict[str, list[float]]:
    """Lags per node and direction ("pve01 down" ...) over ``reps`` pull/put-back cycles."""
    from tests.lab.mgmtnet import ManagementNet

    out: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="lc-bench-votes-") as tmp, \
            ManagementNet(lab, Path(tmp)) as mgmt:
        config = Path(tmp) / "config.toml"
        config.write_text(_config(lab, mgmt, interval))
        tmux = ["tmux", "-L", f"lc-bench-votes-{os.getpid()}"]
        env = {k: v for k, v in os.environ.items() if k != "LABCONSOLE_CONFIG"}
        env["TERM"] = "xterm-256color"
        command = f"{shlex.quote(sys.executable)} -m labconsole run --config {config}"
        subprocess.run(["ip", "netns", "exec", lab.ops_ns, *tmux, "-f", os.devnull,
                        "new-session", "-d", "-s", "lc", "-x", "160", "-y", "50", "sh", "-c",
                        command], check=True, timeout=20, env=env)
        healthy = lambda s: all("3/3 quorate" in _votes_line(s, n)  # noqa: E731
                                for n in lab.nodes)
        try:
            _settle(lab, tmux, healthy, 60)
            for _ in range(reps):
                for direction, act in (("down", lambda: lab.link_down("pve03")),
                                       ("up", lambda: lab.link_up("pve03"))):
                    for node, lag in _change(lab, tmux, act).items():
                        out.setdefault(f"{node} {direction}", []).append(lag)
                    if direction == "up":
                        lab.wait_votes(3, timeout=30)
                        _settle(lab, tmux, healthy, 30)
                    else:
                        time.sleep(1.0)
        finally:
            lab.link_up("pve03")
            subprocess.run([*tmux, "kill-server"], capture_output=True, timeout=20, check=False)
    return out


def run(cfg: BenchConfig) -> BenchResult:
    result = BenchResult(NAME, COLUMNS)
    try:
        from tests.lab.labnet import missing_requirements, running_lab
    except ImportError as exc:
        result.note(f"skipped: tests/lab not importable ({exc}); run from the repository root")
        return result
    reason = missing_requirements() or (None if shutil.which("tmux") else "tmux not installed")
    if reason:
        result.note(f"skipped: {reason}")
        return result
    reps = 3 if cfg.quick else 12
    if cfg.repeat is not None:
        reps = max(1, cfg.repeat)
    interval = os.environ.get("LABCONSOLE_BENCH_QUORUM_POLL")  # compare poll intervals
    with running_lab() as lab:
        lags = measure(lab, reps, float(interval) if interval else None)
    _rows(result, lags, interval)
    return result


def _rows(result: BenchResult, lags: dict[str, list[float]], interval: str | None) -> None:
    every = [v for values in lags.values() for v in values]
    poll = f"quorum poll {interval} s" if interval else "default quorum poll"
    for what in sorted(lags):
        result.rows.append({"what": f"{what}: screen behind the node's quorumtool",
                            "n": len(lags[what]), **percentiles(lags[what])})
    if every:
        p = percentiles(every)
        result.rows.append({"what": f"every node and change ({poll})", "n": len(every), **p})
        result.targets.append(Target("node's view on screen behind its quorumtool",
                                     f"< {TARGET_MS:.0f} ms",
                                     f"p50 {p['p50 ms']:.0f} ms, p90 {p['p90 ms']:.0f} ms, "
                                     f"max {p['max ms']:.0f} ms", p["p90 ms"] < TARGET_MS))
    result.note(f"node answers read every {NODE_POLL_S * 1000:.0f} ms (+ one nsenter): each "
                "figure is low by up to that much")
