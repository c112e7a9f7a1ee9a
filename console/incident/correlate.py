"""Facts -> incidents, by explicit rules rather than a bare time gap.

The question the operator had to answer by hand was "is this one outage or two?". A fixed gap
cannot answer it (06:11 -> 06:19 is eight quiet minutes, but so is a slow flap). What separates
two incidents is *full recovery*, so the rules are about state, with times only to say how long
recovery must hold:

1. **What opens an incident.** A trouble fact (``facts.TROUBLE``): a network device alert, a
   link down, a node leaving the votes, the cluster losing quorum, a NIC hang report, the
   console losing its connection to a node, a node whose view (read before) cannot be read
   now. Context facts (a client leaving a switch port, a node's view changing) and
   recoveries never open one.
2. **What is outstanding.** Nodes out of the votes, links down, connections lost, views that
   cannot be read (until that node answers again), quorum lost, and network devices that
   alerted and have not said they are back. A device that never sends its "online" stops
   counting after ``precursor`` (so it cannot hold an incident open forever).
3. **When it ends.** When nothing is outstanding and either
   - the nodes' own views confirm it: the incident holds views read from the nodes
     (``view_changed``), and with nothing outstanding every node is back in every quorate
     view and readable again; then the very next trouble is a new incident, however soon (a
     session with several faults a minute apart is several incidents, each with its own
     cause; the status at the end of the data is still "recovered" until ``settle``), or
   - where the data holds no views (a plain log), no trouble was seen for ``settle`` (hang
     reports come every 2 s while a ring is stuck, so two minutes of silence means they
     stopped).
   A hang episode is trouble until its last report.
   Its ``end`` is the last trouble or recovery fact in it (e.g. the node rejoining).
4. **What joins.** Until it ended, every trouble, recovery and context fact joins the open
   incident: a flap within ``settle`` of recovery is the same incident; a device alert up to
   ``precursor`` before a node drops is that drop's incident (the switch reboot), because the
   alerting device is outstanding until then.
5. **What splits.** A trouble fact after the open incident ended starts a new one: a new drop
   after full recovery is a new incident (pve03 back at 06:11, dropping again at 06:19).
6. **Remediation.** Operator actions join the open incident, or the last one if they came
   within ``action_after`` of its end and before the next one began (persisting a fix after the
   votes came back belongs to the incident it fixed), or the incident whose ``id`` their audit
   ``episode`` names. Actions never extend an incident.

Everything overlapping in time is one incident: two independent failures at once are reported
together, with each strand named in the cause.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from labconsole.incident.facts import RECOVERY, ActionRecord, Fact
from labconsole.incident.mark import IncidentStatus


@dataclass(frozen=True, slots=True)
class Rules:
    """The time constants of the rules in the module docstring."""

    settle: timedelta = timedelta(minutes=2)
    precursor: timedelta = timedelta(minutes=5)
    action_after: timedelta = timedelta(minutes=30)


DEFAULT_RULES = Rules()
# Facts that join an open incident as context: never its start, end or nodes.
_CONTEXT = frozenset({"action", "client_left", "view_changed"})


@dataclass(frozen=True, slots=True)
class Incident:
    """One correlated incident: its facts (time order), nodes hit and remediation taken.

    ``status``: "ongoing" while something is still outstanding at the end of the data,
    "recovered" when all is back but not yet for ``settle``, "resolved" after that.
    """

    number: int
    start: datetime
    end: datetime
    status: IncidentStatus
    facts: tuple[Fact, ...]
    nodes: tuple[str, ...]
    outstanding: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """Stable name for cross-references (an audit log's ``episode``): the start, UTC (the
        year always four digits: ``timefmt``'s placeholder years too)."""
        return f"incident-{self.start.year:04d}{self.start:%m%dT%H%M%SZ}"

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def actions(self) -> tuple[ActionRecord, ...]:
        return tuple(f.action for f in self.facts if f.action is not None)

    def of_kind(self, *kinds: str) -> list[Fact]:
        return [f for f in self.facts if f.kind in kinds]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "number": self.number, "start": self.start.isoformat(),
            "end": self.end.isoformat(), "status": self.status, "nodes": list(self.nodes),
            "outstanding": list(self.outstanding),
        }


