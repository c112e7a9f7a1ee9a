"""A NIC link going down or up (not a hang)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from labconsole.model.timefmt import iso_or_none

LinkState = Literal["down", "up"]


@dataclass(frozen=True, slots=True)
class LinkEvent:
    """One link state change of ``device`` as a log line says it (``lineno``: its line)."""

    device: str
    state: LinkState
    time: datetime | None = None
    host: str | None = None
    uptime: float | None = None
    detail: str | None = None
    lineno: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "device": self.device,
            "state": self.state,
            "time": iso_or_none(self.time),
            "host": self.host,
        }
