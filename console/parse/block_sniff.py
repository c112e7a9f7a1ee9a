"""The block formats' content sniffers: one or two patterns each, no parser loaded.

``labconsole scan`` asks these of every input's head that is not a log; only the parser of a
format found is imported then (``labconsole.scan.blocks``). The parsers do not load this
module: the console parses quorum status and ethtool output it asked for, and never sniffs.
"""

from __future__ import annotations

import re

_QUORUM = re.compile(
    r"^\s*(?:Votequorum information|Quorum information|Membership information)\s*$"
    r"|^\s*(?:Expected votes|Total votes|Quorate):",
    re.MULTILINE,
)
_ETHTOOL_FEATURES = re.compile(
    r"^\s*(?:Features for \S+:|(?:tcp-segmentation|generic-segmentation|generic-receive)"
    r"-offload:\s+o[nf])",
    re.MULTILINE,
)
_ETHTOOL_DRIVER = re.compile(r"^driver: \S", re.MULTILINE)
_ETHTOOL_DRIVER_2 = re.compile(r"^(?:bus-info|firmware-version):", re.MULTILINE)
_INTERFACES = re.compile(r"^[ \t]*(?:iface|mapping)[ \t]+\S", re.MULTILINE)
_PVE_API_START = re.compile(r"^\s*[\[{]")
_PVE_API_KEY = re.compile(r'"(?:type|iface|nodeid|quorate|node)"\s*:')


def looks_like_quorum(text: str) -> bool:
    """Cheap sniff for ``labconsole scan``: a votequorum section title or key at a line start."""
    return _QUORUM.search(text) is not None


def looks_like_ethtool_features(text: str) -> bool:
    """Cheap sniff: a ``Features for`` header or one of the three offload lines at line start."""
    return _ETHTOOL_FEATURES.search(text) is not None


def looks_like_ethtool_driver(text: str) -> bool:
    """Cheap sniff for ``ethtool -i``: ``driver:`` plus ``bus-info:`` or ``firmware-version:``."""
    return _ETHTOOL_DRIVER.search(text) is not None and _ETHTOOL_DRIVER_2.search(text) is not None


def looks_like_interfaces(text: str) -> bool:
    """Cheap sniff: an ``iface NAME`` or ``mapping NAME`` line."""
    return _INTERFACES.search(text) is not None


def looks_like_pve_api(text: str) -> bool:
    """Cheap sniff: starts like JSON and carries a key the PVE rows use."""
    return _PVE_API_START.match(text) is not None and _PVE_API_KEY.search(text) is not None
