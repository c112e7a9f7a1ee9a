"""One interpreter of events: for any event sequence, ``labconsole report``'s incidents are the
console's incident view at the end (the report applies the same events to a fresh state)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from labconsole.demo.generate import pvecm_status
from labconsole.events import (
    ConnectionChange,
    Event,
    Heartbeat,
    KernelText,
    NicText,
    OperatorAction,
    QuorumText,
    QuorumUnreadable,
    SyslogText,
)
from labconsole.incident.from_state import incident_marks, report_from_events
from labconsole.state.console_state import ConsoleState

T0 = datetime(2025, 11, 8, 6, 0, 0, tzinfo=timezone.utc)
NODES = ("pve01", "pve02", "pve03")
SUBSETS = [tuple(n for i, n in enumerate(NODES) if mask & (1 << i)) for mask in range(8)]


def _kernel(at: datetime, node: str, message: str) -> KernelText:
    return KernelText(at=at, source=f"ssh:{node}", node=node,
                      text=f"{at:%b %d %H:%M:%S} {node} kernel: {message}")


def _hang(at: datetime, node: str) -> list[Event]:
    head = "e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:"
    regs = ["  TDH                  <f6>", "  TDT                  <1a>",
            "  next_to_clean        <f6>"]
    return [_kernel(at, node, head), *(_kernel(at, node, r) for r in regs)]


@st.composite
def event_lists(draw: st.DrawFn) -> list[Event]:
    """Events of every kind the console applies, on a coarse clock (many share a second)."""
    out: list[Event] = []
    tick = 0
    for _ in range(draw(st.integers(min_value=0, max_value=30))):
        tick += draw(st.integers(min_value=0, max_value=90))
        at = T0 + timedelta(seconds=tick)
        node = draw(st.sampled_from(NODES))
        kind = draw(st.sampled_from(["quorum", "unreadable", "beat", "link", "hang", "cef",
                                     "conn", "action", "nic"]))
        if kind == "quorum":
            present = tuple(sorted({node, *draw(st.sampled_from(SUBSETS))}))
            out.append(QuorumText(at=at, source="quorum:homelab", node=node, cluster="homelab",
                                  text=pvecm_status(at, present, seen_from=node)))
        elif kind == "unreadable":
            out.append(QuorumUnreadable(at=at, source="quorum:homelab", node=node,
                                        reason="ssh: connection refused", cluster="homelab"))
        elif kind == "beat":
            out.append(Heartbeat(at=at, source="quorum:homelab", node=node, every=5.0))
        elif kind == "link":
            state = draw(st.sampled_from(["Down", "Up 1000 Mbps Full Duplex, Flow Control: None"]))
            out.append(_kernel(at, node, f"e1000e 0000:00:1f.6 eno1: NIC Link is {state}"))
        elif kind == "hang":
            out.extend(_hang(at, node))
        elif kind == "cef":
            name = draw(st.sampled_from(["Device Offline", "Device Online", "Device Restarted"]))
            out.append(SyslogText(at=at, source="syslog", node=None, text=(
                f"{at:%b %d %H:%M:%S} gw CEF:0|Ubiquiti|UniFi Network|9.4.19|400|{name}|5|"
                "UNIFIcategory=Monitoring UNIFIdeviceName=USW-Lite-16 msg=switch")))
        elif kind == "conn":
            state = draw(st.sampled_from(["connected", "reconnecting", "failed"]))
            out.append(ConnectionChange(at=at, source=f"ssh:{node}", node=node, state=state))
        elif kind == "action":
            out.append(OperatorAction(at=at, source="runbook", node=node, runbook="rb",
                                      step="s", command="ethtool -K eno1 tso off",
                                      status=draw(st.sampled_from(["ok", "failed"]))))
        else:
            out.append(NicText(at=at, source=f"ssh:{node}", node=node, iface="eno1",
                               link=draw(st.sampled_from(["up", "down"]))))
    return out


@settings(max_examples=150, deadline=None)
@given(event_lists(), st.integers(min_value=1, max_value=7))
def test_the_report_is_the_consoles_incident_view(events: list[Event], every: int) -> None:
    console = ConsoleState()
    for i, event in enumerate(events):
        console.apply(event)
        if i % every == 0:
            incident_marks(console)  # the console redraws its headers as it goes
    console.end_of_input()
    seen = [(m.number, m.start, m.end, m.status, m.cause) for m in incident_marks(console)]
    report = report_from_events(events)
    reported = [(r.incident.number, r.incident.start, r.incident.end, r.incident.status,
                 None if r.cause.kind == "unknown" else r.cause.text)
                for r in report.incidents]
    assert reported == seen
