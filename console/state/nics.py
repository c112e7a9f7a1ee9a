"""NIC state per node and interface, with the e1000e TSO/GSO warning.

The warning is the point of the panel: e1000e (and e1000) are known for "Detected Hardware
Unit Hang" under TSO/GSO; the accepted fix is turning those offloads off. A NIC of such a driver
with TSO or GSO on is flagged before it hangs. Which drivers, which offloads and the sources of
each claim are data (``labconsole/model/nic_warnings.toml``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from labconsole.incident.facts import Fact
from labconsole.model.nic_warnings import known_bad, nic_warning
from labconsole.model.offloads import DriverInfo, Offloads
from labconsole.state.timeline import TimelineEntry

HANG_PRONE_DRIVERS: frozenset[str] = frozenset(
    driver for warning in known_bad() for driver in warning.drivers)


@dataclass(slots=True)
class NicState:
    node: str
    iface: str
    updated: datetime
    since: datetime
    driver: str | None = None
    firmware: str | None = None
    link: str | None = None
    speed: str | None = None
    offloads: Offloads | None = None
    driver_info: DriverInfo | None = None
    error: str | None = None

    def flag(self, name: str) -> bool | None:
        return None if self.offloads is None else self.offloads.flag(name)

    @property
    def warning(self) -> str | None:
        """Why this NIC is at risk, or None (the claims and their sources are data:
        ``labconsole/model/nic_warnings.toml``)."""
        return nic_warning(self.driver, self.offloads)


def _flags(off: Offloads) -> tuple[bool | None, bool | None, bool | None]:
    """The offloads a change of is worth an entry (the ones its words name)."""
    return (off.tso, off.gso, off.gro)


class NicsState:
    """All NICs keyed by (node, iface)."""

    def __init__(self) -> None:
        self.nics: dict[tuple[str, str], NicState] = {}

    def apply(self, node: str, iface: str, at: datetime, *, link: str | None,
              speed: str | None, offloads: Offloads | None, driver: DriverInfo | None,
              error: str | None = None) -> list[TimelineEntry]:
        """Merge one observation; returns offload-change entries (links: see ConsoleState)."""
        key = (node, iface)
        nic = self.nics.get(key)
        entries: list[TimelineEntry] = []
        if nic is None:
            nic = NicState(node=node, iface=iface, updated=at, since=at)
            self.nics[key] = nic
        elif link is not None and link != nic.link:
            nic.since = at
        if offloads is not None and nic.offloads is not None and (
                _flags(offloads) != _flags(nic.offloads)):
            fact = Fact(at=at, kind="nic_changed", node=node, device=iface, offloads=offloads)
            entries.append(TimelineEntry(at=at, kind="nic", node=node, fact=fact,
                                         severity="info"))
        nic.updated = at
        if link is not None:
            nic.link = link
        nic.speed = speed if speed is not None else nic.speed
        if offloads is not None:
            nic.offloads = offloads
        if driver is not None:
            nic.driver_info = driver
            nic.driver = driver.driver or nic.driver
            nic.firmware = driver.firmware or nic.firmware
        nic.error = error
        return entries

    def for_node(self, node: str) -> list[NicState]:
        return [n for (nd, _), n in sorted(self.nics.items()) if nd == node]
