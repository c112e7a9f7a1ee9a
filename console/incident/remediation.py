"""What the remediation of an incident left behind: each change done, and whether it still holds.

The audit log lists every attempt in order (checks, actions, rollbacks). What the operator needs
from a report is the end state: the offloads were turned off, the post-up line was persisted and
then rolled back at 11:02:10. A change is an action step whose result is ``done`` (not a dry
run); a later ``rollback`` entry of the same runbook, step and node with result ``done`` undoes
it. Only the audit log says which entry is a rollback (``kind``); a recording's mirrored steps
do not, so without an audit log a rollback cannot be told from its step.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from labconsole.incident.facts import ActionRecord

ChangeStateKind = Literal["in place", "rolled back"]


@dataclass(frozen=True, slots=True)
class Change:
    """One change a runbook made, and its state at the end of the data."""

    runbook: str
    step: str
    node: str | None
    command: str
    done_at: datetime
    state: ChangeStateKind
    rolled_back_at: datetime | None = None
    rollback_command: str = ""

    def sentence(self) -> str:
        """``persist on pve03 (done 11:02:03), rolled back at 11:02:10``."""
        where = f" on {self.node}" if self.node else ""
        text = f"{self.runbook}/{self.step}{where} (done {self.done_at:%H:%M:%S})"
        if self.rolled_back_at is not None:
            return f"{text}, rolled back at {self.rolled_back_at:%H:%M:%S}"
        return f"{text}, still in place"

    def to_json(self) -> dict[str, Any]:
        return {"runbook": self.runbook, "step": self.step, "node": self.node,
                "command": self.command, "done_at": self.done_at.isoformat(),
                "state": self.state,
                "rolled_back_at": (self.rolled_back_at.isoformat()
                                   if self.rolled_back_at else None),
                "rollback_command": self.rollback_command}


def changes(actions: Iterable[ActionRecord]) -> list[Change]:
    """The changes among ``actions`` (any order), each with its final state, in time order."""
    ordered = sorted(actions, key=lambda a: a.at)
    out: list[Change] = []
    for a in ordered:
        if a.dry_run or a.result != "done":
            continue
        if a.kind == "rollback":
            _roll_back(out, a)
        elif a.kind == "action":
            out.append(Change(runbook=a.runbook, step=a.step, node=a.node, command=a.command,
                              done_at=a.at, state="in place"))
    return out


def _roll_back(out: list[Change], a: ActionRecord) -> None:
    """Mark the latest change of the same runbook, step and node rolled back."""
    for i in range(len(out) - 1, -1, -1):
        c = out[i]
        if (c.runbook, c.step, c.node) == (a.runbook, a.step, a.node) and c.state == "in place":
            out[i] = Change(runbook=c.runbook, step=c.step, node=c.node, command=c.command,
                            done_at=c.done_at, state="rolled back", rolled_back_at=a.at,
                            rollback_command=a.command)
            return
