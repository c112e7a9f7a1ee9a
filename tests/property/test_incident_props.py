"""Property tests: the grouping does not depend on the order of things that happened at once."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from itertools import groupby

from hypothesis import given, settings
from hypothesis import strategies as st

from labconsole.demo.generate import events as demo_events
from labconsole.events import Event
from labconsole.incident.correlate import correlate
from labconsole.incident.downtime import downtime
from labconsole.incident.facts import Fact, FactKind, utc
from labconsole.incident.from_state import facts_from_events

T0 = datetime(2025, 3, 14, 2, 0, 0, tzinfo=timezone.utc)
KINDS: list[FactKind] = ["device_alert", "device_back", "client_left", "link_down", "link_up",
                         "vote_left", "vote_joined", "quorum_lost", "quorum_back", "hang",
                         "conn_lost", "conn_back", "conn_never"]
NODES = ["pve01", "pve02", "pve03", None]


@st.composite
def fact_lists(draw: st.DrawFn) -> list[Fact]:
    """Facts on a coarse time grid (many share an instant), any kinds and nodes."""
    n = draw(st.integers(min_value=0, max_value=40))
    out = []
    for _ in range(n):
        tick = draw(st.integers(min_value=0, max_value=30))
        kind = draw(st.sampled_from(KINDS))
        node = draw(st.sampled_from(NODES))
        at = T0 + timedelta(seconds=60 * tick)
        until = at + timedelta(seconds=draw(st.integers(0, 200))) if kind == "hang" else None
        device = draw(st.sampled_from(["eno1", "usw", None]))
        out.append(Fact(at=at, kind=kind, node=node, device=device, text=f"{kind} {node}",
                        until=until))
    return out


def shuffled_within_instants(items: list, key, rnd: random.Random) -> list:  # type: ignore[no-untyped-def,type-arg]
    ordered = sorted(items, key=key)
    out = []
    for _, group in groupby(ordered, key=key):
        chunk = list(group)
        rnd.shuffle(chunk)
        out.extend(chunk)
    return out


def grouping(facts: list[Fact]) -> list[tuple[object, ...]]:
    result = correlate(facts)
    return [(i.start, i.end, i.status, i.nodes, sorted(f.sort_key() for f in i.facts))
            for i in result.incidents]


@settings(max_examples=200, deadline=None)
@given(fact_lists(), st.randoms(use_true_random=False))
def test_shuffling_facts_of_one_instant_keeps_the_grouping(facts: list[Fact],
                                                           rnd: random.Random) -> None:
    shuffled = shuffled_within_instants(facts, key=lambda f: f.at, rnd=rnd)
    assert grouping(shuffled) == grouping(facts)


@settings(max_examples=200, deadline=None)
@given(fact_lists())
def test_every_trouble_fact_lands_in_exactly_one_incident(facts: list[Fact]) -> None:
    result = correlate(facts)
    placed = [id(f) for i in result.incidents for f in i.facts]
    assert len(placed) == len(set(placed))
    trouble = {id(f) for f in facts if f.is_trouble}
    assert trouble <= set(placed)
    for a, b in zip(result.incidents, result.incidents[1:], strict=False):
        assert a.start <= a.end and a.start <= b.start


@settings(max_examples=100, deadline=None)
@given(fact_lists(), st.randoms(use_true_random=False))
def test_downtime_ignores_order_within_an_instant(facts: list[Fact], rnd: random.Random) -> None:
    until = T0 + timedelta(hours=2)
    shuffled = shuffled_within_instants(facts, key=lambda f: f.at, rnd=rnd)
    assert downtime(shuffled, until) == downtime(facts, until)


def _interleave(events: list[Event], rnd: random.Random) -> list[Event]:
    """Shuffle events of one instant across streams, keeping each stream's own order (a hang
    block's register lines must follow their header: that order is the data itself)."""
    out: list[Event] = []
    for _, group in groupby(events, key=lambda e: utc(e.at)):
        streams: dict[tuple[str, str | None], list[Event]] = {}
        for e in group:
            streams.setdefault((e.source, e.node), []).append(e)
        queues = list(streams.values())
        while queues:
            q = rnd.choice(queues)
            out.append(q.pop(0))
            if not q:
                queues.remove(q)
    return out


DEMO = demo_events()
DEMO_GROUPING = [(i.start, i.end, i.nodes) for i in correlate(facts_from_events(DEMO).facts)
                 .incidents]


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False))
def test_demo_events_interleaved_at_each_instant_give_the_same_incidents(
        rnd: random.Random) -> None:
    mixed = _interleave(DEMO, rnd)
    got = [(i.start, i.end, i.nodes) for i in correlate(facts_from_events(mixed).facts)
           .incidents]
    assert got == DEMO_GROUPING
    assert len(got) == 2
