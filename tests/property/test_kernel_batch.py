"""Kernel lines taken in batches (the lines of one read: ``ConsoleState.apply_batch``,
``Pipeline.emit_batch``) leave the same state and the same recording as the same events taken
one by one (``apply``, ``emit``): lines of three nodes in reads of any size, hang reports with
their register lines, resets, link changes, corosync lines (which move a node's view and the
timeline), CEF lines inside a kernel stream, blank and glued lines, and other events between
the reads. Also: the store's short roads through the reader (``read_line``) give the lines
``KernelLogReader.feed`` gives."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from labconsole.demo.generate import hang_block
from labconsole.events import ConnectionChange, Event, KernelText
from labconsole.parse.kernel_reader import KernelLogReader
from labconsole.pipeline import Pipeline
from labconsole.sources.recording import Recorder
from labconsole.state.console_state import ConsoleState
from labconsole.state.kernel_log import KernelLogStore, read_line

T0 = datetime(2026, 11, 25, 6, 19, 0, tzinfo=timezone.utc)
NODES = ("pve01", "pve02", "pve03")
NIC = "e1000e 0000:00:1f.6 eno1:"


def _texts(kind: str, node: str, at: datetime, n: int) -> list[str]:
    iso = f"{at:%Y-%m-%dT%H:%M:%S%z}"
    bsd = f"{at:%b %d %H:%M:%S}"
    if kind == "chatter":
        return [f"{iso} {node} kernel: perf: interrupt took too long ({n})"]
    if kind == "bsd":
        return [f"{bsd} {node} kernel: [ {n}.5] usb 1-{n % 9}: new device"]
    if kind == "hang":
        return [e.text.replace("pve03", node) for e in hang_block(at, n % 4)]
    if kind == "reset":
        return [f"{iso} {node} kernel: {NIC} Reset adapter unexpectedly"]
    if kind == "down":
        return [f"{iso} {node} kernel: {NIC} NIC Link is Down"]
    if kind == "up":
        return [f"{iso} {node} kernel: {NIC} NIC Link is Up 1000 Mbps Full Duplex, "
                "Flow Control: None"]
    if kind == "knet":
        state = "down" if n % 2 else "up"
        return [f"{bsd} {node} corosync[1234]:   [KNET  ] link: host: 3 link: 0 is {state}"]
    if kind == "quorum":
        which = "non-primary" if n % 2 else "primary"
        return [f"{bsd} {node} corosync[99]:   [QUORUM] This node is within the {which} "
                "component and will provide service."]
    if kind == "cef":
        return [f"{bsd} unifi-gw CEF:0|Ubiquiti|UniFi Network|9.4.19|400|Device Offline|5|"
                f"msg=switch {n} offline"]
    if kind == "glued":
        return [f"{iso} {node} kernel: perf: a{iso} {node} kernel: perf: b"]
    return ["", "   "]


KINDS = ("chatter", "chatter", "chatter", "bsd", "hang", "hang", "reset", "down", "up", "knet",
         "quorum", "cef", "glued", "blank")
reads = st.lists(st.tuples(st.sampled_from(NODES), st.lists(st.sampled_from(KINDS), min_size=1,
                                                           max_size=12),
                           st.integers(min_value=0, max_value=3), st.booleans()),
                 min_size=1, max_size=14)


def _events(plan: list[tuple[str, list[str], int, bool]]) -> list[list[Event]]:
    """Reads: each the kernel lines one node sent at one time; now and then another event."""
    out: list[list[Event]] = []
    n = 0
    at = T0
    for node, kinds, gap, other in plan:
        at = at + timedelta(seconds=gap)
        read: list[Event] = []
        for kind in kinds:
            n += 1
            read.extend(KernelText(at=at, source=f"kernel:{node}", node=node, text=t)
                        for t in _texts(kind, node, at + timedelta(milliseconds=n), n))
        out.append(read)
        if other:
            out.append([ConnectionChange(at=at, source=f"kernel:{node}", node=node,
                                         state="connected")])
    return out


def snapshot(state: ConsoleState) -> dict[str, Any]:
    """Everything the state holds that a batch could get wrong, comparably."""
    log = state.log
    seqs = range(1, log.last_seq + 1)
    return {
        "entries": list(log.entries),
        "index": [(log.node_of(s), log.time_of(s), log.episode_of(s)) for s in seqs],
        "episodes": [(e.id, e.node, e.episode, e.first_seq, e.last_seq, list(e.seqs),
                      e.opened_at) for e in log.episodes],
        "log_errors": list(log.errors),
        "timeline": [(e.at, e.kind, e.node, e.fact, e.severity, e.episode_id, e.seq)
                     for e in state.timeline.entries],
        "health": {k: (h.node, h.since, h.last_event, h.events) for k, h in state.health.items()},
        "errors": list(state.errors), "error_count": state.error_count,
        "events": state.events, "first": state.first, "latest": state.latest,
        "links": dict(state.links), "cef": list(state.cef),
        "votes": dict(state.votes.clusters), "conns": dict(state.conns),
    }


@settings(max_examples=60, deadline=None)
@given(reads, st.integers(min_value=1, max_value=40))
def test_batches_leave_the_state_lines_one_by_one_leave(plan: list[Any], cut: int) -> None:
    groups = _events(plan)
    one = ConsoleState(log=KernelLogStore(capacity=16, spill=False))
    for group in groups:
        for event in group:
            one.apply(event)
    many = ConsoleState(log=KernelLogStore(capacity=16, spill=False))
    flat = [e for g in groups for e in g]
    for i in range(0, len(flat), cut):  # batches cut anywhere, reads split and joined
        many.apply_batch(flat[i:i + cut])
    assert snapshot(many) == snapshot(one)


@settings(max_examples=25, deadline=None)
@given(reads)
def test_pipeline_batches_record_and_apply_alike(tmp_path_factory: Any, plan: list[Any]) -> None:
    groups = _events(plan)
    tmp: Path = tmp_path_factory.mktemp("rec")
    told: dict[str, list[set[str]]] = {"one": [], "many": []}

    def pipeline(name: str) -> Pipeline:
        return Pipeline(sources=[], state=ConsoleState(log=KernelLogStore(capacity=16)),
                        recorder=Recorder(tmp / f"{name}.jsonl"),
                        on_change=told[name].append)

    one, many = pipeline("one"), pipeline("many")

    async def feed() -> None:
        for group in groups:
            for event in group:
                await one.emit(event)
            await many.emit_batch(group)

    asyncio.run(feed())
    for p in (one, many):
        assert p.recorder is not None
        p.recorder.close()
    assert (tmp / "many.jsonl").read_bytes() == (tmp / "one.jsonl").read_bytes()
    assert snapshot(many.state) == snapshot(one.state)
    union = set().union  # what each side was told changed, over the whole run
    assert union(*told["many"]) == union(*told["one"])


@settings(max_examples=60, deadline=None)
@given(reads)
def test_short_roads_read_what_feed_reads(plan: list[Any]) -> None:
    texts = [e.text for g in _events(plan) for e in g if isinstance(e, KernelText)]
    # Long enough for the reader to trust its shapes (it checks each shape first).
    texts = texts * 3
    fast, slow = KernelLogReader(2026), KernelLogReader(2026)
    got = [line for t in texts for line in read_line(fast, t)]
    want = [line for t in texts for line in slow.feed(t)]
    assert got == want
    assert fast.errors == slow.errors
