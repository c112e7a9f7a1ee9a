"""The watcher on the bundled pve03 recording: one alert per incident start and end, with the
right cause, delivered to a real local webhook; undelivered alerts in the log and recording."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from pathlib import Path

from labconsole.alert.dispatch import AlertPolicy
from labconsole.alert.http import WebhookSink
from labconsole.demo import DEMO_RECORDING
from labconsole.events import AlertNotice, Event, KernelText, QuorumText
from labconsole.sources.recording import Recorder, iter_recording
from labconsole.sources.replay import load_events
from labconsole.watch.recorded import RecordedSource
from labconsole.watch.runner import Watcher
from tests.alert_servers import closed_port, http_server


def demo_then_quiet(minutes: int = 4) -> list[Event]:
    """The demo, then ``minutes`` of healthy 3/3 polls: the demo stops one minute after pve03
    rejoined, before the correlation's two-minute settle time could call incident 2 over."""
    events = load_events([DEMO_RECORDING])
    last = [e for e in events if isinstance(e, QuorumText)][-1]
    tail = [dataclasses.replace(last, at=last.at + timedelta(seconds=30 * i))
            for i in range(1, 2 * minutes + 1)]
    return [*events, *tail]


async def watch(events: list[Event], sinks: list, recorder: Recorder | None = None,
                policy: AlertPolicy | None = None) -> tuple[Watcher, list[str]]:
    lines: list[str] = []
    watcher = Watcher([RecordedSource(events)], sinks, log=lines.append, recorder=recorder,
                      policy=policy or AlertPolicy())
    await watcher.run()
    return watcher, lines


async def test_one_alert_per_incident_start_and_end_with_the_right_cause(tmp_path: Path
                                                                          ) -> None:
    rec = Recorder(tmp_path / "watch.jsonl")
    with http_server() as srv:
        _, lines = await watch(demo_then_quiet(), [WebhookSink("hook", srv.url)], rec)
    got = [json.loads(r.body)["alert"] for r in srv.requests]
    # Incident 2 starts as pve03 unreachable (its SSH connection lost: a stuck TX ring sends
    # nothing); the hang reports arrive when it can send again: one cause change, one end.
    assert [(a["number"], a["change"], a["cause_kind"]) for a in got] == [
        (1, "started", "device_offline"), (1, "ended", "device_offline"),
        (2, "started", "node_isolated"), (2, "cause_changed", "stuck_tx_ring"),
        (2, "ended", "stuck_tx_ring")]
    assert got[0]["start"].startswith("2025-11-08T06:08")
    assert got[2]["start"].startswith("2025-11-08T06:19:12")
    assert got[3]["start"].startswith("2025-11-08T06:19:02")  # the hang's first report
    assert "switch USW-Lite-16 offline" in got[0]["cause"]
    assert got[2]["cause"].startswith("pve03 cut off: its peers lost it at 06:19:12 and so "
                                      "did the console")
    assert "stuck TX ring on pve03 eno1 (e1000e), TDH frozen at <f6>" in got[3]["cause"]
    assert any("ring stuck" in e for e in got[3]["evidence"])
    # every outcome is a log line and a typed event in the recording
    assert sum("alert hook: delivered" in line for line in lines) == 5
    notices = [r.event for r in iter_recording(tmp_path / "watch.jsonl")
               if isinstance(r.event, AlertNotice)]
    assert [(n.incident[-7:], n.change, n.status) for n in notices] == [
        ("060812Z", "started", "delivered"), ("060812Z", "ended", "delivered"),
        ("061912Z", "started", "delivered"), ("061902Z", "cause_changed", "delivered"),
        ("061902Z", "ended", "delivered")]


async def test_without_the_quiet_tail_incident_two_is_still_open() -> None:
    watcher, lines = await watch(load_events([DEMO_RECORDING]), [])
    assert [(a.number, a.change) for a in watcher.alerts] == [
        (1, "started"), (1, "ended"), (2, "started"), (2, "cause_changed")]
    assert [r.incident.number for r in watcher.tracker.open_incidents()] == [2]
    assert any(line.startswith("ALERT labconsole: incident 2 started: pve03 cut off: its "
                               "peers lost it") for line in lines)
    assert any("stuck TX ring" in line and "incident 2" in line for line in lines)


async def test_an_alert_that_could_not_be_delivered_is_logged_recorded_and_in_status(
        tmp_path: Path) -> None:
    rec = Recorder(tmp_path / "watch.jsonl")
    down = WebhookSink("pager", f"http://127.0.0.1:{closed_port()}/", timeout=5)
    watcher, lines = await watch(demo_then_quiet(), [down], rec,
                                 AlertPolicy(retries=1, retry_delay=0.01))
    failed = [line for line in lines if "alert pager: FAILED" in line]
    assert len(failed) == 5 and "after 2 attempts" in failed[0]
    assert "Connection refused" in failed[0]
    notices = [r.event for r in iter_recording(tmp_path / "watch.jsonl")
               if isinstance(r.event, AlertNotice)]
    assert [n.status for n in notices] == ["failed"] * 5
    assert all(n.source == "alert:pager" and n.attempts == 2 for n in notices)
    health = watcher.state.health["alert:pager"]
    assert health.state == "failed" and "Connection refused" in health.detail
    # an undelivered alert is not an incident fact: still exactly the two incidents
    assert [a.number for a in watcher.alerts if a.change == "started"] == [1, 2]


