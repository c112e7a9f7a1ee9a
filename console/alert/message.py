"""The alert as a typed fact: which incident, what changed, the cause and its evidence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

# "started": a new incident; "cause_changed": the named cause of an open incident is now of
# another kind (a switch outage that turns out to be a stuck ring); "ended": resolved;
# "reopened": new trouble joined an incident already announced as ended (a fact stamped
# within its settle time that arrived after the "ended" alert went out).
AlertChange = Literal["started", "cause_changed", "ended", "reopened"]


@dataclass(frozen=True, slots=True)
class IncidentAlert:
    change: AlertChange
    incident_id: str
    number: int
    start: datetime
    at: datetime  # data time at which the change was seen
    status: str  # the incident's status: "ongoing" | "recovered" | "resolved"
    cause_kind: str
    cause: str
    evidence: tuple[str, ...] = ()
    nodes: tuple[str, ...] = ()
    outstanding: tuple[str, ...] = ()
    previous_cause: str | None = None
    reopened: int = 0  # how often the incident was reopened before this alert's change

    def dedup_key(self) -> tuple[str, str, str, int]:
        """Two alerts with this key say the same thing (one is enough)."""
        return (self.incident_id, self.change, self.cause_kind, self.reopened)

    def to_json(self) -> dict[str, Any]:
        return {
            "change": self.change, "incident": self.incident_id, "number": self.number,
            "start": self.start.isoformat(), "at": self.at.isoformat(), "status": self.status,
            "cause_kind": self.cause_kind, "cause": self.cause,
            "previous_cause": self.previous_cause, "evidence": list(self.evidence),
            "nodes": list(self.nodes), "outstanding": list(self.outstanding),
            "reopened": self.reopened,
        }
