"""An incident as the timeline heads it (``from_state.incident_marks``, ``live_marks``).

Its own module, importing nothing heavy: the app's bell (``alert.ring``) and the timeline
widget need the type before the first frame, the correlation only once facts arrive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Literal

from labconsole.model import timefmt

IncidentStatus = Literal["ongoing", "recovered", "resolved"]


@dataclass(frozen=True, slots=True)
class IncidentMark:
    """An incident as the timeline heads it: number, span, status and the named cause
    (None when the data shows trouble but no cause)."""

    number: int
    start: datetime
    end: datetime
    status: IncidentStatus
    cause: str | None

    def header(self, tz: tzinfo | None = None, *, date: bool = False) -> str:
        """``incident 2 from 06:19:02 (ongoing): stuck TX ring on pve03 eno1 (e1000e), ...``;
        ``tz`` (a tzinfo) is the zone the timeline's own times are shown in (default: the
        display zone); ``date``: the timeline spans days, so the start has its date."""
        text = f"incident {self.number} from {timefmt.short(self.start, zone=tz, date=date)}"
        if self.status == "ongoing":
            text += " (ongoing)"
        return f"{text}: {self.cause}" if self.cause else text
