"""Domain state built from events: votes, NICs, kernel log with hang episodes, timeline."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from labconsole.demo.generate import ethtool_driver, ethtool_features, hang_block, pvecm_status
from labconsole.events import (
    ApiJson,
    ConnectionChange,
    KernelText,
    NicText,
    OperatorAction,
    QuorumText,
    SyslogText,
)
from labconsole.state.console_state import ConsoleState, cef_severity
from labconsole.state.kernel_log import episode_summary

T0 = datetime(2025, 11, 8, 6, 10, 0, tzinfo=timezone.utc)


def _quorum(state: ConsoleState, at: datetime, present: tuple[str, ...]) -> set[str]:
    return state.apply(QuorumText(at=at, source="ssh:pve01", node="pve01",
                                  text=pvecm_status(at, present), cluster="homelab"))


def test_a_node_that_leaves_is_gone_and_on_the_timeline() -> None:
    s = ConsoleState()
    assert "votes" in _quorum(s, T0, ("pve01", "pve02", "pve03"))
    _quorum(s, T0 + timedelta(seconds=30), ("pve01", "pve02"))
    c = s.votes.clusters["homelab"]
    view = c.views["pve01"]
    assert (view.total_votes, view.expected_votes, view.quorate) == (2, 3, True)
    assert view.source == "quorumtool" and view.members == {"pve01", "pve02"}
    assert c.out_since == {"pve03": T0 + timedelta(seconds=30)}
    assert c.changed["pve01"] == T0 + timedelta(seconds=30)
    facts = [(e.fact.kind, e.fact.node) for e in s.timeline.entries]
    assert ("vote_left", "pve03") in facts and ("view_changed", "pve01") in facts
    _quorum(s, T0 + timedelta(seconds=60), ("pve01", "pve02", "pve03"))
    assert not c.out_since
    assert ("vote_joined", "pve03") in [(e.fact.kind, e.fact.node) for e in s.timeline.entries]


def test_the_same_status_twice_adds_nothing_to_the_timeline() -> None:
    s = ConsoleState()
    _quorum(s, T0, ("pve01", "pve02", "pve03"))
    before = len(s.timeline.entries)
    assert _quorum(s, T0 + timedelta(seconds=30), ("pve01", "pve02", "pve03")) == {"votes"}
    assert len(s.timeline.entries) == before


def test_losing_quorum_is_an_error() -> None:
    s = ConsoleState()
    _quorum(s, T0, ("pve01", "pve02", "pve03"))
    _quorum(s, T0 + timedelta(seconds=5), ("pve01",))
    pic = s.votes.clusters["homelab"].picture()
    assert pic.kind == "agree" and pic.quorate is False
    lost = [e for e in s.timeline.entries if e.fact.kind == "quorum_lost"]
    assert len(lost) == 1 and lost[0].severity == "error"


def test_garbage_quorum_text_is_reported_not_raised() -> None:
    s = ConsoleState()
    changed = s.apply(QuorumText(at=T0, source="ssh:pve01", node="pve01", text="hello"))
    assert changed == {"health"}
    assert s.error_count == 1 and "quorum text not understood" in str(s.errors[0])


def _nic(on: bool, at: datetime = T0, link: str = "up") -> NicText:
    return NicText(at=at, source="ssh:pve03", node="pve03", iface="eno1",
                   features=ethtool_features(on), driver=ethtool_driver("pve03"), link=link,
                   speed="1000Mb/s")


def test_e1000e_with_tso_gso_on_is_flagged_and_the_fix_clears_it() -> None:
    s = ConsoleState()
    s.apply(_nic(True))
    nic = s.nics.nics[("pve03", "eno1")]
    assert nic.driver == "e1000e" and nic.firmware == "0.4-4"
    assert nic.warning == "e1000e tso/gso on: known TX hang race"
    s.apply(_nic(False, T0 + timedelta(minutes=1)))
    assert nic.warning is None and nic.flag("generic-receive-offload") is False
    assert s.timeline.entries[-1].text == "pve03 eno1 tso off gso off gro off"


def test_link_reported_by_kernel_and_ethtool_is_one_timeline_entry() -> None:
    s = ConsoleState()
    s.apply(_nic(True))
    s.apply(KernelText(at=T0, source="ssh:pve03", node="pve03",
                       text="Nov 08 06:10:00 pve03 kernel: e1000e 0000:00:1f.6 eno1: NIC Link "
                            "is Down"))
    s.apply(_nic(True, T0 + timedelta(seconds=2), link="down"))
    downs = [e for e in s.timeline.entries if e.text == "pve03 eno1 link down"]
    assert len(downs) == 1 and downs[0].severity == "warning"
    assert s.nics.nics[("pve03", "eno1")].link == "down"


def test_hang_reports_fold_into_one_episode_with_its_lines() -> None:
    s = ConsoleState()
    for i in range(5):
        for ev in hang_block(T0 + timedelta(seconds=2 * i), i):
            s.apply(ev)
    s.apply(KernelText(at=T0 + timedelta(seconds=20), source="ssh:pve03", node="pve03",
                       text="Nov 08 06:10:20 pve03 kernel: something else"))
    assert len(s.log.episodes) == 1
    ref = s.log.episodes[0]
    assert ref.episode.reports == 5 and ref.episode.stuck is True
    assert ref.summary == "e1000e eno1 hang x 5, TDH stuck at <f6> since 06:10:00"
    in_episode = [e for e in s.log.entries if e.episode_id == ref.id]
    assert len(in_episode) == 5 * 15 and len(ref.seqs) == 75
    assert s.log.entries[-1].episode_id is None and s.log.entries[-1].severity == "info"
    hangs = [e for e in s.timeline.entries if e.kind == "hang"]
    # updated in place, not 5 entries
    assert len(hangs) == 1 and hangs[0].fact.hang is not None
    assert episode_summary(hangs[0].fact.hang) == ref.summary
    assert hangs[0].fact.hang.reports == 5 and hangs[0].fact.episode_id == ref.id


def test_kernel_store_is_bounded() -> None:
    from labconsole.state.kernel_log import KernelLogStore

    store = KernelLogStore(capacity=100)
    for i in range(250):
        store.add("pve01", f"Nov 08 06:10:{i % 60:02d} pve01 kernel: line {i}", T0)
    assert len(store.entries) == 100 and store.dropped == 150
    assert store.entries[0].line.message.endswith("line 150")


def test_cef_alerts_connections_and_actions_reach_the_timeline() -> None:
    s = ConsoleState()
    s.apply(ConnectionChange(at=T0, source="ssh:pve03", node="pve03", state="connected"))
    s.apply(ConnectionChange(at=T0, source="ssh:pve03", node="pve03", state="connected"))
    s.apply(ConnectionChange(at=T0 + timedelta(seconds=5), source="ssh:pve03", node="pve03",
                             state="reconnecting", retry_in=4))
    s.apply(SyslogText(at=T0, source="syslog", node=None, text=(
        "Nov 08 06:08:40 unifi-gw CEF:0|Ubiquiti|UniFi Network|9.4.19|400|Device Offline|5|"
        "UNIFIcategory=Monitoring msg=USW-Lite-16 went offline.")))
    s.apply(SyslogText(at=T0, source="syslog", node=None, text="Nov 08 06:08:40 gw dhcpd: hi"))
    s.apply(OperatorAction(at=T0, source="runbook", node="pve03", runbook="rb", step="s",
                           command="ethtool -K eno1 tso off", status="refused"))
    s.apply(ApiJson(at=T0, source="api", node=None, path="/cluster/status", body=[]))
    kinds = [(e.kind, e.severity) for e in s.timeline.entries]
    assert kinds.count(("conn", "ok")) == 1 and ("conn", "warning") in kinds
    assert ("cef", "warning") in kinds and ("action", "error") in kinds
    assert s.health["ssh:pve03"].label(T0 + timedelta(seconds=5)) == "reconnecting, retry in 4s"
    assert s.cef[0].name == "Device Offline" and len(s.cef) == 1
    assert s.error_count == 0


def test_bad_cef_is_reported() -> None:
    s = ConsoleState()
    s.apply(SyslogText(at=T0, source="syslog", node=None, text="x CEF:0|only|three"))
    assert s.error_count == 1 and "CEF not understood" in str(s.errors[0])


def test_cef_severity_words_and_numbers() -> None:
    assert [cef_severity(x) for x in ("2", "5", "9", "High", "medium", "Low", "?")] == [
        "info", "warning", "error", "error", "warning", "info", "info"]


def test_reset_forgets_everything() -> None:
    s = ConsoleState()
    _quorum(s, T0, ("pve01", "pve02", "pve03"))
    s.reset()
    assert not s.votes.clusters and not s.timeline.entries and s.events == 0


def test_a_flapping_link_reaches_the_state_and_the_detector_keeps_none() -> None:
    """Every link event of a live stream reaches the state (one timeline entry per change),
    and the store's hang detector keeps none of them: a flapping link would otherwise grow
    ``detector.links`` without bound (issue 13: memory flat on a live stream)."""
    s = ConsoleState()
    flaps = 40
    for i in range(flaps):
        at = T0 + timedelta(seconds=i)
        word = "Down" if i % 2 == 0 else "Up 1000 Mbps Full Duplex, Flow Control: None"
        s.apply(KernelText(at=at, source="ssh:pve03", node="pve03",
                           text=f"{at:%b %d %H:%M:%S} pve03 kernel: e1000e 0000:00:1f.6 eno1: "
                                f"NIC Link is {word}"))
    links = [e.fact.kind for e in s.timeline.entries if e.kind == "link"]
    assert links == ["link_down"] + ["link_up", "link_down"] * (flaps // 2 - 1) + ["link_up"]
    assert s.links[("pve03", "eno1")] == "up"
    assert all(not log.detector.links for log in s.log._nodes.values())
