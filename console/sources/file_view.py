"""Replay of one big plain log file, opened like a log viewer: newest screen first, facts after.

The event replay (``sources.replay``) reads every line of every file into events before the
first frame: 8.5 s and 443 MB for a 1M-line file. Here the file stays on disk
(``state.file_lines``): its line offsets are indexed in a worker thread (about 0.2 s for 1M
lines), the kernel log pane shows its newest lines as soon as they are indexed
(``state.file_log.FileLogStore``), and then the facts are found a block at a time: only the
lines that can state one (the keywords ``labconsole scan`` looks for: hang, link, reset,
corosync, CEF; and the register lines after a hang report) become ``KernelText`` events and go
through the one pipeline and ``ConsoleState.apply``, so votes, NICs, timeline and hang episodes
fill in as in any replay, with their progress on the status bar ("facts 43%").

Not paced: speed, step and seek do not apply (pause holds the facts pass). One plain file
only; recordings, compressed files and several files keep the event replay.
"""

from __future__ import annotations

import asyncio
import re
import threading
from bisect import bisect_left
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from labconsole.config.node_names import NodeNames
from labconsole.events import KernelText
from labconsole.parse.content_time import content_year
from labconsole.parse.corosync_log import WORDS as QUORUM_WORDS
from labconsole.parse.kernel_scan import FOLLOW_MAX, FOLLOW_WORDS, HIT_WORDS
from labconsole.sources.base import Emit
from labconsole.sources.replay import FILE_NODE_PREFIX, ReplayControl
from labconsole.state.file_lines import FileLines
from labconsole.state.file_log import FileLogStore

FACTS_BLOCK = 1 << 18  # bytes of the file per facts step (about 2,500 lines)
REDRAW_S = 0.5  # the pane's rows are rebuilt at most this often during the facts pass
# The facts pass works this long between turns of the UI: each turn may redraw the timeline
# (tens of ms with thousands of entries), so a turn per block left the pass a fraction of
# the time; 0.1 s keeps keys answered within about that.
FACTS_SLICE_S = 0.1
FIRST_FRAME_S = 0.05  # the index waits this long after the newest lines are told, for a frame
INDEX_WAIT_S = 1.0  # the index waits at most this long for ``run`` (a source never run)
# A line holding one of these is a hang report, whose register lines follow (FOLLOW_WORDS are
# HIT_WORDS too: such a line is a hit).
_FOLLOW_A, _FOLLOW_B = (w.encode() for w in FOLLOW_WORDS)
# Every line that can state a fact holds one of these (the scan's words, and CEF records).
_CANDIDATE_WORDS: tuple[bytes, ...] = tuple(
    w.encode() for w in (*HIT_WORDS, *QUORUM_WORDS, "CEF:"))
_HEAD_LINES = 2000  # lines read for the year of year-less stamps
# The register lines of a hang report as one run (``KernelBlockScan``'s shape): indented
# printable ASCII, shorter than the reader's line limit.
_RUN = re.compile(rb"(?:[ \t]+[!-~][\t -~]{0,4000}\n){1,%d}" % FOLLOW_MAX)
_CLOCK = re.compile(rb"\d\d:\d\d:\d\d")  # a clock in a line may be a glued header

Notify = Callable[[set[str]], None]


def file_view_store(path: Path, *, year: int | None = None,
                    names: NodeNames | None = None) -> FileLogStore:
    """The store of ``path`` (its index not built yet)."""
    lines = FileLines(path)
    by_name = names.for_file(path) if names is not None else None
    fallback = by_name or f"{FILE_NODE_PREFIX}{path.name.split('.')[0] or 'log'}"
    if year is None:
        head = lines.block(0, 1 << 18).decode("utf-8", errors="replace").splitlines()
        year = content_year(head[:_HEAD_LINES])
    return FileLogStore(lines, fallback_node=fallback, year=year, names=names)


