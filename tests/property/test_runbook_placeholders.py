"""Whatever a name contains (shell metacharacters, newlines, lookalike unicode, length), it
never reaches a shell unquoted: either it is refused, or the shell reads it back as exactly
one argument equal to the value."""

from __future__ import annotations

import shlex
import string

from hypothesis import example, given, settings
from hypothesis import strategies as st

from labconsole.runbook.placeholders import PlaceholderError, make_context, render_command

NASTY = st.text(
    alphabet=st.sampled_from([*string.printable, "\u2024", "\uff1b", "\u037e", "\u2010",
                              "\u00a0", "\u200b", "\u00e9", "\x00"]),
    min_size=0, max_size=40)
TEMPLATE = ["ethtool", "-K", "{iface}", "tso", "off"]


@settings(max_examples=400, deadline=None)
@given(name=NASTY)
@example(name="eno1;reboot")
@example(name="eno1\nreboot")
@example(name="$(reboot)")
@example(name="eno1`id`")
@example(name="a" * 16)
@example(name="eno1 eno2")
def test_iface_value_is_refused_or_one_quoted_argument(name: str) -> None:
    try:
        ctx = make_context("pve03", iface=name, known_ifaces=[name, "eno1"])
        cmd = render_command(TEMPLATE, ctx)
    except PlaceholderError:
        return
    words = shlex.split(cmd)
    assert words == ["ethtool", "-K", name, "tso", "off"]
    assert all(ch.isascii() for ch in name) and 1 <= len(name) <= 15 and "\n" not in name


@settings(max_examples=300, deadline=None)
@given(node=NASTY, bridge=NASTY)
def test_node_and_bridge_values_are_refused_or_quoted(node: str, bridge: str) -> None:
    try:
        ctx = make_context(node, iface="eno1", bridge=bridge,
                           known_ifaces=["eno1", bridge])
        cmd = render_command(["echo", "{node}", "x{bridge}y"], ctx)
    except PlaceholderError:
        return
    assert shlex.split(cmd) == ["echo", node, f"x{bridge}y"]


@settings(max_examples=200, deadline=None)
@given(path=st.text(min_size=1, max_size=30))
def test_configured_log_command_path_stays_one_argument(path: str) -> None:
    configured = shlex.join(["tail", "-F", "/var/log/" + path])
    try:
        ctx = make_context("pve03", kernel_log_command=configured)
        cmd = render_command(["{kernel_log}"], ctx)
    except PlaceholderError:
        return
    assert shlex.split(cmd) == ["tail", "/var/log/" + path]
