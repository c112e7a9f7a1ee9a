"""Downtime per node on synthetic sequences."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from labconsole.incident.downtime import downtime, format_duration
from labconsole.incident.facts import Fact, FactKind

T0 = datetime(2025, 3, 14, 2, 0, 0, tzinfo=timezone.utc)


def f(s: float, kind: FactKind, node: str = "pve03", device: str | None = None) -> Fact:
    return Fact(at=T0 + timedelta(seconds=s), kind=kind, node=node, device=device, text=kind)


def secs(td: timedelta) -> float:
    return td.total_seconds()


def test_two_outages_add_up() -> None:
    d = downtime([f(0, "vote_left"), f(60, "vote_joined"), f(500, "vote_left"),
                  f(620, "vote_joined")], until=T0 + timedelta(hours=1))
    assert secs(d["pve03"].total) == 180
    assert [(secs(i.start - T0), secs(i.end - T0), i.open)
            for i in d["pve03"].out_of_votes] == [(0, 60, False), (500, 620, False)]


def test_still_out_counts_to_the_end_and_is_open() -> None:
    d = downtime([f(100, "vote_left")], until=T0 + timedelta(seconds=400))
    (interval,) = d["pve03"].out_of_votes
    assert interval.open and secs(interval.length) == 300


def test_nodes_are_counted_separately_and_listed_with_zero() -> None:
    d = downtime([f(0, "vote_left", "pve01"), f(10, "vote_left", "pve03"),
                  f(30, "vote_joined", "pve01"), f(70, "vote_joined", "pve03")],
                 until=T0 + timedelta(seconds=100), nodes=["pve02"])
    assert {n: secs(x.total) for n, x in d.items()} == {"pve01": 30, "pve02": 0, "pve03": 60}


def test_repeated_left_without_join_counts_from_the_first() -> None:
    d = downtime([f(0, "vote_left"), f(30, "vote_left"), f(90, "vote_joined")],
                 until=T0 + timedelta(seconds=100))
    assert secs(d["pve03"].total) == 90


def test_join_without_left_is_no_downtime() -> None:
    d = downtime([f(0, "vote_joined")], until=T0 + timedelta(seconds=100))
    assert secs(d["pve03"].total) == 0 and d["pve03"].out_of_votes == ()


def test_order_of_facts_does_not_matter() -> None:
    facts = [f(0, "vote_left"), f(60, "vote_joined"), f(100, "vote_left"), f(110, "vote_joined")]
    until = T0 + timedelta(seconds=200)
    assert downtime(facts[::-1], until) == downtime(facts, until)


def test_link_down_time_is_per_device_and_separate_from_votes() -> None:
    d = downtime([f(0, "link_down", device="eno1"), f(5, "link_down", device="eno2"),
                  f(15, "link_up", device="eno1"), f(25, "link_up", device="eno2")],
                 until=T0 + timedelta(seconds=100))
    assert secs(d["pve03"].link_total) == 35 and secs(d["pve03"].total) == 0


def test_format_duration() -> None:
    assert format_duration(timedelta(seconds=42)) == "42 s"
    assert format_duration(timedelta(seconds=485)) == "8 min 05 s"
    assert format_duration(timedelta(hours=9, minutes=2, seconds=59)) == "9 h 02 min"
