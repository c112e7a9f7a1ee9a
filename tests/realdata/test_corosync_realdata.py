"""The facts a human reads off each real corosync / pmxcfs / pacemaker sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from labconsole.parse.corosync_log import QuorumFactReader, membership_in_line

YEAR = 2026
# (file, [(line, kind, host, nodes)]): exactly the facts, in order.
EXPECTED: dict[str, list[tuple[int, str, str | None, tuple[str, ...]]]] = {
    "corosync_01_knet_down_members_left.log": [
        (1, "link_down", "arch-coro1", ("3",)),
        (8, "member_left", "arch-coro1", ("3",)),
    ],
    "corosync_03_pve_members_left_pmxcfs.log": [
        (2, "member_left", "px1", ("1",)),
        (12, "member_joined", "px1", ("1",)),
    ],
    "corosync_05_pmxcfs_node_lost_quorum.log": [(2, "quorum_lost", "homelab2", ())],
    "corosync_07_qdevice_processor_failed_old_format.log": [(4, "member_left", "test1", ("2",))],
    "corosync_09_azure_docs_anonymized_host.log": [(1, "link_down", "node  02", ("2",))],
    "corosync_11_knet_stripped_no_host.log": [(1, "link_up", None, ("2",))],
    "corosync_12_logfile_function_names_trailing_spaces.log": [
        (2, "member_left", "paas-controller-192-162-1-53", ("162001054",)),
    ],
    "corosync_13_votequorum_debug_pacemaker_node_lost.log": [
        (10, "member_left", "node2", ("node1",)),  # logged by two daemons: one fact
    ],
    "corosync_14_pacemaker_plugin_quorum_lost_sle11.log": [
        (1, "quorum_lost", "sle11sp3-1", ()),
        (2, "member_left", "sle11sp3-1", ("sle11sp3-2",)),
    ],
    "corosync_15_double_timestamp_debug_merge.log": [],  # a merge: nobody left or joined
    "corosync_21_corosync2_iso_nonprimary_members_left_two.log": [
        (2, "member_left", "T3PRPDB011", ("1", "2")),
        (4, "quorum_lost", "T3PRPDB011", ()),
    ],
    "corosync_22_logfile_no_date_glued_priority_indented.log": [
        (2, "member_left", "ssc-vm-1550.colo.seagate.com", ("4", "3")),
        (6, "quorum_lost", "ssc-vm-1550.colo.seagate.com", ()),
        (9, "quorum_lost", "ssc-vm-1550.colo.seagate.com", ()),  # pacemaker's own words
        (10, "member_left", "ssc-vm-1550.colo.seagate.com", ("ssc-vm-1558.colo.seagate.com",)),
    ],
}


def _facts(path: Path) -> list[tuple[int, str, str | None, tuple[str, ...]]]:
    reader = QuorumFactReader(default_year=YEAR)
    out = []
    with path.open(encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            out += [(e.lineno, e.kind, e.host, e.nodes) for e in reader.feed_line(line, n)]
    return out


def test_every_corosync_sample_is_covered(realdata: Path) -> None:
    assert sorted(p.name for p in (realdata / "logs").glob("corosync_*")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_facts_of_each_sample(realdata: Path, name: str) -> None:
    assert _facts(realdata / "logs" / name) == EXPECTED[name]


def test_times_come_from_each_line(realdata: Path) -> None:
    reader = QuorumFactReader(default_year=YEAR)
    path = realdata / "logs" / "corosync_21_corosync2_iso_nonprimary_members_left_two.log"
    facts = [f for line in path.open(encoding="utf-8") for f in reader.feed_line(line)]
    assert [f.at.isoformat() if f.at else None for f in facts] == [
        "2022-04-04T19:51:16.081236+01:00", "2022-04-04T19:51:16.081685+01:00"]
    assert facts[0].ring_id == "10.121.239.29:2016"


def test_member_lists(realdata: Path) -> None:
    path = realdata / "logs" / "corosync_01_knet_down_members_left.log"
    seen = [m for n, line in enumerate(path.open(encoding="utf-8"), 1)
            if (m := membership_in_line(line, default_year=YEAR, lineno=n))]
    assert [(m.lineno, m.host, m.members) for m in seen] == [(10, "arch-coro1", ("1", "2"))]
