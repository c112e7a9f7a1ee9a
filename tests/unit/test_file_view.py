"""A big plain file opened as a file (``sources.file_view``: its fact lines only, through the
pipeline, into a ``FileLogStore``) gives the console the same facts and incidents as the event
replay of the same file (every line an event, into the in-memory store), on every
``bench/loggen.py`` mix a kernel log pane shows: episodes with their registers and their lines,
the timeline, each node's view of the votes, link states, CEF records, incident marks.

(What the pane shows differs on purpose: the file view shows every line of the file, CEF
records and blank lines too, numbered as in the file; the event replay's store holds the
kernel lines only.)"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from bench.loggen import write_log
from labconsole.incident.from_state import incident_marks
from labconsole.pipeline import Pipeline
from labconsole.sources.file_view import FileViewSource, file_view_store
from labconsole.sources.replay import load_events
from labconsole.state.console_state import ConsoleState
from labconsole.state.file_lines import FileLines
from labconsole.state.file_log import FileLogStore
from labconsole.state.kernel_log import KernelLogStore


async def _file_view(path: Path) -> ConsoleState:
    source = FileViewSource(file_view_store(path))
    return await _played(source)


async def _played(source: FileViewSource) -> ConsoleState:
    """The state after ``source``'s facts pass has run to its end (bounded: 60 s)."""
    state = ConsoleState(log=source.store)
    task = asyncio.ensure_future(Pipeline(sources=[source], state=state).run())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while not source.control.finished:
        assert loop.time() < deadline, "the facts pass did not end"
        await asyncio.sleep(0.01)
    task.cancel()
    return state


def _event_replay(path: Path) -> ConsoleState:
    state = ConsoleState()
    for event in load_events([path]):
        state.apply(event)
    return state


def _text(store: KernelLogStore, seq: int) -> str:
    return store.raw(seq)


def _facts(state: ConsoleState) -> dict[str, Any]:
    store = state.log
    return {
        "episodes": [(r.id, r.node, r.episode.kind, r.episode.driver, r.episode.device,
                      r.episode.reports, r.episode.resets, r.episode.first, r.episode.last,
                      r.episode.stuck, r.episode.registers,
                      [_text(store, s) for s in r.seqs]) for r in store.episodes],
        "timeline": [(e.kind, e.node, e.at, e.severity, e.episode_id, e.fact.kind,
                      e.fact.device, e.fact.state, e.fact.until) for e in state.timeline.entries],
        "votes": {name: dict(c.views) for name, c in state.votes.clusters.items()},
        "links": dict(state.links),
        "cef": list(state.cef),
        "marks": incident_marks(state),
    }


@pytest.mark.parametrize("profile", ["classic", "hang-storm", "busy", "corosync", "cef"])
def test_the_file_view_and_the_event_replay_find_the_same_facts(
        tmp_path: Path, profile: str) -> None:
    path = tmp_path / f"{profile}.log"
    with path.open("w") as out:
        write_log(out, "short-iso", 6_000, seed=5, profile=profile)
    viewed = asyncio.run(_file_view(path))
    assert isinstance(viewed.log, FileLogStore)
    replayed = _event_replay(path)
    assert replayed.log.episodes or profile in ("corosync", "cef")
    facts = _facts(viewed)
    assert facts == _facts(replayed)
    assert facts["marks"] or profile == "cef"


def test_lines_are_read_back_by_number_with_or_without_a_last_newline(tmp_path: Path) -> None:
    path = tmp_path / "x.log"
    path.write_bytes(b"one\r\n\ntwo\nthree")
    lines = FileLines(path)
    lines.build_index(block=3)  # blocks that cut lines
    assert lines.done and lines.count == 4
    assert [lines.text(n) for n in range(1, 5)] == ["one", "", "two", "three"]
    assert [lines.number_at(lines.start_of(n)) for n in range(1, 5)] == [1, 2, 3, 4]
    with pytest.raises(IndexError):
        lines.raw(5)
    lines.close()


