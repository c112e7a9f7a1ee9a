"""Deterministic generator of the bundled demo recording (the pve03 incident).

``python -m labconsole.demo.generate [OUT]`` writes ``pve03_incident.jsonl`` next to this file
(or to OUT). Every line of text in it is synthetic, written here in the real formats
(``journalctl -k`` short output, ``pvecm status``, ``ethtool -k``/``-i``, UniFi CEF over syslog),
so the console parses the demo exactly like live input. Same code, same bytes: no clock reads,
no randomness.

The story (DESIGN.md "The job"): a switch reboot (CEF alerts ~06:08-06:09) takes pve03 out of
the cluster at 06:10 (2/3, still quorate); the switch is back at 06:10 and pve03 rejoins at
06:11 (3/3). At 06:19 pve03 drops again, this time with ``Detected Hardware Unit Hang`` every
2 s, TDH and next_to_clean frozen at <f6>: the e1000e TSO/GSO race, until the driver resets
the adapter at 06:20:16 and pve03 can send again (the race will strike again: it "keeps
dropping"). The operator turns the offloads off, and the votes return to 3/3.

What the console could see, as a live one would have recorded it (issue 14): pve03 cannot
send while its cable's switch is down or its TX ring is stuck, so the console's SSH
connection to it is lost both times (keepalive timeout, then reconnect attempts that time
out) and nothing of pve03 arrives meanwhile; its kernel lines of those minutes (the link
down, the 37 hang reports, the reset) arrive when the connection is back, the journal stream
resuming from its cursor, with the lines' own times; its NIC state is read again on
reconnect. pve01 and pve02 stay connected throughout.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

from labconsole.events import (
    ConnectionChange,
    Event,
    KernelText,
    NicText,
    OperatorAction,
    QuorumText,
    SyslogText,
)

DEMO_PATH = Path(__file__).with_name("pve03_incident.jsonl")
START = datetime(2025, 11, 8, 6, 5, 0, tzinfo=timezone.utc)
END = datetime(2025, 11, 8, 6, 22, 0, tzinfo=timezone.utc)
NODES = ("pve01", "pve02", "pve03")
NODE_IPS = {"pve01": "10.10.10.11", "pve02": "10.10.10.12", "pve03": "10.10.10.13"}
PCI = {"pve01": "0000:00:1f.6", "pve02": "0000:00:19.0", "pve03": "0000:00:1f.6"}
CLUSTER = "homelab"
HANG_FIRST = datetime(2025, 11, 8, 6, 19, 2, tzinfo=timezone.utc)
HANG_REPORTS = 37
FIX_AT = datetime(2025, 11, 8, 6, 20, 30, tzinfo=timezone.utc)
# e1000e's watchdog resets the adapter after the last hang report: the ring moves again.
RESET_AT = datetime(2025, 11, 8, 6, 20, 16, tzinfo=timezone.utc)
# The console's SSH connection to pve03: (lost, reconnect attempts that time out, back).
SWITCH_OUTAGE = (datetime(2025, 11, 8, 6, 9, 16, tzinfo=timezone.utc),
                 datetime(2025, 11, 8, 6, 10, 50, tzinfo=timezone.utc))
TX_STUCK = (datetime(2025, 11, 8, 6, 19, 17, tzinfo=timezone.utc),
            datetime(2025, 11, 8, 6, 20, 24, tzinfo=timezone.utc))
LOST = "connection lost (keepalive timeout)"
OFFLOAD_CMD = "ethtool -K eno1 tso off gso off gro off"


def _t(minute: int, second: int) -> datetime:
    return START.replace(minute=minute, second=second)


def _journal_stamp(at: datetime, node: str) -> str:
    return f"{at:%b %d %H:%M:%S} {node} kernel: "


def kernel_lines(at: datetime, node: str, message: str,
                 continuation: tuple[str, ...] = (), *,
                 received: datetime | None = None) -> list[KernelText]:
    """One kernel message as ``journalctl -k`` prints it: prefix, then indented lines;
    ``received``: when the console got it, when that is not when it was logged (the node
    could not send)."""
    head = _journal_stamp(at, node)
    pad = " " * len(head)
    texts = [head + message] + [pad + c for c in continuation]
    return [KernelText(at=received or at, source=f"ssh:{node}", node=node, text=t)
            for t in texts]


def hang_block(at: datetime, report: int, received: datetime | None = None
               ) -> list[KernelText]:
    """An e1000e hang report with the TX ring frozen (TDH/next_to_clean stuck at <f6>)."""
    jiffies = 0x1002A1F00 + report * 0x7D0
    regs = (
        "  TDH                  <f6>",
        "  TDT                  <1c>",
        "  next_to_use          <1c>",
        "  next_to_clean        <f6>",
        "buffer_info[next_to_clean]:",
        "  time_stamp           <1002a1b40>",
        "  next_to_watch        <f7>",
        f"  jiffies              <{jiffies:x}>",
        "  next_to_watch.status <0>",
        "MAC Status             <40080083>",
        "PHY Status             <796d>",
        "PHY 1000BASE-T Status  <3800>",
        "PHY Extended Status    <3000>",
        "PCI Status             <10>",
    )
    return kernel_lines(at, "pve03", f"e1000e {PCI['pve03']} eno1: Detected Hardware Unit Hang:",
                        regs, received=received)


def pvecm_status(at: datetime, present: tuple[str, ...], seen_from: str = "pve01") -> str:
    """``pvecm status`` as run on ``seen_from`` with the nodes in ``present`` members."""
    votes = len(present)
    quorate = votes >= 2
    members = "\n".join(
        f"0x{NODES.index(n) + 1:08x}          1 {n}{' (local)' if n == seen_from else ''}"
        for n in present
    )
    return (
        "Cluster information\n~~~~~~~~~~~~~~~~~~~\n"
        f"Name:             {CLUSTER}\nConfig Version:   3\nTransport:        knet\n"
        "Secure auth:      on\n\n"
        "Quorum information\n~~~~~~~~~~~~~~~~~~\n"
        f"Date:             {at:%a %b %d %H:%M:%S %Y}\n"
        "Quorum provider:  corosync_votequorum\n"
        f"Nodes:            {votes}\n"
        f"Node ID:          0x{NODES.index(seen_from) + 1:08x}\n"
        "Ring ID:          1.2c\n"
        f"Quorate:          {'Yes' if quorate else 'No'}\n\n"
        "Votequorum information\n~~~~~~~~~~~~~~~~~~~~~~\n"
        "Expected votes:   3\nHighest expected: 3\n"
        f"Total votes:      {votes}\nQuorum:           2\n"
        f"Flags:            {'Quorate' if quorate else ''}\n\n"
        "Membership information\n~~~~~~~~~~~~~~~~~~~~~~\n"
        "    Nodeid      Votes Name\n"
        f"{members}\n"
    )


def ethtool_features(offloads_on: bool) -> str:
    flag = "on" if offloads_on else "off"
    return (
        "Features for eno1:\n"
        "rx-checksumming: on\n"
        "tx-checksumming: on\n"
        "\ttx-checksum-ip-generic: on\n"
        "scatter-gather: on\n"
        "\ttx-scatter-gather: on\n"
        f"tcp-segmentation-offload: {flag}\n"
        f"\ttx-tcp-segmentation: {flag}\n"
        f"\ttx-tcp6-segmentation: {flag}\n"
        "udp-fragmentation-offload: off [fixed]\n"
        f"generic-segmentation-offload: {flag}\n"
        f"generic-receive-offload: {flag}\n"
        "large-receive-offload: off [fixed]\n"
        "rx-vlan-offload: on\n"
        "tx-vlan-offload: on\n"
        "receive-hashing: on\n"
        "highdma: on [fixed]\n"
    )


def ethtool_driver(node: str) -> str:
    firmware = "0.4-4" if node == "pve03" else "0.13-4"
    return (
        "driver: e1000e\nversion: 6.8.12-4-pve\n"
        f"firmware-version: {firmware}\nexpansion-rom-version: \n"
        f"bus-info: {PCI[node]}\nsupports-statistics: yes\nsupports-test: yes\n"
        "supports-eeprom-access: yes\nsupports-register-dump: yes\nsupports-priv-flags: yes\n"
    )


def nic(at: datetime, node: str, *, offloads_on: bool = True, link: str = "up") -> NicText:
    return NicText(at=at, source=f"ssh:{node}", node=node, iface="eno1",
                   features=ethtool_features(offloads_on), driver=ethtool_driver(node),
                   link=link, speed="1000Mb/s" if link == "up" else None)


def cef(at: datetime, sig: str, name: str, severity: int, extensions: str) -> SyslogText:
    text = (f"{at:%b %d %H:%M:%S} unifi-gw CEF:0|Ubiquiti|UniFi Network|9.4.19|{sig}|{name}|"
            f"{severity}|{extensions}")
    return SyslogText(at=at, source="syslog", node=None, text=text, peer="10.10.10.1")


def _unifi_ext(category: str, sub: str, msg: str) -> str:
    return (f"UNIFIcategory={category} UNIFIsubCategory={sub} UNIFIhost=unifi-gw "
            f"UNIFIdeviceName=USW-Lite-16 UNIFIdeviceModel=USL16LP UNIFIdeviceIp=10.10.10.2 "
            f"msg={msg}")


def _quorum(at: datetime, present: tuple[str, ...]) -> QuorumText:
    return QuorumText(at=at, source="ssh:pve01", node="pve01", text=pvecm_status(at, present),
                      cluster=CLUSTER)


def _unreachable(lost: datetime, back: datetime) -> Iterator[Event]:
    """pve03's SSH connection: lost by keepalive, reconnect attempts timing out (the backoff
    doubling from 2 s, each attempt's 10 s connect timeout), connected again at ``back``."""
    yield ConnectionChange(at=lost, source="ssh:pve03", node="pve03", state="reconnecting",
                           detail=LOST, retry_in=2.0)
    at, delay = lost + timedelta(seconds=12), 4.0
    while at + timedelta(seconds=delay) < back:
        yield ConnectionChange(at=at, source="ssh:pve03", node="pve03", state="reconnecting",
                               detail="timed out", retry_in=delay)
        at += timedelta(seconds=10 + delay)
        delay = min(delay * 2, 30.0)
    yield ConnectionChange(at=back, source="ssh:pve03", node="pve03", state="connected",
                           detail=f"root@{NODE_IPS['pve03']}")


