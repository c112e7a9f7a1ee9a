"""The timeline's incident headers, kept up to date as facts arrive (issue 19 item 3, 13 item 4).

``from_state.incident_marks(state)`` correlates every fact of the timeline: right for a report,
too much for the console, which wants the headers after every batch of events. Under a CEF
flood the timeline holds 10,000 entries and each redraw re-sorted and re-read all of them
(about 5-12 ms a redraw at load 5, one stall per redraw). ``LiveMarks`` gives the same marks
(the same ``correlate`` rules, as a fold: ``correlate.Correlator``) and redoes only what changed:

- each fact was made once, when its event was applied (the state's timeline holds typed facts);
- the fold keeps checkpoints (its state after every ``CHECKPOINT_EVERY`` facts, at a change of
  time); the timeline says the earliest time it changed at (``Timeline.watch``): an entry
  added late, or a hang episode that grew. The fold resumes from the last checkpoint before
  that time and feeds only the facts from there on;
- entries dropped from the front (the timeline's cap) change nothing when every dropped fact
  came before the first fact the fold kept (``Correlator.first_kept``): then they were ignored
  anyway. Otherwise (an incident's own facts dropped), or for a change older than every
  checkpoint, or a new timeline (a reset), it correlates everything again. The timeline
  drops its oldest in batches (``Timeline.slack``), so while link entries of a busy log fall
  off the front of a long incident that happens once per batch, not at every look;
- closed incidents are immutable, so their named cause is kept (only the open one is named
  again).

``LiveMarks.marks(state) == incident_marks(state)`` always (tested against each other).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime

from labconsole.incident.cause import named_cause
from labconsole.incident.correlate import DEFAULT_RULES, Correlator, Incident, Rules
from labconsole.incident.facts import INCIDENT_KINDS, Fact
from labconsole.incident.mark import IncidentMark
from labconsole.state.console_state import ConsoleState
from labconsole.state.timeline import Timeline, TimelineChanges, TimelineEntry

CHECKPOINT_EVERY = 256  # facts fed between two checkpoints
MAX_CHECKPOINTS = 32  # the oldest go first: a change before them all redoes everything


@dataclass(slots=True)
class MarkStats:
    """How the marks were brought up to date (for tests and the benchmark)."""

    full: int = 0  # every fact correlated again
    resumed: int = 0  # from a checkpoint
    unchanged: int = 0  # nothing new
    fed: int = 0  # facts fed in all


class LiveMarks:
    """``incident_marks(state)``, incrementally (see the module docstring)."""

    def __init__(self, rules: Rules = DEFAULT_RULES, *, checkpoint_every: int = CHECKPOINT_EVERY,
                 max_checkpoints: int = MAX_CHECKPOINTS) -> None:
        self.rules = rules
        self.checkpoint_every = checkpoint_every
        self.max_checkpoints = max_checkpoints
        self.stats = MarkStats()
        self._timeline: Timeline | None = None
        self._changes: TimelineChanges | None = None
        self._fold = Correlator(rules)
        # (T, fold of every fact before T), T ascending
        self._checkpoints: list[tuple[datetime, Correlator]] = []
        self._causes: dict[int, tuple[Incident, tuple[str, ...], str | None]] = {}

    def marks(self, state: ConsoleState) -> list[IncidentMark]:
        self._update(state.timeline)
        if self._fold.first_kept is None:  # nothing opened an incident (actions count too)
            return []
        data_end = state.latest if state.first is not None else None
        corr = self._fold.finish(data_end)
        nodes = tuple(state.nodes)
        marks = [IncidentMark(number=inc.number, start=inc.start, end=inc.end,
                              status=inc.status, cause=self._cause(inc, nodes))
                 for inc in corr.incidents]
        self._forget_causes(corr.incidents)
        return marks

    # -- keeping the fold up to date -------------------------------------------------------

    def _update(self, timeline: Timeline) -> None:
        if timeline is not self._timeline or self._changes is None:
            self._timeline, self._changes = timeline, timeline.watch()
            self._redo(timeline, None)
            return
        earliest, dropped = self._changes.take()
        if dropped and not self._dropped_were_ignored(timeline):
            self._redo(timeline, None)
        elif earliest is not None:
            self._redo(timeline, earliest)
        else:
            self.stats.unchanged += 1

    def _dropped_were_ignored(self, timeline: Timeline) -> bool:
        """Dropped entries are the oldest: all at or before the first one left. They changed
        nothing if that is before the first fact the fold kept, and every checkpoint stays
        valid then too."""
        kept = self._fold.first_kept
        if self._fold.result.unattached:
            return False
        if kept is None:
            return True
        return bool(timeline.entries) and timeline.entries[0].at < kept

    def _redo(self, timeline: Timeline, since: datetime | None) -> None:
        """Fold again from the last checkpoint before ``since`` (None: from the start)."""
        cps = self._checkpoints
        start = 0
        if since is not None:
            start = bisect.bisect_right(cps, since, key=_time)
        del cps[start:]
        if cps:
            begin, base = cps[-1]
            self._fold = base.snapshot()
            self.stats.resumed += 1
        else:
            begin, self._fold = None, Correlator(self.rules)
            self.stats.full += 1
        entries = timeline.entries
        pos = 0 if begin is None else bisect.bisect_left(entries, begin, key=_at)
        facts = [e.fact for e in entries[pos:] if e.fact.kind in INCIDENT_KINDS]
        facts.sort(key=Fact.sort_key)
        self._feed(facts)

    def _feed(self, facts: list[Fact]) -> None:
        fold, cps = self._fold, self._checkpoints
        since_checkpoint = 0
        previous: datetime | None = None
        for f in facts:
            if since_checkpoint >= self.checkpoint_every and previous is not None \
                    and f.at > previous:
                cps.append((f.at, fold.snapshot()))
                since_checkpoint = 0
                if len(cps) > self.max_checkpoints:
                    del cps[0]
            fold.feed(f)
            previous = f.at
            since_checkpoint += 1
        self.stats.fed += len(facts)

    # -- naming causes ---------------------------------------------------------------------

    def _cause(self, inc: Incident, nodes: tuple[str, ...]) -> str | None:
        known = self._causes.get(id(inc))
        if known is not None and known[0] is inc and known[1] == nodes:
            return known[2]
        cause = named_cause(inc, set(nodes))
        self._causes[id(inc)] = (inc, nodes, cause)
        return cause

    def _forget_causes(self, incidents: list[Incident]) -> None:
        if len(self._causes) > 2 * len(incidents) + 8:
            alive = {id(inc) for inc in incidents}
            self._causes = {k: v for k, v in self._causes.items() if k in alive}


def _time(checkpoint: tuple[datetime, Correlator]) -> datetime:
    return checkpoint[0]


def _at(entry: TimelineEntry) -> datetime:
    return entry.at
