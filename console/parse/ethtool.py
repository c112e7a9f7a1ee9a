"""``ethtool -k`` / ``--show-features`` and ``ethtool -i`` output -> :class:`Offloads` /
:class:`DriverInfo`; the short offload names ``ethtool -K`` accepts.

Written by hand: the Python ethtool bindings query a live interface through ioctls; nothing
parses the printed text, which is what arrives over SSH or is pasted from a ticket.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from labconsole.model.offloads import DriverInfo, Offloads

__all__ = [
    "SHORT_FEATURE_NAMES",
    "EthtoolParseError",
    "ethtool_k_args",
    "long_feature_name",
    "parse_driver_info",
    "parse_features",
    "parse_features_all",
    "parse_k_args",
    "short_feature_name",
]


class EthtoolParseError(ValueError):
    """The text is not ``ethtool -k`` / ``-i`` output (or ``-K`` arguments are malformed)."""


# The old offload names ``ethtool -K`` still accepts, and the feature each one stands for
# (ethtool's own ``off_flag_def`` table; see ethtool(8), "-K --features --offload").
SHORT_FEATURE_NAMES: dict[str, str] = {
    "rx": "rx-checksumming",
    "tx": "tx-checksumming",
    "sg": "scatter-gather",
    "tso": "tcp-segmentation-offload",
    "ufo": "udp-fragmentation-offload",
    "gso": "generic-segmentation-offload",
    "gro": "generic-receive-offload",
    "lro": "large-receive-offload",
    "rxvlan": "rx-vlan-offload",
    "txvlan": "tx-vlan-offload",
    "ntuple": "ntuple-filters",
    "rxhash": "receive-hashing",
}
_LONG_TO_SHORT = {long: short for short, long in SHORT_FEATURE_NAMES.items()}
# DESIGN.md safety rules: interface names as the kernel allows them, feature names as ethtool
# prints them; anything else never reaches a command line.
_IFACE_NAME = re.compile(r"^[A-Za-z0-9_.:@-]{1,15}$")
_FEATURE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

_FEATURE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9_.-]*):\s+(on|off)\b\s*(.*?)\s*$")
_FEATURES_HEADER = re.compile(r"^\s*Features for (\S+?):\s*$")
# A pasted command line naming the device of grepped output that has no "Features for" header.
_SHOW_COMMAND = re.compile(
    r"\bethtool\s+(?:-k|--show-features|--show-offload)\s+([A-Za-z0-9_.:@-]{1,15})(?:\s|$)"
)
_DRIVER_FIELD = re.compile(r"^\s*([a-z][a-z0-9-]*):(?:[ \t](.*))?$")


def long_feature_name(name: str) -> str:
    """``tso`` -> ``tcp-segmentation-offload``; a long (or unknown) name is returned as is."""
    return SHORT_FEATURE_NAMES.get(name, name)


def short_feature_name(name: str) -> str | None:
    """``tcp-segmentation-offload`` -> ``tso``; None for features without a short alias."""
    if name in SHORT_FEATURE_NAMES:
        return name
    return _LONG_TO_SHORT.get(name)


def parse_features_all(text: str) -> list[Offloads]:
    """Every feature block in the text: one per ``Features for DEV:`` header.

    Feature lines before any header (grepped output) form a block with ``device=None``. Lines
    that are neither a header nor ``name: on|off ...`` (prompts, ``----`` rulers, ethtool's
    "Cannot get ..." warnings) are skipped.
    """
    blocks: list[tuple[str | None, dict[str, str]]] = []
    prompted: str | None = None  # device named by a pasted `ethtool -k DEV | grep` command
    for line in text.splitlines():
        header = _FEATURES_HEADER.match(line)
        if header:
            blocks.append((header.group(1), {}))
            continue
        command = _SHOW_COMMAND.search(line)
        if command:
            prompted = command.group(1)
            blocks.append((prompted, {}))
            continue
        feature = _FEATURE.match(line)
        if feature is None:
            continue
        if not blocks:
            blocks.append((None, {}))
        value = feature.group(2) + (" " + feature.group(3) if feature.group(3) else "")
        blocks[-1][1][feature.group(1)] = value
    found = [Offloads(device=device, features=features) for device, features in blocks if features]
    if not found:
        raise EthtoolParseError("no ethtool feature lines ('name: on|off') found")
    return found


def parse_features(text: str) -> Offloads:
    """The first feature block of ``ethtool -k DEV`` output, full or grepped."""
    return parse_features_all(text)[0]


def parse_driver_info(text: str) -> DriverInfo:
    """``ethtool -i DEV``: every ``key: value`` line kept, values stripped (may be empty)."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        match = _DRIVER_FIELD.match(line.rstrip())
        if match:
            fields.setdefault(match.group(1), (match.group(2) or "").strip())
    if not fields.get("driver"):
        raise EthtoolParseError("no 'driver:' line with a value: not ethtool -i output")
    return DriverInfo(fields=fields)


def parse_k_args(args: Sequence[str]) -> tuple[str, dict[str, bool]]:
    """The arguments after ``ethtool -K``: ``DEV name on|off ...`` -> (DEV, {long name: on}).

    Used to recognise existing offload hooks in /etc/network/interfaces.
    """
    if not args:
        raise EthtoolParseError("ethtool -K without a device")
    device, rest = args[0], list(args[1:])
    if len(rest) % 2:
        raise EthtoolParseError(f"ethtool -K {device}: odd number of 'feature on|off' words")
    features: dict[str, bool] = {}
    for name, state in _pairs(rest):
        if state not in ("on", "off"):
            raise EthtoolParseError(f"ethtool -K {device}: {name} {state!r} is not on/off")
        features[long_feature_name(name)] = state == "on"
    return device, features


def ethtool_k_args(device: str, changes: Mapping[str, bool]) -> list[str]:
    """Validated argv for ``ethtool -K``: ``("eno1", {"tso": False})`` ->
    ``["ethtool", "-K", "eno1", "tso", "off"]``; short names where ethtool has one, so the
    command reads like the one operators know. :class:`EthtoolParseError` on a bad name."""
    # fullmatch: with match() "$" also matches before a trailing newline ("eno1\n" passed);
    # a leading "-" would read as an ethtool option.
    if not _IFACE_NAME.fullmatch(device) or device.startswith("-"):
        raise EthtoolParseError(f"{device!r} is not a valid interface name")
    if not changes:
        raise EthtoolParseError("ethtool -K without any feature to change")
    argv = ["ethtool", "-K", device]
    for name, on in changes.items():
        if not _FEATURE_NAME.fullmatch(name):
            raise EthtoolParseError(f"{name!r} is not a valid feature name")
        argv += [short_feature_name(name) or name, "on" if on else "off"]
    return argv


def _pairs(words: Iterable[str]) -> Iterable[tuple[str, str]]:
    it = iter(words)
    return zip(it, it, strict=False)