@dataclass(slots=True)
class _Open:
    """An incident being built, with what is still outstanding in it."""

    facts: list[Fact] = field(default_factory=list)
    out_nodes: set[str] = field(default_factory=set)
    links: set[tuple[str, str]] = field(default_factory=set)
    conns: set[str] = field(default_factory=set)
    never: set[str] = field(default_factory=set)  # connections not made yet
    devices: dict[str, datetime] = field(default_factory=dict)
    unread: set[str] = field(default_factory=set)
    quorum_lost: bool = False
    quiet_since: datetime | None = None  # last trouble or recovery seen (hang: its last report)
    trouble_until: datetime | None = None  # last trouble seen (hang: its last report)
    viewed: bool = False  # every node's own view is read (the views confirm a recovery)
    recovered: datetime | None = None  # last recovery seen (a node back, a view read again)

    def copy(self) -> _Open:
        """Every field copied one level deep (containers new, their items shared)."""
        return _Open(**{name: copy(getattr(self, name)) for name in self.__dataclass_fields__})

    def take(self, f: Fact) -> None:
        self.facts.append(f)
        node, dev = f.node or "", f.device or ""
        if f.is_trouble or f.kind in RECOVERY or (f.kind == "view_changed"
                                                  and node in self.unread):
            self.quiet_since = f.last if self.quiet_since is None else max(self.quiet_since,
                                                                           f.last)
        if f.is_trouble:
            self.trouble_until = f.last if self.trouble_until is None else max(
                self.trouble_until, f.last)
        if f.kind == "view_changed":
            self.viewed = True
        if f.kind in RECOVERY or (f.kind == "view_changed" and node in self.unread):
            self.recovered = f.at
        if f.kind == "vote_left":
            self.out_nodes.add(node)
        elif f.kind == "vote_joined":
            self.out_nodes.discard(node)
        elif f.kind == "link_down":
            self.links.add((node, dev))
        elif f.kind == "link_up":
            self.links.discard((node, dev))
        elif f.kind == "conn_lost":
            self.conns.add(f.source or node)
        elif f.kind == "conn_never":
            self.never.add(f.source or node)
        elif f.kind == "conn_back":
            self.conns.discard(f.source or node)
            self.never.discard(f.source or node)
        elif f.kind == "device_alert":
            self.devices[dev] = f.at
        elif f.kind == "device_back":
            self.devices.pop(dev, None)
        elif f.kind in ("quorum_lost", "quorum_back"):
            self.quorum_lost = f.kind == "quorum_lost"
        elif f.kind == "view_unknown" and f.is_trouble:
            self.unread.add(node)
        elif f.kind == "view_changed":
            self.unread.discard(node)

    def outstanding(self, now: datetime, rules: Rules) -> list[str]:
        """What is still not back at ``now`` (one phrase each)."""
        items = [f"{n} out of the votes" for n in sorted(self.out_nodes)]
        items += [f"{n} {d} link down" for n, d in sorted(self.links)]
        items += [f"connection {c} lost" for c in sorted(self.conns)]
        items += [f"connection {c} never made" for c in sorted(self.never)]
        items += [f"{n} view unknown" for n in sorted(self.unread)]
        items += [f"{d} not back" for d, at in sorted(self.devices.items())
                  if now - at < rules.precursor]
        if self.quorum_lost:
            items.append("cluster not quorate")
        return items

    def ended(self, now: datetime, rules: Rules) -> bool:
        """Rule 3, by time: nothing outstanding and quiet for ``settle``."""
        if self.outstanding(now, rules) or self.quiet_since is None:
            return False
        return now - self.quiet_since >= rules.settle

    def confirmed_over(self, now: datetime, rules: Rules) -> bool:
        """Rule 3, by the views: nothing outstanding, the nodes' own views read, and the last
        recovery after the last trouble (a hang whose reports go on, or a node that has not
        yet dropped behind its hang, is not over). Decides a split when new trouble comes;
        the status at the end of the data still waits ``settle`` (it may flap again)."""
        return (self.viewed and self.trouble_until is not None
                and self.recovered is not None and self.trouble_until <= self.recovered <= now
                and not self.outstanding(now, rules))


def _spans(facts: Iterable[Fact]) -> list[Fact]:
    """The facts that give an incident its start, end and nodes (context only joins)."""
    return [f for f in facts if f.kind not in _CONTEXT]


def _hit_nodes(spans: list[Fact]) -> tuple[str, ...]:
    return tuple(sorted({f.node for f in spans if f.node and f.kind != "device_alert"}))


def _finish(number: int, o: _Open, data_end: datetime, rules: Rules,
            closed: bool) -> Incident:
    spans = _spans(o.facts)
    start = min(f.at for f in spans)
    end = o.quiet_since or max(f.last for f in spans)
    left = o.outstanding(data_end, rules) if not closed else []
    status: IncidentStatus
    if left:
        status = "ongoing"
    elif closed or o.ended(data_end, rules):
        status = "resolved"
    else:
        status = "recovered"
    return Incident(number=number, start=start, end=end, status=status, facts=tuple(o.facts),
                    nodes=_hit_nodes(spans), outstanding=tuple(left))


