"""Content sniffing: which block formats the head of an input holds.

Line-oriented logs (kernel logs in any format, syslog with CEF) are streamed; the small block
formats below are recognised from the head and parsed whole. The order matters only for
reporting; every sniffer that matches gets its parser run.
"""

from __future__ import annotations

from labconsole.parse.cef import looks_like_cef
from labconsole.parse.kernel_scan import looks_like_kernel_log
from labconsole.parse.syslog_header import parse_syslog_header

BLOCK_KINDS = ("pve_api", "quorum_status", "ethtool_features", "ethtool_driver", "interfaces")


def is_line_log(head_lines: list[str]) -> bool:
    """A kernel log or a syslog stream with CEF: stream it line by line."""
    return looks_like_kernel_log(head_lines) or looks_like_cef("\n".join(head_lines[:200]))


def block_kinds(head: str) -> list[str]:
    """Block formats recognised in ``head`` (may be several, e.g. ethtool -i and -k pasted)."""
    from labconsole.parse.block_sniff import (  # asked of inputs that are not logs only
        looks_like_ethtool_driver,
        looks_like_ethtool_features,
        looks_like_interfaces,
        looks_like_pve_api,
        looks_like_quorum,
    )

    found: list[str] = []
    if looks_like_pve_api(head):
        found.append("pve_api")
    if looks_like_quorum(head):
        found.append("quorum_status")
    if looks_like_ethtool_features(head):
        found.append("ethtool_features")
    if looks_like_ethtool_driver(head):
        found.append("ethtool_driver")
    if looks_like_interfaces(head):
        found.append("interfaces")
    return found


def has_syslog_lines(head_lines: list[str]) -> bool:
    """Lines with a syslog/journal header that are not kernel messages (corosync, hostapd...)."""
    return any(parse_syslog_header(line) is not None for line in head_lines[:200] if line)
