"""Test helper: a recorded session of separate faults on a 3-node cluster, as events.

Each fault is scripted as the console's sources deliver it when every node is read over a
management path (as in the lab's management network): each node's own quorum view whenever it
changes (``corosync-quorumtool -s``), pve03's NIC poll, its kernel lines, connection changes.
``Fault.truth`` says, per node, how long it was out of the votes by the nodes' own views
(a node is out while its own view is not quorate or a quorate peer's view misses it), which is
what the report's downtime must give.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from labconsole.demo.generate import hang_block as demo_hang_block
from labconsole.demo.generate import pvecm_status
from labconsole.events import (
    ConnectionChange,
    Event,
    KernelText,
    NicText,
    QuorumText,
    QuorumUnreadable,
)

T0 = datetime(2025, 11, 8, 6, 0, 0, tzinfo=timezone.utc)
ALL = ("pve01", "pve02", "pve03")
PEERS = ("pve01", "pve02")
CAUSE = {"hang": "stuck_tx_ring", "cable": "link_down", "switch": "network_outage",
         "tx_stall": "node_isolated", "sshd": "management_lost", "corosync": "node_down"}
LAG = 3.0  # corosync notices a lost node (token) this long after the fault
BACK = 2.0  # and takes it back this long after the repair


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def quorum(s: float, node: str, present: tuple[str, ...]) -> QuorumText:
    return QuorumText(at=at(s), source="quorum:homelab", node=node, cluster="homelab",
                      text=pvecm_status(at(s), present, seen_from=node))


def hang_block(s: float, report: int) -> list[KernelText]:
    """The demo's e1000e report (TDH frozen at <f6>), as pve03's kernel stream gives it."""
    return demo_hang_block(at(s), report)


def nic(s: float, link: str) -> NicText:
    return NicText(at=at(s), source="nic:pve03", node="pve03", iface="eno1", link=link)


@dataclass
class Fault:
    """One fault from ``start`` lasting ``seconds``; ``events`` in delivery order."""

    kind: str
    start: float
    seconds: float
    events: list[Event] = field(default_factory=list)
    truth: dict[str, float] = field(default_factory=dict)

    @property
    def end(self) -> float:
        """When every node's view is back to 3/3."""
        return self.start + self.seconds + BACK


def _cut_off(f: Fault, *, own: tuple[str, ...] | None) -> None:
    """pve03 lost by its peers from start+LAG to end; ``own``: pve03's own view meanwhile
    (None: it cannot be read)."""
    s, e = f.start, f.end
    f.events += [quorum(s + LAG, n, PEERS) for n in PEERS]
    if own is not None and own != ALL:
        f.events.append(quorum(s + LAG + 0.5, "pve03", own))
    f.events += [quorum(e, n, ALL) for n in ALL]
    f.truth = {"pve03": e - (s + LAG)}


def fault(kind: str, start: float, seconds: float) -> Fault:
    f = Fault(kind, start, seconds)
    s, e = start, start + seconds
    if kind == "hang":
        reports = int(seconds // 2) + 1
        for i in range(reports):
            f.events += hang_block(s + 2 * i, i)
        _cut_off(f, own=ALL)  # the stuck node still receives: it sees 3/3
        f.events.sort(key=lambda ev: ev.at)
    elif kind == "cable":
        f.events.append(nic(s + 0.5, "down"))
        _cut_off(f, own=("pve03",))
        f.events.append(nic(e, "up"))
        f.events.sort(key=lambda ev: ev.at)
    elif kind == "tx_stall":
        _cut_off(f, own=ALL)
    elif kind == "switch":
        alone = s + LAG
        f.events += [quorum(alone, n, (n,)) for n in ALL]
        f.events += [quorum(f.end, n, ALL) for n in ALL]
        f.truth = {n: f.end - alone for n in ALL}
    elif kind == "sshd":
        f.events += [ConnectionChange(at=at(s), source="ssh:pve03", node="pve03",
                                      state="reconnecting", detail="connection refused"),
                     QuorumUnreadable(at=at(s + 0.3), source="quorum:homelab", node="pve03",
                                      reason="ssh: connection refused", cluster="homelab"),
                     ConnectionChange(at=at(e), source="ssh:pve03", node="pve03",
                                      state="connected"),
                     quorum(e + 0.3, "pve03", ALL)]
        f.truth = {}
    elif kind == "corosync":
        f.events.append(QuorumUnreadable(
            at=at(s + 0.3), source="quorum:homelab", node="pve03", cluster="homelab",
            reason="no quorum answer (exit 1): Cannot initialize QUORUM service"))
        f.events += [quorum(s + LAG, n, PEERS) for n in PEERS]
        f.events.append(quorum(e, "pve03", ("pve03",)))  # restarted: alone until it joins
        f.events += [quorum(f.end, n, ALL) for n in ALL]
        f.truth = {"pve03": f.end - (s + LAG)}
    else:
        raise ValueError(kind)
    return f


def session(plan: list[tuple[str, float]], gap: float = 20.0) -> tuple[list[Event], list[Fault]]:
    """Faults one after another, each ``gap`` seconds after the one before is fully back;
    a healthy start and end."""
    events: list[Event] = [ConnectionChange(at=at(0), source=f"ssh:{n}", node=n,
                                            state="connected") for n in ALL]
    events += [quorum(0.5, n, ALL) for n in ALL]
    events.append(nic(1, "up"))
    faults: list[Fault] = []
    t = gap
    for kind, seconds in plan:
        f = fault(kind, t, seconds)
        faults.append(f)
        events += f.events
        t = f.end + gap
    events.append(KernelText(at=at(t), source="kernel:pve01", node="pve01",
                             text=f"{at(t):%b %d %H:%M:%S} pve01 kernel: end of session"))
    return events, faults


SEVEN = [("hang", 16), ("cable", 12), ("switch", 5), ("switch", 25), ("tx_stall", 12),
         ("sshd", 10), ("corosync", 10)]
