"""The block parsers on every real published sample of their formats (P*, Q*, T*, I*, A*).

Expected values were written by reading each sample; the samples stay in ../shared/realdata
(the ``realdata`` fixture skips where that folder is absent).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from labconsole.parse.block_sniff import (
    looks_like_ethtool_driver,
    looks_like_ethtool_features,
    looks_like_interfaces,
    looks_like_pve_api,
    looks_like_quorum,
)
from labconsole.parse.ethtool import (
    parse_driver_info,
    parse_features,
)
from labconsole.parse.interfaces import InterfacesFile, parse_interfaces
from labconsole.parse.pve_api import (
    parse_pve_api,
    quorum_from_cluster_status,
)
from labconsole.parse.quorum import parse_quorum

# id -> (file, quorate, total, expected, quorum, [(nodeid, votes, name, local)], extra checks)
_Nodes = list[tuple[int, int, str, bool]]
QUORUM: dict[str, tuple[str, bool, int, int, int, _Nodes, dict[str, Any]]] = {
    "P01": (
        "pvecm_raw/pvecm_01_pvedocs_asciidoc.txt", True, 4, 4, 3,
        [(1, 1, "192.168.15.91", False), (2, 1, "192.168.15.92", True),
         (3, 1, "192.168.15.93", False), (4, 1, "192.168.15.94", False)],
        {"cluster_name": "prod-central", "config_version": 3, "transport": "knet",
         "secure_auth": "on", "local_nodeid": 1, "ring_id": "1.1a8", "qdevice": False},
    ),
    "P02": (
        "pvecm_raw/pvecm_02_single_node_quorate_knet_2020.txt", True, 1, 1, 1,
        [(1, 1, "192.168.0.150", True)],
        {"cluster_name": "local-cluster", "config_version": 1, "flags": ("Quorate",)},
    ),
    "P04": (
        "pvecm_raw/pvecm_04_two_node_NOT_quorate_2017.txt", False, 1, 2, 2,
        [(2, 1, "10.10.10.102", True)],
        {"activity_blocked": True, "flags": (), "cluster_name": None, "ring_id": "2/196"},
    ),
    "P06": (
        "pvecm_raw/pvecm_06_NOT_quorate_knet_2023_empty_membership.txt", False, 1, 3, 2, [],
        {"activity_blocked": True, "cluster_name": "Venusto", "local_nodeid": 3,
         "node_count": 1},
    ),
    "P07": (
        "pvecm_raw/pvecm_07_qdevice_quorate_2026.txt", True, 3, 4, 3,
        [(1, 1, "192.168.51.239", False), (2, 1, "192.168.50.218", True)],
        {"qdevice": True, "qdevice_votes": 1, "flags": ("Quorate", "Qdevice")},
    ),
    "Q01": (
        "pvecm_raw/cqt_01_corosync2_no_blank_lines_2016.txt", True, 2, 2, 2,
        [(2, 1, "10.10.10.26", True), (1, 1, "10.10.10.91", False)],
        {"ring_id": "24", "highest_expected": 2},
    ),
    "Q03": (
        "pvecm_raw/cqt_03_pcs_debug_quorumtool_p_NOT_quorate_2node_indented.txt",
        False, 1, 2, 1,
        [(1, 1, "master-0.ostest.test.metalkube.org", True)],
        {"activity_blocked": True, "flags": ("2Node", "WaitForAll"), "qdevice": False},
    ),
}  # fmt: skip


@pytest.mark.parametrize("sample", sorted(QUORUM))
def test_quorum_samples(realdata: Path, sample: str) -> None:
    path, quorate, total, expected, quorum, nodes, extra = QUORUM[sample]
    text = (realdata / path).read_text()
    assert looks_like_quorum(text)
    status = parse_quorum(text)
    assert status.quorate is quorate
    assert (status.total_votes, status.expected_votes, status.quorum) == (total, expected, quorum)
    assert [(n.nodeid, n.votes, n.name, n.local) for n in status.nodes] == nodes
    for key, value in extra.items():
        assert getattr(status, key) == value, key


DRIVER = {
    "T01": ("ethtool_i_01_pve03_e1000e.txt", "6.8.12-4-pve", "0.8-4", "0000:00:1f.6", "yes"),
    "T02": ("ethtool_i_02_pve02_e1000e.txt", "6.8.12-10-pve", "0.13-4", "0000:00:19.0", "yes"),
    "T04": ("ethtool_i_04_ubuntuforums_e1000e_3.2.6-k.txt", "3.2.6-k", "0.5-4", "0000:00:1f.6",
            "no"),
}  # fmt: skip


@pytest.mark.parametrize("sample", sorted(DRIVER))
def test_ethtool_driver_samples(realdata: Path, sample: str) -> None:
    name, version, firmware, bus, priv = DRIVER[sample]
    text = (realdata / "ethtool_raw" / name).read_text()
    assert looks_like_ethtool_driver(text) and not looks_like_ethtool_features(text)
    info = parse_driver_info(text)
    assert (info.driver, info.version, info.firmware, info.bus) == (
        "e1000e",
        version,
        firmware,
        bus,
    )
    assert info.fields["expansion-rom-version"] == ""
    assert info.fields["supports-priv-flags"] == priv
    assert len(info.fields) == 10


def test_ethtool_features_full_t06(realdata: Path) -> None:
    text = (realdata / "ethtool_raw" / "ethtool_k_05_full_e1000e_centos7.txt").read_text()
    assert looks_like_ethtool_features(text) and not looks_like_ethtool_driver(text)
    off = parse_features(text)
    assert off.device == "eno1"
    assert (off.tso, off.gso, off.gro) == (True, True, True)
    assert len(off.features) == 51
    assert off.features["tx-checksum-ipv4"] == "off [fixed]"  # indented sub-feature
    assert off.features["tx-tcp-mangleid-segmentation"] == "off"
    assert off.features["highdma"] == "on [fixed]"
    assert off.flag("large-receive-offload") is False
    assert off.features["rx-udp_tunnel-port-offload"] == "off [fixed]"


def test_ethtool_features_grepped_t08(realdata: Path) -> None:
    text = (realdata / "ethtool_raw" / "ethtool_k_grep_offload_01_pve03.txt").read_text()
    off = parse_features(text)
    assert off.device == "enp0s31f6"  # no header, but the pasted command names it
    assert (off.tso, off.gso, off.gro) == (False, True, True)
    assert len(off.features) == 18
    assert off.features["hsr-dup-offload"] == "off [fixed]"
    assert off.to_json()["tso"] is False


# id -> (file, iface stanzas, bridge_for(eno1), hook (stanza, keyword, device, tso/gso/gro off))
INTERFACES: dict[str, tuple[str, list[str], str | None, tuple[str, str, str, bool] | None]] = {
    "I01": ("interfaces_01_majabojarska.txt", ["lo", "eno1", "vmbr0"], "vmbr0",
            ("eno1", "post-up", "eno1", True)),
    "I02": ("interfaces_02_pve_persisted_vmbr0_postup.txt",
            ["lo", "eno1", "vmbr0", "wlp0s20f3"], "vmbr0", ("eno1", "post-up", "eno1", True)),
    "I04": ("interfaces_04_pve_eno1_postup_full_offloads.txt", ["eno1", "vmbr0"], "vmbr0",
            ("eno1", "post-up", "eno1", True)),
    "I05": ("interfaces_05_up_instead_of_postup.txt", ["eno1"], None,
            ("eno1", "up", "eno1", False)),
    "I07": ("interfaces_07_postup_logger_chain_IFACE.txt", ["eno1"], None,
            ("eno1", "post-up", "$IFACE", True)),
}  # fmt: skip


@pytest.mark.parametrize("sample", sorted(INTERFACES))
def test_interfaces_samples(realdata: Path, sample: str) -> None:
    name, ifaces, bridge, hook = INTERFACES[sample]
    raw = (realdata / "interfaces_raw" / name).read_bytes()
    text = raw.decode()
    assert looks_like_interfaces(text)
    model = parse_interfaces(text)
    assert model.render().encode() == raw
    assert model.problems == ()
    assert [s.name for s in model.ifaces()] == ifaces
    assert model.bridge_for("eno1") == bridge
    found = model.find_offload_hook("eno1")
    assert hook is not None and found is not None
    assert (found.stanza, found.keyword, found.device, found.disables("tso", "gso", "gro")) == hook
    assert found.disables("tso")
    assert model.find_offload_hook("eno9") is None


def test_interfaces_i02_vmbr0_hook_is_for_vmbr0_not_eno1(realdata: Path) -> None:
    text = (realdata / "interfaces_raw" / INTERFACES["I02"][0]).read_text()
    model = InterfacesFile.parse(text)
    assert [h.stanza for h in model.find_offload_hooks("eno1")] == ["eno1"]
    assert [h.stanza for h in model.find_offload_hooks("vmbr0")] == ["vmbr0"]
    assert model.stanza("vmbr0").values("address") == ["192.168.16.12/24"]
    assert [s.kind for s in model.stanzas][-1] == "source"


@pytest.mark.parametrize("sample", sorted(INTERFACES))
def test_interfaces_samples_edit_and_revert(realdata: Path, sample: str) -> None:
    text = (realdata / "interfaces_raw" / INTERFACES[sample][0]).read_text()
    model = InterfacesFile.parse(text)
    command = "/sbin/ethtool -K eno1 tso off gso off gro off"
    edited = model.with_post_up("eno1", command)
    added = set(edited.render().splitlines()) - set(text.splitlines())
    if sample == "I02":  # the same line is already there: nothing to add
        assert edited.render() == text
    else:
        assert len(added) == 1 and added.pop().endswith(f"post-up {command}")
        assert edited.with_post_up("eno1", command).render() == edited.render()
        assert edited.without_post_up("eno1", command).render() == text


def test_pve_api_a01_standalone(realdata: Path) -> None:
    text = realdata / "pve_api_raw" / "api_01_cluster_status_standalone_pvesh_9.1.1.json"
    body = parse_pve_api(text.read_text())
    assert looks_like_pve_api(text.read_text())
    assert body.endpoint == "cluster_status" and body.cluster_status is not None
    assert body.cluster_status.cluster is None
    [node] = body.cluster_status.nodes
    assert (node.name, node.nodeid, node.ip, node.online, node.local, node.level) == (
        "aghub",
        0,
        "192.168.0.10",
        True,
        True,
        "",
    )
    assert quorum_from_cluster_status(body.cluster_status) is None  # no cluster row: no votes


def test_pve_api_a02_trimmed_cluster_rows(realdata: Path) -> None:
    text = (realdata / "pve_api_raw" / "api_02_cluster_status_homelab_lab_trimmed.txt").read_text()
    assert looks_like_pve_api(text)
    body = parse_pve_api(text)
    assert body.cluster_status is not None
    cluster = body.cluster_status.cluster
    assert cluster is not None
    assert (cluster.name, cluster.quorate, cluster.nodes, cluster.version) == (
        "Homelab-Lab",
        True,
        4,
        7,
    )
    [node] = body.cluster_status.nodes
    assert (node.name, node.ip, node.online, node.nodeid, node.local) == (
        "workstation2",
        "192.168.50.56",
        True,
        None,
        None,
    )
    # one node row of four: the votes are not implied, so no QuorumStatus is made up
    assert quorum_from_cluster_status(body.cluster_status) is None


def test_pve_api_a04_network_envelope(realdata: Path) -> None:
    text = (realdata / "pve_api_raw" / "api_04_nodes_pve_network_raw_api2_json.json").read_text()
    assert looks_like_pve_api(text)
    body = parse_pve_api(text)
    assert body.endpoint == "network"
    bridge, nic = body.network
    assert (bridge.iface, bridge.type, bridge.active, bridge.bridge_ports) == (
        "vmbr0",
        "bridge",
        True,
        ("nic0",),
    )
    assert (bridge.cidr, bridge.gateway, bridge.autostart) == (
        "192.168.200.134/24",
        "192.168.200.2",
        True,
    )
    assert bridge.extra["bridge_stp"] == "off"
    assert (nic.iface, nic.type, nic.exists, nic.altnames) == (
        "nic0",
        "eth",
        True,
        ("enp2s1", "enx000c29d37e5a"),
    )


@pytest.mark.parametrize("folder", ["pvecm_raw", "ethtool_raw", "interfaces_raw", "pve_api_raw"])
def test_sniffers_pick_only_their_own_kind(realdata: Path, folder: str) -> None:
    sniffers = {
        "pvecm_raw": looks_like_quorum,
        "ethtool_raw": lambda t: looks_like_ethtool_features(t) or looks_like_ethtool_driver(t),
        "interfaces_raw": looks_like_interfaces,
        "pve_api_raw": looks_like_pve_api,
    }
    for path in sorted((realdata / folder).iterdir()):
        text = path.read_text()
        hits = [name for name, sniff in sniffers.items() if sniff(text)]
        assert hits == [folder], path.name


@pytest.mark.parametrize("folder", ["logs", "cef_raw"])
def test_sniffers_ignore_logs_and_cef(realdata: Path, folder: str) -> None:
    sniffers = [
        looks_like_quorum,
        looks_like_ethtool_features,
        looks_like_ethtool_driver,
        looks_like_interfaces,
        looks_like_pve_api,
    ]
    paths = sorted((realdata / folder).iterdir())
    assert paths
    for path in paths:
        text = path.read_bytes()[:65536].decode("utf-8", errors="replace")
        assert [s.__name__ for s in sniffers if s(text)] == [], path.name
