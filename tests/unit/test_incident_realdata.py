"""The report over the real third-party samples: never a crash, and the right kind of cause."""

from __future__ import annotations

from pathlib import Path

import pytest

from labconsole.incident.report import report_from_paths
from labconsole.incident.report_json import report_json
from labconsole.incident.report_md import render_markdown


def _logs(realdata: Path) -> list[Path]:
    return sorted((realdata / "logs").iterdir())


def test_every_sample_log_reports_without_errors(realdata: Path) -> None:
    for path in _logs(realdata):
        report = report_from_paths([path], year=2025)
        assert report.errors == [], path.name
        md = render_markdown(report)
        assert md.startswith("# Incident report"), path.name
        report_json(report)


@pytest.mark.parametrize(("name", "kinds"), [
    ("e1000e_01.log", ["stuck_tx_ring"]),
    ("e1000e_02.log", ["nic_hang"]),
    ("nic_watchdog_01_r8169.log", ["nic_hang"]),
    ("nic_linkflap_01_e1000e_100M.log", ["link_down"]),
    ("unifi_cef_07_internet_down.log", ["device_offline"]),
    ("unifi_cef_01_ips_block_syslog_prefix_9.4.19.log", []),  # IPS block: not an outage
    ("unifi_cef_13_wired_client_connected.log", []),
    ("corosync_01_knet_down_members_left.log", ["link_down"]),  # knet: link 0 to host 3 down
    ("corosync_05_pmxcfs_node_lost_quorum.log", ["quorum_lost"]),  # pmxcfs: node lost quorum
])
def test_cause_kind_per_sample(realdata: Path, name: str, kinds: list[str]) -> None:
    report = report_from_paths([realdata / "logs" / name], year=2025)
    assert [r.cause.kind for r in report.incidents] == kinds


def test_resets_without_hang_dump_are_named(realdata: Path) -> None:
    report = report_from_paths([realdata / "logs" / "e1000e_17.log"], year=2025)
    assert report.incidents
    assert {r.cause.kind for r in report.incidents} == {"nic_reset"}
