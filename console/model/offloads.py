"""NIC offload features (``ethtool -k``) and driver identity (``ethtool -i``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Long ethtool feature names of the three offloads the e1000e runbook turns off.
TSO = "tcp-segmentation-offload"
GSO = "generic-segmentation-offload"
GRO = "generic-receive-offload"
_SHORT = {"tso": TSO, "gso": GSO, "gro": GRO}


@dataclass(frozen=True, slots=True)
class Offloads:
    """Feature flags as printed: ``features`` maps name -> value text ("on", "off [fixed]")."""

    device: str | None
    features: dict[str, str] = field(default_factory=dict)

    def flag(self, name: str) -> bool | None:
        value = self.features.get(name)
        if value is None:
            return None
        word = value.split()[0] if value.split() else ""
        if word == "on":
            return True
        if word == "off":
            return False
        return None

    def flag_by_short(self, short: str) -> bool | None:
        """``flag`` by the short name the console uses: tso, gso or gro."""
        return self.flag(_SHORT[short]) if short in _SHORT else None

    @property
    def tso(self) -> bool | None:
        return self.flag(TSO)

    @property
    def gso(self) -> bool | None:
        return self.flag(GSO)

    @property
    def gro(self) -> bool | None:
        return self.flag(GRO)

    def to_json(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "tso": self.tso,
            "gso": self.gso,
            "gro": self.gro,
            "features": dict(self.features),
        }


@dataclass(frozen=True, slots=True)
class DriverInfo:
    """``ethtool -i`` output: ``fields`` keeps every key as printed."""

    fields: dict[str, str] = field(default_factory=dict)

    @property
    def driver(self) -> str | None:
        return self.fields.get("driver") or None

    @property
    def version(self) -> str | None:
        return self.fields.get("version") or None

    @property
    def firmware(self) -> str | None:
        return self.fields.get("firmware-version") or None

    @property
    def bus(self) -> str | None:
        return self.fields.get("bus-info") or None

    def to_json(self) -> dict[str, Any]:
        return {
            "driver": self.driver,
            "version": self.version,
            "firmware": self.firmware,
            "bus": self.bus,
            "fields": dict(self.fields),
        }
