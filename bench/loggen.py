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

Mix profiles (:data:`PROFILES`) make the figures hold on more than one shape of log: a quiet
node, a busy node whose other NICs flap (>= 8% of lines are link messages), a hang storm over
several devices, corosync churn, a CEF-heavy syslog, journal JSON, and a node whose noise is
drawn from the real samples in ``../shared/realdata`` (read when the file is generated, never
stored in the repository). ``classic`` is the original mix, kept so older results compare.

Every message text here is written for this benchmark; none is copied from a real log (the
``realdata`` profile's noise lines are read from the samples at generation time).
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable, Generator, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TextIO

FORMATS = ("short-iso", "dmesg", "json")
HOST = "pve03"
NIC = "e1000e 0000:00:1f.6 eno1"
START = datetime(2024, 6, 3, 0, 0, 0, tzinfo=timezone(timedelta(hours=2)))
BOOT_UPTIME = 120.0  # seconds since boot at START, for dmesg stamps
GENERATOR_VERSION = 4  # bump when the output changes: cached files are keyed by it
HANG_MARKER = "Hardware Unit Hang"
# Per chatter message: chance that a hang episode / a bare link flap starts here.
EPISODE_RATE = 1 / 1500
FLAP_RATE = 1 / 40000
# Quiet seconds between episodes/flaps: well over the detector's 60 s gap.
MIN_SPACING_S = 240.0
BATCH = 4096
REALDATA_ENV = "LABCONSOLE_REALDATA"


@dataclass(frozen=True)
class Profile:
    """A mix of messages. Rates are chances per message; the rest is chatter."""

    name: str
    fmt: str
    about: str
    episode_rate: float = EPISODE_RATE
    flap_rate: float = FLAP_RATE
    nic_link_rate: float = 0.0  # link down/up of other NICs (igb, ixgbe, r8169, e1000e)
    hang_nics: tuple[str, ...] = (NIC,)  # episodes go round these devices
    spacing_s: float = MIN_SPACING_S  # quiet time before an episode or a flap
    max_between: int = 30  # chatter messages between two reports of an episode, at most
    corosync_rate: float = 0.0
    cef_rate: float = 0.0
    real_noise: float = 0.0  # share of chatter drawn from the real samples' lines


_STORM_NICS = (NIC, "e1000e 0000:00:19.0 eno2", "e1000e 0000:02:00.0 enp2s0",
               "e1000e 0000:03:00.0 enp3s0")
PROFILES: dict[str, Profile] = {p.name: p for p in (
    Profile("classic", "short-iso", "the original mix (issue 9): busy chatter, e1000e episodes"),
    Profile("quiet", "short-iso", "a quiet node: chatter, a rare episode and flap",
            episode_rate=1 / 30000, flap_rate=1 / 100000),
    Profile("busy", "short-iso", "many VM taps and flapping NICs: about 10% link lines",
            nic_link_rate=0.10),
    Profile("hang-storm", "short-iso", "hang episodes on four e1000e ports, back to back",
            episode_rate=1 / 40, hang_nics=_STORM_NICS, spacing_s=5.0, max_between=3),
    Profile("corosync", "short-iso", "corosync and pmxcfs churn: a third of the lines",
            corosync_rate=0.33, flap_rate=1 / 5000),
    Profile("cef", "short-iso", "a syslog where a third of the lines are UniFi CEF records",
            cef_rate=0.33),
    Profile("journal-json", "json", "the busy node as journalctl -o json", nic_link_rate=0.10),
    Profile("realdata", "short-iso", "noise lines drawn from ../shared/realdata's samples",
            real_noise=0.5, nic_link_rate=0.02),
)}


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
    profile: str = "classic"
    cef_records: int = 0
    corosync_lines: int = 0
    link_lines_share: float = 0.0

    def to_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class _Msg:
    """One logical message: seconds since START, the text lines (first is the head), and what
    it is for the ground truth ("chatter", "hang_first", "hang", "reset", "link", "cef",
    "corosync"). ``prog`` is the syslog program (None: the line is written as it is, raw)."""

    t: float
    lines: tuple[str, ...]
    kind: str = "chatter"
    prog: str | None = "kernel"
    host: str = HOST


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


# Other NICs of a busy node: (kernel prefix, down text, up text), as their drivers print them.
_OTHER_NICS = tuple(
    [(f"igb 0000:0{i}:00.0 enp{i}s0: igb: enp{i}s0", "NIC Link is Down",
      "NIC Link is Up 1000 Mbps Full Duplex, Flow Control: RX") for i in (4, 5, 6)]
    + [(f"ixgbe 0000:08:00.{i} enp8s0f{i}:", "NIC Link is Down",
        "NIC Link is Up 10 Gbps, Flow Control: RX/TX") for i in (0, 1)]
    + [(f"r8169 0000:0{i}:00.0 enp{i}s0:", "Link is Down",
        "Link is Up - 1Gbps/Full - flow control rx/tx") for i in (7, 9)]
    + [(f"e1000e: eno{i}", "NIC Link is Down",
        "NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx") for i in (2, 3)]
)


def _corosync(rng: random.Random) -> tuple[str, str]:
    """One corosync or pmxcfs line of a cluster whose members come and go: (program, text)."""
    node = rng.randint(1, 3)
    pick = rng.randrange(9)
    texts = (
        f"  [KNET  ] link: host: {node} link: 0 is down",
        f"  [KNET  ] host: host: {node} (passive) best link: 0 (pri: 1)",
        f"  [KNET  ] host: host: {node} has no active links",
        f"  [TOTEM ] Token has not been received in {rng.randint(1500, 4000)} ms",
        f"  [TOTEM ] A new membership (1.{rng.getrandbits(12):x}) was formed. "
        f"Members left: {node}",
        f"  [QUORUM] Members[2]: {' '.join(str(n) for n in (1, 2, 3) if n != node)}",
        "  [MAIN  ] Completed service synchronization, ready to provide service.",
        f"[status] notice: members: {', '.join(f'{n}/{1200 + n}' for n in (1, 2, 3))}",
        "[dcdb] notice: cpg_send_message retried 1 times",
    )
    prog = "pmxcfs[1201]" if pick >= 7 else "corosync[1187]"
    return prog, texts[pick]


_CEF_EVENTS = (
    ("400", "WiFi Client Connected", "2", "UNIFIcategory=Monitoring UNIFIsubCategory=WiFi"),
    ("401", "WiFi Client Disconnected", "2", "UNIFIcategory=Monitoring UNIFIsubCategory=WiFi"),
    ("544", "Admin Accessed UniFi Network", "2", "UNIFIcategory=System UNIFIsubCategory=Admin"),
    ("130", "Device Offline", "4", "UNIFIcategory=Monitoring UNIFIsubCategory=Device"),
    ("200", "Threat Detected and Blocked", "7", "UNIFIcategory=Security UNIFIsubCategory=IPS"),
)


def _cef(rng: random.Random, t: float) -> str:
    sig, name, sev, ext = rng.choice(_CEF_EVENTS)
    utc = (START + timedelta(seconds=t)).astimezone(timezone.utc)
    stamp = utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    mac = f"02:00:00:00:{rng.randint(0, 99):02d}:01"
    return (f"CEF:0|Ubiquiti|UniFi Network|9.0.114|{sig}|{name}|{sev}|{ext} "
            f"UNIFIhost=usw-lab-{rng.randint(1, 4)} UNIFIclientMac={mac} "
            f"src=10.20.0.{rng.randint(2, 250)} UNIFIutcTime={stamp} "
            f"msg=lab event {rng.randint(1, 9999)}")


# Words that would make a real noise line part of the ground truth (a hang, a link, a CEF
# record, a register line picked up after a report): such lines are left out.
_NOT_NOISE = ("Hang", "WATCHDOG", "Link", "link", "Reset", "CEF:", "timed out", "|", "<", "\t",
              # the drivers' own TX timeout / reset words and a NIC leaving the bus
              "TX timeout", "tx timeout", "tx_timeout", "tx hang", "PF reset")


def realdata_dir() -> Path:
    """``../shared/realdata`` beside the project (or ``$LABCONSOLE_REALDATA``)."""
    env = os.environ.get(REALDATA_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent.parent / "shared" / "realdata"


def real_noise_lines(base: Path | None = None) -> list[str]:
    """Lines of the real samples that are none of hang, link or CEF: noise with real shapes
    (their own headers, padding, odd stamps). Empty when the samples are not there."""
    folder = (base or realdata_dir()) / "logs"
    out: list[str] = []
    for path in sorted(folder.glob("*.log")) if folder.is_dir() else []:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if (line.strip() and not line[0].isspace() and len(line) < 400
                    and not any(word in line for word in _NOT_NOISE)):
                out.append(line)
    return out


_REGISTERS = (
    ("  ", "TDH", "{tdh}"), ("  ", "TDT", "{tdt}"), ("  ", "next_to_use", "{tdt}"),
    ("  ", "next_to_clean", "{tdh}"), ("", "buffer_info[next_to_clean]:", None),
    ("  ", "time_stamp", "{stamp}"), ("  ", "next_to_watch", "{tdh}"),
    ("  ", "jiffies", "{jiffies}"), ("  ", "next_to_watch.status", "0"),
    ("", "MAC Status", "80083"), ("", "PHY Status", "796d"),
    ("", "PHY 1000BASE-T Status", "3800"), ("", "PHY Extended Status", "3000"),
    ("", "PCI Status", "10"),
)


def _hang_block(tdh: str, tdt: str, stamp: int, jiffies: int,
                nic: str = NIC) -> tuple[str, ...]:
    """One e1000e report: the head line and 14 register lines (15 lines in all)."""
    values = {"tdh": tdh, "tdt": tdt, "stamp": f"{stamp:x}", "jiffies": f"{jiffies:x}"}
    lines = [f"{nic}: Detected {HANG_MARKER}:"]
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
        self.cef = self.corosync = self.link_lines = 0

    def add(self, kind: str, lines: int) -> None:
        if kind == "hang_first":
            self.episodes += 1
            self.reports += 1
        elif kind == "hang":
            self.reports += 1
        elif kind == "link":
            self.links += 1
            self.link_lines += lines
        elif kind == "reset":
            self.resets += 1
        elif kind == "cef":
            self.cef += 1
        elif kind == "corosync":
            self.corosync += lines


_DOWN = "e1000e: eno1 NIC Link is Down"
_UP = "e1000e: eno1 NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx"


def _link_lines(nic: str) -> tuple[str, str]:
    """The down and up lines of an e1000e port, from its ``driver pci dev`` prefix."""
    dev = nic.rsplit(" ", 1)[-1]
    return (f"e1000e: {dev} NIC Link is Down",
            f"e1000e: {dev} NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx")


class _Mixer:
    """The endless message stream of one profile, in time order."""

    def __init__(self, profile: Profile, seed: int, noise: list[str]) -> None:
        self.p = profile
        self.rng = random.Random(seed)
        self.chatter = _chatter(random.Random(seed + 1))
        self.extra = random.Random(seed + 2)  # draws of the profile's own families
        self.noise = noise if profile.real_noise else []
        self.nic_up = [True] * len(_OTHER_NICS)
        self.next_hang = 0

    def messages(self) -> Iterator[_Msg]:
        p, rng = self.p, self.rng
        t = 0.0
        last_special = -1e9
        while True:
            t += rng.expovariate(20.0)  # about 20 messages a second
            r = rng.random()
            if r < p.episode_rate and t - last_special > p.spacing_s:
                nic = p.hang_nics[self.next_hang % len(p.hang_nics)]
                self.next_hang += 1
                t = yield from self._episode(t, nic)
                last_special = t
            elif r < p.episode_rate + p.flap_rate and t - last_special > p.spacing_s:
                yield _Msg(t, (_DOWN,), "link")
                t += 3.1
                yield _Msg(t, (_UP,), "link")
                last_special = t
            else:
                yield self._other(t)

    def _other(self, t: float) -> _Msg:
        """Chatter, or one of the profile's extra families."""
        p, x = self.p, self.extra.random()
        if x < p.nic_link_rate:
            i = self.extra.randrange(len(_OTHER_NICS))
            prefix, down, up = _OTHER_NICS[i]
            self.nic_up[i] = not self.nic_up[i]
            return _Msg(t, (f"{prefix} {up if self.nic_up[i] else down}",), "link")
        x -= p.nic_link_rate
        if x < p.corosync_rate:
            prog, text = _corosync(self.extra)
            return _Msg(t, (text,), "corosync", prog)
        x -= p.corosync_rate
        if x < p.cef_rate:
            return _Msg(t, (_cef(self.extra, t),), "cef", None, "udm-pro")
        x -= p.cef_rate
        if self.noise and x < p.real_noise:
            return _Msg(t, (self.extra.choice(self.noise),), "chatter", None)
        return _Msg(t, (next(self.chatter),))

    def _episode(self, t: float, nic: str) -> Generator[_Msg, None, float]:
        """A hang episode: 3..40 reports 2 s apart with chatter between, then reset and a
        flap. Returns the time of its last message."""
        rng = self.rng
        reports = rng.randint(3, 40)
        tdh = f"{rng.randint(0, 255):x}"
        tdt = f"{rng.randint(0, 255):x}"
        stamp = rng.getrandbits(32) + (1 << 32)
        for i in range(reports):
            at = t + 2.0 * i
            block = _hang_block(tdh, tdt, stamp, stamp + 1000 + 500 * i, nic)
            yield _Msg(at, block, "hang" if i else "hang_first")
            between = sorted(rng.uniform(0.01, 1.99)
                             for _ in range(rng.randint(0, self.p.max_between)))
            for dt in between:
                yield self._other(at + dt) if self.p.name != "classic" else _Msg(
                    at + dt, (next(self.chatter),))
        end = t + 2.0 * reports
        down, up = _link_lines(nic)
        yield _Msg(end, (f"{nic}: Reset adapter unexpectedly",), "reset")
        yield _Msg(end + 0.1, (down,), "link")
        yield _Msg(end + 4.2, (up,), "link")
        return end + 4.2


class _ShortIso:
    """``journalctl -o short-iso``: continuation lines indented under the message."""

    def __init__(self) -> None:
        self._sec = -1
        self._stamp = ""

    def render(self, msg: _Msg) -> list[str]:
        sec = int(msg.t)
        if sec != self._sec:  # formatting a datetime per line would dominate generation
            self._sec = sec
            self._stamp = (START + timedelta(seconds=sec)).strftime("%Y-%m-%dT%H:%M:%S%z")
        if msg.prog is None and msg.kind != "cef":
            return [msg.lines[0] + "\n"]  # a real sample's line, as it was
        head = f"{self._stamp} {msg.host} " + (f"{msg.prog}: " if msg.prog else "")
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
    """``journalctl -o json``: one entry per line, the whole block in MESSAGE."""

    def render(self, msg: _Msg) -> list[str]:
        real = int((START.timestamp() + msg.t) * 1_000_000)
        mono = int((BOOT_UPTIME + msg.t) * 1_000_000)
        text = json.dumps("\n".join(msg.lines), ensure_ascii=False)
        prog = (msg.prog or "unifi").split("[", 1)[0]
        transport = "kernel" if prog == "kernel" else "syslog"
        return [
            f'{{"__REALTIME_TIMESTAMP":"{real}","__MONOTONIC_TIMESTAMP":"{mono}",'
            f'"_HOSTNAME":"{msg.host}","SYSLOG_IDENTIFIER":"{prog}","_TRANSPORT":"{transport}",'
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


def profile_named(name: str, fmt: str | None = None) -> Profile:
    """The profile ``name`` (``fmt`` overrides its format)."""
    try:
        profile = PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown mix profile {name!r} (known: {', '.join(PROFILES)})") from None
    return profile if fmt is None else replace(profile, fmt=fmt)


def write_log(out: TextIO, fmt: str, target_lines: int, seed: int = 9, *,
              profile: str = "classic", noise: list[str] | None = None) -> LogStats:
    """Write at least ``target_lines`` physical lines (whole messages) of ``fmt`` in the mix
    ``profile`` to ``out``. ``noise``: the real lines of the ``realdata`` profile (default:
    read from :func:`realdata_dir`)."""
    renderer = _renderer(fmt)
    mix = profile_named(profile, fmt)
    if mix.real_noise and noise is None:
        noise = real_noise_lines()
        if not noise:
            raise ValueError(f"profile {profile!r} needs the real samples in {realdata_dir()} "
                             f"(or ${REALDATA_ENV})")
    counts = _Counts()
    lines = messages = size = 0
    batch: list[str] = []
    for msg in _Mixer(mix, seed, noise or []).messages():
        if lines >= target_lines:
            break
        rendered = renderer.render(msg)
        counts.add(msg.kind, len(rendered))
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
                    resets=counts.resets, bytes=size, profile=profile, cef_records=counts.cef,
                    corosync_lines=counts.corosync,
                    link_lines_share=round(counts.link_lines / max(lines, 1), 4))


def cached_log(cache_dir: Path, fmt: str, target_lines: int, seed: int = 9, *,
               profile: str = "classic") -> tuple[Path, LogStats]:
    """The generated file for these parameters, written once and reused by later runs."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    ext = "json" if fmt == "json" else "log"
    path = cache_dir / f"kern-{profile}-{fmt}-{target_lines}-s{seed}-v{GENERATOR_VERSION}.{ext}"
    meta = path.with_suffix(path.suffix + ".stats.json")
    if path.exists() and meta.exists():
        try:
            return path, LogStats(**json.loads(meta.read_text()))
        except (ValueError, TypeError):
            pass  # a damaged sidecar: regenerate
    tmp = path.with_suffix(path.suffix + ".part")
    with tmp.open("w", encoding="utf-8") as out:
        stats = write_log(out, fmt, target_lines, seed, profile=profile)
    tmp.rename(path)
    meta.write_text(json.dumps(stats.to_json()))
    return path, stats


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.loggen PROFILE LINES OUT``: write one file (for trying a mix by hand)."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m bench.loggen", description=main.__doc__)
    ap.add_argument("profile", choices=list(PROFILES))
    ap.add_argument("lines", type=int)
    ap.add_argument("out", type=Path)
    ap.add_argument("--fmt", choices=FORMATS, default=None)
    ap.add_argument("--seed", type=int, default=9)
    args = ap.parse_args(argv)
    fmt = args.fmt or PROFILES[args.profile].fmt
    with args.out.open("w", encoding="utf-8") as out:
        stats = write_log(out, fmt, args.lines, args.seed, profile=args.profile)
    print(json.dumps(stats.to_json()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
