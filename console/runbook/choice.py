"""Which runbook session a selection gets: the cause behind a node's loss, and whether the
episode was already dealt with in an earlier session.

A node that left the votes gets the hang runbook only when a hang episode of that node reaches
to its leaving (a hang fixed minutes earlier is history, not the cause) and no link down of the
node came after that hang (a cable pulled after a hang is a link down: node-left-cluster).

Sessions: the audit log keeps each runbook session under its episode key; a new session on the
same episode gets ``<key>~2``, ``<key>~3``... so it never resumes the one before it, and a
session never resumes across episodes (each key names one episode or one leave).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from labconsole.model.hang import HangEpisode
from labconsole.runbook.audit import AuditEntry, is_finished, latest_attempts

# How long before a node left the votes its hang may have ended and still be the cause (the
# corosync token timeout plus the hang detector's report interval, with room).
HANG_LEAD = timedelta(minutes=2)


def hang_behind_loss(since: datetime | None, episodes: Sequence[HangEpisode],
                     link_downs: Sequence[datetime] = ()) -> HangEpisode | None:
    """The hang episode that explains a node leaving at ``since``, else None (then the
    node-left runbook applies: link down or unknown loss)."""
    cutoff = None if since is None else _aware(since) - HANG_LEAD
    near = [ep for ep in episodes if _reaches(ep, cutoff)]
    if not near:
        return None
    ep = near[-1]
    end = _end(ep)
    if end is not None and any(_aware(t) >= end for t in link_downs):
        return None
    return ep


def _reaches(ep: HangEpisode, cutoff: datetime | None) -> bool:
    end = _end(ep)
    return cutoff is None or (end is not None and end >= cutoff)


@dataclass(frozen=True, slots=True)
class PriorSession:
    """What the latest session on an episode left behind (facts for the screen's words)."""

    episode: str  # the key that session used
    number: int  # 1 for the episode's own key, 2 for ``key~2``, ...
    done: tuple[AuditEntry, ...]  # actions confirmed and verified (latest per step)
    rolled_back: tuple[AuditEntry, ...]  # rollbacks (latest per step)
    finished: bool  # every step's latest attempt passed or was done
    rehearsal: bool = False  # a dry run / rehearsal session: its actions were shown, not sent

    @property
    def remediated(self) -> bool:
        return bool(self.done or self.rolled_back)

    def next_key(self, base: str) -> str:
        return session_key(base, self.number + 1)


def session_key(base: str, number: int) -> str:
    return base if number <= 1 else f"{base}~{number}"


def prior_session(entries: list[AuditEntry], runbook: str, base: str, step_ids: Sequence[str],
                  *, dry_run: bool = False) -> PriorSession | None:
    """The latest session of ``runbook`` on episode ``base`` in the log, if any. ``dry_run``:
    of the dry-run (rehearsal) attempts, whose actions shown count as its "done"."""
    numbers = [n for n in (_session_number(e.episode, base) for e in entries
                           if e.runbook == runbook) if n is not None]
    if not numbers:
        return None
    number = max(numbers)
    key = session_key(base, number)
    latest = latest_attempts(entries, runbook, key, dry_run=dry_run)
    done = tuple(e for e in latest.values() if e.kind == "action" and is_finished(e))
    rolled = tuple(e for e in latest.values() if e.kind == "rollback" and e.result == "done")
    finished = all(s in latest and is_finished(latest[s]) for s in step_ids)
    return PriorSession(key, number, done, rolled, finished, dry_run)


def _session_number(episode: str | None, base: str) -> int | None:
    if episode == base:
        return 1
    if episode is None or not episode.startswith(base + "~"):
        return None
    tail = episode[len(base) + 1:]
    return int(tail) if tail.isdigit() else None


def _end(ep: HangEpisode) -> datetime | None:
    when = ep.last or ep.first
    return _aware(when) if when is not None else None


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
