"""Every node's own view of the votes: agreement, a split, a node that cannot be read, staleness
from a missed heartbeat, the Votes panel's words for each, and a flip on the timeline."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from labconsole.demo.generate import pvecm_status
from labconsole.events import (
    Event,
    Heartbeat,
    KernelText,
    QuorumText,
    QuorumUnreadable,
    event_from_json,
)
from labconsole.state.console_state import ConsoleState
from labconsole.widgets.votes_panel import picture_text, render_votes

T0 = datetime(2025, 11, 8, 6, 19, 0, tzinfo=timezone.utc)
ALL = ("pve01", "pve02", "pve03")


def _view(s: ConsoleState, at: datetime, node: str, present: tuple[str, ...]) -> None:
    s.apply(QuorumText(at=at, source="quorum:homelab", node=node, cluster="homelab",
                       text=pvecm_status(at, present, seen_from=node)))


def _all_see(s: ConsoleState, at: datetime, views: dict[str, tuple[str, ...]]) -> None:
    for node, present in views.items():
        _view(s, at, node, present)


def test_views_that_agree_are_the_cluster() -> None:
    s = ConsoleState()
    _all_see(s, T0, {n: ALL for n in ALL})
    c = s.votes.clusters["homelab"]
    pic = c.picture(T0)
    assert pic.kind == "agree" and pic.quorate is True and picture_text(pic) == "3/3 quorate"
    text = render_votes(s.votes, T0).plain
    assert text.startswith("homelab 3/3 quorate")
    assert text.count("●") == 3 and "SPLIT" not in text


def test_a_partition_shows_each_side_with_its_own_view() -> None:
    s = ConsoleState()
    _all_see(s, T0, {n: ALL for n in ALL})
    at = T0 + timedelta(seconds=10)
    _all_see(s, at, {"pve01": ("pve01",), "pve02": ("pve02", "pve03"),
                     "pve03": ("pve02", "pve03")})
    pic = s.votes.clusters["homelab"].picture(at)
    assert pic.kind == "split" and pic.quorate is False
    assert picture_text(pic) == ("SPLIT  {pve01} alone, NOT quorate | "
                                 "{pve02, pve03} 2/3 quorate")
    text = render_votes(s.votes, at).plain
    assert "homelab SPLIT" in text
    assert "{pve01} alone, NOT quorate" in text and "{pve02, pve03} 2/3 quorate" in text
    flips = [e for e in s.timeline.entries if e.fact.kind == "picture_changed"]
    assert flips and flips[-1].fact.picture is not None
    assert flips[-1].fact.picture.kind == "split" and flips[-1].severity == "error"
    _all_see(s, at + timedelta(seconds=10), {n: ALL for n in ALL})
    assert picture_text(s.votes.clusters["homelab"].picture()) == "3/3 quorate"
    last = [e for e in s.timeline.entries if e.fact.kind == "picture_changed"][-1]
    assert last.severity == "ok" and last.fact.picture is not None
    assert last.fact.picture.kind == "agree"


def test_every_node_alone_is_a_split_never_a_healthy_cluster() -> None:
    s = ConsoleState()
    _all_see(s, T0, {n: ALL for n in ALL})
    _all_see(s, T0 + timedelta(seconds=5), {n: (n,) for n in ALL})
    pic = s.votes.clusters["homelab"].picture()
    assert pic.kind == "split" and len(pic.sides) == 3
    assert all(side.alone and side.quorate is False for side in pic.sides)
    text = render_votes(s.votes, T0 + timedelta(seconds=5)).plain
    assert "quorate" not in text.split("\n")[0] and "●" not in text


def test_a_node_cut_off_alone_does_not_put_the_quorate_side_out_of_the_votes() -> None:
    """pve03's cable pulled, read over another path: it is alone and NOT quorate and misses
    pve01 and pve02, who are quorate together. Only pve03 left; pve01/pve02 stay green."""
    s = ConsoleState()
    _all_see(s, T0, {n: ALL for n in ALL})
    at = T0 + timedelta(seconds=4)
    _all_see(s, at, {"pve01": ("pve01", "pve02"), "pve02": ("pve01", "pve02"),
                     "pve03": ("pve03",)})
    c = s.votes.clusters["homelab"]
    assert set(c.out_since) == {"pve03"}
    left = [e.fact.node for e in s.timeline.entries if e.fact.kind == "vote_left"]
    assert left == ["pve03"]
    lines = render_votes(s.votes, at).plain.splitlines()
    assert any(line.startswith(" ● pve01  2/3 quorate") for line in lines), lines
    assert any(line.startswith(" ✖ pve03  alone, NOT quorate") for line in lines), lines
    # every node alone: nobody is quorate, so every node is out from someone's view
    _all_see(s, at + timedelta(seconds=10), {n: (n,) for n in ALL})
    assert set(c.out_since) == set(ALL)


def test_a_node_that_cannot_be_read_is_unknown_with_its_reason_never_its_last_answer() -> None:
    s = ConsoleState()
    _all_see(s, T0, {n: ALL for n in ALL})
    lost = T0 + timedelta(seconds=12)
    s.apply(QuorumUnreadable(at=lost, source="quorum:homelab", node="pve03",
                             reason="ssh: connection refused", cluster="homelab"))
    c = s.votes.clusters["homelab"]
    pic = c.picture(lost + timedelta(seconds=30))
    assert [u.node for u in pic.unknown] == ["pve03"] and pic.quorate is False
    assert pic.sides[0].nodes == ("pve01", "pve02")  # pve03's old 3/3 no longer counts
    text = render_votes(s.votes, lost + timedelta(seconds=30)).plain
    assert "pve03  unknown since 06:19:12" in text and "ssh: connection refused" in text
    assert text.count("●") == 2
    _view(s, lost + timedelta(seconds=40), "pve03", ALL)  # readable again
    assert not c.picture().unknown


def test_a_silent_poller_makes_the_view_stale_but_a_quiet_kernel_log_does_not() -> None:
    s = ConsoleState()
    _all_see(s, T0, {n: ALL for n in ALL})
    for n in ALL:
        s.apply(Heartbeat(at=T0 + timedelta(seconds=5), source="quorum:homelab", node=n,
                          every=5.0))
    late = T0 + timedelta(seconds=5 + 16)
    for n in ("pve01", "pve02"):  # pve03's heartbeats stop
        s.apply(Heartbeat(at=late, source="quorum:homelab", node=n, every=5.0))
    c = s.votes.clusters["homelab"]
    pic = c.picture(late)
    assert [(u.node, u.since) for u in pic.unknown] == [("pve03", T0 + timedelta(seconds=5))]
    assert "pve03  unknown since 06:19:05" in render_votes(s.votes, late).plain
    # a kernel stream without heartbeats is never "stale", however quiet
    s.apply(KernelText(at=T0, source="ssh:pve01", node="pve01", text="Nov 08 06:19:00 pve01 "
                       "kernel: hello"))
    assert s.health["ssh:pve01"].label(T0 + timedelta(hours=2)) != "stale"
    assert not s.health["ssh:pve01"].label(T0 + timedelta(hours=2)).startswith("stale")
    assert s.health["quorum:homelab"].label(late + timedelta(seconds=60)).startswith("stale")


def test_the_stuck_node_sees_everyone_while_the_others_see_it_gone() -> None:
    s = ConsoleState()
    _all_see(s, T0, {n: ALL for n in ALL})
    _all_see(s, T0 + timedelta(seconds=4), {"pve01": ("pve01", "pve02"),
                                            "pve02": ("pve01", "pve02")})
    pic = s.votes.clusters["homelab"].picture()
    assert pic.kind == "split"
    assert picture_text(pic) == ("SPLIT  {pve03} 3/3 quorate with pve01, pve02 | "
                                 "{pve01, pve02} 2/3 quorate")
    assert [(e.fact.kind, e.fact.node) for e in s.timeline.entries
            if e.fact.kind == "vote_left"] == [("vote_left", "pve03")]


def test_new_events_round_trip_and_old_recordings_still_load() -> None:
    events: list[Event] = [
        QuorumUnreadable(at=T0, source="quorum:homelab", node="pve03", reason="ssh: refused",
                         cluster="homelab"),
        Heartbeat(at=T0, source="quorum:homelab", node="pve01", every=5.0),
    ]
    for e in events:
        assert event_from_json(e.to_json()) == e
    old_api = {"type": "pve_api", "at": T0.isoformat(), "source": "pve_api", "node": None,
               "path": "/cluster/status", "body": []}
    assert event_from_json(old_api).cluster is None  # type: ignore[attr-defined]
