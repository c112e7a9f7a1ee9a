"""parse_quorum on the project's own fixtures and on hand-made variations of the format."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labconsole.parse.block_sniff import looks_like_quorum
from labconsole.parse.quorum import QuorumParseError, parse_quorum


def _read(fixtures: Path, name: str) -> str:
    return (fixtures / "blocks" / name).read_text()


def _nodes(text: str) -> list[tuple[int, int, str, bool]]:
    return [(n.nodeid, n.votes, n.name, n.local) for n in parse_quorum(text).nodes]


def test_corosync3_3of3(fixtures: Path) -> None:
    status = parse_quorum(_read(fixtures, "corosync3_pve01_3of3_quorumtool.txt"))
    assert status.to_json() == {
        "quorate": True,
        "total_votes": 3,
        "expected_votes": 3,
        "quorum": 2,
        "nodes": [
            {"nodeid": 1, "votes": 1, "name": "pve01", "local": True},
            {"nodeid": 2, "votes": 1, "name": "pve02", "local": False},
            {"nodeid": 3, "votes": 1, "name": "pve03", "local": False},
        ],
    }
    assert status.flags == ("Quorate",)
    assert status.ring_id == "1.2c" and status.local_nodeid == 1


def test_corosync3_2of3_pve03_gone(fixtures: Path) -> None:
    status = parse_quorum(_read(fixtures, "corosync3_pve01_2of3_quorumtool.txt"))
    assert (status.quorate, status.total_votes, status.expected_votes) == (True, 2, 3)
    assert status.node_names() == ["pve01", "pve02"]


def test_pvecm_hex_ids_and_cluster_information(fixtures: Path) -> None:
    status = parse_quorum(_read(fixtures, "pvecm_pve01_3of3.txt"))
    assert [n.nodeid for n in status.nodes] == [1, 2, 3]
    assert (status.cluster_name, status.config_version, status.transport, status.secure_auth) == (
        "homelab",
        3,
        "knet",
        "on",
    )
    two = parse_quorum(_read(fixtures, "pvecm_pve01_2of3.txt"))
    assert (two.total_votes, two.expected_votes, len(two.nodes)) == (2, 3, 2)


def test_isolated_node_not_quorate(fixtures: Path) -> None:
    status = parse_quorum(_read(fixtures, "corosync3_pve03_1of3_not_quorate.txt"))
    assert status.quorate is False and status.activity_blocked is True
    assert (status.total_votes, status.expected_votes, status.quorum, status.flags) == (1, 3, 2, ())
    assert _nodes(_read(fixtures, "corosync3_pve03_1of3_not_quorate.txt")) == [
        (3, 1, "pve03", True)
    ]


def test_no_blank_lines_and_local_from_node_id(fixtures: Path) -> None:
    text = _read(fixtures, "corosync2_pve02_no_blank_lines_no_local_marker.txt")
    assert _nodes(text) == [(1, 1, "pve01", False), (2, 1, "pve02", True), (3, 1, "pve03", False)]


def test_fragment_votequorum_only(fixtures: Path) -> None:
    status = parse_quorum(_read(fixtures, "fragment_votequorum_only.txt"))
    assert (status.quorate, status.total_votes, status.expected_votes, status.nodes) == (
        True,
        2,
        3,
        (),
    )
    assert status.local_nodeid is None and status.cluster_name is None


def test_qdevice_row_is_not_a_node(fixtures: Path) -> None:
    status = parse_quorum(_read(fixtures, "qdevice_two_nodes_indented.txt"))
    assert _nodes(_read(fixtures, "qdevice_two_nodes_indented.txt")) == [
        (1, 1, "pve01", False),
        (2, 1, "pve02", True),
    ]
    assert status.qdevice is True and status.qdevice_votes == 1
    assert status.total_votes == 3  # as printed: the qdevice vote is counted in it


def test_qdevice_flag_without_row() -> None:
    text = "Expected votes: 3\nTotal votes: 3\nQuorum: 2\nFlags: Quorate Qdevice\n"
    status = parse_quorum(text)
    assert status.qdevice is True and status.qdevice_votes is None


def test_crlf_trailing_spaces_and_tilde_underlines(fixtures: Path) -> None:
    text = _read(fixtures, "pvecm_pve01_3of3.txt").replace("-----", "~~~~~")
    crlf = "\r\n".join(line + "   " for line in text.splitlines()) + "\r\n"
    assert parse_quorum(crlf) == parse_quorum(text)


def test_whole_block_indented_with_prompt(fixtures: Path) -> None:
    text = _read(fixtures, "corosync3_pve01_2of3_quorumtool.txt")
    indented = " # corosync-quorumtool -s\n" + "".join(
        "      " + line for line in text.splitlines(keepends=True)
    )
    assert parse_quorum(indented) == parse_quorum(text)


def test_ipv6_names_are_not_key_values() -> None:
    text = (
        "Expected votes: 2\nTotal votes: 2\nFlags: Quorate\nMembership information\n"
        "Nodeid Votes Name\n1 1 fd00::11 (local)\n2 1 fd00::12\n"
    )
    assert _nodes(text) == [(1, 1, "fd00::11", True), (2, 1, "fd00::12", False)]


def test_last_of_several_outputs_wins(fixtures: Path) -> None:
    first = _read(fixtures, "corosync3_pve01_3of3_quorumtool.txt")
    second = _read(fixtures, "corosync3_pve01_2of3_quorumtool.txt")
    status = parse_quorum(first + "\n" + second)
    assert status.total_votes == 2 and status.node_names() == ["pve01", "pve02"]


def test_total_votes_missing_is_the_listed_sum() -> None:
    text = "Expected votes: 3\nQuorate: Yes\nMembership information\n1 1 a\n2 1 b (local)\n"
    status = parse_quorum(text)
    assert status.total_votes == 2 and status.quorate is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no quorum status"),
        ("hello: world\n", "no quorum status"),
        ("Quorum information\nQuorate: Yes\n", "Expected votes"),
        ("Expected votes: 3\nTotal votes: 2\n", "tell quorate"),
        ("Expected votes: x3\nTotal votes: 2\nQuorate: Yes\n", "line 1: 'x3' is not a number"),
        ("Expected votes: 3\nTotal votes: 2\nQuorate: Maybe\n", "Yes or No"),
        ("Expected votes: -1\nTotal votes: 2\nQuorate: No\n", "'-1' is not a number"),
        ("Expected votes: \u0663\nTotal votes: 2\nQuorate: No\n", "is not a number"),
        ("Expected votes:\nTotal votes: 2\nQuorate: Yes\n", "has no value"),
        ("Votequorum information\nQuorate: Yes\nExpected votes: 3\n", "Total votes"),
    ],
)
def test_errors_are_specific(text: str, message: str) -> None:
    with pytest.raises(QuorumParseError, match=message):
        parse_quorum(text)


def test_sniffer(fixtures: Path) -> None:
    assert looks_like_quorum(_read(fixtures, "fragment_votequorum_only.txt"))
    assert not looks_like_quorum(_read(fixtures, "ethtool_i_eno1_e1000e.txt"))
    assert not looks_like_quorum("Nov 25 06:19:02 pve03 kernel: e1000e eno1: quorum lost\n")


_LINES = st.sampled_from(
    [
        "Quorum information",
        "Membership information",
        "Votequorum information",
        "Expected votes: 3",
        "Total votes: 0x",
        "Quorate: Yes",
        "Flags:",
        "Quorum: 2 Activity blocked",
        "0x00000001 1 pve01 (local)",
        "    Nodeid      Votes    Qdevice Name",
        "0x00000000 1 Qdevice",
        "Node ID: 0xzz",
        "1 99999999999999999999 x",
        "---",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_LINES, st.text(max_size=40)), max_size=25))
def test_arbitrary_text_raises_only_quorum_parse_error(lines: list[str]) -> None:
    try:
        status = parse_quorum("\n".join(lines))
    except QuorumParseError:
        return
    assert status.total_votes >= 0 and status.expected_votes >= 0
