"""A NIC transmit hang episode: consecutive hang reports of one device folded together."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from labconsole.model.timefmt import iso_or_none

# unit_hang: the driver's own hang check with a register dump ("Detected Hardware Unit Hang",
# "Detected Tx Unit Hang"); tx_timeout: a TX queue timed out (the kernel's NETDEV WATCHDOG, and
# the driver's timeout handler in its own words); reset: a driver reset for a TX hang with no
# hang or timeout report before it (ixgbe "tx hang N detected ... resetting adapter", i40e
# "TX driver issue detected, PF reset issued").
HangKind = Literal["unit_hang", "tx_timeout", "reset"]
# The report forms an episode can hold (``HangEpisode.forms``): the kinds above, with the
# kernel's NETDEV WATCHDOG line told apart ("watchdog") from the driver's own timeout words
# ("tx_timeout").
HangForm = Literal["unit_hang", "watchdog", "tx_timeout", "reset"]
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
