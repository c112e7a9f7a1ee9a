"""The kernel log pane's rows, kept incrementally (lines appended as they arrive, node and
folding keys answered from the store's ``RowIndex``, episodes spliced in and out), are the rows
a full pass over the store gives, after any sequence of appends and keys: lines of three nodes,
hang episodes growing while they are shown, episodes closed by a reset, node filter changes,
text filters (which scan), fold/unfold one or all, on a spilling store, on one that drops
its oldest lines, and on stores that forget lines beyond their history (rows cut at the top,
an episode's header moved to its first line left)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from labconsole.demo.generate import hang_block
from labconsole.state.kernel_log import KernelLogStore
from labconsole.state.log_index import RowIndex, row_index
from labconsole.state.log_view import LogQuery, LogView

T0 = datetime(2025, 11, 8, 6, 19, 0, tzinfo=timezone.utc)
NODES = ("pve01", "pve02", "pve03")
# Texts that match a line or an episode's summary the same way whatever the episode's size
# (a filter on "x 3" would match a summary only once the episode has grown to three reports).
TEXTS = ("", "perf", "TDH", "eno1")

hangs = st.tuples(st.just("hang"), st.sampled_from(NODES), st.integers(min_value=0, max_value=3))
resets = st.tuples(st.just("reset"), st.sampled_from(NODES))
keys = st.one_of(st.tuples(st.just("toggle"), st.integers(min_value=0, max_value=20)),
                 st.tuples(st.just("fold_all"), st.booleans()),
                 st.tuples(st.just("all_but"), st.integers(min_value=0, max_value=20)))
ops = st.lists(st.one_of(
    hangs, hangs, resets, keys, keys,
    st.tuples(st.just("line"), st.sampled_from(NODES)),
    st.tuples(st.just("node"), st.sampled_from((None, *NODES))),
    st.tuples(st.just("text"), st.sampled_from(TEXTS)),
    st.tuples(st.just("sync"),),
), min_size=4, max_size=60)


def _add(store: KernelLogStore, op: tuple, n: int) -> None:
    at = T0 + timedelta(seconds=2 * n)
    node = op[1]
    if op[0] == "line":
        store.add(node, f"{at:%b %d %H:%M:%S} {node} kernel: perf: interrupt took too long "
                  f"({n})", at)
    elif op[0] == "reset":
        store.add(node, f"{at:%b %d %H:%M:%S} {node} kernel: e1000e 0000:00:1f.6 eno1: "
                  "Reset adapter unexpectedly", at)
    else:
        for ev in hang_block(at, op[2]):
            store.add(node, ev.text.replace("pve03", node), ev.at)


def full_pass(view: LogView) -> list[int]:
    """The rows by definition: every readable line in order, of the node asked for, matching
    the text (a line of an episode also by the episode's summary); an episode's header at its
    first such line, its lines only when it is open."""
    store, query = view.store, view.query
    text = query.text.lower()
    codes: list[int] = []
    headed: set[int] = set()
    for seq in range(store.oldest_seq, store.last_seq + 1):
        if query.node is not None and store.node_of(seq) != query.node:
            continue
        eid = store.episode_of(seq)
        if text and text not in store.raw(seq).lower() and (
                eid is None or text not in store.episode(eid).summary.lower()):
            continue
        if eid is None:
            codes.append(seq)
            continue
        if eid not in headed:
            headed.add(eid)
            codes.append(-eid - 1)
        if eid in view.expanded:
            codes.append(seq)
    return codes


def _check(view: LogView) -> None:
    view.sync()
    expected = full_pass(view)
    assert list(view.codes) == expected
    # Where each header sits, as the view keeps it for cutting forgotten lines later.
    assert {-c - 1 for c in view.codes if c < 0} <= view._head_at.keys()
    for eid in range(len(view.store.episodes)):
        code = -eid - 1
        assert view.row_for_episode(eid) == (expected.index(code) if code in expected else None)


def _check_index(store: KernelLogStore) -> None:
    """The index kept as lines came and went is the one a fresh pass over the store makes."""
    kept = row_index(store)
    kept.sync()
    fresh = RowIndex(store)
    fresh.sync()
    assert (kept.first, kept.last) == (fresh.first, fresh.last)
    assert {k: list(v) for k, v in kept.folded.items() if v or k is None} == \
        {k: list(v) for k, v in fresh.folded.items() if v or k is None}
    assert list(kept.opened) == list(fresh.opened)
    assert kept.head == fresh.head
    assert {k: v for k, v in kept.episodes.items() if v or k is None} == \
        {k: v for k, v in fresh.episodes.items() if v or k is None}


@settings(max_examples=300, deadline=None)
@given(ops, st.sampled_from([(50_000, True, 1_000_000), (40, True, 1_000_000),
                             (40, False, 1_000_000), (15, False, 1_000_000),
                             (8, True, 20), (8, True, 9), (4, False, 40)]))
def test_incremental_rows_are_a_full_pass(sequence: list[tuple], store_kind: tuple) -> None:
    """Also on stores that forget their oldest lines (``history``): the rows and the index
    are those of the lines still kept, as if built from them alone."""
    capacity, spill, history = store_kind
    store = KernelLogStore(capacity, spill=spill, history=history)
    view = LogView(store)
    try:
        for n, op in enumerate(sequence):
            kind = op[0]
            if kind in ("line", "hang", "reset"):
                _add(store, op, n)
                continue
            if kind == "node":
                view.set_query(LogQuery(node=op[1], text=view.query.text))
            elif kind == "text":
                # As the pane does: a new view of the same folding, built, then shown.
                view = view.with_query(LogQuery(node=view.query.node, text=op[1]))
                view.rebuild()
            elif kind == "toggle" and store.episodes:
                view.toggle(op[1] % len(store.episodes))
            elif kind == "fold_all":
                view.set_all_folded(op[1])
            elif kind == "all_but" and store.episodes:  # from the merged all-open rows
                view.set_query(LogQuery(text=view.query.text))
                view.set_all_folded(False)
                view.toggle(op[1] % len(store.episodes))
            _check(view)
        _check(view)
        _check_index(store)
    finally:
        store.close()
