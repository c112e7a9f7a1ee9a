"""Remote commands are built from validated, quoted parts: nothing reaches a shell unquoted."""

from __future__ import annotations

import shlex

import pytest

from labconsole.sources import remote_command as rc


@pytest.mark.parametrize("name", ["eno1", "vmbr0", "enp0s31f6", "bond0.100", "veth@if3", "a:b"])
def test_valid_interface_names_pass(name: str) -> None:
    assert rc.validate_iface(name) == name


@pytest.mark.parametrize(
    "name", ["", "eno1; reboot", "$(id)", "a" * 16, "-k", "eno 1", "eno1\n", "é1", "`x`"])
def test_hostile_or_malformed_names_are_refused(name: str) -> None:
    with pytest.raises(rc.CommandError, match="invalid interface name"):
        rc.validate_iface(name)


def test_name_must_be_on_the_node_when_the_list_is_known() -> None:
    assert rc.validate_iface("eno1", ["lo", "eno1"]) == "eno1"
    with pytest.raises(rc.CommandError, match=r"not on the node \(has: eno1, lo\)"):
        rc.validate_iface("eno2", ["lo", "eno1"])


def test_join_quotes_every_argument() -> None:
    line = rc.join(["echo", "a b", "$(x)", "'q'"])
    assert shlex.split(line) == ["echo", "a b", "$(x)", "'q'"]
    with pytest.raises(rc.CommandError, match="NUL"):
        rc.join(["echo", "a\x00b"])
    with pytest.raises(rc.CommandError, match="empty"):
        rc.join([])


def test_builders_refuse_bad_names_before_building() -> None:
    assert rc.ethtool_features("eno1") == "ethtool -k eno1"
    assert rc.ethtool_driver("eno1") == "ethtool -i eno1"
    assert rc.link_show("eno1") == "ip -j link show dev eno1"
    with pytest.raises(rc.CommandError):
        rc.nic_snapshot("eno1;id")


def test_configured_commands_split_or_fail_clearly() -> None:
    assert rc.split_configured("tail -n +1 -F '/var/log/my log'") == [
        "tail", "-n", "+1", "-F", "/var/log/my log"]
    with pytest.raises(rc.CommandError, match="cannot parse"):
        rc.split_configured("tail 'unclosed")
    with pytest.raises(rc.CommandError, match="empty"):
        rc.split_configured("   ")


def test_snapshot_output_splits_back_into_its_parts() -> None:
    text = "@@features\nFeatures for eno1:\nx: on\n@@driver\ndriver: veth\n@@link\n[]\n"
    parts = rc.split_snapshot(text)
    assert parts == {"features": "Features for eno1:\nx: on\n", "driver": "driver: veth\n",
                     "link": "[]\n"}
    assert rc.split_snapshot("garbage") == {"features": "", "driver": "", "link": ""}
