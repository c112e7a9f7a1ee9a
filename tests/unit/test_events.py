"""Events round-trip through JSON, and a recording line of the wrong shape is refused clearly."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from labconsole.events import (
    ApiJson,
    ConnectionChange,
    EventDecodeError,
    KernelText,
    NicText,
    OperatorAction,
    QuorumText,
    SyslogText,
    event_from_json,
)

AT = datetime(2026, 3, 14, 6, 19, 2, tzinfo=timezone.utc)


@pytest.mark.parametrize("event", [
    KernelText(at=AT, source="ssh", node="pve03", text="e1000e 0000:00:1f.6 eno1: x"),
    QuorumText(at=AT, source="quorum", node="pve01", text="Quorate: Yes", cluster="homelab"),
    NicText(at=AT, source="nic", node="pve03", iface="eno1", features="tso: on", link="up",
            speed="1000Mb/s"),
    SyslogText(at=AT, source="syslog", node=None, text="CEF:0|a|b|c|d|e|f|", peer="10.0.0.2"),
    ConnectionChange(at=AT, source="ssh", node="pve03", state="reconnecting", retry_in=2.5),
    ApiJson(at=AT, source="pve_api", node=None, path="/cluster/status", body=[{"type": "x"}]),
    OperatorAction(at=AT, source="runbook", node="pve03", runbook="e1000e-tx-hang",
                   step="apply", command="ethtool -K eno1 tso off", status="done",
                   exit_status=0),
])
def test_round_trip(event) -> None:
    assert event_from_json(event.to_json()) == event


@pytest.mark.parametrize(("obj", "message"), [
    ([], "event must be a JSON object, got list"),
    ({"type": "nope", "at": "2026-01-01T00:00:00"}, "unknown event type 'nope'"),
    ({"type": "kernel", "source": "s", "node": None, "text": "x"}, "kernel event without 'at'"),
    ({"type": "kernel", "at": "yesterday", "source": "s", "node": None, "text": "x"},
     "kernel event with bad 'at': 'yesterday'"),
    ({"type": "kernel", "at": "2026-01-01T00:00:00", "source": "s", "node": None, "text": 5},
     "kernel event: field 'text' must be str, got int"),
    ({"type": "kernel", "at": "2026-01-01T00:00:00", "source": "s", "node": None},
     "kernel event: "),
    ({"type": "conn", "at": "2026-01-01T00:00:00", "source": "s", "node": "a",
      "state": "weird"}, "conn event: unknown connection state 'weird'"),
    ({"type": "nic", "at": "2026-01-01T00:00:00", "source": "s", "node": "a", "iface": "eno1",
      "speed": True}, "nic event: field 'speed' must be str | None, got bool"),
    ({"type": "action", "at": "2026-01-01T00:00:00", "source": "s", "node": "a",
      "runbook": "r", "step": "s", "command": "c", "status": "ok", "exit_status": "0"},
     "action event: field 'exit_status' must be int | None, got str"),
])
def test_bad_shapes_are_refused_with_the_reason(obj, message: str) -> None:
    with pytest.raises(EventDecodeError) as caught:
        event_from_json(obj)
    assert str(caught.value).startswith(message)
