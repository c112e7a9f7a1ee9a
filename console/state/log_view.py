"""What the kernel log pane shows: rows selected from the store by node, filter and window.

Pure view model, no Textual: the widget asks for ``rows`` and draws row ``y`` on demand (its
``render_line``), so the pane costs the same with 30 lines or 300 000. New lines are appended
incrementally. A query without text or time window (the pane's node cycling, folding keys) is
answered from a ``RowIndex`` kept per store as lines arrive (the rows of every node, all folded
and all open), so those keys cost a copy of an array plus the lines of the episodes they open
or close, not a pass over every stored line; a text filter or time window still scans.

Rows are stored as one integer each (``array('i')``: a line's sequence number, or ``-(id + 1)``
for an episode header) and turned into ``Row`` objects only when asked for, so that 300 000
rows cost 1.2 MB, and rows of lines the store has archived to disk are read back only when they
are drawn, searched or filtered by text.

A hang episode folds into one row at the place of its first report; unfolded, that row is
followed by every line of the episode.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import overload

from labconsole.state.kernel_log import EpisodeRef, KernelLogStore, LogEntry, aware
from labconsole.state.line_archive import timestamp
from labconsole.state.log_index import CODE, RowIndex, row_index

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# A text query over more archived lines than this reads them all back from disk (about 1 s per
# 300 000): worth building in a worker thread rather than freezing the pane.
COSTLY_ARCHIVED = 20_000
# Header slots placed past a store's line times (``row_times``): beyond, rows are read one by one.
_MAX_PAD = 1 << 22


@dataclass(frozen=True, slots=True)
class Match:
    """A search hit: the row's code (a line's number, a header's ``-(id + 1)``), and the
    folded episode to open first when the hit is one of its lines."""

    code: int
    unfold: int | None = None


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
        return aware(self.episode.episode.first) or self.episode.opened_at or _EPOCH

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


class RowList(Sequence[Row]):
    """The rows of a view, built on demand from their integer codes (see the module doc)."""

    __slots__ = ("_view",)

    def __init__(self, view: LogView) -> None:
        self._view = view

    def __len__(self) -> int:
        return len(self._view.codes)

    @overload
    def __getitem__(self, index: int) -> Row: ...
    @overload
    def __getitem__(self, index: slice) -> list[Row]: ...
    def __getitem__(self, index: int | slice) -> Row | list[Row]:
        if isinstance(index, slice):
            return [self._view.row(code) for code in self._view.codes[index]]
        return self._view.row(self._view.codes[index])

    def __iter__(self) -> Iterator[Row]:
        for code in self._view.codes:
            yield self._view.row(code)


@dataclass(slots=True)
class LogView:
    """Rows of the pane for one query over one store."""

    store: KernelLogStore
    query: LogQuery = field(default_factory=LogQuery)
    expanded: set[int] = field(default_factory=set)
    codes: array[int] = field(default_factory=lambda: array(CODE))
    _pattern: re.Pattern[str] | None = None
    _last_seq: int = 0
    _first_seq: int = 0  # the store's oldest line when the rows were built
    _headed: set[int] = field(default_factory=set)  # episodes with a header row
    _head_at: dict[int, int] = field(default_factory=dict)  # episode -> line of its header
    # Rows cut off the top by the last ``sync`` (lines the store forgot): a widget that does
    # not follow the tail moves its cursor up by as many to stay on the same line.
    cut: int = 0
    _since: float | None = None
    _until: float | None = None
    # The store's ``generation`` when the rows were built: a store whose lines are settled
    # after they are shown (``state.file_log``) bumps it, and an indexed view is built again.
    _generation: int = 0
    # A snapshot's copy of the store's line times and the number of their first line (a
    # file store's, read once, never change: it reads them from the store itself).
    _times: tuple[array[float], int] | None = None

    def __post_init__(self) -> None:
        # A view made with a query (a replay reset keeps the pane's) filters like set_query.
        self._compile(self.query)

    def _compile(self, query: LogQuery) -> None:
        self._pattern = query.matcher()
        self._since = None if query.since is None else timestamp(query.since)
        self._until = None if query.until is None else timestamp(query.until)

    @property
    def rows(self) -> RowList:
        return RowList(self)

    def costly(self) -> bool:
        """Whether rebuilding means reading many archived lines back (see COSTLY_ARCHIVED);
        a time window too where the store reads each line's time from disk."""
        reads = self._pattern is not None or (
            getattr(self.store, "lazy_times", False) and not self.indexed())
        return reads and self.store.archived > COSTLY_ARCHIVED

    def with_query(self, query: LogQuery) -> LogView:
        """A new, not yet built view of the same store and folding (QueryError if bad).

        ``rebuild()`` it where it suits (a worker thread when ``costly()``), then show it:
        the store may grow meanwhile, the next ``sync()`` takes in what came since."""
        return LogView(self.store, query=query, expanded=set(self.expanded))

    def row(self, code: int) -> Row:
        if code > 0:
            return Row(entry=self.store.shown_entry(code))
        eid = -code - 1
        return Row(episode=self.store.episode(eid), folded=eid not in self.expanded)

    def set_query(self, query: LogQuery) -> None:
        """Change the query; raises QueryError (and keeps the old one) on a bad pattern."""
        self._compile(query)
        self.query = query
        self.rebuild()

    def filter_text(self, text: str, *, regex: bool = False) -> None:
        self.set_query(replace(self.query, text=text, regex=regex))

    def indexed(self) -> bool:
        """Whether the rows come from the store's ``RowIndex`` (no text, no time window)."""
        return self._pattern is None and self._since is None and self._until is None

    def toggle(self, episode_id: int) -> None:
        """Fold or unfold one episode."""
        self.expanded.symmetric_difference_update({episode_id})
        self.rebuild()

    def set_all_folded(self, folded: bool) -> None:
        self.expanded = set() if folded else {e.id for e in self.store.episodes}
        self.rebuild()

    def rebuild(self) -> None:
        """Rows from the oldest line still readable (archived ones included)."""
        self._first_seq = self.store.oldest_seq
        self._generation = getattr(self.store, "generation", 0)
        if self.indexed():
            index = row_index(self.store)
            index.sync()
            self.codes, self._headed = index.rows(self.query.node, self.expanded)
            self._head_at = {eid: index.head[eid] for eid in self._headed}
            self._last_seq = index.last
        else:
            self.codes = array(CODE)
            self._headed = set()
            self._head_at = {}
            self._last_seq = self._first_seq - 1
        self.sync()

    def sync(self) -> int:
        """Take in lines added to the store since the last call; returns rows added (every
        row when lines were dropped for good and the rows were built again)."""
        oldest = self.store.oldest_seq
        self.cut = 0
        if oldest > self._first_seq:
            if oldest > self._last_seq:  # everything shown is gone (or never built)
                self.rebuild()
                return len(self.codes)
            # Lines gone for good (forgotten history, a store that does not spill): the
            # rows from the oldest line left, where each episode's header now falls.
            self.cut = self._cut(oldest)
        if self.indexed():  # kept up as lines arrive, so that a key never waits for it
            if getattr(self.store, "generation", 0) != self._generation:
                self.rebuild()
                return len(self.codes)
            index = row_index(self.store)
            index.sync()
            if not self.expanded and type(index) is RowIndex and index.last == \
                    self.store.last_seq:
                return self._extend(index)
        before = len(self.codes)
        last = self.store.last_seq
        # Lines the store forgets meanwhile (a view built in a worker thread while the
        # pipeline goes on) read as harmless (``KernelLogStore.node_of``); the next sync
        # cuts them.
        for seq in range(max(self._last_seq + 1, oldest), last + 1):
            self._take(seq)
        self._last_seq = max(self._last_seq, last)
        return len(self.codes) - before

    def _extend(self, index: RowIndex) -> int:
        """``sync`` of an unfiltered view with every episode folded: its new rows are the
        index's rows of the node after the view's last line (one array copy, no pass over
        the new lines in Python)."""
        rows = index.folded.get(self.query.node)
        last = index.last
        if rows is None or last <= self._last_seq:
            self._last_seq = max(self._last_seq, last)
            return 0
        tail = rows[bisect_left(rows, 2 * self._last_seq + 2, key=index.sort_key):]
        if tail and min(tail) < 0:  # headers of episodes that began since
            for code in tail:
                if code < 0:
                    eid = -code - 1
                    self._headed.add(eid)
                    self._head_at[eid] = index.head[eid]
        if self.codes.typecode != tail.typecode:  # empty rows of a node not seen yet
            self.codes = array(tail.typecode, self.codes)
        self.codes += tail
        self._last_seq = last
        return len(tail)

    def _key(self, code: int) -> int:
        """Rows' order: a line by its number, a header just before its line."""
        return 2 * code + 1 if code > 0 else 2 * self._head_at[-code - 1]

    def _cut(self, oldest: int) -> int:
        """The rows from line ``oldest`` on, as a rebuild from there would make them (rows
        before it cut off; a header whose line went moves to the episode's first line left
        that the view shows); returns how many rows went, net."""
        before = len(self.codes)
        cut = bisect_left(self.codes, 2 * oldest, key=self._key)
        del self.codes[:cut]
        self._first_seq = oldest
        for eid in [e for e, at in self._head_at.items() if at < oldest]:
            del self._head_at[eid]
            self._headed.discard(eid)
            seq = next((s for s in self.store.episode(eid).seqs
                        if oldest <= s <= self._last_seq and self._visible(s)
                        and self._matches(s, eid)), None)
            if seq is not None:
                self._head_at[eid] = seq
                self._headed.add(eid)
                self.codes.insert(bisect_left(self.codes, 2 * seq, key=self._key), -eid - 1)
        return before - len(self.codes)

    def _visible(self, seq: int) -> bool:
        store = self.store
        if self.query.node is not None and store.node_of(seq) != self.query.node:
            return False
        if self._since is None and self._until is None:
            return True  # no window: the line's time is not read (from the file, in a view)
        at = store.time_of(seq)
        if self._since is not None and at < self._since:
            return False
        return self._until is None or at <= self._until

    def _matches(self, seq: int, eid: int | None) -> bool:
        if self._pattern is None:
            return True
        if self._pattern.search(self.store.raw(seq)):
            return True
        if eid is not None:
            return bool(self._pattern.search(self.store.episode(eid).summary))
        return False

    def _take(self, seq: int) -> None:
        if not self._visible(seq):
            return
        eid = self.store.episode_of(seq)
        if not self._matches(seq, eid):
            return
        if eid is None:
            self.codes.append(seq)
            return
        if eid not in self._headed:
            self._headed.add(eid)
            self._head_at[eid] = seq
            self.codes.append(-eid - 1)
        if eid in self.expanded:
            self.codes.append(seq)

    # Navigation helpers (pure: they return row indexes, the widget moves the cursor).

    def find(self, text: str, start: int, *, forward: bool = True,
             regex: bool = False, unfold: bool = False) -> int | None:
        """Index of the next (or previous) row from ``start`` whose text matches.

        A folded episode matches by its summary; with ``unfold`` also by any of its lines
        (``TDT``, ``Detected Hardware Unit Hang`` are only in the lines): that episode is
        then unfolded and the index is the matching line's row."""
        match = self.locate(text, start, forward=forward, regex=regex, unfold=unfold)
        return None if match is None else self.show_match(match)

    def locate(self, text: str, start: int, *, forward: bool = True, regex: bool = False,
               unfold: bool = False, cancelled: Callable[[], bool] | None = None,
               ) -> Match | None:
        """``find`` without changing the view (a worker thread can run it over a
        ``snapshot``): the matching row, or the line of a folded episode to unfold; None
        when nothing matches or ``cancelled()`` turned true (asked every 4096 rows)."""
        pattern = compile_pattern(text, regex)
        codes = self.codes
        if pattern is None or not codes:
            return None
        n = len(codes)
        step = 1 if forward else -1
        for k in range(1, n + 1):
            if cancelled is not None and not k & 0xFFF and cancelled():
                return None
            code = codes[(start + step * k) % n]
            if code > 0:
                if pattern.search(self.store.raw(code)):
                    return Match(code)
                continue
            eid = -code - 1
            if pattern.search(self.store.episode(eid).summary):
                return Match(code)
            if unfold and eid not in self.expanded:
                seq = self._folded_match(eid, pattern, forward)
                if seq is not None:
                    return Match(seq, unfold=eid)
        return None

    def show_match(self, match: Match) -> int | None:
        """The row of ``match`` in this view (its episode unfolded first when it is in
        one); None when the view no longer has that row."""
        if match.unfold is not None and match.unfold not in self.expanded:
            self.expanded.add(match.unfold)
            self.rebuild()
        try:
            return self.codes.index(match.code)
        except ValueError:
            return None

    def snapshot(self) -> LogView:
        """A copy of the rows and folding as they are now, for a lookup in a worker thread
        (``locate``, ``index_at``) while this view goes on taking new lines."""
        times = None
        line_times = getattr(self.store, "line_times", None)
        if line_times is not None and not getattr(self.store, "lazy_times", False):
            # An in-memory store's times move as it forgets lines: a copy, with its base.
            found = line_times()
            times = None if found is None else (array("d", found[0]), found[1])
        return replace(self, codes=array(self.codes.typecode, self.codes),
                       expanded=set(self.expanded), _headed=set(self._headed),
                       _head_at=dict(self._head_at), _times=times)

    def costly_lookup(self) -> bool:
        """Whether a search or a jump reads many lines back from disk (a file view, a
        spilled store): worth a worker thread rather than freezing the keys."""
        return self.store.archived > COSTLY_ARCHIVED

    def _folded_match(self, eid: int, pattern: re.Pattern[str], forward: bool) -> int | None:
        """The first (last) line of a folded episode that matches and would be shown."""
        seqs = self.store.episode(eid).seqs
        for seq in (seqs if forward else reversed(seqs)):
            if (seq >= self.store.oldest_seq and self._visible(seq)
                    and self._matches(seq, eid) and pattern.search(self.store.raw(seq))):
                return int(seq)
        return None

    def index_at(self, when: datetime) -> int | None:
        """The row of the earliest time at or after ``when`` (the first such row on a tie).
        Rows are in arrival order, nearly time order: lines a node could not send arrive
        late, after newer lines of other nodes, and are still found by their own time.

        One pass at C speed over the rows' times (``row_times``): the least time not before
        ``when`` (``min`` over a ``filter``), then its first row (``array.index``)."""
        target = timestamp(when)
        times = self.row_times()
        best = min(filter(target.__le__, times), default=None)
        return None if best is None else times.index(best)

    def row_times(self) -> array[float]:
        """Each row's time (epoch seconds): a line's own, a header's its episode's.

        A store that keeps every line's time in an array (``line_times``: the array and the
        line number of its first entry) is read through it at C speed: one table holds
        ``base`` slots, the lines' times, then the headers' times, so that row ``c`` reads
        ``table[c]`` (a header's code, negative, reads from the end); any other store is
        asked row by row."""
        codes = self.codes
        line_times = getattr(self.store, "line_times", None)
        found = self._times or (line_times() if line_times is not None else None)
        if found is not None and codes:
            times, base = found
            # Line rows are in line order (the rows' invariant, see ``_key``).
            lowest = next(filter((0).__lt__, codes), base)
            highest = next(filter((0).__lt__, reversed(codes)), base)
            heads = max(self._headed, default=-1) + 1
            if base <= lowest and highest - base < len(times) and base + heads <= _MAX_PAD:
                pad = array("d", [0.0]) * heads
                for eid in self._headed:
                    pad[heads - eid - 1] = timestamp(self.row(-eid - 1).at)
                table = array("d", [0.0]) * base + times + pad
                return array("d", map(table.__getitem__, codes))
        return array("d", map(self._row_time, codes))

    def _row_time(self, code: int) -> float:
        return self.store.time_of(code) if code > 0 else timestamp(self.row(code).at)

    def row_for_episode(self, episode_id: int) -> int | None:
        if episode_id not in self._headed:
            return None
        return self.codes.index(-episode_id - 1)
