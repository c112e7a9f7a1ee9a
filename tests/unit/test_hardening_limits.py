"""Limits: a line longer than the limit is cut and marked as soon as the limit is reached
(never buffered until a newline that may not come), in the SSH line reader and the syslog
listener; source queues are bounded and count what they drop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from labconsole.events import ConnectionChange, Event, KernelText
from labconsole.parse.line_limit import TRUNCATION_MARK, LineSplitter
from labconsole.sources.kernel_stream import KernelStreamSource
from labconsole.sources.ssh import SshPool, SshTarget
from labconsole.sources.syslog_listener import SyslogListener


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(st.text(alphabet=st.sampled_from("ab\r é\x00"), max_size=40),
                      max_size=20),
       cuts=st.lists(st.integers(1, 30), min_size=1, max_size=10),
       limit=st.integers(1, 25))
def test_line_splitter_keeps_short_lines_and_cuts_long_ones(
        lines: list[str], cuts: list[int], limit: int) -> None:
    text = "".join(line + "\n" for line in lines)
    splitter, out, pos, i = LineSplitter(limit), [], 0, 0
    while pos < len(text):
        out.extend(splitter.feed(text[pos:pos + cuts[i % len(cuts)]]))
        assert splitter.buffered <= limit  # bounded whatever arrives
        pos, i = pos + cuts[i % len(cuts)], i + 1
    out.extend(splitter.close())
    expected = []
    for line in lines:
        if len(line) > limit:
            expected.append(line[:limit].rstrip("\r") + TRUNCATION_MARK)
        else:
            expected.append(line.rstrip("\r"))
    assert out == expected
    assert splitter.truncated == sum(len(line) > limit for line in lines)
    assert splitter.dropped_chars == sum(max(len(line) - limit, 0) for line in lines)


def test_a_line_without_newline_is_emitted_once_it_reaches_the_limit() -> None:
    splitter = LineSplitter(10)
    assert splitter.feed("x" * 9) == []
    assert splitter.feed("yy") == ["x" * 9 + "y" + TRUNCATION_MARK]
    assert splitter.feed("z" * 1_000_000) == [] and splitter.buffered == 0
    assert splitter.feed("\nnext\n") == ["next"]


# -- the SSH kernel stream: a fake channel that never sends a newline --------------------------

@dataclass
class _Reader:
    chunks: list[str]

    async def read(self, n: int = -1) -> str:
        return self.chunks.pop(0) if self.chunks else ""


@dataclass
class _Proc:
    stdout: _Reader
    stderr: _Reader = field(default_factory=lambda: _Reader([]))
    exit_status: int = 0

    async def __aenter__(self) -> _Proc:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def wait(self) -> None:
        return None


@dataclass
class _Conn:
    proc: _Proc
    commands: list[str] = field(default_factory=list)

    def create_process(self, command: str, **kw: Any) -> _Proc:
        self.commands.append(command)
        return self.proc


@dataclass
class _Node:
    conn: _Conn
    node: str = "pve03"
    closed: bool = False

    async def connection(self, timeout: float | None = None) -> _Conn:
        return self.conn


async def test_kernel_stream_cuts_a_runaway_line_and_keeps_reading() -> None:
    junk = ["\x7fELF" + "\x00\x01" * 40_000] * 50  # 4 MB of binary junk, no newline
    chunks = ["Jun 03 06:19:02 pve03 kernel: first\n", *junk,
              "\nJun 03 06:19:04 pve03 kernel: after\n"]
    conn = _Conn(_Proc(_Reader(chunks)))
    source = KernelStreamSource(_Node(conn), "tail -n +1 -F /var/log/kern.log",  # type: ignore[arg-type]
                                fallback=None, max_line=1000)
    got: list[KernelText] = []

    async def emit(event: Event) -> None:
        assert isinstance(event, KernelText)
        got.append(event)

    await source._stream_once(conn, emit)  # type: ignore[arg-type]
    texts = [e.text for e in got]
    assert texts[0].endswith("first") and texts[-1].endswith("after") and len(texts) == 3
    assert texts[1].endswith(TRUNCATION_MARK) and len(texts[1]) == 1000 + len(TRUNCATION_MARK)
    assert source.truncated == 1


# -- bounded queues ---------------------------------------------------------------------------

def test_ssh_pool_state_queue_is_bounded_and_counts_what_it_drops() -> None:
    pool = SshPool([SshTarget(node="pve01", host="127.0.0.1")], queue_size=5)
    at = datetime(2026, 6, 3, 6, 19, tzinfo=timezone.utc)
    for i in range(12):
        pool._push(ConnectionChange(at=at, source="ssh:pve01", node="pve01",
                                    state="reconnecting", detail=str(i)))
    assert pool.overflow == 7 and pool._events.qsize() == 5
    kept = [pool._events.get_nowait() for _ in range(5)]
    assert [e.detail for e in kept if isinstance(e, ConnectionChange)] == [
        "7", "8", "9", "10", "11"]  # the newest states are the ones kept


async def test_syslog_listener_queue_is_bounded_and_counts_overflow() -> None:
    listener = SyslogListener(port=0, queue_size=5)
    for i in range(20):
        listener.deliver(f"<13>msg {i}", "udp:127.0.0.1:1")
    assert listener.stats.overflow == 15 and listener._queue.qsize() == 5


async def test_syslog_listener_never_buffers_an_endless_tcp_line() -> None:
    listener = SyslogListener(port=0, udp=False, max_message=1024)
    got: list[Event] = []

    async def emit(event: Event) -> None:
        got.append(event)

    task = asyncio.create_task(listener.run(emit))
    await asyncio.wait_for(listener.ready(), 5)
    assert listener.tcp_port is not None
    _, writer = await asyncio.open_connection("127.0.0.1", listener.tcp_port)
    for _ in range(200):  # 2 MB without a terminator
        writer.write(b"A" * 10_000)
        await writer.drain()
        assert all(c.framer.buffered <= 1024 + 64 for c in listener._open)
    writer.write(b"\n<13>Jun 03 06:19:02 usw-01 ok\n")
    await writer.drain()
    for _ in range(100):
        if got:
            break
        await asyncio.sleep(0.02)
    writer.close()
    task.cancel()
    assert [getattr(e, "text", "") for e in got] == ["<13>Jun 03 06:19:02 usw-01 ok"]
    assert listener.tcp_stats().oversized == 1
