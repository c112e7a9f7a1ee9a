"""Bounded intake with visible loss (issue 19 items 3 and 5), on real loopback sockets:
every datagram sent is received or counted as dropped (the kernel's own drops too); idle TCP
connections, however many, never lock out a sender that sends; senders outside the
allowlist are rejected and counted; the losses reach the state and the status bar."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import time
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from labconsole.config import ConfigError, load_config
from labconsole.events import Event, IntakeLoss, SyslogText, event_from_json
from labconsole.sources.live import build_live
from labconsole.sources.syslog_listener import SyslogListener
from labconsole.state.console_state import ConsoleState
from labconsole.widgets.status_bar import render_status

CEF = ("<14>Nov 25 06:02:11 unifi-gw CEF:0|Ubiquiti|UniFi Network|9.0.114|400|"
       "Device Offline|5|UNIFIdeviceName=usw-lab-8 msg=USW Lab 8 went offline")


@contextlib.asynccontextmanager
async def listening(slow_emit: float = 0.0, **kw: object
                    ) -> AsyncIterator[tuple[SyslogListener, list[SyslogText],
                                             list[IntakeLoss]]]:
    texts: list[SyslogText] = []
    losses: list[IntakeLoss] = []

    async def emit(event: Event) -> None:
        if isinstance(event, SyslogText):
            texts.append(event)
            if slow_emit:
                time.sleep(slow_emit)  # a console busy redrawing: the loop stalls
        elif isinstance(event, IntakeLoss):
            losses.append(event)

    listener = SyslogListener(host="127.0.0.1", port=0, **kw)  # type: ignore[arg-type]
    task = asyncio.create_task(listener.run(emit))
    await asyncio.wait_for(listener.ready(), 5)
    try:
        yield listener, texts, losses
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _until(cond: object, timeout: float = 10) -> None:
    async def poll() -> None:
        while not cond():  # type: ignore[operator]
            await asyncio.sleep(0.01)
    await asyncio.wait_for(poll(), timeout)


async def test_every_datagram_of_a_flood_is_received_or_counted_dropped() -> None:
    """A tiny receive buffer and a console that stalls: the kernel drops most datagrams, the
    queue some; the three numbers add up to exactly what was sent."""
    sent = 20_000
    async with listening(slow_emit=0.0005, queue_size=50, receive_buffer=4096,
                         loss_every=0.05, loss_window=60) as (listener, texts, losses):
        port = listener.udp_port
        assert port is not None

        def blast() -> None:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                for _ in range(sent):
                    sock.sendto(CEF.encode(), ("127.0.0.1", port))

        await asyncio.to_thread(blast)
        s = listener.stats

        def settled() -> bool:
            total = listener.totals()
            return total.received + (total.kernel or 0) == sent and listener._queue.empty()

        await _until(settled, 30)
        total = listener.totals()
        assert total.kernel and total.kernel > 0, "the kernel's own drops were not seen"
        assert len(texts) + s.overflow == total.received
        assert len(texts) + s.overflow + total.kernel == sent
        await _until(lambda: any(x.dropped for x in losses), 5)
        shown = max(losses, key=lambda x: x.dropped)
        assert shown.kernel and shown.dropped == shown.kernel + shown.queue


async def _idle_flood(port: int, count: int, peers: int) -> list[asyncio.StreamWriter]:
    writers = []
    for i in range(count):
        local = f"127.0.0.{2 + i % peers}"
        try:
            _, w = await asyncio.open_connection("127.0.0.1", port, local_addr=(local, 0))
        except OSError:
            continue
        writers.append(w)
    return writers


async def test_500_idle_connections_never_lock_out_a_real_sender() -> None:
    async with listening(udp=False, max_connections=64, max_per_peer=16) as (
            listener, texts, _):
        port = listener.tcp_port
        assert port is not None
        # a sender that already sent keeps its slot through the flood
        _, early = await asyncio.open_connection("127.0.0.1", port)
        early.write(b"<14>early sender first\n")
        await early.drain()
        await _until(lambda: len(texts) == 1)
        idle = await _idle_flood(port, 500, peers=50)
        await _until(lambda: listener.stats.connections >= 501)
        assert listener.open_connections <= 64
        assert listener.stats.evicted >= 500 - 64
        # a new sender gets in at once, and is not refused
        _, late = await asyncio.open_connection("127.0.0.1", port)
        late.write((CEF + "\n").encode())
        await late.drain()
        early.write(b"<14>early sender again\n")
        await early.drain()
        await _until(lambda: len(texts) == 3)
        assert {t.text for t in texts} == {"<14>early sender first", CEF,
                                          "<14>early sender again"}
        assert listener.stats.refused == 0
        for w in (*idle, early, late):
            w.close()


async def test_one_address_cannot_hold_more_than_its_share() -> None:
    async with listening(udp=False, max_connections=64, max_per_peer=4) as (listener, _, _l):
        port = listener.tcp_port
        assert port is not None
        idle = await _idle_flood(port, 20, peers=1)
        await _until(lambda: listener.stats.connections == 20)
        assert listener.open_connections == 4 and listener.stats.evicted == 16
        for w in idle:
            w.close()


async def test_a_silent_connection_is_closed_after_the_idle_timeout() -> None:
    async with listening(udp=False, idle_timeout=0.2) as (listener, _, _l):
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.tcp_port)
        assert await asyncio.wait_for(reader.read(), 10) == b""
        assert listener.stats.idle_closed == 1 and listener.open_connections == 0
        writer.close()


async def test_senders_outside_the_allowlist_are_rejected_and_counted() -> None:
    allow = (ipaddress.ip_network("127.0.0.1/32"),)
    async with listening(allow=allow, loss_every=0.05) as (listener, texts, losses):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.2", 0))
            sock.sendto(b"<14>spoofed from outside", ("127.0.0.1", listener.udp_port))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(b"<14>from the switch", ("127.0.0.1", listener.udp_port))
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", listener.tcp_port, local_addr=("127.0.0.2", 0))
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()
        await _until(lambda: listener.stats.rejected == 2 and len(texts) == 1)
        assert texts[0].text == "<14>from the switch"
        await _until(lambda: any(x.rejected == 2 for x in losses), 5)


async def test_the_loss_report_clears_once_the_window_has_no_drops() -> None:
    async with listening(udp=False, loss_every=0.05, loss_window=0.3,
                         allow=(ipaddress.ip_network("10.0.0.0/8"),)) as (listener, _, losses):
        _, writer = await asyncio.open_connection("127.0.0.1", listener.tcp_port)
        writer.close()
        await _until(lambda: any(x.rejected for x in losses))
        await _until(lambda: losses[-1].dropped == 0)
        count = len(losses)
        await asyncio.sleep(0.3)
        assert len(losses) == count  # nothing more to say while nothing is lost


def test_a_loss_report_is_state_and_shows_on_the_status_bar() -> None:
    at = datetime(2026, 3, 2, 6, 19, tzinfo=timezone.utc)
    loss = IntakeLoss(at=at, source="cef", node=None, window=10, received=896,
                      kernel=497_000, queue=578)
    again = event_from_json(loss.to_json())
    assert again == loss
    state = ConsoleState()
    assert state.apply(again) == {"health"}
    bar = render_status(state.health, at, recording=None, replay=None, errors=0,
                        losses=list(state.intake.values())).plain
    assert "cef: 497,578 dropped in the last 10 s (kernel 497,000, queue 578)" in bar
    state.apply(IntakeLoss(at=at, source="cef", node=None, window=10, received=5))
    bar = render_status(state.health, at, recording=None, replay=None, errors=0,
                        losses=list(state.intake.values())).plain
    assert "dropped" not in bar


def test_the_configured_senders_and_loopback_make_the_allowlist(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[syslog]\nsenders = ["192.168.1.0/24", "10.0.0.5"]\n[[clusters]]\n'
                    'name = "lab"\n[[clusters.nodes]]\nname = "pve01"\naddress = "10.0.0.11"\n')
    listener = next(s for s in build_live(load_config(path)).sources
                    if isinstance(s, SyslogListener))
    assert [listener.allowed(a) for a in ("127.0.0.1", "::1", "192.168.1.77", "10.0.0.5",
                                          "10.0.0.6", "::ffff:192.168.1.9")] == [
        True, True, True, True, False, True]
    path.write_text('[syslog]\nsenders = ["192.168.1.0/33", 5]\n[[clusters]]\nname = "lab"\n'
                    '[[clusters.nodes]]\nname = "pve01"\naddress = "10.0.0.11"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert [p.split(": ", 1)[1] for p in str(info.value).splitlines()] == [
        "syslog.senders[0]: '192.168.1.0/33' is not an IP address or CIDR (like "
        "192.168.1.0/24)",
        "syslog.senders[1]: expected a string, got an integer"]


async def test_a_tcp_sender_is_slowed_by_a_full_queue_not_dropped() -> None:
    async with listening(udp=False, queue_size=10, slow_emit=0.0002) as (listener, texts, _):
        _, writer = await asyncio.open_connection("127.0.0.1", listener.tcp_port)
        writer.write(b"".join(f"<14>message {i}\n".encode() for i in range(3000)))
        await writer.drain()
        writer.close()
        await _until(lambda: len(texts) == 3000, 30)
        assert [t.text for t in texts] == [f"<14>message {i}" for i in range(3000)]
        assert listener.stats.overflow == 0