@dataclass(slots=True)
class Correlation:
    """Incidents in time order, and remediation that belongs to none of them."""

    incidents: list[Incident] = field(default_factory=list)
    unattached: list[Fact] = field(default_factory=list)


class Correlator:
    """The rules above as a fold: ``feed`` facts in ``Fact.sort_key`` order, ``finish`` any
    number of times. A copy (``snapshot``) resumes where it was taken, so the console's live
    marks re-correlate only the facts after a checkpoint (``incident.live_marks``); ``graft``
    swaps what a fold holds from before a checkpoint for another fold's (the oldest facts
    dropped)."""

    __slots__ = ("current", "first_kept", "last_closed", "last_seen", "result", "rules")

    def __init__(self, rules: Rules = DEFAULT_RULES) -> None:
        self.rules = rules
        self.result = Correlation()
        self.current: _Open | None = None
        self.last_closed: Incident | None = None
        # The time of the first fact that was not ignored (it opened or joined an incident,
        # or was an action): facts before it could be dropped without changing anything.
        self.first_kept: datetime | None = None
        self.last_seen: datetime | None = None  # the latest ``Fact.last`` fed

    def feed(self, f: Fact) -> None:
        """One fact, not earlier (by ``Fact.sort_key``) than the one before."""
        rules = self.rules
        last = f.last
        if self.last_seen is None or last > self.last_seen:
            self.last_seen = last
        current = self.current
        if current is not None and (current.ended(f.at, rules) or (
                f.is_trouble and current.confirmed_over(f.at, rules))):
            self.last_closed = _close(self.result, current, f.at, rules)
            current = self.current = None
        if f.kind == "action":
            _attach_action(self.result, current, self.last_closed, f, rules)
        elif f.is_trouble:
            if current is None:
                current = self.current = _Open()
            current.take(f)
        elif current is not None:
            current.take(f)  # a recovery or context fact of the open incident
        else:
            return  # ignored: nothing open, and it opens nothing
        if self.first_kept is None:
            self.first_kept = f.at

    def snapshot(self) -> Correlator:
        """An independent copy (closed incidents are immutable and shared)."""
        other = Correlator(self.rules)
        other.result = Correlation(list(self.result.incidents), list(self.result.unattached))
        other.current = self.current.copy() if self.current is not None else None
        other.last_closed = self.last_closed
        other.first_kept = self.first_kept
        other.last_seen = self.last_seen
        return other

    def finish(self, data_end: datetime | None) -> Correlation:
        """The incidents so far, the open one finished at ``data_end`` (default: the last
        fact fed); leaves the fold as it was, so feeding can go on."""
        result = Correlation(list(self.result.incidents), list(self.result.unattached))
        if self.current is not None:
            end = data_end or self.last_seen or self.current.facts[-1].last
            result.incidents.append(_finish(len(result.incidents) + 1, self.current, end,
                                            self.rules, closed=False))
        _claim_by_episode(result)
        return result


# What ``feed`` reads of an open incident: all of it but its list of facts.
_OPEN_STATE = tuple(name for name in _Open.__dataclass_fields__ if name != "facts")


def same_future(a: Correlator, b: Correlator, at: datetime) -> bool:
    """Two folds that are fed the same facts from ``at`` on (none earlier) give the same
    incidents from there, but for their numbers and the facts before ``at`` of an incident
    open at ``at`` (``graft``). ``feed`` reads only this of what came before: the incident
    open (its outstanding state, not its facts), or with none open, the end of the last
    closed one while an action may still join it (rule 6)."""
    ca, cb = a.current, b.current
    if ca is None or cb is None:
        return ca is cb and _joinable_end(a, at) == _joinable_end(b, at)
    return all(getattr(ca, name) == getattr(cb, name) for name in _OPEN_STATE)


def _joinable_end(fold: Correlator, at: datetime) -> datetime | None:
    last = fold.last_closed
    if last is None or at - last.end > fold.rules.action_after:
        return None
    return last.end


