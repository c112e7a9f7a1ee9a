"""Injectable clock: the domain core never reads the time itself (tests and replay set it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real wall clock, timezone-aware UTC. Only entry points pass this in."""
    return datetime.now(timezone.utc)
