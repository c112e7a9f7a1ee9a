"""Health of each source: connection state and how long since it last said anything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(slots=True)
class SourceHealth:
    name: str
    node: str | None = None
    state: str = "connecting"
    detail: str = ""
    last_event: datetime | None = None
    since: datetime | None = None
    events: int = 0
    retry_in: float | None = None

    def stale_for(self, now: datetime) -> float | None:
        """Seconds since the source last delivered anything (None if it never did)."""
        if self.last_event is None:
            return None
        return max(0.0, (now - self.last_event).total_seconds())

    def label(self, now: datetime, stale_after: float = 300.0) -> str:
        """Short status word: connected / reconnecting in N s / stale N s / failed ..."""
        if self.state == "reconnecting" and self.retry_in is not None:
            return f"reconnecting in {self.retry_in:.0f}s"
        if self.state == "connected":
            stale = self.stale_for(now)
            if stale is not None and stale > stale_after:
                return f"stale {stale:.0f}s"
        return self.state
