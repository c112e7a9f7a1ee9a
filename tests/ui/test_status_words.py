"""The status bar says what is wrong in words, first, with how long; what is fine, compactly."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from labconsole.events import ConnectionChange
from labconsole.state.console_state import ConsoleState
from labconsole.widgets.status_bar import render_status

T0 = datetime(2025, 11, 8, 6, 19, tzinfo=timezone.utc)


def _state() -> ConsoleState:
    s = ConsoleState()
    for node in ("pve01", "pve02", "pve03"):
        s.apply(ConnectionChange(at=T0, source=f"ssh:{node}", node=node, state="connecting"))
        s.apply(ConnectionChange(at=T0, source=f"ssh:{node}", node=node, state="connected"))
    s.apply(ConnectionChange(at=T0 + timedelta(seconds=10), source="ssh:pve03", node="pve03",
                             state="reconnecting", retry_in=8,
                             detail="connection refused (is sshd running and the port right?)"))
    s.apply(ConnectionChange(at=T0 + timedelta(seconds=10), source="ssh:pve02", node="pve02",
                             state="failed", detail="authentication failed: the node accepted "
                             "none of the offered keys"))
    return s


def test_a_down_source_reads_as_its_reason_and_age_before_the_fine_ones() -> None:
    plain = render_status(_state().health, T0 + timedelta(seconds=75), recording=None,
                          replay=None, errors=0).plain
    assert plain.startswith(
        "ssh:pve02 FAILED: authentication failed: the node accepted none of the offered keys "
        "(1m05s)  ssh:pve03 connection refused (is sshd running and the port right?), retry "
        "in 8s (1m05s)  rec off ssh ✓ pve01")


def test_a_quiet_healthy_connection_is_never_called_stale() -> None:
    s = ConsoleState()
    s.apply(ConnectionChange(at=T0, source="ssh:pve01", node="pve01", state="connected"))
    plain = render_status(s.health, T0 + timedelta(hours=2), recording=None, replay=None,
                          errors=0).plain
    assert "stale" not in plain and "ssh ✓ pve01" in plain


def test_node_detail_names_its_connection_state_in_words() -> None:
    from labconsole.screens.node_detail import render_node_sources

    plain = render_node_sources(_state().health, "pve03", T0 + timedelta(seconds=75)).plain
    assert plain.startswith("ssh: connection refused (is sshd running and the port right?), "
                            "retry in 8s for 1m05s")
