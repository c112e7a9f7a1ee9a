"""Syslog listener on loopback: UDP, TCP octet-counted and newline framing, garbage counted."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import pytest

from labconsole.events import Event, SyslogText
from labconsole.parse.cef import parse_cef
from labconsole.sources.syslog_listener import SyslogListener

# Synthetic UniFi-style CEF alerts (own text, same shape as the real ones).
OFFLINE = ("<14>Nov 25 06:02:11 unifi-gw CEF:0|Ubiquiti|UniFi Network|9.0.114|400|"
           "Device Offline|5|UNIFIcategory=Monitoring UNIFIsubCategory=Device "
           "UNIFIhost=unifi-gw UNIFIdeviceName=usw-lab-8 msg=USW Lab 8 went offline")
DISCONNECT = ("<14>Nov 25 06:02:12 unifi-gw CEF:0|Ubiquiti|UniFi Network|9.0.114|401|"
              "Wired Client Disconnected|2|UNIFIcategory=Monitoring "
              "UNIFIclientHostname=pve03 UNIFIconnectedToDevicePort=3 msg=pve03 left port 3")


@contextlib.asynccontextmanager
async def listening(**kw: object) -> AsyncIterator[tuple[SyslogListener, list[Event]]]:
    got: list[Event] = []

    async def emit(event: Event) -> None:
        if isinstance(event, SyslogText):  # IntakeLoss reports are tested on their own
            got.append(event)

    listener = SyslogListener(host="127.0.0.1", port=0, **kw)  # type: ignore[arg-type]
    task = asyncio.create_task(listener.run(emit))
    await asyncio.wait_for(listener.ready(), 5)
    try:
        yield listener, got
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _until(cond: object, timeout: float = 5) -> None:
    async def poll() -> None:
        while not cond():  # type: ignore[operator]
            await asyncio.sleep(0.01)
    await asyncio.wait_for(poll(), timeout)


async def test_udp_cef_datagrams_arrive_and_garbage_is_counted() -> None:
    async with listening(max_message=2048) as (listener, got):
        assert listener.udp_port
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            for payload in (OFFLINE.encode(), b"\x16\x03\x01\x00\xa5\x01garbage",
                            b"<14>" + b"x" * 5000, DISCONNECT.encode()):
                sock.sendto(payload, ("127.0.0.1", listener.udp_port))
        finally:
            sock.close()
        await _until(lambda: len(got) == 2 and listener.stats.udp.dropped == 2)
    texts = [e.text for e in got if isinstance(e, SyslogText)]
    assert texts == [OFFLINE, DISCONNECT]
    assert all(e.peer and e.peer.startswith("udp:127.0.0.1:") for e in got)  # type: ignore[attr-defined]
    assert listener.stats.udp.garbage == 1 and listener.stats.udp.oversized == 1
    cef = parse_cef(texts[0], default_year=2026)
    assert (cef.vendor, cef.name) == ("Ubiquiti", "Device Offline")
    assert cef.extensions["UNIFIdeviceName"] == "usw-lab-8"


@pytest.mark.parametrize("framing", ["octet", "newline"])
async def test_tcp_framings_deliver_every_message_in_order(framing: str) -> None:
    messages = [OFFLINE, DISCONNECT, OFFLINE.replace("06:02:11", "06:19:40")]
    if framing == "octet":
        data = b"".join(f"{len(m.encode())} ".encode() + m.encode() for m in messages)
    else:
        data = b"".join(m.encode() + b"\n" for m in messages)
    async with listening() as (listener, got):
        assert listener.tcp_port
        _reader, writer = await asyncio.open_connection("127.0.0.1", listener.tcp_port)
        # split at awkward places: frames must survive arbitrary TCP segmentation
        for i in range(0, len(data), 37):
            writer.write(data[i:i + 37])
            await writer.drain()
        writer.write(b"\x01\x02 binary junk\n")
        writer.close()
        await writer.wait_closed()
        await _until(lambda: len(got) == 3 and listener.stats.connections == 1
                     and listener.tcp_stats().garbage == 1)
    assert [e.text for e in got] == messages  # type: ignore[attr-defined]


async def test_connections_beyond_the_limit_are_refused_when_every_slot_is_busy() -> None:
    """A slot whose connection is sending is never taken (busy_grace); a refused connection
    is counted. (An idle slot is given away instead: tests/unit/test_syslog_intake.py.)"""
    async with listening(max_connections=1, udp=False, busy_grace=60) as (listener, got):
        _r1, w1 = await asyncio.open_connection("127.0.0.1", listener.tcp_port)
        w1.write(OFFLINE.encode() + b"\n")
        await w1.drain()
        await _until(lambda: len(got) == 1)
        r2, w2 = await asyncio.open_connection("127.0.0.1", listener.tcp_port)
        assert await asyncio.wait_for(r2.read(), 5) == b""  # closed by the listener
        assert listener.stats.refused == 1 and listener.stats.evicted == 0
        w1.write(DISCONNECT.encode() + b"\n")
        await w1.drain()
        await _until(lambda: len(got) == 2)
        for w in (w1, w2):
            w.close()


def test_needs_some_transport() -> None:
    with pytest.raises(ValueError, match="UDP or TCP"):
        SyslogListener(udp=False, tcp=False)
