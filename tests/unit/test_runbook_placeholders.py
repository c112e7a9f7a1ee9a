"""Placeholders and the context: validated, quoted, the kernel log window."""

from __future__ import annotations

import shlex
from datetime import datetime, timezone

import pytest

from labconsole.runbook.placeholders import (
    PlaceholderError,
    episode_window,
    kernel_log_query,
    make_context,
    parse_link_names,
    render_command,
)

T0 = datetime(2025, 11, 8, 6, 19, 2, tzinfo=timezone.utc)
T1 = datetime(2025, 11, 8, 6, 21, 0, tzinfo=timezone.utc)


def test_journalctl_gets_the_window_in_utc() -> None:
    argv = kernel_log_query("journalctl -k -f -o json", T0, T1)
    assert argv == ["journalctl", "-k", "--no-pager", "-o", "short-iso", "--since",
                    "2025-11-08 06:19:02 UTC", "--until", "2025-11-08 06:21:00 UTC"]


def test_other_log_commands_lose_their_follow_flags() -> None:
    assert kernel_log_query("tail -n +1 -F '/var/log/my kern.log'", T0, T1) == [
        "tail", "-n", "+1", "/var/log/my kern.log"]
    assert kernel_log_query("dmesg -w -T", None, None) == ["dmesg", "-T"]


def test_episode_window_has_margins_and_stops_at_now() -> None:
    since, until = episode_window(T0, T1, now=T1)
    assert since is not None and (T0 - since).total_seconds() == 120
    assert until == T1


def test_context_renders_quoted_commands() -> None:
    ctx = make_context("pve03", iface="eno1", known_ifaces=["lo", "eno1", "vmbr0"],
                       since=T0, until=T1, kernel_log_command="journalctl -k -f")
    assert render_command(["ethtool", "-K", "{iface}", "tso", "off"], ctx) == \
        "ethtool -K eno1 tso off"
    cmd = render_command(["{kernel_log}"], ctx)
    assert shlex.split(cmd)[-4:] == ["--since", "2025-11-08 06:19:02 UTC", "--until",
                                     "2025-11-08 06:21:00 UTC"]
    assert "'2025-11-08 06:19:02 UTC'" in cmd


@pytest.mark.parametrize("bad", ["eno1;reboot", "eno1 ", "", "x" * 16, "-eno1", "eno1\n",
                                 "$(reboot)", "eno\uff11"])
def test_bad_interface_names_are_refused(bad: str) -> None:
    with pytest.raises(PlaceholderError):
        make_context("pve03", iface=bad)


def test_iface_must_be_on_the_node() -> None:
    with pytest.raises(PlaceholderError, match="not on the node"):
        make_context("pve03", iface="eno2", known_ifaces=["eno1"])


def test_naive_or_reversed_window_refused() -> None:
    with pytest.raises(PlaceholderError, match="no time zone"):
        make_context("pve03", since=datetime(2025, 1, 1))
    with pytest.raises(PlaceholderError, match="ends before"):
        make_context("pve03", since=T1, until=T0)


def test_unset_placeholder_is_an_error_not_an_empty_string() -> None:
    ctx = make_context("pve03")
    with pytest.raises(PlaceholderError, match="has no value"):
        render_command(["ethtool", "-k", "{iface}"], ctx)


def test_link_names_from_ip_o_link() -> None:
    text = ("1: lo: <LOOPBACK,UP> mtu 65536\n2: eno1@if7: <UP> mtu 1500\n"
            "    link/ether 00:11:22:33:44:55\n3: vmbr0: <UP> mtu 1500\n")
    assert parse_link_names(text) == ["lo", "eno1", "vmbr0"]
