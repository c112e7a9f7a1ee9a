"""Health of each source: connection state and how long since it last said anything."""

from __future__ import annotations

from collections.abc import Mapping
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
    via: str | None = None  # an SSH connection through a node's alternate address
    heartbeat: float | None = None  # seconds between the source's promised heartbeats
    # Ever connected: a connection that never succeeded cannot be lost, only not made.
    connected_once: bool = False

    def stale_for(self, now: datetime) -> float | None:
        """Seconds since the source last delivered anything (None if it never did)."""
        if self.last_event is None:
            return None
        return max(0.0, (now - self.last_event).total_seconds())

    def label(self, now: datetime, factor: float = 3.0) -> str:
        """Short status: connected / connecting / the reason and the retry, in words.

        "stale N s" only for a source that promised a heartbeat (the quorum poller) and
        missed ``factor`` of them: a quiet kernel log or unchanged votes say nothing about
        health; a source that cannot reach its node says so through its state and reason."""
        if self.heartbeat is not None:
            stale = self.stale_for(now)
            if stale is not None and stale > factor * self.heartbeat:
                return f"stale {stale:.0f}s"
        if self.state in ("connected", "connecting", "closed"):
            return self.state
        reason = self.detail or self.state
        if self.state == "reconnecting" and self.retry_in is not None:
            return f"{reason}, retry in {self.retry_in:.0f}s"
        if self.state == "failed":
            return f"FAILED: {reason}"
        return reason

    def down_for(self, now: datetime) -> float | None:
        """Seconds in a non-connected state (None while connected or never known)."""
        if self.state == "connected" or self.since is None:
            return None
        return max(0.0, (now - self.since).total_seconds())


def unreachable(health: Mapping[str, SourceHealth]) -> dict[str, SourceHealth]:
    """Nodes whose SSH connection is down (``ssh:NODE`` not connected), by node name: what
    the console shows of them (NIC state, their own votes) is old, not current."""
    out: dict[str, SourceHealth] = {}
    for h in health.values():
        if h.name.startswith("ssh:") and h.node and h.state in ("reconnecting", "failed"):
            out[h.node] = h
    return out
