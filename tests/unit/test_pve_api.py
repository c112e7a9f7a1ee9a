"""Proxmox VE API bodies: endpoint detection, records, votes from /cluster/status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labconsole.parse.block_sniff import looks_like_pve_api
from labconsole.parse.pve_api import (
    PveApiParseError,
    detect_endpoint,
    endpoint_of,
    load_pve_json,
    parse_cluster_status,
    parse_network,
    parse_nodes,
    parse_pve_api,
    quorum_from_cluster_status,
)


def _read(fixtures: Path, name: str) -> str:
    return (fixtures / "blocks" / name).read_text()


def test_cluster_status_3of3_pvesh(fixtures: Path) -> None:
    body = parse_pve_api(_read(fixtures, "pve_cluster_status_3of3_pvesh.json"))
    assert body.endpoint == "cluster_status" and body.cluster_status is not None
    quorum = quorum_from_cluster_status(body.cluster_status)
    assert quorum is not None
    assert quorum.to_json() == {
        "quorate": True,
        "total_votes": 3,
        "expected_votes": 3,
        "quorum": None,
        "nodes": [
            {"nodeid": 1, "votes": 1, "name": "pve01", "local": True},
            {"nodeid": 2, "votes": 1, "name": "pve02", "local": False},
            {"nodeid": 3, "votes": 1, "name": "pve03", "local": False},
        ],
    }
    assert quorum.votes_inferred and quorum.cluster_name == "homelab"
    assert quorum.config_version == 3


def test_cluster_status_2of3_envelope_any_key_order(fixtures: Path) -> None:
    body = parse_pve_api(_read(fixtures, "pve_cluster_status_2of3_envelope.json"))
    assert body.cluster_status is not None
    assert [(n.name, n.online) for n in body.cluster_status.nodes] == [
        ("pve01", True),
        ("pve02", True),
        ("pve03", False),
    ]
    quorum = quorum_from_cluster_status(body.cluster_status)
    assert quorum is not None
    assert (quorum.total_votes, quorum.expected_votes, quorum.node_names()) == (
        2,
        3,
        ["pve01", "pve02"],
    )


def test_no_votes_without_cluster_row_or_complete_rows(fixtures: Path) -> None:
    rows = load_pve_json(_read(fixtures, "pve_cluster_status_3of3_pvesh.json"))
    assert quorum_from_cluster_status(parse_cluster_status(rows[1:])) is None  # no cluster row
    assert quorum_from_cluster_status(parse_cluster_status(rows[:3])) is None  # a row missing
    no_quorate = [{k: v for k, v in rows[0].items() if k != "quorate"}, *rows[1:]]
    assert quorum_from_cluster_status(parse_cluster_status(no_quorate)) is None
    no_id = [*rows[:3], {k: v for k, v in rows[3].items() if k != "nodeid"}]
    assert quorum_from_cluster_status(parse_cluster_status(no_id)) is None


def test_nodes_pretty(fixtures: Path) -> None:
    body = parse_pve_api(_read(fixtures, "pve_nodes_pretty.json"))
    assert body.endpoint == "nodes"
    pve01, pve03 = body.nodes
    assert (pve01.node, pve01.status, pve01.maxcpu, pve01.uptime, pve01.cpu) == (
        "pve01",
        "online",
        4,
        86123,
        0.0213,
    )
    assert (pve03.status, pve03.mem, pve03.uptime) == ("offline", None, None)
    assert pve01.to_json()["node"] == "pve01"


def test_network_envelope(fixtures: Path) -> None:
    body = parse_pve_api(_read(fixtures, "pve_network_pve01_envelope.json"))
    eno1, vmbr0, wlan = body.network
    assert (eno1.type, eno1.altnames, eno1.active, eno1.autostart) == (
        "eth",
        ("enp0s31f6",),
        True,
        None,
    )
    assert (vmbr0.bridge_ports, vmbr0.cidr, vmbr0.comments) == (
        ("eno1",),
        "10.0.10.11/24",
        "uplink\n",
    )
    assert vmbr0.extra == {"priority": 4, "bridge_stp": "off", "bridge_fd": "0"}
    assert (wlan.type, wlan.active) == ("unknown", None)
    assert vmbr0.to_json()["bridge_ports"] == ["eno1"]


def test_detect_endpoint() -> None:
    assert detect_endpoint([{"iface": "eno1"}]) == "network"
    assert detect_endpoint([{"node": "pve01", "status": "online"}]) == "nodes"
    assert detect_endpoint([{"type": "cluster", "name": "c"}]) == "cluster_status"
    assert detect_endpoint([{"type": "node", "name": "pve01"}]) == "cluster_status"
    assert detect_endpoint([{"vmid": 100}]) is None
    assert detect_endpoint([]) is None


def test_endpoint_of_text(fixtures: Path) -> None:
    assert endpoint_of(_read(fixtures, "pve_network_pve01_envelope.json")) == "network"
    assert endpoint_of(_read(fixtures, "pve_nodes_pretty.json")) == "nodes"
    assert endpoint_of(_read(fixtures, "pve_cluster_status_2of3_envelope.json")) == (
        "cluster_status"
    )
    assert endpoint_of("[]") is None
    assert endpoint_of("{oops") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ('{"data": null, "errors": {"node": "bad"}}', "without data"),
        ("[1, 2]", "not a list of objects"),
        ('"text"', "not a list of objects"),
        ('[{"vmid": 100}]', "no known endpoint"),
        ('[{"type": "node"}]', "no known endpoint"),
        ('[{"type": "cluster", "nodes": 3}]', "row 0: no 'name' field"),
        ('[{"type": "cluster", "name": "c", "quorate": 2}]', "'quorate' is 2, not 0 or 1"),
        ('[{"type": "cluster", "name": "c", "nodes": 1.5}]', "not an integer"),
        ('[{"type": "cluster", "name": "c", "nodes": "x"}]', "not a number"),
        ('[{"type": "node", "name": 7}]', "'name' is 7, not text"),
        ('[{"iface": "eno1", "altnames": [1]}]', "not a list of names"),
        ('[{"iface": "eno1", "priority": 1}, {"type": "eth"}]', "row 1: no 'iface'"),
        ('{"id":"cluster","name":"x","type":"cluster"},\n{broken', "not JSON"),
    ],
)
def test_errors_are_specific(text: str, message: str) -> None:
    with pytest.raises(PveApiParseError, match=message):
        parse_pve_api(text)


def test_single_row_object_and_direct_parsers() -> None:
    row = {"iface": "eno1", "type": "eth", "active": True}
    assert parse_network(json.dumps(row))[0].active is True
    assert parse_nodes('[{"node": "pve01"}]')[0].status is None


def test_sniffer(fixtures: Path) -> None:
    assert looks_like_pve_api(_read(fixtures, "pve_nodes_pretty.json"))
    assert looks_like_pve_api('   {"id":"cluster","nodes":3,"quorate":1,"type":"cluster"},')
    assert not looks_like_pve_api('{"a": 1}')
    assert not looks_like_pve_api(_read(fixtures, "pvecm_pve01_3of3.txt"))


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["type", "name", "node", "iface", "nodes", "quorate", "online", "nodeid", "data"]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_JSON.map(json.dumps), st.text(max_size=60)))
def test_arbitrary_input_raises_only_pve_api_parse_error(text: str) -> None:
    try:
        body = parse_pve_api(text)
    except PveApiParseError:
        return
    if body.cluster_status is not None:
        quorum_from_cluster_status(body.cluster_status)