def test_an_empty_file_has_no_lines(tmp_path: Path) -> None:
    path = tmp_path / "empty.log"
    path.write_bytes(b"")
    lines = FileLines(path)
    lines.build_index()
    assert lines.done and lines.count == 0 and lines.progress == 1.0


def test_each_line_belongs_to_the_host_of_its_header(tmp_path: Path) -> None:
    path = tmp_path / "merged.log"
    path.write_text(
        "  a line before any header\n"
        "2024-06-03T00:00:00+0200 pve01 kernel: one\n"
        "    an indented line keeps pve01\n"
        "2024-06-03T00:00:01+0200 pve02 kernel: two\n"
        "Jun  3 00:00:02 pve01 kernel: three\n"
        "2024-06-03T00:00:03+0200 pve02 kernel: four\n")
    store = file_view_store(path)
    store.lines.build_index()
    data = path.read_bytes()
    # in two blocks, cut between lines 3 and 4
    cut = store.lines.start_of(4)
    store.assign_nodes(data[:cut], 1, 3)
    store.assign_nodes(data[cut:], 4, 3)
    assert [store.node_of(n) for n in range(1, 7)] == [
        "file:merged", "pve01", "pve01", "pve02", "pve01", "pve02"]
    assert store.nodes == ["file:merged", "pve01", "pve02"]


def test_the_newest_lines_are_readable_before_the_index_reaches_them(tmp_path: Path) -> None:
    path = tmp_path / "x.log"
    path.write_text("".join(f"line {n}\n" for n in range(1, 101)))
    lines = FileLines(path)
    total = lines._count_lines(64)
    lines._index_tail(total, 40)  # the last few lines, as build_index does first
    lines.count = total
    assert total == 100 and lines.ready(100) and not lines.ready(1)
    assert lines.text(100) == "line 100" and lines.text(97) == "line 97"
    with pytest.raises(IndexError):
        lines.raw(1)
    lines.build_index(block=64, tail=40)
    assert all(lines.text(n) == f"line {n}" for n in (1, 50, 97, 100))


@pytest.mark.parametrize("block", [3, 64, 1 << 22])
@pytest.mark.parametrize("data", [b"one\r\n\ntwo\nthree", b"a\nb\nc\n", b"\n\n", b"x"])
def test_counting_first_then_indexing_gives_the_lines_of_build_index(
        tmp_path: Path, block: int, data: bytes) -> None:
    """``count_tail`` (the count and the newest lines, before the first frame) and then
    ``index_all`` read the same lines as one ``build_index``."""
    path = tmp_path / "x.log"
    path.write_bytes(data)
    whole = FileLines(path)
    whole.build_index(block=block)
    split = FileLines(path)
    split.count_tail(block, tail=8)  # the last line fits
    assert split.count == whole.count and not split.done
    assert split.ready(split.count) and split.raw(split.count) == whole.raw(whole.count)
    split.index_all(block)
    assert split.done and split.count == whole.count
    assert [split.raw(n) for n in range(1, split.count + 1)] == [
        whole.raw(n) for n in range(1, whole.count + 1)]
    whole.close()
    split.close()


def test_the_newest_lines_are_counted_before_the_rest_is_indexed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The index thread counts the lines and indexes the newest at once, then waits for the
    first frame (``run`` lets it go) before indexing the rest: it took the GIL from the
    app's start."""
    import labconsole.sources.file_view as file_view

    monkeypatch.setattr(file_view, "INDEX_WAIT_S", 60.0)
    path = tmp_path / "x.log"
    path.write_text("".join(f"2024-06-03T00:00:{n % 60:02d}+0200 pve01 kernel: line {n}\n"
                            for n in range(1, 2001)))
    source = FileViewSource(file_view_store(path))
    lines = source.store.lines
    for _ in range(6000):  # bounded: 60 s
        if lines.count:
            break
        threading.Event().wait(0.01)
    assert lines.count == 2000 and lines.text(2000).endswith("line 2000")
    assert not lines.done and not lines.ready(1)  # the rest waits for run()
    asyncio.run(_played(source))
    assert lines.done and lines.text(1).endswith("line 1")


