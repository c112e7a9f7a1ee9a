"""Events -> facts: votes from snapshots, CEF classes, links, connections, plain log files."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from labconsole.demo.generate import cef, pvecm_status
from labconsole.events import ConnectionChange, KernelText, NicText, QuorumText, SyslogText
from labconsole.incident.cef_class import classify
from labconsole.incident.from_state import facts_from_events
from labconsole.incident.report import report_from_events, report_from_paths
from labconsole.incident.wording import words
from labconsole.parse.cef import parse_cef

T0 = datetime(2025, 11, 8, 6, 0, 0, tzinfo=timezone.utc)


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def quorum(s: float, present: tuple[str, ...], seen_from: str = "pve01") -> QuorumText:
    return QuorumText(at=at(s), source=f"ssh:{seen_from}", node=seen_from,
                      text=pvecm_status(at(s), present, seen_from), cluster="homelab")


ALL = ("pve01", "pve02", "pve03")


def kinds(events: list) -> list[tuple[str, str | None]]:  # type: ignore[type-arg]
    """Incident facts but the views themselves (context: every change of every view)."""
    return [(f.kind, f.node) for f in facts_from_events(events).facts
            if f.kind not in ("view_changed", "picture_changed")]


def test_votes_left_and_joined_from_snapshots() -> None:
    evs = [quorum(0, ALL), quorum(30, ("pve01", "pve02")), quorum(60, ("pve01", "pve02")),
           quorum(90, ALL)]
    assert kinds(evs) == [("vote_left", "pve03"), ("vote_joined", "pve03")]


def test_one_observer_missing_a_node_is_enough() -> None:
    """The stuck node still sees 3/3; pve01 sees 2/3: pve03 is out."""
    evs = [quorum(0, ALL), quorum(0, ALL, "pve03"), quorum(30, ALL, "pve03"),
           quorum(31, ("pve01", "pve02"))]
    assert kinds(evs) == [("vote_left", "pve03")]


def test_a_node_alone_is_out_by_its_own_view_and_says_nothing_of_the_others() -> None:
    """A node that sees itself alone, not quorate, is the one cut off: its view does not put
    the healthy nodes out (a rejoining node's first view once gave them downtime)."""
    evs = [quorum(0, ALL, "pve03"), quorum(30, ("pve03",), "pve03")]
    got = kinds(evs)
    assert ("vote_left", "pve01") not in got and ("vote_left", "pve02") not in got
    assert ("vote_left", "pve03") in got and ("quorum_lost", None) in got


def test_stale_observer_stops_counting() -> None:
    evs = [quorum(0, ALL), quorum(0, ALL, "pve02"), quorum(10, ("pve01", "pve02"), "pve02"),
           quorum(200, ALL)]  # pve02's poller went silent after 10 s
    assert kinds(evs) == [("vote_left", "pve03"), ("vote_joined", "pve03")]


def test_bad_quorum_text_is_reported_not_fatal() -> None:
    ex = facts_from_events([QuorumText(at=T0, source="ssh:pve01", node="pve01",
                                       text="Expected votes: many\n")])
    assert ex.facts == [] and len(ex.errors) == 1 and "quorum text" in ex.errors[0]


def _cef_kind(name: str, severity: int = 3, category: str = "Monitoring") -> str | None:
    line = (f"Nov 08 06:00:00 gw CEF:0|Ubiquiti|UniFi Network|9.4.19|1|{name}|{severity}|"
            f"UNIFIcategory={category} UNIFIdeviceName=USW-Lite-16 msg=x")
    return classify(parse_cef(line, default_year=2025))


@pytest.mark.parametrize(("name", "severity", "category", "expected"), [
    ("Device Offline", 5, "Monitoring", "device_alert"),
    ("Device Restarted", 3, "Monitoring", "device_alert"),
    ("Device Lost Contact", 3, "Monitoring", "device_alert"),
    ("Device Online", 2, "Monitoring", "device_back"),
    ("Client Disconnected", 2, "Client", "client_left"),
    ("Client Connected", 2, "Client", None),
    ("Internet Down", 10, "Internet", "device_alert"),
    ("Admin Login", 1, "Admin", None),
    ("Threat Detected and Blocked", 8, "Security", None),  # IPS noise, not an outage
])
def test_cef_classes(name: str, severity: int, category: str, expected: str | None) -> None:
    assert _cef_kind(name, severity, category) == expected


def test_cef_in_syslog_events_and_in_plain_lines_alike() -> None:
    line = cef(at(5), "400", "Device Offline", 5, "UNIFIdeviceName=USW-Lite-16 msg=gone")
    as_plain = KernelText(at=at(5), source="file:unifi.log", node="unifi", text=line.text)
    (a,) = facts_from_events([line]).facts
    (b,) = facts_from_events([as_plain]).facts
    assert (a.kind, a.device, a.at) == (b.kind, b.device, b.at) == ("device_alert",
                                                                    "USW-Lite-16", at(5))
    assert a.lines == (line.text,)


def test_broken_cef_is_reported() -> None:
    ex = facts_from_events([SyslogText(at=T0, source="syslog", node=None, text="x CEF:0|a")])
    assert ex.facts == [] and "CEF not understood" in ex.errors[0]


def test_link_change_reported_by_kernel_and_ethtool_is_one_fact() -> None:
    evs = [NicText(at=at(0), source="ssh:pve03", node="pve03", iface="eno1", link="up"),
           KernelText(at=at(10), source="ssh:pve03", node="pve03",
                      text="Nov 08 06:00:10 pve03 kernel: e1000e 0000:00:1f.6 eno1: NIC Link "
                           "is Down"),
           NicText(at=at(12), source="ssh:pve03", node="pve03", iface="eno1", link="down"),
           NicText(at=at(40), source="ssh:pve03", node="pve03", iface="eno1", link="up")]
    assert kinds(evs) == [("link_down", "pve03"), ("link_up", "pve03")]


def test_connection_transitions_only() -> None:
    def conn(s: float, state: str) -> ConnectionChange:
        return ConnectionChange(at=at(s), source="ssh:pve03", node="pve03",
                                state=state)  # type: ignore[arg-type]
    evs = [conn(0, "connecting"), conn(1, "connected"), conn(5, "reconnecting"),
           conn(7, "reconnecting"), conn(9, "failed"), conn(20, "connected"),
           conn(30, "connected")]
    assert kinds(evs) == [("conn_lost", "pve03"), ("conn_back", "pve03")]


def test_a_connection_that_never_succeeded_is_not_a_loss() -> None:
    def conn(s: float, state: str, detail: str = "") -> ConnectionChange:
        return ConnectionChange(at=at(s), source="ssh:pve03", node="pve03",
                                state=state, detail=detail)  # type: ignore[arg-type]
    evs = [conn(0, "connecting"), conn(1, "reconnecting", "connection refused"),
           conn(5, "failed", "connection refused"), conn(20, "connected"),
           conn(30, "reconnecting", "timed out"), conn(40, "connected")]
    assert kinds(evs) == [("conn_never", "pve03"), ("conn_back", "pve03"),
                          ("conn_lost", "pve03"), ("conn_back", "pve03")]
    texts = [words(f) for f in facts_from_events(evs).facts]
    assert texts[:2] == ["connection ssh:pve03 to pve03 never connected: connection refused",
                         "connection ssh:pve03 to pve03 made"]
    report = report_from_events(evs[:3])
    (inc,) = report.incidents
    assert (inc.cause.kind, inc.cause.text) == (
        "conn_never", "connection ssh:pve03 to pve03 never connected: connection refused; "
        "the console could not reach it")
    assert "lost" not in inc.cause.text


def test_plain_kernel_log_file_report(fixtures: Path) -> None:
    report = report_from_paths([fixtures / "report" / "pve02_kernel.log"], year=2025)
    flap, hang = report.incidents
    assert (flap.incident.start, flap.incident.end) == (
        datetime(2025, 3, 14, 2, 14, 10, tzinfo=timezone.utc),
        datetime(2025, 3, 14, 2, 14, 25, tzinfo=timezone.utc))
    assert flap.cause.kind == "link_down"
    assert flap.cause.text == "link down on pve02 enp0s31f6 (cable, switch port or NIC)"
    assert hang.cause.text == ("stuck TX ring on pve02 enp0s31f6 (e1000e), TDH frozen at <3a> "
                               "for 5 reports")
    assert "1 adapter reset(s)" in hang.cause.evidence[0]
    assert hang.cause.log_lines[-1].startswith("Mar 14 02:40:38 pve02 kernel:")