async def test_a_replayed_watch_recording_shows_the_failed_alerts(tmp_path: Path) -> None:
    rec = Recorder(tmp_path / "watch.jsonl")
    down = WebhookSink("pager", f"http://127.0.0.1:{closed_port()}/", timeout=5)
    await watch(demo_then_quiet(), [down], rec, AlertPolicy(retries=0))
    again, _ = await watch([r.event for r in iter_recording(tmp_path / "watch.jsonl")], [])
    assert again.state.health["alert:pager"].state == "failed"
    assert [(a.number, a.change) for a in again.alerts] == [
        (1, "started"), (1, "ended"), (2, "started"), (2, "cause_changed"), (2, "ended")]


def pve03_as_logged(events: list[Event]) -> list[KernelText]:
    """pve03's kernel lines at the times they were logged (the demo delivers them when pve03
    can send again; these tests move some of them elsewhere in time): a head line's time is
    its journal stamp, its register lines share it."""
    out: list[KernelText] = []
    stamp = ""
    for e in events:
        if not (isinstance(e, KernelText) and e.node == "pve03"):
            continue
        if e.text.startswith("Nov 08 "):
            stamp = e.text[7:15]
        hours, minutes, seconds = (int(x) for x in stamp.split(":"))
        out.append(dataclasses.replace(e, at=e.at.replace(hour=hours, minute=minutes,
                                                          second=seconds)))
    return out


async def test_a_cause_that_changes_kind_is_one_alert_with_the_previous_cause() -> None:
    """The switch outage of the demo, and during it pve03's stuck-ring hang reports (moved
    from 06:19 to 06:09:40): the open incident's cause turns from the switch to the ring."""
    events = load_events([DEMO_RECORDING])
    early = [e for e in events if e.at.strftime("%H:%M:%S") < "06:09:30"]
    hang = [e for e in pve03_as_logged(events)
            if "06:19:02" <= e.at.strftime("%H:%M:%S") < "06:19:12"]
    shift = timedelta(minutes=9, seconds=22)  # 06:19:02 -> 06:09:40
    moved = [dataclasses.replace(e, at=e.at - shift,
                                 text=e.text.replace("06:19:", "06:09:").replace(
                                     "Nov 08 06:09:0", "Nov 08 06:09:4"))
             for e in hang]
    later = [e for e in events if "06:09:30" <= e.at.strftime("%H:%M:%S") < "06:10:30"]
    watcher, _ = await watch(sorted([*early, *moved, *later], key=lambda e: e.at), [])
    got = [(a.number, a.change, a.cause_kind) for a in watcher.alerts]
    assert got == [(1, "started", "device_offline"), (1, "cause_changed", "stuck_tx_ring")]
    changed = watcher.alerts[1]
    assert changed.previous_cause is not None and "USW-Lite-16" in changed.previous_cause
    assert changed.cause.startswith("stuck TX ring on pve03 eno1 (e1000e)")


def late_hang(events: list[Event], stamp: str, after: str) -> list[Event]:
    """The demo's first two pve03 hang reports (06:19:02, 06:19:04) stamped from ``stamp``
    on (HH:MM:SS), delivered right after the poll of ``after``: a log line whose time lies
    before the moment it arrives, as whole-second log times and transport make it."""
    hours, minutes, seconds = (int(x) for x in stamp.split(":"))
    first = events[0].at.replace(hour=hours, minute=minutes, second=seconds)
    hang = [e for e in pve03_as_logged(events)
            if "06:19:02" <= e.at.strftime("%H:%M:%S") < "06:19:06"]
    shift = first - hang[0].at
    moved = [dataclasses.replace(e, at=e.at + shift, text=e.text.replace(
        f"Nov 08 {e.at:%H:%M:%S}", f"Nov 08 {e.at + shift:%H:%M:%S}")) for e in hang]
    cut = next(i for i, e in enumerate(events)
               if isinstance(e, QuorumText) and e.at.strftime("%H:%M:%S") == after) + 1
    return [*events[:cut], *moved, *events[cut:]]


async def test_a_late_hang_after_the_views_confirmed_recovery_is_a_new_incident() -> None:
    """Incident 2 is called over at the 06:23:00 poll (pve03 back in every view since
    06:21:00); hang reports stamped 06:22:58 arrive after that alert. The views had
    confirmed the recovery before them, so they are new trouble, a new incident (they once
    reopened incident 2, by the two minutes' settle): the watcher announces incident 3 with
    the cause they support and its end, instead of alerting nobody about a hang."""
    events = late_hang(demo_then_quiet(minutes=8), "06:22:58", "06:23:00")
    with http_server() as srv:
        watcher, lines = await watch(events, [WebhookSink("hook", srv.url)])
    got = [(a.number, a.change, a.cause_kind, a.reopened) for a in watcher.alerts]
    assert got == [
        (1, "started", "device_offline", 0), (1, "ended", "device_offline", 0),
        (2, "started", "node_isolated", 0), (2, "cause_changed", "stuck_tx_ring", 0),
        (2, "ended", "stuck_tx_ring", 0),
        (3, "started", "stuck_tx_ring", 0), (3, "ended", "stuck_tx_ring", 0)]
    late = watcher.alerts[5]
    assert late.start.strftime("%H:%M:%S") == "06:22:58"
    assert any(line.startswith("ALERT labconsole: incident 3 started: stuck TX ring")
               for line in lines)
    sent = [json.loads(r.body)["alert"] for r in srv.requests]
    assert [(a["number"], a["change"]) for a in sent[4:]] == [
        (2, "ended"), (3, "started"), (3, "ended")]
