"""A NIC transmit hang episode: consecutive hang reports of one device folded together."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from labconsole.model.timefmt import iso_or_none

HangKind = Literal["unit_hang", "tx_timeout"]


@dataclass(slots=True)
class HangEpisode:
    """Reports of one device folded into one episode.

    ``stuck`` is True when TDH / next_to_clean stayed frozen across consecutive reports (the
    pve03 signature: the TX ring is not moving), False when they moved, None when there were
    not enough reports with registers to tell. ``registers`` holds the last report's registers.
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
    # "Reset adapter unexpectedly" lines of this device while the episode was open.
    resets: int = 0

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
        }