def test_a_line_cut_from_its_block_is_the_line_read_back(tmp_path: Path) -> None:
    path = tmp_path / "x.log"
    path.write_bytes(b"one\r\n\ntwo\nthree")
    lines = FileLines(path)
    lines.build_index()
    base = lines.start_of(2)
    block = lines.block(base, lines.size)
    assert [lines.raw_in(block, base, n) for n in (2, 3, 4)] == [b"", b"two", b"three"]
    assert lines.raw_in(path.read_bytes(), 0, 1) == lines.raw(1) == b"one"


def test_the_hang_words_the_pass_follows_are_fact_words() -> None:
    """The facts pass follows a line's register lines when it holds a FOLLOW word, without
    asking whether it holds a HIT word: every FOLLOW word is one."""
    from labconsole.parse.kernel_scan import FOLLOW_WORDS, HIT_WORDS

    assert set(FOLLOW_WORDS) <= set(HIT_WORDS) and len(FOLLOW_WORDS) == 2


def test_the_unsettled_rows_are_every_line_in_order(tmp_path: Path) -> None:
    """``FileRowIndex`` cuts the rows of the lines the facts pass has not reached from one
    array of line numbers: as the pass settles more lines, the rows stay every line."""
    from labconsole.state.log_index import row_index

    path = tmp_path / "x.log"
    path.write_text("".join(f"2024-06-03T00:00:00+0200 pve01 kernel: line {n}\n"
                            for n in range(1, 1001)))
    store = file_view_store(path)
    store.lines.build_index()
    index = row_index(store)
    data = path.read_bytes()
    every = list(range(1, 1001))
    index.sync()
    assert list(index.rows(None, set())[0]) == every
    for first, last in ((1, 10), (11, 500), (501, 999), (1000, 1000)):
        block = data[store.lines.start_of(first):store.lines.start_of(last + 1)]
        store.assign_nodes(block, first, last - first + 1)
        store.settle(last)
        index.sync()
        assert list(index.rows(None, set())[0]) == every
        assert list(index.rows("pve01", set())[0]) == every


def test_link_events_are_not_kept_by_the_detectors(tmp_path: Path) -> None:
    """Every link line's event reaches the state (timeline, links), and the store's hang
    detectors keep none of them (a busy node's 95k link events were 19 MB)."""
    path = tmp_path / "busy.log"
    with path.open("w") as out:
        stats = write_log(out, "short-iso", 6_000, seed=5, profile="busy")
    assert stats.link_events
    state = asyncio.run(_file_view(path))
    assert state.links and any(e.kind == "link" for e in state.timeline.entries)
    assert all(not log.detector.links for log in state.log._nodes.values())


def test_the_row_index_takes_a_hang_storm_as_line_by_line(tmp_path: Path) -> None:
    """``FileRowIndex.sync`` takes plain lines as ranges and each register block as one
    run: its rows (folded per node and merged, every episode open, the headers) are those of
    taking every settled line one by one."""
    from labconsole.state.file_log import FileRowIndex
    from labconsole.state.log_index import row_index

    path = tmp_path / "storm.log"
    with path.open("w") as out:
        write_log(out, "short-iso", 6_000, seed=5, profile="hang-storm")
    state = asyncio.run(_file_view(path))
    store = state.log
    assert isinstance(store, FileLogStore) and len(store.episodes) > 3
    index = row_index(store)
    index.sync()
    reference = FileRowIndex(store)
    for seq in range(1, store.settled + 1):
        reference._take(seq, store.node_of(seq), store.episode_of(seq))
    reference.taken, reference.last = store.settled, store.last_seq
    assert index.folded == reference.folded and index.opened == reference.opened
    assert index.head == reference.head and index.episodes == reference.episodes
    for node in (None, *store.nodes):
        for expanded in (set(), {0, 2}, {e.id for e in store.episodes}):
            assert index.rows(node, expanded) == reference.rows(node, expanded)
