"""The small block formats parsed whole: quorum status, ethtool -k/-i, interfaces, API JSON.

Imported by the scanner only when the sniffers (``labconsole.parse.block_sniff``) found one
in an input's head, so that scanning a log never loads these parsers and their models.
"""

from __future__ import annotations

from labconsole.parse.ethtool import EthtoolParseError, parse_driver_info, parse_features_all
from labconsole.parse.interfaces import InterfacesParseError, parse_interfaces
from labconsole.parse.offload_persist import all_persistence
from labconsole.parse.pve_api import PveApiParseError, parse_pve_api, quorum_from_cluster_status
from labconsole.parse.quorum import QuorumParseError, parse_quorum
from labconsole.scan.report import FileReport


def scan_blocks(text: str, kinds: list[str], report: FileReport) -> None:
    """Parse ``text`` as each of ``kinds``: a kind that parses is added to the report, one
    that does not becomes an error entry."""
    report.lines = _count_lines(text)
    for kind in kinds:
        try:
            _parse_block(kind, text, report)
        except (QuorumParseError, EthtoolParseError, InterfacesParseError,
                PveApiParseError) as exc:
            report.add_error(f"{kind}: {exc}")
        else:
            report.add_kind(kind)


def _parse_block(kind: str, text: str, report: FileReport) -> None:
    if kind == "quorum_status":
        report.quorum = parse_quorum(text)
    elif kind == "ethtool_features":
        found = parse_features_all(text)
        report.offloads = found[0]
        if len(found) > 1:
            report.extra["offloads_all"] = [o.to_json() for o in found]
    elif kind == "ethtool_driver":
        report.extra["driver"] = parse_driver_info(text).to_json()
    elif kind == "interfaces":
        model = parse_interfaces(text)
        report.extra["interfaces"] = [
            {"name": s.name, "family": s.family, "method": s.method} for s in model.ifaces()
        ]
        # per bridge and port: is the offload fix persisted for good (issue 15 item 3)
        report.extra["offload_hooks"] = [p.to_json() for p in all_persistence(model)]
    elif kind == "pve_api":
        body = parse_pve_api(text)
        report.extra["pve_api"] = body.to_json()
        if body.cluster_status is not None:
            quorum = quorum_from_cluster_status(body.cluster_status)
            if quorum is not None:
                report.quorum = quorum


def _count_lines(text: str) -> int:
    if not text:
        return 0
    return text.count("\n") + (0 if text.endswith("\n") else 1)
