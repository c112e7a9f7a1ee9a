"""The kernel log pane's view model: node, filter, regex, window, folding, search, jump."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from labconsole.demo.generate import hang_block
from labconsole.state.kernel_log import KernelLogStore
from labconsole.state.log_view import LogQuery, LogView, QueryError
from labconsole.state.timequery import TimeQueryError, parse_clock, parse_window

T0 = datetime(2025, 11, 8, 6, 19, 0, tzinfo=timezone.utc)


def _store() -> KernelLogStore:
    store = KernelLogStore()
    store.add("pve01", "Nov 08 06:18:00 pve01 kernel: vmbr0: port 1(eno1) entered "
              "forwarding state", T0)
    for i in range(3):
        for ev in hang_block(T0 + timedelta(seconds=2 + 2 * i), i):
            store.add("pve03", ev.text, ev.at)
    store.add("pve02", "Nov 08 06:20:00 pve02 kernel: perf: interrupt took too long", T0)
    return store


def test_episode_is_folded_into_one_row_and_unfolds_in_place() -> None:
    view = LogView(_store())
    view.sync()
    assert len(view.rows) == 3
    ep_row = view.rows[1]
    assert ep_row.episode is not None and ep_row.folded
    assert ep_row.text() == "e1000e eno1 hang x 3, TDH stuck at <f6> since 06:19:02"
    view.toggle(ep_row.episode.id)
    assert len(view.rows) == 3 + 45
    assert view.rows[1].episode is not None and not view.rows[1].folded
    assert view.rows[2].entry is not None and "Detected Hardware Unit Hang" in view.rows[2].text()
    view.set_all_folded(True)
    assert len(view.rows) == 3


def test_new_lines_are_appended_incrementally() -> None:
    store = _store()
    view = LogView(store)
    view.sync()
    store.add("pve01", "Nov 08 06:21:00 pve01 kernel: later", T0)
    assert view.sync() == 1 and view.rows[-1].text().endswith("later")
    assert view.sync() == 0


def test_node_filter_regex_and_window() -> None:
    view = LogView(_store())
    view.set_query(LogQuery(node="pve02"))
    assert [r.entry.node for r in view.rows if r.entry] == ["pve02"]
    view.set_query(LogQuery(text="PERF"))
    assert len(view.rows) == 1  # case-insensitive substring
    view.set_query(LogQuery(text=r"TDH\s+<f6>", regex=True))
    assert len(view.rows) == 1 and view.rows[0].episode is not None
    view.set_query(LogQuery(since=T0 + timedelta(seconds=30)))
    assert len(view.rows) == 1 and view.rows[0].entry is not None
    view.set_query(LogQuery(until=T0 - timedelta(seconds=30)))
    assert len(view.rows) == 1 and view.rows[0].entry.node == "pve01"  # type: ignore[union-attr]


def test_a_bad_regex_is_a_clear_error_and_keeps_the_old_query() -> None:
    view = LogView(_store())
    view.filter_text("perf")
    with pytest.raises(QueryError, match="bad regular expression"):
        view.filter_text("([", regex=True)
    assert view.query.text == "perf" and len(view.rows) == 1


def test_search_wraps_both_ways_and_jump_finds_time() -> None:
    view = LogView(_store())
    view.sync()
    assert view.find("hang", 0) == 1
    assert view.find("vmbr0", 1) == 0  # wraps around
    assert view.find("vmbr0", 1, forward=False) == 0
    assert view.find("nothing", 0) is None
    assert view.index_at(T0 + timedelta(seconds=3)) == 2
    assert view.index_at(T0 + timedelta(hours=1)) is None


def test_trimmed_store_trims_rows() -> None:
    store = KernelLogStore(capacity=3, spill=False)
    view = LogView(store)
    for i in range(5):
        store.add("pve01", f"Nov 08 06:19:0{i} pve01 kernel: n{i}", T0)
        view.sync()
    assert [r.text()[-2:] for r in view.rows] == ["n2", "n3", "n4"]


def test_spilling_store_keeps_every_row_readable() -> None:
    store = KernelLogStore(capacity=3)
    view = LogView(store)
    for i in range(5):
        store.add("pve01", f"Nov 08 06:19:0{i} pve01 kernel: n{i}", T0)
        view.sync()
    assert len(store.entries) == 3 and store.archived == 2
    assert [r.text()[-2:] for r in view.rows] == ["n0", "n1", "n2", "n3", "n4"]


def test_typed_times_and_windows() -> None:
    assert parse_clock("06:19", T0) == T0.replace(minute=19)
    assert parse_clock("2025-11-09 01:02:03", T0) == datetime(2025, 11, 9, 1, 2, 3,
                                                             tzinfo=timezone.utc)
    since, until = parse_window("06:18..06:21", T0)
    assert since == T0.replace(minute=18) and until == T0.replace(minute=21, second=59)
    assert parse_window("..06:21:30", T0) == (None, T0.replace(minute=21, second=30))
    for bad in ("6pm", "25:00", "06:21..06:18"):
        with pytest.raises(TimeQueryError):
            parse_window(bad if ".." in bad else bad + "..", T0)


def test_a_view_made_with_a_query_applies_all_of_it() -> None:
    for query in (LogQuery(text="perf"), LogQuery(since=T0 + timedelta(minutes=1))):
        view = LogView(_store(), query=query)
        view.sync()
        texts = [r.text() for r in view.rows]
        assert len(texts) == 1 and texts[0].endswith("perf: interrupt took too long")
