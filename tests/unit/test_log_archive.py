"""Bounded memory with the rest on disk: the kernel log store spills to a LineArchive.

A few hundred thousand generated lines go through the real store; memory holds only the newest
``capacity`` entries, and every older line is still shown, filtered, searched, folded and
unfolded from the archive. All assertions count lines; none is about time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from labconsole.demo.generate import hang_block
from labconsole.model.kernel_line import KernelLine
from labconsole.state.kernel_log import KernelLogStore
from labconsole.state.line_archive import ArchiveError, LineArchive, decode_line, encode_line
from labconsole.state.log_view import LogQuery, LogView

T0 = datetime(2025, 11, 8, 0, 0, 0, tzinfo=timezone.utc)
NODES = ("pve01", "pve02", "pve03")
LINES = 300_000
CAPACITY = 5_000
HANG_EVERY = 50_000  # a 3-report hang episode on pve03 after every this many plain lines
HANG_REPORTS = 3
BLOCK = 15  # physical lines per report (hang_block)


def plain(i: int) -> tuple[str, str, datetime]:
    """Plain line number ``i``: node, text, time (10 ms apart)."""
    at = T0 + timedelta(milliseconds=10 * i)
    node = NODES[i % 3]
    return node, f"{at:%b %d %H:%M:%S} {node} kernel: chatter {i} end", at


@pytest.fixture(scope="module")
def big() -> Iterator[KernelLogStore]:
    store = KernelLogStore(capacity=CAPACITY)
    for i in range(LINES):
        node, text, at = plain(i)
        store.add(node, text, at)
        if i % HANG_EVERY == HANG_EVERY - 1:
            for report in range(HANG_REPORTS):
                for ev in hang_block(at + timedelta(seconds=2 * report), report):
                    store.add("pve03", ev.text, ev.at)
    yield store
    store.close()


EPISODES = LINES // HANG_EVERY
HANG_LINES = EPISODES * HANG_REPORTS * BLOCK
TOTAL = LINES + HANG_LINES


def test_memory_holds_the_newest_lines_and_the_rest_is_archived(big: KernelLogStore) -> None:
    assert big.last_seq == TOTAL
    assert len(big.entries) == CAPACITY
    assert big.archived == TOTAL - CAPACITY == big.dropped
    assert big.oldest_seq == 1 and big.first_seq == TOTAL - CAPACITY + 1
    assert big.archive is not None and big.archive.size > 0
    assert len(big.episodes) == EPISODES


def test_archived_lines_read_back_exactly(big: KernelLogStore) -> None:
    first = big.entry(1)
    assert first.seq == 1 and first.node == "pve01"
    assert first.line.raw == plain(0)[1] and first.at == plain(0)[2]
    for seq in (2, 777, 123_457, big.first_seq - 1, big.first_seq, TOTAL):
        entry = big.entry(seq)
        assert entry.seq == seq
        assert entry.line.raw == big.raw(seq)
        assert entry.node == big.node_of(seq)
    hang = next(s for s in range(1, big.first_seq) if big.episode_of(s) is not None)
    entry = big.entry(hang)
    assert entry.episode_id == 0 and entry.node == "pve03" and entry.severity == "error"
    assert "Detected Hardware Unit Hang" in entry.line.raw
    with pytest.raises(IndexError):
        big.entry(TOTAL + 1)


def test_view_shows_every_line_with_episodes_folded(big: KernelLogStore) -> None:
    view = LogView(big)
    view.sync()
    assert len(view.rows) == LINES + EPISODES
    assert view.rows[0].text() == plain(0)[1]
    headers = [i for i, code in enumerate(view.codes) if code < 0]
    assert len(headers) == EPISODES
    oldest = view.rows[headers[0]]
    assert oldest.episode is not None and oldest.folded
    assert oldest.text().startswith(f"e1000e eno1 hang x {HANG_REPORTS}")


def test_unfolding_an_archived_episode_reads_its_lines_from_disk(big: KernelLogStore) -> None:
    view = LogView(big)
    view.sync()
    view.toggle(0)
    assert len(view.rows) == LINES + EPISODES + HANG_REPORTS * BLOCK
    at = view.row_for_episode(0)
    assert at is not None and at < len(view.rows) - CAPACITY  # far back, in the archive
    lines = view.rows[at + 1:at + 1 + HANG_REPORTS * BLOCK]
    assert all(r.entry is not None and r.entry.seq < big.first_seq for r in lines)
    assert sum("Detected Hardware Unit Hang" in r.text() for r in lines) == HANG_REPORTS


def test_filters_cover_the_archived_part(big: KernelLogStore) -> None:
    view = LogView(big)
    view.set_query(LogQuery(node="pve02"))
    assert len(view.rows) == LINES // 3
    view.set_query(LogQuery(text="chatter 17 end"))
    assert [r.text() for r in view.rows] == [plain(17)[1]]
    view.set_query(LogQuery(text=r"chatter 1\d{4} end", regex=True))
    assert len(view.rows) == 10_000
    since = T0 + timedelta(seconds=100)
    until = T0 + timedelta(seconds=200) - timedelta(milliseconds=1)
    view.set_query(LogQuery(node="pve01", since=since, until=until))
    assert len(view.rows) == sum(1 for i in range(10_000, 20_000) if NODES[i % 3] == "pve01")


def test_search_and_jump_reach_back_into_the_archive(big: KernelLogStore) -> None:
    view = LogView(big)
    view.sync()
    last = len(view.rows) - 1
    found = view.find("chatter 42 end", last, forward=True)  # wraps round to the start
    assert found == 42
    back = view.find("chatter 100000 end", last, forward=False)
    assert back is not None and view.rows[back].text() == plain(100_000)[1]
    jump = view.index_at(T0 + timedelta(seconds=30))
    assert jump is not None and view.rows[jump].text() == plain(3000)[1]


def test_a_store_that_does_not_spill_forgets() -> None:
    store = KernelLogStore(capacity=10, spill=False)
    for i in range(25):
        node, text, at = plain(i)
        store.add(node, text, at)
    assert store.archive is None and store.dropped == 15 and store.oldest_seq == 16
    with pytest.raises(IndexError):
        store.entry(3)
    view = LogView(store)
    view.sync()
    assert len(view.rows) == 10


def test_archive_round_trips_odd_text() -> None:
    line = KernelLine(raw="caf\u00e9 \udcff\t<f6>", message="\udcff", lineno=3,
                      time=datetime(2025, 1, 2, 3, 4, 5, 600000,
                                    tzinfo=timezone(timedelta(hours=2))),
                      uptime=12.5, host="pve03", priority=3, continuation=True)
    archive = LineArchive(base=10)
    try:
        assert archive.append(encode_line(line)) == 10
        assert archive.append(["x"]) == 11
        assert decode_line(archive.fields(10)) == line
        assert archive.fields(11) == ["x"]
        with pytest.raises(IndexError):
            archive.fields(9)
        with pytest.raises(IndexError):
            archive.fields(12)
    finally:
        archive.close()


def test_damaged_archive_is_a_clear_error() -> None:
    archive = LineArchive(base=1)
    try:
        archive.append(["first"])
        archive.append(["second"])
        archive.flush()
        os.truncate(archive._fh.fileno(), 5)  # the second record is gone
        archive._size = 5  # as if nothing was written since: map what is there
        with pytest.raises(ArchiveError, match="record 2"):
            archive.fields(2)
    finally:
        archive.close()


def test_unreadable_archived_line_shows_as_an_error_row() -> None:
    store = KernelLogStore(capacity=2)
    for i in range(5):
        node, text, at = plain(i)
        store.add(node, text, at)
    assert store.archive is not None
    store.archive.flush()
    os.truncate(store.archive._fh.fileno(), 0)
    store.archive._size = 0
    store.archive._raw_cache.clear()
    view = LogView(store)
    view.sync()
    assert len(view.rows) == 5
    row = view.rows[1]
    assert row.entry is not None and row.entry.severity == "error"
    assert "cannot be read back" in row.text() and row.entry.node == NODES[1]
    assert view.rows[4].text() == plain(4)[1]  # lines in memory are unaffected
    assert len([e for e in store.errors if e.startswith("kernel log archive:")]) == 1


def test_rows_of_lines_dropped_since_the_last_sync_still_draw() -> None:
    store = KernelLogStore(capacity=3, spill=False)
    view = LogView(store)
    for i in range(3):
        node, text, at = plain(i)
        store.add(node, text, at)
    view.sync()
    for i in range(3, 6):  # evicts every line the view holds, before it syncs again
        node, text, at = plain(i)
        store.add(node, text, at)
    assert [r.entry.seq for r in view.rows if r.entry] == [1, 2, 3]
    assert all("dropped from memory" in r.text() for r in view.rows)
    view.sync()
    assert [r.text() for r in view.rows] == [plain(i)[1] for i in range(3, 6)]


def test_view_built_in_a_thread_while_lines_arrive_matches_a_fresh_one() -> None:
    import threading

    store = KernelLogStore(capacity=500)
    for i in range(20_000):
        node, text, at = plain(i)
        store.add(node, text, at)
    view = LogView(store).with_query(LogQuery(text=r"chatter \d*7 end", regex=True))
    worker = threading.Thread(target=view.rebuild)
    worker.start()
    for i in range(20_000, 30_000):  # evicting and archiving while the worker reads
        node, text, at = plain(i)
        store.add(node, text, at)
    worker.join(timeout=120)
    assert not worker.is_alive()
    view.sync()
    fresh = LogView(store, query=view.query)
    fresh.sync()
    assert list(view.codes) == list(fresh.codes)
    assert len(view.rows) == 3_000 and all(r.text().endswith("7 end") for r in view.rows)


def test_spill_file_goes_to_the_user_cache_folder_not_tmp(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import labconsole.state.line_archive as line_archive

    cache = tmp_path / "cache" / "labconsole"
    monkeypatch.setattr(line_archive.platformdirs, "user_cache_path", lambda name: cache)
    archive = LineArchive(base=1)
    try:
        archive.append(["x"])
        if Path("/proc/self/fd").is_dir():
            where = os.readlink(f"/proc/self/fd/{archive._fh.fileno()}")
            assert where.startswith(str(cache))
        assert cache.is_dir()
    finally:
        archive.close()
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setattr(line_archive.platformdirs, "user_cache_path",
                        lambda name: blocker / "labconsole")
    assert line_archive.default_directory() is None  # unusable: the system temp folder


def test_dropped_records_are_gone_and_the_rest_read_back_alike() -> None:
    """``drop_before`` (the store's history bound): older records raise IndexError, newer
    ones read back as written, whether they were still pending or already on disk; the disk
    blocks under dropped records are given back where the system can (never more)."""
    archive = LineArchive(base=10)
    try:
        for i in range(2000):
            archive.append([f"line {i}", i])
        archive.fields(11)  # 10..521 written, the rest pending
        archive.drop_before(1990)  # into the pending part
        assert (archive.base, len(archive), archive.end) == (1990, 20, 2010)
        with pytest.raises(IndexError):
            archive.fields(1989)
        assert [archive.fields(n) for n in (1990, 2009)] == [["line 1980", 1980],
                                                             ["line 1999", 1999]]
        archive.drop_before(5)  # before the base: nothing
        assert archive.base == 1990
        archive.drop_before(10_000)  # past the end: everything
        assert len(archive) == 0 and archive.base == 2010
        assert archive.append(["again", 0]) == 2010 and archive.fields(2010) == ["again", 0]
    finally:
        archive.close()


def test_store_forgets_lines_beyond_its_history() -> None:
    store = KernelLogStore(capacity=4, history=16)
    view = LogView(store)
    try:
        for i in range(60):
            node, text, at = plain(i)
            store.add(node, text, at)
            if i == 10:
                view.rebuild()
        # A frame drawn before the view's next sync reads rows of forgotten lines: no raise
        # (the pane drew rows[0] and died, found by the 5-minute flood benchmark).
        assert "older than" in view.rows[0].text() and view.rows[-1].at is not None
        view.sync()
        assert list(view.codes) == list(range(store.oldest_seq, 61))
        assert store.last_seq == 60
        assert 16 <= store.last_seq - store.oldest_seq + 1 <= 17  # a sixteenth at a time
        assert store.forgotten == store.oldest_seq - 1
        assert store.dropped - store.archived == store.forgotten  # the pane says so
        gone = store.oldest_seq - 1
        with pytest.raises(IndexError, match="older than the 16 lines kept"):
            store.entry(gone)
        # A view holding it until its next sync draws a row saying so, never raises.
        shown = store.shown_entry(gone)
        assert "older than the 16 lines kept" in shown.line.raw and shown.node == ""
        assert shown.at.timestamp() == store.time_of(store.oldest_seq)
        assert store.entry(store.oldest_seq).line.raw == plain(store.oldest_seq - 1)[1]
        with pytest.raises(ValueError, match="history"):
            KernelLogStore(capacity=10, history=5)
    finally:
        store.close()
