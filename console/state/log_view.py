"""What the kernel log pane shows: rows selected from the store by node, filter and window.

Pure view model, no Textual: the widget asks for ``rows`` and draws row ``y`` on demand (its
``render_line``), so the pane costs the same with 30 lines or 300 000. Rows are rebuilt only when
the query or folding changes; new lines are appended incrementally.

A hang episode folds into one row at the place of its first report; unfolded, that row is
followed by every line of the episode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from labconsole.state.kernel_log import EpisodeRef, KernelLogStore, LogEntry, aware

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class QueryError(ValueError):
    """A filter or search the operator typed that cannot be used (bad regex...)."""


@dataclass(frozen=True, slots=True)
class LogQuery:
    """Which lines to show: node (None = merged), text filter, time window."""

    node: str | None = None
    text: str = ""
    regex: bool = False
    since: datetime | None = None
    until: datetime | None = None

    def matcher(self) -> re.Pattern[str] | None:
        return compile_pattern(self.text, self.regex)


def compile_pattern(text: str, regex: bool) -> re.Pattern[str] | None:
    """Case-insensitive substring or regex; raises QueryError for a bad regex."""
    if not text:
        return None
    try:
        return re.compile(text if regex else re.escape(text), re.IGNORECASE)
    except re.error as exc:
        raise QueryError(f"bad regular expression {text!r}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class Row:
    """A line of the pane: a kernel line, or a (folded or open) hang episode header."""

    entry: LogEntry | None = None
    episode: EpisodeRef | None = None
    folded: bool = True

    @property
    def at(self) -> datetime:
        if self.entry is not None:
            return self.entry.at
        assert self.episode is not None
        return aware(self.episode.episode.first) or _EPOCH

    @property
    def seq(self) -> int:
        if self.entry is not None:
            return self.entry.seq
        assert self.episode is not None
        return self.episode.first_seq

    def text(self) -> str:
        if self.entry is not None:
            return self.entry.line.raw
        assert self.episode is not None
        return self.episode.summary


@dataclass(slots=True)
class LogView:
    """Rows of the pane for one query over one store."""

    store: KernelLogStore
    query: LogQuery = field(default_factory=LogQuery)
    expanded: set[int] = field(default_factory=set)
    rows: list[Row] = field(default_factory=list)
    _pattern: re.Pattern[str] | None = None
    _last_seq: int = 0
    _episode_rows: dict[int, int] = field(default_factory=dict)

    def set_query(self, query: LogQuery) -> None:
        """Change the query; raises QueryError (and keeps the old one) on a bad pattern."""
        self._pattern = query.matcher()
        self.query = query
        self.rebuild()

    def filter_text(self, text: str, *, regex: bool = False) -> None:
        self.set_query(replace(self.query, text=text, regex=regex))

    def toggle(self, episode_id: int) -> None:
        """Fold or unfold one episode."""
        self.expanded.symmetric_difference_update({episode_id})
        self.rebuild()

    def set_all_folded(self, folded: bool) -> None:
        self.expanded = set() if folded else {e.id for e in self.store.episodes}
        self.rebuild()

    def rebuild(self) -> None:
        self.rows = []
        self._episode_rows = {}
        self._last_seq = 0
        self.sync()

    def sync(self) -> int:
        """Take in entries added to the store since the last call; returns rows added."""
        first = self.store.first_seq
        if self.rows and self.rows[0].seq < first:
            self._trim(first)
        before = len(self.rows)
        entries = self.store.entries
        if not entries or entries[-1].seq <= self._last_seq:
            return 0
        start = max(0, len(entries) - (entries[-1].seq - self._last_seq))
        for i in range(start, len(entries)):
            self._take(entries[i])
        self._last_seq = entries[-1].seq
        return len(self.rows) - before

    def _trim(self, first_seq: int) -> None:
        keep = [r for r in self.rows if r.seq >= first_seq]
        self.rows = keep
        self._episode_rows = {r.episode.id: i for i, r in enumerate(keep)
                              if r.episode is not None}

    def _visible(self, entry: LogEntry) -> bool:
        q = self.query
        if q.node is not None and entry.node != q.node:
            return False
        if q.since is not None and entry.at < q.since:
            return False
        return q.until is None or entry.at <= q.until

    def _matches(self, entry: LogEntry) -> bool:
        if self._pattern is None:
            return True
        if self._pattern.search(entry.line.raw):
            return True
        if entry.episode_id is not None:
            return bool(self._pattern.search(self.store.episode(entry.episode_id).summary))
        return False

    def _take(self, entry: LogEntry) -> None:
        if not self._visible(entry) or not self._matches(entry):
            return
        eid = entry.episode_id
        if eid is None:
            self.rows.append(Row(entry=entry))
            return
        folded = eid not in self.expanded
        if eid not in self._episode_rows:
            self._episode_rows[eid] = len(self.rows)
            self.rows.append(Row(episode=self.store.episode(eid), folded=folded))
        if not folded:
            self.rows.append(Row(entry=entry))

    # Navigation helpers (pure: they return row indexes, the widget moves the cursor).

    def find(self, text: str, start: int, *, forward: bool = True,
             regex: bool = False) -> int | None:
        """Index of the next (or previous) row from ``start`` whose text matches."""
        pattern = compile_pattern(text, regex)
        if pattern is None or not self.rows:
            return None
        n = len(self.rows)
        step = 1 if forward else -1
        for k in range(1, n + 1):
            i = (start + step * k) % n
            row = self.rows[i]
            if pattern.search(row.text()):
                return i
        return None

    def index_at(self, when: datetime) -> int | None:
        """First row at or after ``when`` (rows are in arrival order, nearly time order)."""
        for i, row in enumerate(self.rows):
            if row.at >= when:
                return i
        return None

    def row_for_episode(self, episode_id: int) -> int | None:
        return self._episode_rows.get(episode_id)
