"""ethtool -k / -i parsing on the project's own fixtures and edge cases."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labconsole.model.offloads import GRO, GSO, TSO
from labconsole.parse.block_sniff import looks_like_ethtool_driver, looks_like_ethtool_features
from labconsole.parse.ethtool import (
    SHORT_FEATURE_NAMES,
    EthtoolParseError,
    ethtool_k_args,
    long_feature_name,
    parse_driver_info,
    parse_features,
    parse_features_all,
    parse_k_args,
    short_feature_name,
)


def _read(fixtures: Path, name: str) -> str:
    return (fixtures / "blocks" / name).read_text()


def test_full_features_before_and_after_the_fix(fixtures: Path) -> None:
    before = parse_features(_read(fixtures, "ethtool_k_eno1_e1000e_offloads_on.txt"))
    after = parse_features(_read(fixtures, "ethtool_k_eno1_e1000e_offloads_off.txt"))
    assert before.device == after.device == "eno1"
    assert (before.tso, before.gso, before.gro) == (True, True, True)
    assert (after.tso, after.gso, after.gro) == (False, False, False)
    assert before.features["tx-tcp6-segmentation"] == "on"  # tab-indented sub-feature
    assert after.features["tx-tcp6-segmentation"] == "off"
    assert before.features["highdma"] == "on [fixed]"
    assert len(before.features) == len(after.features) == 21
    assert after.to_json()["device"] == "eno1"


def test_grepped_features_and_requested_marker(fixtures: Path) -> None:
    off = parse_features(_read(fixtures, "ethtool_k_grep_offload_no_header.txt"))
    assert off.device is None
    assert off.features[GSO] == "off [requested on]"
    assert (off.tso, off.gso, off.gro) == (True, False, True)


def test_several_devices_and_noise_lines() -> None:
    text = (
        "Features for eno1:\r\n"
        "Cannot get device udp-fragmentation-offload settings: Operation not supported\r\n"
        "tcp-segmentation-offload: off\r\n"
        "Features for eno2:\n"
        "tcp-segmentation-offload: on   \n"
        "generic-receive-offload: on [requested off]\n"
    )
    first, second = parse_features_all(text)
    assert (first.device, first.features) == ("eno1", {TSO: "off"})
    assert (second.device, second.tso, second.features[GRO]) == ("eno2", True, "on [requested off]")
    assert parse_features(text) == first


def test_driver_info_trailing_spaces_and_empty_values(fixtures: Path) -> None:
    info = parse_driver_info(_read(fixtures, "ethtool_i_eno1_e1000e.txt"))
    assert info.to_json() == {
        "driver": "e1000e",
        "version": "6.8.12-4-pve",
        "firmware": "0.6-4",
        "bus": "0000:00:1f.6",
        "fields": {
            "driver": "e1000e",
            "version": "6.8.12-4-pve",
            "firmware-version": "0.6-4",
            "expansion-rom-version": "",
            "bus-info": "0000:00:1f.6",
            "supports-statistics": "yes",
            "supports-test": "yes",
            "supports-eeprom-access": "yes",
            "supports-register-dump": "yes",
            "supports-priv-flags": "yes",
        },
    }


def test_driver_info_bus_info_empty_is_none() -> None:
    info = parse_driver_info("driver: veth\nversion: 1.0\nfirmware-version: \nbus-info: \n")
    assert (info.driver, info.firmware, info.bus) == ("veth", None, None)


@pytest.mark.parametrize(
    "text", ["", "driver:\nbus-info: x\n", "tcp-segmentation-offload: on\n", "Driver: e1000e\n"]
)
def test_driver_info_errors(text: str) -> None:
    with pytest.raises(EthtoolParseError, match="driver"):
        parse_driver_info(text)


@pytest.mark.parametrize("text", ["", "driver: e1000e\n", "tso: maybe\n", "Features for eno1:\n"])
def test_features_errors(text: str) -> None:
    with pytest.raises(EthtoolParseError, match="no ethtool feature lines"):
        parse_features(text)


def test_short_names() -> None:
    assert [long_feature_name(n) for n in ("tso", "gso", "gro")] == [TSO, GSO, GRO]
    assert long_feature_name("lro") == "large-receive-offload"
    assert long_feature_name("sg") == "scatter-gather"
    assert long_feature_name("rx-gro-hw") == "rx-gro-hw"
    assert short_feature_name(TSO) == "tso" and short_feature_name("tso") == "tso"
    assert short_feature_name("highdma") is None
    assert len(set(SHORT_FEATURE_NAMES.values())) == len(SHORT_FEATURE_NAMES)


def test_k_args() -> None:
    assert parse_k_args(["eno1", "tso", "off", "gso", "off", "rx-gro-hw", "on"]) == (
        "eno1",
        {TSO: False, GSO: False, "rx-gro-hw": True},
    )
    with pytest.raises(EthtoolParseError, match="odd number"):
        parse_k_args(["eno1", "tso"])
    with pytest.raises(EthtoolParseError, match="not on/off"):
        parse_k_args(["eno1", "tso", "of"])
    with pytest.raises(EthtoolParseError, match="without a device"):
        parse_k_args([])


def test_k_command_is_built_from_validated_parts() -> None:
    assert ethtool_k_args("eno1", {TSO: False, "gso": False, GRO: False}) == [
        "ethtool", "-K", "eno1", "tso", "off", "gso", "off", "gro", "off",
    ]  # fmt: skip
    assert ethtool_k_args("eno1", {"rx-gro-hw": True}) == [
        "ethtool",
        "-K",
        "eno1",
        "rx-gro-hw",
        "on",
    ]
    for device in ("eno1; reboot", "", "a" * 16, "$IFACE"):
        with pytest.raises(EthtoolParseError, match="not a valid interface name"):
            ethtool_k_args(device, {"tso": False})
    with pytest.raises(EthtoolParseError, match="not a valid feature name"):
        ethtool_k_args("eno1", {"tso off; rm": False})
    with pytest.raises(EthtoolParseError, match="without any feature"):
        ethtool_k_args("eno1", {})
    device, features = parse_k_args(ethtool_k_args("eno1", {TSO: False, "sg": True})[2:])
    assert (device, features) == ("eno1", {TSO: False, "scatter-gather": True})


def test_sniffers(fixtures: Path) -> None:
    full = _read(fixtures, "ethtool_k_eno1_e1000e_offloads_on.txt")
    grepped = _read(fixtures, "ethtool_k_grep_offload_no_header.txt")
    info = _read(fixtures, "ethtool_i_eno1_e1000e.txt")
    assert looks_like_ethtool_features(full) and looks_like_ethtool_features(grepped)
    assert not looks_like_ethtool_features(info)
    assert looks_like_ethtool_driver(info) and not looks_like_ethtool_driver(full)
    assert not looks_like_ethtool_driver(_read(fixtures, "pvecm_pve01_3of3.txt"))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["Features for eno1:", "tso: on", "driver: e1000e", "bus-info:", "\tx: off [fixed]"]
            ),
            st.text(max_size=40),
        ),
        max_size=20,
    )
)
def test_arbitrary_text_raises_only_ethtool_parse_error(lines: list[str]) -> None:
    text = "\n".join(lines)
    for parse in (parse_features, parse_driver_info):
        with contextlib.suppress(EthtoolParseError):
            parse(text)


def test_grepped_output_takes_the_device_from_the_pasted_command() -> None:
    text = (
        "root@pve03:~# ethtool -k eno1 | grep -E 'segmentation|receive-offload'\n"
        "tcp-segmentation-offload: on\n"
        "generic-segmentation-offload: on\n"
        "generic-receive-offload: off\n"
    )
    off = parse_features(text)
    assert off.device == "eno1"
    assert (off.tso, off.gso, off.gro) == (True, True, False)
    assert parse_features("generic-receive-offload: on\n").device is None
