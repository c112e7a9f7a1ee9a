"""Rows of the kernel log pane per node, kept as lines arrive, for the keys that must not scan.

The pane's unfiltered rows (no text, no time window) with every episode folded (its header
row at its first line, its lines left out) are kept for each node and for all nodes merged;
merged, also with every episode open (header, then its lines where they arrived). ``LogView``
copies one and splices in (or out) the lines of the episodes folded the other way, so cycling
the node or folding costs the episodes' lines plus one array copy (C speed), not a pass over
the history. Memory: 12 bytes a line (three 4-byte codes), beside the store's 16, for the
lines the store keeps (its ``history``): rows of lines it forgets are cut off the front.

Row codes are ``LogView``'s: a line's sequence number, or ``-(episode id + 1)`` for a header.
Rows are in line order; a header sorts just before its first line (``sort_key``), which lets
``bisect`` place any line. Used from the event loop's thread only (a view built in a worker
thread has a text filter and does not use it).
"""

from __future__ import annotations

import weakref
from array import array
from bisect import bisect_left
from collections.abc import Iterable

from labconsole.state.kernel_log import KernelLogStore

# Row codes, 4 bytes each (the pane's too): 2**31 lines would be 32 GB of the store's own
# per-line index, out of reach first.
CODE = "i"

_INDEXES: weakref.WeakKeyDictionary[KernelLogStore, RowIndex] = weakref.WeakKeyDictionary()


def row_index(store: KernelLogStore) -> RowIndex:
    """The one index of ``store`` (shared by every view of it: dashboard, node screens)."""
    index = _INDEXES.get(store)
    if index is None:
        # A store may bring its own kind (``state.file_log``: a file's lines, settled late).
        factory = getattr(store, "row_index_class", RowIndex)
        index = _INDEXES[store] = factory(store)
    return index


class RowIndex:
    """Folded and open rows per node key (``None`` = all nodes), synced from the store."""

    def __init__(self, store: KernelLogStore) -> None:
        self.store = store
        self._reset()

    def _reset(self) -> None:
        self.first = self.store.oldest_seq
        self.last = self.first - 1
        self.folded: dict[str | None, array[int]] = {None: array(CODE)}
        self.opened = array(CODE)  # all nodes, every episode open
        self.episodes: dict[str | None, set[int]] = {None: set()}
        # Episode id -> its first line still readable (where its header row is).
        self.head: dict[int, int] = {}

    def sync(self) -> None:
        """Take in the store's new lines; cut the rows of lines dropped for good."""
        store = self.store
        oldest = store.oldest_seq
        if oldest > self.first:
            if oldest > self.last:
                self._reset()
            else:
                self._cut(oldest)
        for seq in range(max(self.last + 1, self.first), store.last_seq + 1):
            self._take(seq, store.node_of(seq), store.episode_of(seq))
        self.last = max(self.last, store.last_seq)

    def _cut(self, oldest: int) -> None:
        """The rows from line ``oldest`` on, as ``_reset`` and a sync from there would make
        them: rows before it cut off (one memmove per array), and the header of an episode
        whose first lines went moved to its first line left."""
        arrays = [*self.folded.values(), self.opened]
        for codes in arrays:
            del codes[:bisect_left(codes, 2 * oldest, key=self.sort_key)]
        self.first = oldest
        for eid in [e for e, h in self.head.items() if h < oldest]:
            node = self.store.episode(eid).node
            left = self.episode_lines(eid)
            if not left:
                del self.head[eid]
                self.episodes[node].discard(eid)
                self.episodes[None].discard(eid)
                continue
            self.head[eid] = left[0]
            for codes in (self.folded[node], self.folded[None], self.opened):
                codes.insert(bisect_left(codes, 2 * left[0], key=self.sort_key), -eid - 1)

    def _take(self, seq: int, node: str, eid: int | None) -> None:
        folded = self.folded.get(node)
        if folded is None:
            folded = self.folded[node] = array(CODE)
            self.episodes[node] = set()
        all_folded = self.folded[None]
        all_opened = self.opened
        if eid is None:
            folded.append(seq)
            all_folded.append(seq)
            all_opened.append(seq)
            return
        if eid not in self.head:
            self.head[eid] = seq
            code = -eid - 1
            folded.append(code)
            all_folded.append(code)
            all_opened.append(code)
            self.episodes[node].add(eid)
            self.episodes[None].add(eid)
        all_opened.append(seq)

    def sort_key(self, code: int) -> int:
        return 2 * code + 1 if code > 0 else 2 * self.head[-code - 1]

    def episode_lines(self, eid: int) -> list[int]:
        """The episode's lines this index holds (the store may have more since)."""
        return [s for s in self.store.episode(eid).seqs if self.first <= s <= self.last]

    def rows(self, node: str | None, expanded: set[int]) -> tuple[array[int], set[int]]:
        """Row codes of the unfiltered view of ``node`` with ``expanded`` open, and the
        episodes that have a header among them."""
        eps = self.episodes.get(node)
        if eps is None:
            return array("q"), set()
        opened = [e for e in expanded if e in eps]
        if node is not None or 2 * len(opened) <= len(eps):
            lines = sorted(s for e in opened for s in self.episode_lines(e))
            return self._insert(self.folded[node], lines), set(eps)
        closed = sorted(s for e in eps.difference(expanded) for s in self.episode_lines(e))
        return self._remove(self.opened, closed), set(eps)

    def _insert(self, base: array[int], lines: list[int]) -> array[int]:
        out = base[:0]
        prev = 0
        for seq in lines:
            pos = bisect_left(base, 2 * seq + 1, key=self.sort_key)
            out += base[prev:pos]
            out.append(seq)
            prev = pos
        out += base[prev:]
        return out

    def _remove(self, base: array[int], lines: Iterable[int]) -> array[int]:
        out = base[:0]
        prev = 0
        for seq in lines:
            pos = bisect_left(base, 2 * seq + 1, key=self.sort_key)
            out += base[prev:pos]
            prev = pos + 1
        out += base[prev:]
        return out