def _members_at(at: datetime) -> tuple[str, ...]:
    """Who corosync on pve01 sees: pve03 is out 06:10-06:11 and 06:19-06:21."""
    if _t(10, 0) <= at < _t(11, 0) or _t(19, 10) <= at < _t(21, 0):
        return ("pve01", "pve02")
    return NODES


def story() -> Iterator[Event]:
    """All events of the incident, unsorted; ``events()`` orders them."""
    for node in NODES:
        yield ConnectionChange(at=START, source=f"ssh:{node}", node=node, state="connected",
                               detail=f"root@{NODE_IPS[node]}")
        yield nic(START, node)
        yield from kernel_lines(START, node, f"e1000e {PCI[node]} eno1: NIC Link is Up 1000 "
                                "Mbps Full Duplex, Flow Control: Rx/Tx")
    yield ConnectionChange(at=START, source="syslog", node=None, state="connected",
                           detail="udp/514")
    at = START
    while at <= END:
        yield _quorum(at, _members_at(at))
        at += timedelta(seconds=30)
    for when in (_t(10, 5), _t(11, 5), _t(19, 12), _t(21, 2)):
        yield _quorum(when, _members_at(when))
    yield from kernel_lines(_t(6, 41), "pve02", "perf: interrupt took too long (2503 > 2500), "
                            "lowering kernel.perf_event_max_sample_rate to 79750")
    yield from kernel_lines(_t(7, 30), "pve01", "fwbr101i0: port 2(tap101i0) entered "
                            "forwarding state")
    # The switch reboot.
    yield cef(_t(8, 12), "544", "Device Restarted", 3, _unifi_ext(
        "Monitoring", "Device", "USW-Lite-16 was restarted by admin."))
    yield cef(_t(8, 40), "400", "Device Offline", 5, _unifi_ext(
        "Monitoring", "Device", "USW-Lite-16 went offline."))
    for i, client in enumerate(("pve03", "nas01", "printer")):
        yield cef(_t(9, 2 + 3 * i), "402", "Client Disconnected", 2, _unifi_ext(
            "Client", "Wired", f"{client} disconnected from USW-Lite-16 port {i + 3}."))
    # pve03's cable is on the rebooting switch: the console hears nothing of it until the
    # link is back and SSH reconnects; then the journal stream catches up from its cursor.
    yield from _unreachable(*SWITCH_OUTAGE)
    back = SWITCH_OUTAGE[1]
    yield from kernel_lines(_t(9, 1), "pve03", f"e1000e {PCI['pve03']} eno1: NIC Link is Down",
                            received=back)
    yield from kernel_lines(_t(9, 1), "pve03", "vmbr0: port 1(eno1) entered disabled state",
                            received=back)
    yield cef(_t(10, 31), "401", "Device Online", 2, _unifi_ext(
        "Monitoring", "Device", "USW-Lite-16 is back online."))
    yield from kernel_lines(_t(10, 44), "pve03", f"e1000e {PCI['pve03']} eno1: NIC Link is Up "
                            "1000 Mbps Full Duplex, Flow Control: Rx/Tx", received=back)
    yield from kernel_lines(_t(10, 44), "pve03", "vmbr0: port 1(eno1) entered blocking state",
                            received=back)
    yield from kernel_lines(_t(10, 45), "pve03", "vmbr0: port 1(eno1) entered forwarding state",
                            received=back)
    yield nic(back + timedelta(seconds=1), "pve03")
    # The second, separate event: the TX ring of pve03's eno1 stops moving. pve03 cannot
    # send: SSH is lost again; after the driver's reset it can, SSH reconnects and the 37
    # hang reports and the reset arrive with their own times.
    yield from _unreachable(*TX_STUCK)
    back = TX_STUCK[1]
    for report in range(HANG_REPORTS):
        yield from hang_block(HANG_FIRST + timedelta(seconds=2 * report), report, back)
    yield from kernel_lines(RESET_AT, "pve03", f"e1000e {PCI['pve03']} eno1: Reset adapter "
                            "unexpectedly", received=back)
    yield nic(back + timedelta(seconds=1), "pve03")
    yield from kernel_lines(_t(19, 30), "pve02", "perf: interrupt took too long (3140 > 3128), "
                            "lowering kernel.perf_event_max_sample_rate to 63500")
    yield OperatorAction(at=FIX_AT, source="runbook", node="pve03", runbook="e1000e-offloads",
                         step="disable-offloads", command=OFFLOAD_CMD, status="ok",
                         output="", exit_status=0)
    yield nic(FIX_AT + timedelta(seconds=1), "pve03", offloads_on=False)
    persist = ("post-up /sbin/ethtool -K eno1 tso off gso off gro off  "
               "(vmbr0 stanza of /etc/network/interfaces)")
    yield OperatorAction(at=_t(21, 20), source="runbook", node="pve03", runbook="e1000e-offloads",
                         step="persist", command=persist, status="ok", exit_status=0)


def events() -> list[Event]:
    """The demo's events in time order (stable for equal times: story order)."""
    return sorted(story(), key=lambda e: e.at)


def write(path: Path) -> int:
    """Write the recording; returns the number of events written."""
    evs = events()
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for ev in evs:
            fh.write(json.dumps(ev.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n")
    return len(evs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labconsole.demo.generate",
                                     description="Write the bundled pve03 incident recording.")
    parser.add_argument("out", nargs="?", type=Path, default=DEMO_PATH)
    args = parser.parse_args(argv)
    count = write(args.out)
    print(f"wrote {count} events to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
