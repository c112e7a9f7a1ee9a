"""Syslog/CEF listener: UDP datagrams and TCP streams (RFC 6587) -> SyslogText events.

The framing (octet counting vs. newline, size limits, garbage detection) is the pure
:mod:`labconsole.parse.syslog_framing`; this module owns only the sockets. Parsing of RFC
3164/5424 headers and CEF payloads happens in the domain state, so live and replayed messages
take the same path. Nothing a sender does can crash the listener, and nothing it loses is
silent (issue 19 items 3 and 5): every message dropped is counted by cause in ``stats``, and
once a second, while anything was lost in the last ``loss_window`` seconds, an
:class:`~labconsole.events.IntakeLoss` event says how much (the status bar shows it):

- the kernel's own drops (the socket's receive buffer was full: :mod:`socket_drops`);
- a full queue between the sockets and the console (``queue_size``; UDP only: a TCP
  connection is simply not read while the queue is full, so its sender waits instead);
- oversized and garbage frames, TCP frames cut short (``malformed``);
- senders outside ``allow`` (``rejected``; the default allows loopback only);
- TCP connections refused because every slot holds a connection that is busy.

TCP is bounded in time and number: a connection silent for ``idle_timeout`` seconds is
closed; at ``max_per_peer`` connections from one address, or ``max_connections`` in all, a
new connection takes the slot of an idle one (never-used connections first, then the longest
silent; ``evicted``), and is refused only when every candidate is busy. So idle connections,
however many, never lock out a sender that sends.

The default address is loopback and an unprivileged port (5514): binding 514 needs root, and
a listener on all interfaces is an explicit choice in the config.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from time import perf_counter

from labconsole.clock import Clock, system_clock
from labconsole.events import IntakeLoss, SyslogText
from labconsole.parse.syslog_framing import (
    DEFAULT_MAX_MESSAGE,
    DatagramDecoder,
    FramingStats,
    StreamFramer,
)
from labconsole.sources.base import Emit
from labconsole.sources.socket_drops import socket_inode, udp_drops

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5514
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK: tuple[Network, ...] = (ipaddress.ip_network("127.0.0.0/8"),
                                 ipaddress.ip_network("::1/128"))


@dataclass(slots=True)
class ListenerStats:
    udp: FramingStats = field(default_factory=FramingStats)
    tcp: FramingStats = field(default_factory=FramingStats)  # connections already closed
    overflow: int = 0
    refused: int = 0
    connections: int = 0
    rejected: int = 0  # datagrams and connections from senders outside the allowlist
    evicted: int = 0  # idle connections closed to make room for a new one
    idle_closed: int = 0  # connections closed after idle_timeout
    kernel: int | None = None  # the UDP socket's own drop counter, when known

    def dropped(self) -> int:
        return (self.udp.dropped + self.tcp.dropped + self.overflow + self.rejected
                + self.refused + (self.kernel or 0))


def _add(total: FramingStats, part: FramingStats) -> None:
    for f in fields(FramingStats):
        setattr(total, f.name, getattr(total, f.name) + getattr(part, f.name))


def parse_networks(items: Sequence[str]) -> tuple[Network, ...]:
    """CIDRs or single addresses -> networks; ValueError naming the bad item."""
    out = []
    for item in items:
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address or CIDR") from None
    return tuple(out)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


# Datagrams read per wake-up of the UDP socket. asyncio's datagram transport reads one per
# event-loop iteration, so intake was capped by how long one iteration took: with the screen
# redrawing, 3-100 a second (issue 19 item 3). A batch keeps intake independent of that.
UDP_BATCH = 256
FORWARD_BATCH = 64  # messages applied between two yields to the event loop, at most
FORWARD_SLICE_S = 0.003  # and at most this long (about 20 CEF records on an idle core)
_UDP_BUFFER = 65_536  # the largest UDP payload: a bigger message is never cut silently


@dataclass(eq=False, slots=True)
class _Conn:
    """One open TCP connection: who, since when silent, and whether it ever sent."""

    peer: str
    writer: asyncio.StreamWriter
    framer: StreamFramer
    last_active: float
    used: bool = False
    evicted: bool = False

    def idle_rank(self) -> tuple[bool, float]:
        """Sorts the best candidate for eviction first: never used, then longest silent."""
        return (self.used, self.last_active)


@dataclass
class SyslogListener:
    """Listens on ``host:port`` for UDP and/or TCP syslog; ``port=0`` picks free ports."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    udp: bool = True
    tcp: bool = True
    max_message: int = DEFAULT_MAX_MESSAGE
    max_connections: int = 64
    max_per_peer: int = 16
    idle_timeout: float = 120.0
    # A used connection silent this long may give its slot to a new one.
    busy_grace: float = 2.0
    queue_size: int = 10_000
    receive_buffer: int | None = None  # SO_RCVBUF of the UDP socket; None: the system's
    allow: tuple[Network, ...] = LOOPBACK
    loss_window: float = 10.0
    loss_every: float = 1.0
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
        self._open: set[_Conn] = set()
        self._udp_inode: int | None = None
        self._kernel_base: int | None = None
        self._samples: deque[tuple[float, IntakeLoss]] = deque()
        self._loss_shown = False
        self._allowed: dict[str, bool] = {}

    def allowed(self, address: str) -> bool:
        """Whether ``address`` is in the allowlist; remembered per address (parsing it for
        every datagram was 8% of the CPU under a flood), forgetting all past 4,096."""
        known = self._allowed.get(address)
        if known is None:
            ip = _ip(address)
            known = ip is not None and any(ip in net for net in self.allow)
            if len(self._allowed) >= 4096:
                self._allowed.clear()
            self._allowed[address] = known
        return known

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
        for conn in self._open:
            _add(total, conn.framer.stats)
        return total

    @property
    def open_connections(self) -> int:
        return len(self._open)

    async def ready(self) -> None:
        """Wait until the sockets are bound (``udp_port``/``tcp_port`` are then set)."""
        await self._ready.wait()

    async def run(self, emit: Emit) -> None:
        loop = asyncio.get_running_loop()
        udp = server = ticker = None
        try:
            if self.udp:
                udp = self._bind_udp()
                loop.add_reader(udp.fileno(), self._read_udp, udp)
            if self.tcp:
                tcp_port = self.port or self.udp_port or 0
                server = await asyncio.start_server(self._client, self.host, tcp_port,
                                                    limit=self.max_message + 64)
                self.tcp_port = server.sockets[0].getsockname()[1]
            self._ready.set()
            ticker = asyncio.create_task(self._report_losses(emit))
            await self._forward(emit)
        finally:
            if ticker is not None:
                ticker.cancel()
            if udp is not None:
                loop.remove_reader(udp.fileno())
                udp.close()
            if server is not None:
                server.close()
            for conn in list(self._open):
                conn.writer.close()

    async def _forward(self, emit: Emit) -> None:
        """Queue -> console, yielding to the event loop after FORWARD_BATCH messages or
        FORWARD_SLICE_S of work, whichever comes first: a full queue must not hold the screen
        (and the operator's keys) until it is empty. A key waits for one slice at each of
        Textual's hops (driver, app, screen, widget), so the slice is kept short."""
        while True:
            await emit(await self._queue.get())
            until = perf_counter() + FORWARD_SLICE_S
            for _ in range(FORWARD_BATCH - 1):
                if self._queue.empty() or perf_counter() >= until:
                    break
                await emit(self._queue.get_nowait())
            await asyncio.sleep(0)

    # -- UDP -----------------------------------------------------------------------------------

    def _bind_udp(self) -> socket.socket:
        family, kind, proto, _, address = socket.getaddrinfo(
            self.host, self.port, type=socket.SOCK_DGRAM)[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.setblocking(False)
            if self.receive_buffer:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer)
            sock.bind(address)
        except OSError:
            sock.close()
            raise
        self.udp_port = sock.getsockname()[1]
        self._udp_inode = socket_inode(sock)
        self._read_kernel_drops()
        return sock

    def _read_udp(self, sock: socket.socket) -> None:
        """Up to UDP_BATCH datagrams now (the socket is readable)."""
        for _ in range(UDP_BATCH):
            try:
                data, addr = sock.recvfrom(_UDP_BUFFER)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # e.g. ICMP-reported errors on some stacks: not ours to stop on
                return
            if not self.allowed(addr[0]):
                self.stats.rejected += 1
                continue
            text = self.decoder.decode(data)
            if text is not None:
                self.deliver(text, f"udp:{addr[0]}:{addr[1]}")

    # -- loss accounting ---------------------------------------------------------------------

    def _read_kernel_drops(self) -> None:
        """The socket's drop counter since we bound it (the inode may be reused: baseline)."""
        if self._udp_inode is None:
            return
        drops = udp_drops(self._udp_inode)
        if drops is None:
            return
        if self._kernel_base is None:
            self._kernel_base = drops
        self.stats.kernel = drops - self._kernel_base

    def totals(self) -> IntakeLoss:
        """Every counter since start, as an IntakeLoss over the whole run."""
        self._read_kernel_drops()
        tcp = self.tcp_stats()
        s = self.stats
        return IntakeLoss(
            at=self.clock(), source=self.name, node=None, window=0.0,
            received=s.udp.messages + tcp.messages, kernel=s.kernel, queue=s.overflow,
            malformed=s.udp.dropped + tcp.dropped, rejected=s.rejected, refused=s.refused,
            evicted=s.evicted, idle_closed=s.idle_closed)

    def loss_sample(self, now: float) -> IntakeLoss:
        """Counts of the last ``loss_window`` seconds (``now`` on the loop's clock)."""
        current = self.totals()
        self._samples.append((now, current))
        while len(self._samples) > 1 and now - self._samples[1][0] >= self.loss_window:
            self._samples.popleft()
        base = self._samples[0][1]
        return _difference(current, base, window=self.loss_window)

    async def _report_losses(self, emit: Emit) -> None:
        loop = asyncio.get_running_loop()
        self.loss_sample(loop.time())
        while True:
            await asyncio.sleep(self.loss_every)
            loss = self.loss_sample(loop.time())
            if loss.dropped or self._loss_shown:  # once more at zero: the bar clears
                await emit(loss)
                self._loss_shown = loss.dropped > 0

    # -- TCP ---------------------------------------------------------------------------------

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peername = writer.get_extra_info("peername") or ("?", 0)
        if not self.allowed(str(peername[0])):
            self.stats.rejected += 1
            writer.close()
            return
        if not self._make_room(str(peername[0])):
            self.stats.refused += 1
            writer.close()
            return
        self.stats.connections += 1
        loop = asyncio.get_running_loop()
        conn = _Conn(str(peername[0]), writer, StreamFramer(self.max_message), loop.time())
        self._open.add(conn)
        try:
            await self._read(conn, reader, f"tcp:{peername[0]}:{peername[1]}")
        except (ConnectionError, OSError):
            conn.framer.close()  # a reset connection: count what was cut short
        finally:
            self._open.discard(conn)
            _add(self.stats.tcp, conn.framer.stats)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _read(self, conn: _Conn, reader: asyncio.StreamReader, peer: str) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                chunk = await asyncio.wait_for(reader.read(65536), self.idle_timeout)
            except TimeoutError:
                self.stats.idle_closed += 1
                break
            if not chunk:
                break
            conn.last_active = loop.time()
            for text in conn.framer.feed(chunk):
                conn.used = True
                await self._deliver_stream(text, peer)
        for text in conn.framer.close():  # a last line without terminator still counts
            self.deliver(text, peer)

    async def _deliver_stream(self, text: str, peer: str) -> None:
        """TCP has flow control: with the queue full, stop reading this connection (the
        sender waits) rather than drop what it sent."""
        await self._queue.put(SyslogText(at=self.clock(), source=self.name, node=None,
                                         text=text, peer=peer))

    def _make_room(self, peer: str) -> bool:
        """Whether a new connection from ``peer`` may open, evicting an idle one if need be."""
        same = [c for c in self._open if c.peer == peer]
        if len(same) >= self.max_per_peer and not self._evict(same):
            return False
        if len(self._open) >= self.max_connections:
            return self._evict(list(self._open))
        return True

    def _evict(self, candidates: list[_Conn]) -> bool:
        now = asyncio.get_running_loop().time()
        idle = [c for c in candidates if not c.evicted
                and (not c.used or now - c.last_active >= self.busy_grace)]
        if not idle:
            return False
        victim = min(idle, key=_Conn.idle_rank)
        victim.evicted = True
        self._open.discard(victim)  # its slot is free now; its task ends on the close
        self.stats.evicted += 1
        victim.writer.close()
        return True


def _difference(current: IntakeLoss, base: IntakeLoss, *, window: float) -> IntakeLoss:
    kernel = (None if current.kernel is None
              else current.kernel - (base.kernel or 0))
    return IntakeLoss(
        at=current.at, source=current.source, node=None, window=window,
        received=current.received - base.received, kernel=kernel,
        queue=current.queue - base.queue, malformed=current.malformed - base.malformed,
        rejected=current.rejected - base.rejected, refused=current.refused - base.refused,
        evicted=current.evicted - base.evicted,
        idle_closed=current.idle_closed - base.idle_closed)