class FileViewSource:
    """A Source that shows one plain file at once and then feeds its fact lines."""

    def __init__(self, store: FileLogStore, *, control: ReplayControl | None = None,
                 name: str = "replay") -> None:
        self.name = name
        self.store = store
        self.control = control or ReplayControl(speed=0)
        self.control.whole_file = True
        self.notify: Notify | None = None  # told when the pane must redraw (the app's)
        self.source = f"file:{store.lines.path.name}"
        self._follow = 0
        self._finder = LineFinder(_CANDIDATE_WORDS)
        self._told = float("-inf")
        # The lines are counted from now on, while the app is still importing and mounting;
        # the rest of the index waits for the newest screen to be drawn (``_go``, set by
        # ``run``): built meanwhile, it took the GIL from the app's first frame.
        self._go = threading.Event()
        self._indexing = threading.Thread(target=self._build_index, name="file-index",
                                          daemon=True)
        self._index_error: BaseException | None = None
        self._indexing.start()

    def _build_index(self) -> None:
        lines = self.store.lines
        try:
            lines.count_tail()
            self._go.wait(INDEX_WAIT_S)
            lines.index_all()
        except BaseException as exc:  # shown by run(), in the pipeline, as a source failure
            self._index_error = exc

    def _tell(self, progress: str | None, *, now: bool = True, rows: bool = True) -> None:
        """Show the progress; the rows the pane shows are rebuilt at most every
        ``REDRAW_S`` (each rebuild copies the rows of the whole file: a few ms at 1M lines,
        but at each of 400 blocks it took most of the time)."""
        loop = asyncio.get_running_loop()
        if not now and loop.time() < self._told + REDRAW_S:
            return
        self._told = loop.time()
        self.control.progress = progress
        self.store.progress = progress
        if rows:
            self.store.touch()
        if self.notify is not None:
            self.notify({"log", "health"})

    async def run(self, emit: Emit) -> None:
        await self._index()
        await self._facts(emit)
        c = self.control
        c.finished = True
        self._tell(None)
        # Like the event replay at its end: idle until the app ends (cancelled then).
        await asyncio.get_running_loop().create_future()

    async def _index(self) -> None:
        lines = self.store.lines
        # The newest screen first: the lines counted and the last ones indexed (about
        # 0.05 s per 100 MB), the pane told at once, and the UI given its turns to draw it
        # before the rest of the index is built.
        while self._indexing.is_alive() and not lines.count and not lines.done:
            await asyncio.sleep(0.005)
        self._tell(f"indexing {lines.progress:.0%}", rows=False)
        await asyncio.sleep(FIRST_FRAME_S)
        self._go.set()
        while self._indexing.is_alive():
            # The rows are all known once the lines are counted (their text is read when
            # drawn): only the progress moves.
            self._tell(f"indexing {lines.progress:.0%}", rows=False, now=False)
            await asyncio.sleep(0.02)
        if self._index_error is not None:
            raise self._index_error
        c = self.control
        c.total = lines.count
        if lines.count:
            c.start = datetime.fromtimestamp(self.store.time_of(1), timezone.utc)
            c.end = datetime.fromtimestamp(self.store.time_of(lines.count), timezone.utc)
        self._tell("facts 0%")

    async def _facts(self, emit: Emit) -> None:
        lines, store, c = self.store.lines, self.store, self.control
        loop = asyncio.get_running_loop()
        first = 1
        slice_start = loop.time()
        while first <= lines.count:
            while c.paused:
                c._wake.clear()
                await c._wake.wait()
            base = lines.start_of(first)
            last = max(first, min(lines.count, lines.number_at(base + FACTS_BLOCK) - 1))
            stop = lines.start_of(last + 1) if last < lines.count else lines.size
            block = lines.block(base, stop)
            store.assign_nodes(block, first, last - first + 1)
            await self._block(emit, block, base, first, last)
            store.settle(last)
            c.index = last
            c.position = datetime.fromtimestamp(store.time_of(last), timezone.utc)
            self._tell(f"facts {last / lines.count:.0%}", now=False)
            if loop.time() - slice_start >= FACTS_SLICE_S:
                await asyncio.sleep(0)  # the UI's turn (a redraw, a key)
                slice_start = loop.time()
            first = last + 1

    async def _block(self, emit: Emit, block: bytes, base: int, first: int,
                     last: int) -> None:
        """Feed the fact lines among lines ``first..last`` (``block``, from byte ``base``)."""
        lines = self.store.lines
        found = self._finder.lines(block, base, lines)
        # The first and the last line too, fact or not: the state's first and latest times
        # (what "now" is at the end of the replay) are the file's, as in the event replay.
        ends = {n for n in (1, lines.count) if first <= n <= last}
        hits = sorted(ends.union(found)) if ends else found
        at = 0  # hits[at:] are the lines after the ones fed
        seq = first
        while seq <= last:
            if self._follow:
                after = self._register_run(block, base, seq, last, found)
                if after > seq:
                    seq = after
                    continue
            else:
                at = bisect_left(hits, seq, at)
                if at == len(hits):
                    return
                seq = hits[at]
            raw = lines.raw_in(block, base, seq)  # the line's bytes: no read, no copy more
            await self._feed(emit, seq, raw)
            if _FOLLOW_A in raw or _FOLLOW_B in raw:
                self._follow = FOLLOW_MAX
            elif self._follow:
                self._follow = self._follow - 1 if self.store.last_continuation else 0
            seq += 1

    def _register_run(self, block: bytes, base: int, seq: int, last: int,
                      found: list[int]) -> int:
        """The register lines from ``seq`` taken in one step (``FileLogStore.add_registers``)
        where that is certain to be the same as feeding each; returns the line after them
        (``seq`` when none were taken). ``found``: the block's lines holding a fact word."""
        lines = self.store.lines
        start = lines.start_of(seq) - base
        m = _RUN.match(block, start)
        if m is None:
            return seq
        end = m.end()
        # Not past a line that could be more than a register line: one with a fact word
        # (the next of ``found``), or a clock.
        i = bisect_left(found, seq)
        if i < len(found) and lines.start_of(found[i]) - base < end:
            end = lines.start_of(found[i]) - base
        clock = _clock_at(block, start, end)
        if clock >= 0:
            end = block.rfind(b"\n", start, clock) + 1
        raws = block[start:end].split(b"\n")[:-1][:min(self._follow, last - seq + 1)]
        if not raws:
            return seq
        closed = self.store.add_registers(self.store.node_of(seq), seq, raws)
        if closed is None:
            return seq
        self._follow = 0 if closed else self._follow - len(raws)
        return seq + len(raws)

    async def _feed(self, emit: Emit, seq: int, raw: bytes) -> None:
        text = raw.decode("utf-8", errors="replace")
        store = self.store
        store.last_continuation = False
        if not text.strip():  # the event replay drops blank lines too
            return
        store.expect(seq)
        await emit(KernelText(at=store.datetime_of(seq, raw), source=self.source,
                              node=store.node_of(seq), text=text))


