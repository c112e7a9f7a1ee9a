"""A NIC that vanished from the bus: not a hang, the device is gone until a reboot or rescan.

igc prints ``PCIe link lost, device now detached`` when register reads return all ones (the
i225/i226 PCIe link dropped); every later register access fails. Offload changes or a TX hang
runbook cannot help: the operator needs power management (ASPM) or hardware attention.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from labconsole.model.timefmt import iso_or_none


@dataclass(frozen=True, slots=True)
class NicDetached:
    """``device`` is the interface name where printed, else the bus address."""

    driver: str
    device: str
    pci: str | None = None
    host: str | None = None
    time: datetime | None = None
    uptime: float | None = None
    lineno: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": "detached",
            "driver": self.driver,
            "device": self.device,
            "pci": self.pci,
            "host": self.host,
            "time": iso_or_none(self.time),
        }