def graft(prefix: Correlator, base: Correlator, later: Correlator) -> Correlator | None:
    """``later``, a fold that was ``base`` at a time T and was fed on from there, as it would
    be had it been ``prefix`` at T, where ``same_future(prefix, base, T)``: ``prefix``'s
    incidents, then ``later``'s since T renumbered after them, the one open at T holding
    ``prefix``'s facts before T instead of ``base``'s. ``later`` is left as it was.

    None when that fold's ``first_kept`` or ``last_seen`` cannot be told from the three
    (``prefix`` kept nothing yet; a fact ``base`` had and ``prefix`` had not lasts longer
    than every fact since T and every fact of ``prefix``)."""
    if prefix.first_kept is None:
        return None
    if later.last_seen == base.last_seen and prefix.last_seen != base.last_seen:
        return None
    b = len(base.result.incidents)
    shift = len(prefix.result.incidents) - b
    incidents = list(prefix.result.incidents)
    if b:  # actions that joined the last closed incident since T (rule 6)
        joined = later.result.incidents[b - 1].facts[len(base.result.incidents[b - 1].facts):]
        if joined:
            last = incidents[-1]
            incidents[-1] = Incident(
                number=last.number, start=last.start, end=last.end, status=last.status,
                facts=(*last.facts, *joined), nodes=last.nodes, outstanding=last.outstanding)
    opened = base.current
    head = prefix.current.facts if prefix.current is not None else []
    keep = len(opened.facts) if opened is not None else 0

    def moved(inc: Incident) -> Incident:
        number = inc.number + shift
        if opened is None or inc.number != b + 1:
            return Incident(number=number, start=inc.start, end=inc.end, status=inc.status,
                            facts=inc.facts, nodes=inc.nodes, outstanding=inc.outstanding)
        facts = (*head, *inc.facts[keep:])  # the incident open at T, closed since
        spans = _spans(facts)
        return Incident(number=number, start=min(f.at for f in spans), end=inc.end,
                        status=inc.status, facts=facts, nodes=_hit_nodes(spans),
                        outstanding=inc.outstanding)

    incidents += [moved(inc) for inc in later.result.incidents[b:]]
    fold = Correlator(prefix.rules)
    fold.result = Correlation(incidents, [*prefix.result.unattached,
                                          *later.result.unattached[len(base.result.unattached):]])
    if later.current is not None:
        fold.current = later.current.copy()
        if opened is not None and len(later.result.incidents) == b:  # still open
            fold.current.facts = [*head, *later.current.facts[keep:]]
    last_closed = later.last_closed
    fold.last_closed = (prefix.last_closed if last_closed is base.last_closed
                        else moved(last_closed) if last_closed is not None else None)
    fold.first_kept = prefix.first_kept
    fold.last_seen = later.last_seen
    return fold


def correlate(facts: Iterable[Fact], rules: Rules = DEFAULT_RULES,
              data_end: datetime | None = None) -> Correlation:
    """Group facts into incidents by the rules above.

    ``data_end`` is how far the data goes (default: the last fact); it decides whether the last
    incident is still ongoing. Facts of one instant may come in any order: they are sorted by
    ``Fact.sort_key`` and the state rules do not depend on order within an instant beyond that.
    """
    ordered = sorted(facts, key=Fact.sort_key)
    if not ordered:
        return Correlation()
    fold = Correlator(rules)
    for f in ordered:
        fold.feed(f)
    return fold.finish(data_end or max(f.last for f in ordered))


def _claim_by_episode(result: Correlation) -> None:
    """An unattached step whose audit ``episode`` names an incident's ``id`` belongs to it
    (the runbook was opened on that incident, e.g. a verification the next morning)."""
    by_id = {inc.id: i for i, inc in enumerate(result.incidents)}
    keep: list[Fact] = []
    for f in result.unattached:
        index = by_id.get(f.action.episode or "") if f.action is not None else None
        if index is None:
            keep.append(f)
            continue
        inc = result.incidents[index]
        result.incidents[index] = Incident(
            number=inc.number, start=inc.start, end=inc.end, status=inc.status,
            facts=(*inc.facts, f), nodes=inc.nodes, outstanding=inc.outstanding)
    result.unattached = keep


def _close(result: Correlation, o: _Open, now: datetime, rules: Rules) -> Incident:
    """Rule 3 held at ``now``: the open incident is over (resolved; ``now`` only names when
    that was seen, ``_finish`` reads no data end for a closed incident)."""
    inc = _finish(len(result.incidents) + 1, o, now, rules, closed=True)
    result.incidents.append(inc)
    return inc


def _attach_action(result: Correlation, current: _Open | None, last_closed: Incident | None,
                   f: Fact, rules: Rules) -> None:
    """Rule 6. A closed incident is immutable, so it is rebuilt with the action added."""
    if current is not None:
        current.facts.append(f)
        return
    if last_closed is not None and f.at - last_closed.end <= rules.action_after:
        index = last_closed.number - 1
        inc = result.incidents[index]
        result.incidents[index] = Incident(
            number=inc.number, start=inc.start, end=inc.end, status=inc.status,
            facts=(*inc.facts, f), nodes=inc.nodes, outstanding=inc.outstanding)
        return
    result.unattached.append(f)


def incident_at(incidents: Sequence[Incident], when: datetime) -> Incident | None:
    """The incident covering ``when``, else the latest one that started before it."""
    best: Incident | None = None
    for inc in incidents:
        if inc.start <= when:
            best = inc
    return best
