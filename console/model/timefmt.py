"""One place that turns parsed times into the ISO 8601 strings of the scan contract."""

from __future__ import annotations

from datetime import datetime


def iso_or_none(value: datetime | None) -> str | None:
    """ISO 8601 for a wall-clock time; ``None`` where the source had none (dmesg uptime)."""
    if value is None:
        return None
    return value.isoformat()
