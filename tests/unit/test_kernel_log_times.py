"""The store's per-line facts by their definitions, whatever it caches between lines: each
entry's time is its line's own time in UTC (the arrival time where the line has none), the
per-line index holds that time, the node and the episode, and the severity is the word rule
(any error word: error; else any warning word: warning; else info)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from labconsole.demo.generate import hang_block
from labconsole.model.kernel_line import KernelLine
from labconsole.state.kernel_log import KernelLogStore, aware, line_severity
from labconsole.state.line_archive import decode_line, encode_line, timestamp

T0 = datetime(2026, 11, 25, 6, 19, 0, tzinfo=timezone.utc)
ERROR_WORDS = ("hang", "timed out", "error", "fail", "bug:", "call trace")
WARNING_WORDS = ("link is down", "warn", "disabled state", "reset adapter")


def _texts(i: int, node: str) -> list[tuple[str, datetime]]:
    """Line ``i`` of ``node`` in one of several shapes, with its arrival time."""
    at = T0 + timedelta(milliseconds=300 * i)
    plus2 = at.astimezone(timezone(timedelta(hours=2)))
    shapes = [
        f"{at:%Y-%m-%dT%H:%M:%S%z} {node} kernel: perf: chatter {i}",
        f"{plus2:%Y-%m-%dT%H:%M:%S%z} {node} kernel: usb 1-1: new device {i}",
        f"{at:%b %d %H:%M:%S} {node} kernel: [ {i}.5] vmbr0: port {i} entered disabled state",
        f"[ {i}.25] eno1: Link is Down {i}",  # no wall time: the arrival time counts
        f"{at:%Y-%m-%dT%H:%M:%S%z} {node} kernel: e1000e eno1: Reset adapter unexpectedly",
        f"a pasted line {i} without any header",
    ]
    if i % 17 == 16:
        return [(ev.text.replace("pve03", node), at) for ev in hang_block(at, i % 3)]
    return [(shapes[i % len(shapes)], at)]


def test_each_line_keeps_its_own_time_node_and_episode() -> None:
    store = KernelLogStore(capacity=40)  # most lines end up in the archive
    arrivals: list[datetime] = []
    lines: list[KernelLine] = []
    for i in range(400):
        node = ("pve01", "pve02", "pve03")[i % 3]
        for text, at in _texts(i, node):
            change = store.add(node, text, at)
            arrivals.extend([at] * len(change.entries))
            lines.extend(e.line for e in change.entries)
    assert store.last_seq == len(arrivals) > 400
    assert store.episodes
    for seq in range(store.oldest_seq, store.last_seq + 1):
        entry = store.entry(seq)
        line = entry.line
        expected = aware(line.time) if line.time is not None else arrivals[seq - 1]
        assert line == lines[seq - 1]  # also read back from the archive
        assert entry.at == expected, (seq, line.raw)
        assert store.time_of(seq) == timestamp(expected)
        assert store.node_of(seq) == entry.node
        assert store.episode_of(seq) == entry.episode_id


def _by_words(message: str) -> str:
    text = message.lower()
    if any(w in text for w in ERROR_WORDS):
        return "error"
    return "warning" if any(w in text for w in WARNING_WORDS) else "info"


def test_severity_is_the_word_rule() -> None:
    messages = ["plain chatter", "Link is Down", "TX HANG detected", "warn: then error",
                "error before warn", "Reset Adapter", "BUG: oops", "call trace:", "failing",
                "entered disabled state", "timed  out", "", "HANGING warn"]
    for message in messages:
        line = KernelLine(raw=message, message=message)
        assert line_severity(line, False) == _by_words(message), message
        assert line_severity(line, True) == "error"


def test_archived_fields_read_back_as_stored() -> None:
    at = datetime(2026, 11, 25, 6, 19, 0, 250000, tzinfo=timezone(timedelta(hours=2)))
    for line in [
        KernelLine(raw="2026-11-25T06:19:00+0200 pve01 kernel: eno1: Link is Down",
                   message="eno1: Link is Down", lineno=7, time=at, host="pve01"),
        KernelLine(raw="a paste", message="a paste", headed=False),
        KernelLine(raw="x", message="", continuation=True),
        KernelLine(raw="glued: one", message="other text", app="pmxcfs", is_kernel=False,
                   priority=3, facility="daemon", uptime=12.5),
        KernelLine(raw="e1000e 0000:00:1f.6 eno1: Reset adapter", message="Reset adapter",
                   driver="e1000e", device="eno1", pci="0000:00:1f.6", time=at),
    ]:
        assert decode_line(json.loads(json.dumps(encode_line(line)))) == line
