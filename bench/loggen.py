"""Big synthetic kernel logs for the scan benchmark: deterministic, seeded, streamed to disk.

A node's kernel log as ``journalctl -k`` prints it, mostly ordinary chatter (bridge port
states, tap devices, firewall drops, EXT4, perf, USB, IPv6 address configuration) with e1000e
hang episodes and link flaps spread through it. Each episode is a run of ``Detected Hardware
Unit Hang`` blocks every 2 s (TDH frozen), then ``Reset adapter unexpectedly`` and a link
down/up; a few link flaps come without a hang. Episodes are at least 4 minutes apart, so the
hang detector's 60 s quiet gap and the link-up both separate them: the generator's own counts
(:class:`LogStats`) are the ground truth the benchmark checks ``labconsole scan`` against.

Formats: ``short-iso`` (continuation lines indented, as journalctl prints a multi-line
message), ``dmesg`` (every line stamped with the uptime) and ``json`` (``journalctl -o json``,
one entry per line, the register block inside ``MESSAGE``). Lines are written in batches to a
file, never held in memory, so a 10M-line file costs no more RAM than a 1k-line one.

Every message text here is written for this benchmark; none is copied from a real log.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Generator, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TextIO

FORMATS = ("short-iso", "dmesg", "json")
HOST = "pve03"
NIC = "e1000e 0000:00:1f.6 eno1"
START = datetime(2024, 6, 3, 0, 0, 0, tzinfo=timezone(timedelta(hours=2)))
BOOT_UPTIME = 120.0  # seconds since boot at START, for dmesg stamps
GENERATOR_VERSION = 2  # bump when the output changes: cached files are keyed by it
HANG_MARKER = "Hardware Unit Hang"
# Per chatter message: chance that a hang episode / a bare link flap starts here.
EPISODE_RATE = 1 / 1500
FLAP_RATE = 1 / 40000
# Quiet seconds between episodes/flaps: well over the detector's 60 s gap.
MIN_SPACING_S = 240.0
BATCH = 4096


@dataclass(frozen=True)
class LogStats:
    """What the generator wrote: the ground truth for the scan benchmark."""

    fmt: str
    lines: int  # physical lines in the file
    messages: int  # logical log messages (a hang block is one)
    hang_reports: int  # == grep -c 'Hardware Unit Hang' (one marker per report)
    hang_episodes: int
    link_events: int  # down + up lines
    resets: int
    bytes: int

    def to_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class _Msg:
    """One logical message: seconds since START, the text lines (first is the head), and what
    it is for the ground truth ("chatter", "hang_first", "hang", "reset", "link")."""

    t: float
    lines: tuple[str, ...]
    kind: str = "chatter"


def _chatter(rng: random.Random) -> Iterator[str]:
    """Endless ordinary kernel messages of a busy Proxmox node (none is a hang or a link)."""
    makers: list[Callable[[], str]] = [
        lambda: f"vmbr0: port {rng.randint(2, 9)}(tap{rng.randint(100, 140)}i0) entered "
        + rng.choice(("forwarding", "blocking", "disabled")) + " state",
        lambda: f"fwbr{rng.randint(100, 140)}i0: port 1(fwln{rng.randint(100, 140)}i0) "
        "entered " + rng.choice(("forwarding", "disabled")) + " state",
        lambda: f"tap{rng.randint(100, 140)}i0: entered promiscuous mode",
        lambda: "[FW-DROP] IN=vmbr0 OUT= MAC=aa:bb:cc:00:11:22:dd:ee:ff:33:44:55:08:00 "
        f"SRC=10.20.{rng.randint(0, 255)}.{rng.randint(1, 254)} DST=10.20.0.13 LEN=60 TOS=0x00 "
        f"PROTO=TCP SPT={rng.randint(1024, 65535)} DPT={rng.choice((22, 111, 3128, 8006))}",
        lambda: f"EXT4-fs (dm-{rng.randint(2, 12)}): mounted filesystem with ordered data mode.",
        lambda: f"perf: interrupt took too long ({rng.randint(2501, 9000)} > 2500), lowering "
        "kernel.perf_event_max_sample_rate",
        lambda: f"usb 1-{rng.randint(1, 8)}: new high-speed USB device number "
        f"{rng.randint(2, 30)} using xhci_hcd",
        # Address configuration notices hold "link " (the scan's prefilter looks at them) but
        # are not carrier changes: realistic work for the slow path, not link events.
        lambda: f"IPv6: ADDRCONF(NETDEV_CHANGE): tap{rng.randint(100, 140)}i0: link becomes ready",
        lambda: f"kvm[{rng.randint(1000, 99999)}]: vcpu{rng.randint(0, 7)}, guest rIP: "
        f"0x{rng.getrandbits(40):x} ignored rdmsr: 0x{rng.getrandbits(12):x}",
        lambda: f"sd {rng.randint(0, 3)}:0:0:0: [sd{rng.choice('abcd')}] Synchronizing SCSI cache",
    ]
    weights = [22, 10, 8, 12, 5, 4, 3, 6, 22, 8]
    while True:
        for maker in rng.choices(makers, weights=weights, k=256):
            yield maker()


_REGISTERS = (
    ("  ", "TDH", "{tdh}"), ("  ", "TDT", "{tdt}"), ("  ", "next_to_use", "{tdt}"),
    ("  ", "next_to_clean", "{tdh}"), ("", "buffer_info[next_to_clean]:", None),
    ("  ", "time_stamp", "{stamp}"), ("  ", "next_to_watch", "{tdh}"),
    ("  ", "jiffies", "{jiffies}"), ("  ", "next_to_watch.status", "0"),
    ("", "MAC Status", "80083"), ("", "PHY Status", "796d"),
    ("", "PHY 1000BASE-T Status", "3800"), ("", "PHY Extended Status", "3000"),
    ("", "PCI Status", "10"),
)


def _hang_block(tdh: str, tdt: str, stamp: int, jiffies: int) -> tuple[str, ...]:
    """One e1000e report: the head line and 14 register lines (15 lines in all)."""
    values = {"tdh": tdh, "tdt": tdt, "stamp": f"{stamp:x}", "jiffies": f"{jiffies:x}"}
    lines = [f"{NIC}: Detected {HANG_MARKER}:"]
    for indent, name, value in _REGISTERS:
        if value is None:
            lines.append(indent + name)
        else:
            # e1000e pads the names to one column: 23 characters from the block's margin
            lines.append(f"{indent}{name:<{23 - len(indent)}}<{value.format(**values)}>")
    return tuple(lines)


class _Counts:
    """Counted as messages are written, so a file cut inside an episode stays exact."""

    def __init__(self) -> None:
        self.reports = self.episodes = self.links = self.resets = 0

    def add(self, kind: str) -> None:
        if kind == "hang_first":
            self.episodes += 1
            self.reports += 1
        elif kind == "hang":
            self.reports += 1
        elif kind == "link":
            self.links += 1
        elif kind == "reset":
            self.resets += 1


_DOWN = "e1000e: eno1 NIC Link is Down"
_UP = "e1000e: eno1 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx"


def _messages(seed: int) -> Iterator[_Msg]:
    """The endless message stream, in time order."""
    rng = random.Random(seed)
    chatter = _chatter(random.Random(seed + 1))
    t = 0.0
    last_special = -1e9
    while True:
        t += rng.expovariate(20.0)  # about 20 messages a second
        r = rng.random()
        if r < EPISODE_RATE and t - last_special > MIN_SPACING_S:
            t = yield from _episode(rng, t, chatter)
            last_special = t
        elif r < EPISODE_RATE + FLAP_RATE and t - last_special > MIN_SPACING_S:
            yield _Msg(t, (_DOWN,), "link")
            t += 3.1
            yield _Msg(t, (_UP,), "link")
            last_special = t
        else:
            yield _Msg(t, (next(chatter),))


def _episode(rng: random.Random, t: float, chatter: Iterator[str]) -> Generator[_Msg, None,
                                                                              float]:
    """A hang episode: 3..40 reports 2 s apart with chatter between, then reset and a flap.
    Returns the time of its last message."""
    reports = rng.randint(3, 40)
    tdh = f"{rng.randint(0, 255):x}"
    tdt = f"{rng.randint(0, 255):x}"
    stamp = rng.getrandbits(32) + (1 << 32)
    for i in range(reports):
        at = t + 2.0 * i
        block = _hang_block(tdh, tdt, stamp, stamp + 1000 + 500 * i)
        yield _Msg(at, block, "hang" if i else "hang_first")
        between = sorted(rng.uniform(0.01, 1.99) for _ in range(rng.randint(0, 30)))
        for dt in between:
            yield _Msg(at + dt, (next(chatter),))
    end = t + 2.0 * reports
    yield _Msg(end, (f"{NIC}: Reset adapter unexpectedly",), "reset")
    yield _Msg(end + 0.1, (_DOWN,), "link")
    yield _Msg(end + 4.2, (_UP,), "link")
    return end + 4.2


class _ShortIso:
    """``journalctl -k -o short-iso``: continuation lines indented under the message."""

    def __init__(self) -> None:
        self._sec = -1
        self._stamp = ""

    def render(self, msg: _Msg) -> list[str]:
        sec = int(msg.t)
        if sec != self._sec:  # formatting a datetime per line would dominate generation
            self._sec = sec
            self._stamp = (START + timedelta(seconds=sec)).strftime("%Y-%m-%dT%H:%M:%S%z")
        head = f"{self._stamp} {HOST} kernel: "
        pad = " " * len(head)
        out = [head + msg.lines[0] + "\n"]
        out.extend(pad + line + "\n" for line in msg.lines[1:])
        return out


class _Dmesg:
    """``dmesg``: every physical line carries the uptime stamp."""

    def render(self, msg: _Msg) -> list[str]:
        stamp = f"[{BOOT_UPTIME + msg.t:12.6f}] "
        return [stamp + line + "\n" for line in msg.lines]


class _Json:
    """``journalctl -k -o json``: one entry per line, the whole block in MESSAGE."""

    def render(self, msg: _Msg) -> list[str]:
        real = int((START.timestamp() + msg.t) * 1_000_000)
        mono = int((BOOT_UPTIME + msg.t) * 1_000_000)
        text = json.dumps("\n".join(msg.lines), ensure_ascii=False)
        return [
            f'{{"__REALTIME_TIMESTAMP":"{real}","__MONOTONIC_TIMESTAMP":"{mono}",'
            f'"_HOSTNAME":"{HOST}","SYSLOG_IDENTIFIER":"kernel","_TRANSPORT":"kernel",'
            f'"PRIORITY":"6","MESSAGE":{text}}}\n'
        ]


def _renderer(fmt: str) -> _ShortIso | _Dmesg | _Json:
    if fmt == "short-iso":
        return _ShortIso()
    if fmt == "dmesg":
        return _Dmesg()
    if fmt == "json":
        return _Json()
    raise ValueError(f"unknown log format {fmt!r} (known: {', '.join(FORMATS)})")


def write_log(out: TextIO, fmt: str, target_lines: int, seed: int = 9) -> LogStats:
    """Write at least ``target_lines`` physical lines (whole messages) of ``fmt`` to ``out``."""
    renderer = _renderer(fmt)
    counts = _Counts()
    lines = messages = size = 0
    batch: list[str] = []
    for msg in _messages(seed):
        if lines >= target_lines:
            break
        counts.add(msg.kind)
        rendered = renderer.render(msg)
        batch.extend(rendered)
        lines += len(rendered)
        messages += 1
        if len(batch) >= BATCH:
            chunk = "".join(batch)
            size += len(chunk.encode())
            out.write(chunk)
            batch.clear()
    chunk = "".join(batch)
    size += len(chunk.encode())
    out.write(chunk)
    return LogStats(fmt=fmt, lines=lines, messages=messages, hang_reports=counts.reports,
                    hang_episodes=counts.episodes, link_events=counts.links,
                    resets=counts.resets, bytes=size)


def cached_log(cache_dir: Path, fmt: str, target_lines: int, seed: int = 9) -> tuple[Path,
                                                                                     LogStats]:
    """The generated file for these parameters, written once and reused by later runs."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    ext = "json" if fmt == "json" else "log"
    path = cache_dir / f"kern-{fmt}-{target_lines}-s{seed}-v{GENERATOR_VERSION}.{ext}"
    meta = path.with_suffix(path.suffix + ".stats.json")
    if path.exists() and meta.exists():
        try:
            return path, LogStats(**json.loads(meta.read_text()))
        except (ValueError, TypeError):
            pass  # a damaged sidecar: regenerate
    tmp = path.with_suffix(path.suffix + ".part")
    with tmp.open("w", encoding="utf-8") as out:
        stats = write_log(out, fmt, target_lines, seed)
    tmp.rename(path)
    meta.write_text(json.dumps(stats.to_json()))
    return path, stats
