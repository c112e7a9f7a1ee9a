"""A NIC transmit hang episode: consecutive hang reports of one device folded together."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from labconsole.model.timefmt import iso_or_none

# The kind of an episode is the form of its first report (``HangEpisode.forms`` lists every
# form seen): unit_hang: the driver's own hang check with a register dump ("Detected Hardware
# Unit Hang", "Detected Tx Unit Hang"); watchdog: the kernel's NETDEV WATCHDOG "transmit queue N
# timed out"; tx_timeout: the driver's timeout handler in its own words (mlx5 "TX timeout
# detected", tg3 "transmit timed out", i40e "tx_timeout recovery level N"); reset: a driver
# reset for a TX hang with no hang or timeout report before it (ixgbe "tx hang N detected ...
# resetting adapter", i40e "TX driver issue detected, PF reset issued"). All four are TX hangs.
HangKind = Literal["unit_hang", "watchdog", "tx_timeout", "reset"]
HangForm = HangKind
HANG_KINDS: tuple[HangKind, ...] = ("unit_hang", "watchdog", "tx_timeout", "reset")
# Kinds that are a queue timing out (the watchdog or the driver's handler), not a register dump.
TIMEOUT_KINDS: frozenset[str] = frozenset({"watchdog", "tx_timeout"})
# Registers telling where the NIC's side of a TX ring stands: TDH in the Intel dumps, NTC /
# HW_HEAD on i40e / ice timeout lines, "SQ Cons" on mlx5's. Equal across reports = stuck.
CONSUMER_REGISTERS = ("TDH", "NTC", "HW_HEAD", "SQ Cons")
# ... and the driver's side (where the next descriptor will be queued) for each of them.
PRODUCER_OF = {"TDH": "TDT", "NTC": "NTU", "HW_HEAD": "NTU", "SQ Cons": "SQ Prod"}


@dataclass(slots=True)
class HangEpisode:
    """Reports of one device folded into one episode.

    ``stuck`` is True when TDH / next_to_clean stayed frozen across consecutive reports (the
    pve03 signature: the TX ring is not moving) while descriptors were queued (TDH != TDT),
    False when they moved or the queue was empty (TDH == TDT: the NIC sent everything), None
    when there were not enough reports with registers to tell. ``registers`` holds the last
    report's registers.
    """

    kind: HangKind
    driver: str
    device: str
    pci: str | None = None
    host: str | None = None
    first: datetime | None = None
    last: datetime | None = None
    first_uptime: float | None = None
    last_uptime: float | None = None
    reports: int = 0
    stuck: bool | None = None
    registers: dict[str, str] = field(default_factory=dict)
    queues: list[int] = field(default_factory=list)
    first_lineno: int = 0
    last_lineno: int = 0
    # Driver resets of this device while the episode was open ("Reset adapter unexpectedly",
    # "tx hang N detected on queue N, resetting adapter", "PF reset issued").
    resets: int = 0
    # Which report forms were seen, in order of first appearance.
    forms: list[HangForm] = field(default_factory=list)

    def consumer(self) -> tuple[str, str] | None:
        """(name, value) of the ring-consumer register of the last report, if it printed one."""
        for name in CONSUMER_REGISTERS:
            if name in self.registers:
                return name, self.registers[name]
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "driver": self.driver,
            "device": self.device,
            "pci": self.pci,
            "host": self.host,
            "first": iso_or_none(self.first),
            "last": iso_or_none(self.last),
            "reports": self.reports,
            "stuck": self.stuck,
            "registers": dict(self.registers),
            "forms": list(self.forms),
            "resets": self.resets,
        }
