"""Syslog/CEF listener: UDP datagrams and TCP streams (RFC 6587) -> SyslogText events.

The framing (octet counting vs. newline, size limits, garbage detection) is the pure
:mod:`labconsole.parse.syslog_framing`; this module owns only the sockets. Parsing of RFC
3164/5424 headers and CEF payloads happens in the domain state, so live and replayed messages
take the same path. Nothing a sender does can crash the listener: oversized and garbage
messages are counted (``stats``) and dropped, a full queue drops and counts (``overflow``),
and TCP connections beyond ``max_connections`` are closed at once (``refused``).

The default address is loopback and an unprivileged port (5514): binding 514 needs root, and
a listener on all interfaces is an explicit choice in the config.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field, fields

from labconsole.clock import Clock, system_clock
from labconsole.events import SyslogText
from labconsole.parse.syslog_framing import (
    DEFAULT_MAX_MESSAGE,
    DatagramDecoder,
    FramingStats,
    StreamFramer,
)
from labconsole.sources.base import Emit

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5514


@dataclass(slots=True)
class ListenerStats:
    udp: FramingStats = field(default_factory=FramingStats)
    tcp: FramingStats = field(default_factory=FramingStats)  # connections already closed
    overflow: int = 0
    refused: int = 0
    connections: int = 0

    def dropped(self) -> int:
        return self.udp.dropped + self.tcp.dropped + self.overflow


def _add(total: FramingStats, part: FramingStats) -> None:
    for f in fields(FramingStats):
        setattr(total, f.name, getattr(total, f.name) + getattr(part, f.name))


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, listener: SyslogListener) -> None:
        self.listener = listener

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        text = self.listener.decoder.decode(data)
        if text is not None:
            self.listener.deliver(text, f"udp:{addr[0]}:{addr[1]}")


@dataclass
class SyslogListener:
    """Listens on ``host:port`` for UDP and/or TCP syslog; ``port=0`` picks free ports."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    udp: bool = True
    tcp: bool = True
    max_message: int = DEFAULT_MAX_MESSAGE
    max_connections: int = 64
    queue_size: int = 10_000
    clock: Clock = system_clock
    name: str = "syslog"
    stats: ListenerStats = field(default_factory=ListenerStats)
    udp_port: int | None = None  # actual bound ports, set once listening
    tcp_port: int | None = None

    def __post_init__(self) -> None:
        if not (self.udp or self.tcp):
            raise ValueError("syslog listener needs UDP or TCP enabled")
        self.decoder = DatagramDecoder(self.max_message)
        self.stats.udp = self.decoder.stats
        self._queue: asyncio.Queue[SyslogText] = asyncio.Queue(self.queue_size)
        self._ready = asyncio.Event()
        self._open: set[StreamFramer] = set()

    def deliver(self, text: str, peer: str) -> None:
        event = SyslogText(at=self.clock(), source=self.name, node=None, text=text, peer=peer)
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.stats.overflow += 1

    def tcp_stats(self) -> FramingStats:
        """TCP totals including connections still open."""
        total = FramingStats()
        _add(total, self.stats.tcp)
        for framer in self._open:
            _add(total, framer.stats)
        return total

    async def ready(self) -> None:
        """Wait until the sockets are bound (``udp_port``/``tcp_port`` are then set)."""
        await self._ready.wait()

    async def run(self, emit: Emit) -> None:
        loop = asyncio.get_running_loop()
        transport = server = None
        try:
            if self.udp:
                transport, _ = await loop.create_datagram_endpoint(
                    lambda: _Udp(self), local_addr=(self.host, self.port))
                self.udp_port = transport.get_extra_info("sockname")[1]
            if self.tcp:
                tcp_port = self.port or self.udp_port or 0
                server = await asyncio.start_server(self._client, self.host, tcp_port,
                                                    limit=self.max_message + 64)
                self.tcp_port = server.sockets[0].getsockname()[1]
            self._ready.set()
            while True:
                await emit(await self._queue.get())
        finally:
            if transport is not None:
                transport.close()
            if server is not None:
                server.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if len(self._open) >= self.max_connections:
            self.stats.refused += 1
            writer.close()
            return
        self.stats.connections += 1
        framer = StreamFramer(self.max_message)
        self._open.add(framer)
        peername = writer.get_extra_info("peername") or ("?", 0)
        peer = f"tcp:{peername[0]}:{peername[1]}"
        try:
            while chunk := await reader.read(65536):
                for text in framer.feed(chunk):
                    self.deliver(text, peer)
            for text in framer.close():
                self.deliver(text, peer)
        except (ConnectionError, OSError):
            framer.close()  # a reset connection: count what was cut short
        finally:
            self._open.discard(framer)
            _add(self.stats.tcp, framer.stats)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
