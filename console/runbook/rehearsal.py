"""A runbook rehearsal on a recording: the demo or a replay, where there is no node to ask.

Each check is answered with what the recording held at the episode's moment (the votes a
peer's ``corosync-quorumtool`` printed, the ``ethtool -i``/``-k`` output of the interface, the
node's kernel log lines in the episode window), so an operator can walk the bundled incident
end to end. Nothing is sent: actions show their exact command as "not sent (rehearsal)".

Which recorded text answers which check is decided by the step (its op, and the first two
words of its argv template, both runbook data), never by parsing a recorded line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from labconsole.events import Event, KernelText, NicText, QuorumText
from labconsole.runbook.executor import RunResult
from labconsole.runbook.model import Step
from labconsole.runbook.placeholders import RunbookContext


@dataclass(frozen=True, slots=True)
class Recorded:
    """A check's answer from the recording: the output, when it was recorded, what it is."""

    result: RunResult
    at: datetime | None
    what: str  # "votes seen by pve01", "ethtool -k eno1 on pve03", "kernel log of pve03"


@dataclass(frozen=True, slots=True)
class Rehearsal:
    """The recording's events and the moment of the episode the runbook was opened on."""

    events: Sequence[Event]
    moment: datetime

    def answer(self, step: Step, ctx: RunbookContext) -> Recorded | None:
        """What the recording holds for this check, or None (it holds nothing for it)."""
        if step.op == "votes":
            return self._votes(ctx)
        if step.op in ("kernel_log", "settle"):
            return self._kernel(ctx)
        head = tuple(step.command[:2])
        if head in (("ethtool", "-i"), ("ethtool", "-k")):
            return self._nic(ctx, features=head[1] == "-k")
        return None

    def _votes(self, ctx: RunbookContext) -> Recorded | None:
        peers = set(ctx.peers) or None
        seen = [e for e in self.events if isinstance(e, QuorumText)
                and (peers is None or e.node in peers)]
        event = _at_moment(seen, self.moment)
        if event is None:
            return None
        assert isinstance(event, QuorumText)
        return Recorded(RunResult(event.text, "", 0), event.at,
                        f"votes seen by {event.node}")

    def _kernel(self, ctx: RunbookContext) -> Recorded | None:
        lines = [e for e in self.events if isinstance(e, KernelText) and e.node == ctx.node
                 and (ctx.since is None or _aware(e.at) >= _aware(ctx.since))
                 and (ctx.until is None or _aware(e.at) <= _aware(ctx.until))]
        if not lines:
            return None
        text = "".join(e.text.rstrip("\n") + "\n" for e in lines)
        return Recorded(RunResult(text, "", 0), lines[-1].at, f"kernel log of {ctx.node}")

    def _nic(self, ctx: RunbookContext, *, features: bool) -> Recorded | None:
        seen = [e for e in self.events if isinstance(e, NicText) and e.node == ctx.node
                and e.iface == ctx.iface and (e.features if features else e.driver)]
        event = _at_moment(seen, self.moment)
        if event is None:
            return None
        assert isinstance(event, NicText)
        text = event.features if features else event.driver
        flag = "-k" if features else "-i"
        return Recorded(RunResult(text, "", 0), event.at,
                        f"ethtool {flag} {event.iface} on {event.node}")


def _at_moment(events: Sequence[Event], moment: datetime) -> Event | None:
    """The latest event at or before the moment, else the first after it."""
    before = [e for e in events if _aware(e.at) <= _aware(moment)]
    if before:
        return before[-1]
    return events[0] if events else None


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