def _clock_at(block: bytes, start: int, end: int) -> int:
    """Where the first clock (``_CLOCK``) in ``block[start:end]`` starts, -1 if none. The
    regex runs only from a colon with another three bytes on (``hh:mm:ss``): a register
    block has a colon or two, and a regex search tried every byte of it."""
    colon = block.find(b":", start, end)
    while colon >= 0:
        if block[colon + 3:colon + 4] == b":":
            # No clock starts before: its first colon would have been found first.
            found = _CLOCK.search(block, max(start, colon - 2), end)
            return -1 if found is None else found.start()
        colon = block.find(b":", colon + 1, end)
    return -1


class LineFinder:
    """The numbers of the lines of a block holding any of some words: one Hyperscan pass
    where the library is installed (a SIMD multi-literal matcher), else one ``bytes.find``
    per word; both in C. A regex alternation would step through every byte in Python's
    regex engine (50 MB/s here: 2 s per 100 MB file)."""

    def __init__(self, words: tuple[bytes, ...]) -> None:
        self.words = words
        self._db: object | None = None
        try:
            import hyperscan  # optional: as in parse.kernel_scan_blocks
        except ImportError:
            return
        db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        db.compile(expressions=list(words), ids=list(range(len(words))),
                   elements=len(words), literal=True)
        self._db = db

    def offsets(self, block: bytes) -> list[int]:
        """Where the words end in ``block`` (any order, repeats possible)."""
        found: list[int] = []
        if self._db is not None:
            def hit(_id: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
                found.append(to - 1)

            self._db.scan(block, match_event_handler=hit)  # type: ignore[attr-defined]
            return found
        for word in self.words:
            at = block.find(word)
            while at >= 0:
                found.append(at)
                at = block.find(word, at + 1)
        return found

    def lines(self, block: bytes, base: int, lines: FileLines) -> list[int]:
        """Sorted numbers of the lines of ``block`` (at byte ``base`` of ``lines``) holding a
        word."""
        return sorted({lines.number_at(base + at) for at in self.offsets(block)})
