"""An unreachable node's NICs read as unknown, dimmed, with the age of the last reading; the
compact form (80 columns) keeps tso/gso/gro and lists each warning once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from labconsole.events import ConnectionChange, NicText
from labconsole.state.console_state import ConsoleState
from labconsole.state.health import unreachable
from labconsole.widgets.nic_panel import render_nics

T0 = datetime(2025, 11, 8, 6, 19, tzinfo=timezone.utc)
FEATURES = ("Features for eno1:\ntcp-segmentation-offload: on\ngeneric-segmentation-offload: "
            "on\ngeneric-receive-offload: on\n")
DRIVER = "driver: e1000e\nversion: 6.1.0\nfirmware-version: 0.13-4\n"


def _state() -> ConsoleState:
    s = ConsoleState()
    for node in ("pve01", "pve03"):
        s.apply(ConnectionChange(at=T0, source=f"ssh:{node}", node=node, state="connected"))
        s.apply(NicText(at=T0, source=f"nic:{node}:eno1", node=node, iface="eno1",
                        features=FEATURES, driver=DRIVER, link="up"))
    s.apply(ConnectionChange(at=T0 + timedelta(seconds=30), source="ssh:pve03", node="pve03",
                             state="reconnecting", retry_in=4, detail="timed out"))
    return s


def test_unreachable_node_nics_are_unknown_with_age_not_up() -> None:
    s = _state()
    now = T0 + timedelta(seconds=130)
    text = render_nics(s.nics, down=unreachable(s.health), now=now)
    pve01, pve03 = text.plain.splitlines()[0], text.plain.splitlines()[-1]
    assert "up" in pve01 and "tso on" in pve01
    assert pve03 == "? pve03 eno1  unknown, read 2m10s ago (timed out, retry in 4s)"
    start = text.plain.index("? pve03")
    assert any(span.style == "dim" and span.start <= start and span.end >= len(text.plain)
               for span in text.spans)  # the whole row dimmed


def test_compact_rows_keep_the_flags_and_each_warning_once() -> None:
    s = _state()
    s.apply(ConnectionChange(at=T0 + timedelta(seconds=40), source="ssh:pve03", node="pve03",
                             state="connected"))
    lines = render_nics(s.nics, compact=True, down=unreachable(s.health)).plain.splitlines()
    assert lines == ["⚠ pve01 eno1  up tso on gso on gro on",
                     "⚠ pve03 eno1  up tso on gso on gro on",
                     "⚠ e1000e tso/gso on: known TX hang race"]
