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
- entries dropped from the front (the timeline's cap; ``TimelineChanges.cut`` is the latest
  time among them) change nothing when every dropped fact came before the first fact the
  fold kept (``Correlator.first_kept``): then they were ignored anyway. Otherwise only what
  the drop touched is correlated again: the held facts are fed to a new fold from the first
  until, at one of the old fold's checkpoints after the cut, the new fold would go on as the
  old one does (``correlate.same_future``: the same open incident but for its facts before
  there, or none open and the same last end an action may join); from there the old fold's
  incidents are taken over, renumbered, the open one holding the new fold's facts
  (``correlate.graft``; the later checkpoints are grafted when used). An incident that
  never closes (a port flapping all day) is touched all along, but its outstanding state
  soon matches, so the new fold catches up at the first checkpoint after the cut; a drop
  redoes everything only when the two never match (a node that left in the dropped part
  and never came back holds one incident open in the old fold and not in the new);
- closed incidents are immutable, so their named cause is kept (only the open one is named
  again) while their hang episodes are as they were (register lines complete an episode
  after its report, and the timeline hears only of reports);
- a change older than every checkpoint, or a new timeline (a reset), correlates everything
  again.

``LiveMarks.marks(state) == incident_marks(state)`` always (tested against each other).
"""

from __future__ import annotations

import bisect
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime

from labconsole.incident.cause import named_cause
from labconsole.incident.correlate import (
    DEFAULT_RULES,
    Correlator,
    Incident,
    Rules,
    graft,
    same_future,
)
from labconsole.incident.facts import INCIDENT_KINDS, Fact
from labconsole.incident.mark import IncidentMark
from labconsole.model.hang import HangEpisode
from labconsole.state.console_state import ConsoleState
from labconsole.state.timeline import Timeline, TimelineChanges, TimelineEntry

CHECKPOINT_EVERY = 256  # facts fed between two checkpoints
MAX_CHECKPOINTS = 64  # the oldest go first (64 x 256 facts span the console's timeline at its
# fullest, 15,000 entries: a drop finds one just after its cut)


@dataclass(slots=True)
class MarkStats:
    """How the marks were brought up to date (for tests and the benchmark)."""

    full: int = 0  # every fact correlated again
    resumed: int = 0  # from a checkpoint
    unchanged: int = 0  # nothing new
    grafted: int = 0  # after a drop, only what it touched correlated again
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
        # (T, fold of every fact before T, or its graft to come), T ascending
        self._checkpoints: list[tuple[datetime, Correlator | _Grafted]] = []
        # id of an incident's facts -> (its facts, nodes, its cause, (episode, a copy of it)
        # of each hang fact)
        self._causes: dict[int, tuple[tuple[Fact, ...], tuple[str, ...], str | None,
                                      tuple[tuple[HangEpisode, HangEpisode], ...]]] = {}

    def marks(self, state: ConsoleState) -> list[IncidentMark]:
        self._update(state.timeline)
        if self._fold.first_kept is None:  # nothing opened an incident (actions count too)
            return []
        data_end = state.latest if state.first is not None else None
        corr = self._fold.finish(data_end)
        nodes = tuple(state.nodes)
        closed = len(self._fold.result.incidents)
        marks = [IncidentMark(number=inc.number, start=inc.start, end=inc.end,
                              status=inc.status, cause=self._cause(inc, nodes, i < closed))
                 for i, inc in enumerate(corr.incidents)]
        self._forget_causes(corr.incidents)
        return marks

    # -- keeping the fold up to date -------------------------------------------------------

    def _update(self, timeline: Timeline) -> None:
        if timeline is not self._timeline or self._changes is None:
            self._timeline, self._changes = timeline, timeline.watch()
            self._redo(timeline, None)
            return
        earliest, dropped, cut = self._changes.take()
        if dropped and cut is not None:
            # checkpoints at or before the cut hold dropped facts: no fold resumes from them
            del self._checkpoints[:bisect.bisect_right(self._checkpoints, cut, key=_time)]
            if not self._dropped_were_ignored(cut):
                self._after_drop(timeline, earliest, cut)
                return
        if earliest is not None:
            self._redo(timeline, earliest)
        else:
            self.stats.unchanged += 1

    def _dropped_were_ignored(self, cut: datetime) -> bool:
        """Every dropped entry was at or before ``cut``: they changed nothing if that is before
        the first fact the fold kept."""
        kept = self._fold.first_kept
        return kept is None or (not self._fold.result.unattached and cut < kept)

    def _redo(self, timeline: Timeline, since: datetime | None) -> bool:
        """Fold again from the last checkpoint before ``since`` (None: from the start).
        False when that was from the start (no checkpoint before ``since``)."""
        cps = self._checkpoints
        start = 0
        if since is not None:
            start = bisect.bisect_right(cps, since, key=_time)
        del cps[start:]
        base = self._last_checkpoint()
        if base is not None:
            begin: datetime | None = cps[-1][0]
            self._fold = base.snapshot()
            self.stats.resumed += 1
        else:
            begin, self._fold = None, Correlator(self.rules)
            self.stats.full += 1
        entries = timeline.entries
        pos = 0 if begin is None else bisect.bisect_left(entries, begin, key=_at)
        self._feed(self._fold, cps, _facts(entries[pos:]), _Pace())
        return begin is not None

    def _last_checkpoint(self) -> Correlator | None:
        """The last checkpoint's fold, its graft done now (one that cannot be told is
        dropped, see ``graft``: the one before is taken)."""
        cps = self._checkpoints
        while cps:
            at, held = cps[-1]
            base = _concrete(held)
            if base is not None:
                cps[-1] = (at, base)
                return base
            del cps[-1]
        return None

    def _after_drop(self, timeline: Timeline, earliest: datetime | None,
                    cut: datetime) -> None:
        """The oldest entries (all at or before ``cut``) were dropped and some were facts the
        fold kept. Correlate the held facts again from the first, only until the new fold
        would go on as the old one does from one of its checkpoints (``same_future``), then
        take the old fold's incidents from there (``graft``): only the incidents the drop
        touched are correlated again. With no such checkpoint, that is everything."""
        cps = self._checkpoints
        if earliest is not None and not self._redo(timeline, earliest):
            return  # correlated from the start: the fold is the held facts' already
        # The fold is now that of the dropped and held facts; ``cps`` are after the cut.
        entries = timeline.entries
        fold, pace, pos = Correlator(self.rules), _Pace(), 0
        fresh: list[tuple[datetime, Correlator | _Grafted]] = []
        for at, held in cps:
            end = bisect.bisect_left(entries, at, key=_at)
            self._feed(fold, fresh, _facts(entries[pos:end]), pace)
            pos = end
            base = _concrete(held)
            if base is None or not same_future(fold, base, at):
                continue
            grafted = graft(fold, base, self._fold)
            if grafted is not None:
                # the later checkpoints are grafted when a fold resumes from one (few are)
                later: list[tuple[datetime, Correlator | _Grafted]] = [
                    (t, _Grafted(fold, base, c)) for t, c in cps if t > at]
                self._checkpoints = [*fresh, (at, fold), *later][-self.max_checkpoints:]
                self._fold = grafted
                self.stats.grafted += 1
                return
        self._feed(fold, fresh, _facts(entries[pos:]), pace)
        self._fold, self._checkpoints = fold, fresh
        self.stats.full += 1

    def _feed(self, fold: Correlator, cps: list[tuple[datetime, Correlator | _Grafted]],
              facts: list[Fact], pace: _Pace) -> None:
        """Feed ``facts`` to ``fold``, adding to ``cps`` a checkpoint every
        ``checkpoint_every`` facts (at a change of time)."""
        for f in facts:
            if pace.since >= self.checkpoint_every and pace.previous is not None \
                    and f.at > pace.previous:
                cps.append((f.at, fold.snapshot()))
                pace.since = 0
                if len(cps) > self.max_checkpoints:
                    del cps[0]
            fold.feed(f)
            pace.previous = f.at
            pace.since += 1
        self.stats.fed += len(facts)

    # -- naming causes ---------------------------------------------------------------------

    def _cause(self, inc: Incident, nodes: tuple[str, ...], closed: bool) -> str | None:
        """A closed incident's cause is kept while its facts say the same: the cause reads
        only its facts, so it is kept by their tuple (renumbered after a drop, an incident
        keeps it). Its hang facts carry their episode, which the register lines complete
        after the report line (the timeline hears of a new report, not of a register), so
        the cause is named again when an episode is no longer as it was. The open incident
        is new at every look."""
        known = self._causes.get(id(inc.facts))
        if known is not None and known[0] is inc.facts and known[1] == nodes \
                and all(ep == was for ep, was in known[3]):
            return known[2]
        cause = named_cause(inc, set(nodes))
        if closed:
            self._causes[id(inc.facts)] = (inc.facts, nodes, cause, _episodes(inc))
        return cause

    def _forget_causes(self, incidents: list[Incident]) -> None:
        if len(self._causes) > 2 * len(incidents) + 8:
            alive = {id(inc.facts) for inc in incidents}
            self._causes = {k: v for k, v in self._causes.items() if k in alive}


@dataclass(frozen=True, slots=True)
class _Grafted:
    """A checkpoint after a drop: ``graft(prefix, base, later)``, done when it is used."""

    prefix: Correlator
    base: Correlator
    later: Correlator | _Grafted

    def fold(self) -> Correlator | None:
        later = _concrete(self.later)
        return None if later is None else graft(self.prefix, self.base, later)


def _concrete(checkpoint: Correlator | _Grafted) -> Correlator | None:
    return checkpoint.fold() if isinstance(checkpoint, _Grafted) else checkpoint


@dataclass(slots=True)
class _Pace:
    """Where the checkpoints are while facts are fed in pieces."""

    since: int = 0  # facts fed since the last checkpoint
    previous: datetime | None = None  # the time of the last fact fed


def _facts(entries: list[TimelineEntry]) -> list[Fact]:
    """The incident facts of ``entries``, in the order ``Correlator.feed`` wants them."""
    facts = [e.fact for e in entries if e.fact.kind in INCIDENT_KINDS]
    facts.sort(key=Fact.sort_key)
    return facts


def _episodes(inc: Incident) -> tuple[tuple[HangEpisode, HangEpisode], ...]:
    return tuple((f.hang, deepcopy(f.hang)) for f in inc.facts if f.hang is not None)


def _time(checkpoint: tuple[datetime, Correlator | _Grafted]) -> datetime:
    return checkpoint[0]


def _at(entry: TimelineEntry) -> datetime:
    return entry.at
