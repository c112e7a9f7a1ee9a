"""``labconsole watch`` headless on the real lab: a scripted fault sequence, and exactly one
alert per incident start and end, with the right cause, delivered by a real command hook.

The watcher runs in the ops namespace on the live sources built from a config (as the
service would), with a command sink that writes each alert it gets on stdin to a file.
Faults: (1) pve03's cable pulled until the others see 2/3, then plugged back; (2) pve03 logs
e1000e hang reports with a frozen TDH, then its TX path stalls (tbf) until the others see
2/3, then clears. The correlation's settle time is 6 s here instead of 2 minutes, so that an
incident is called over within the test; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from labconsole.alert.build import build_sinks, policy
from labconsole.config import load_config
from labconsole.incident.correlate import Rules
from labconsole.sources.live import build_live
from labconsole.watch.runner import Watcher
from tests.lab.labnet import Lab
from tests.lab.recording_session import fresh_kernel_logs, utc_now
from tests.lab.test_live_console import hang_blocks

pytestmark = pytest.mark.lab

SETTLE = timedelta(seconds=6)
HOOK = """import json, sys, time, pathlib
alert = json.loads(sys.stdin.read())
out = pathlib.Path(sys.argv[1])
n = len(list(out.glob("*.json")))
(out / f"{n:03d}-{alert['number']}-{alert['change']}.json").write_text(json.dumps(alert))
"""


def toml(value: str) -> str:
    return json.dumps(value)  # a JSON string is a TOML basic string


def watch_config(lab: Lab, tmp: Path, alerts: Path) -> Path:
    hook = tmp / "hook.py"
    hook.write_text(HOOK)
    nodes = "".join(
        f'[[clusters.nodes]]\nname = "{n}"\naddress = "{lab.node(n).addr}"\n'
        f'interfaces = ["eno1"]\nkernel_log_command = {toml(lab.kernel_log_command(n))}\n\n'
        for n in lab.nodes)
    text = (f"[console]\nrecording_dir = {toml(str(tmp / 'rec'))}\n"
            "quorum_poll_interval = 0.5\nnic_refresh_interval = 2\n\n"
            "[syslog]\nenabled = false\n\n"
            "[watch]\nhold = 5\nretries = 2\nretry_delay = 0.5\n\n"
            '[[watch.sinks]]\nname = "hook"\ntype = "command"\n'
            f"argv = [{toml(sys.executable)}, {toml(str(hook))}, {toml(str(alerts))}]\n\n"
            '[[clusters]]\nname = "lab"\n\n[clusters.ssh]\nuser = "root"\n'
            f"key_file = {toml(str(lab.client_key))}\n"
            f"known_hosts = {toml(str(lab.known_hosts))}\n\n" + nodes)
    path = tmp / "config.toml"
    path.write_text(text)
    return path


def received(alerts: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(alerts.glob("*.json"))]


async def until(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.2)


def votes_seen(watcher: Watcher, total: int) -> Callable[[], bool]:
    def check() -> bool:
        cluster = watcher.state.votes.clusters.get("lab")
        if cluster is None:
            return False
        picture = cluster.picture()
        return picture.kind == "agree" and picture.sides[0].total_votes == total
    return check


def test_watch_alerts_once_per_incident_start_and_end(healthy_lab: Lab, tmp_path: Path
                                                      ) -> None:
    lab = healthy_lab
    alerts = tmp_path / "alerts"
    alerts.mkdir()
    config = load_config(watch_config(lab, tmp_path, alerts))
    lines: list[str] = []

    def changes() -> list[tuple[int, str]]:
        return [(a["number"], a["change"]) for a in received(alerts)]

    async def scenario() -> Watcher:
        live = build_live(config)
        watcher = Watcher(live.sources, build_sinks(config.watch), log=lines.append,
                          policy=policy(config.watch),
                          hold=timedelta(seconds=config.watch.hold), rules=Rules(settle=SETTLE))
        stop = asyncio.Event()
        task = asyncio.create_task(watcher.run(stop))
        try:
            await until(votes_seen(watcher, 3), "3/3 at start")
            # fault 1: pve03's cable pulled, then plugged back
            await asyncio.to_thread(lab.link_down, "pve03")
            await until(votes_seen(watcher, 2), "2/3 after the cable pull")
            await until(lambda: (1, "started") in changes(), "incident 1 started")
            await asyncio.to_thread(lab.link_up, "pve03")
            await until(lambda: (1, "ended") in changes(), "incident 1 ended", 90)
            # fault 2: hang reports with a frozen TDH, then the TX path stalls
            await asyncio.to_thread(lab.write_kernel_lines, "pve03",
                                    hang_blocks(utc_now(), 4))
            await until(lambda: bool(watcher.state.log.episodes), "the hang episode")
            await asyncio.to_thread(lab.stuck_tx, "pve03")
            await until(votes_seen(watcher, 2), "2/3 after the TX stall")
            await until(lambda: (2, "started") in changes(), "incident 2 started")
            await asyncio.to_thread(lab.clear_tx, "pve03")
            await until(lambda: (2, "ended") in changes(), "incident 2 ended", 90)
        finally:
            stop.set()
            await task
        return watcher

    with fresh_kernel_logs(lab):
        watcher = lab.run_in_ops(scenario, timeout=300)
    got = received(alerts)
    assert [(a["number"], a["change"]) for a in got] == [
        (1, "started"), (1, "ended"), (2, "started"), (2, "ended")], (got, lines)
    first, second = got[0], got[2]
    # the cable pull cuts the console's only path to pve03 too: no link evidence reaches it,
    # so the honest cause is the symptom, named as such
    assert first["cause_kind"] == "vote_left", first
    assert first["cause"] == "pve03 left the cluster votes with no NIC, link or switch evidence"
    assert second["cause_kind"] == "stuck_tx_ring", second
    assert "stuck TX ring on pve03 eno1 (e1000e), TDH frozen at <f6>" in second["cause"]
    assert sum("alert hook: delivered" in line for line in lines) == 4, lines
    assert all(n == "delivered" for n in [d.outcome for d in watcher.deliveries])
