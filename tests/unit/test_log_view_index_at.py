"""``LogView.index_at`` answers at C speed from the store's per-line times (issue 13 item 3:
a jump to a time on a 1M-line file froze the keys): the same row as the loop it replaced, on
random stores with out-of-order times and folded or open hang episodes; and a file store's
``line_times`` are its ``time_of``, line by line."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.file_lookups import loop_index_at
from labconsole.demo.generate import hang_block
from labconsole.state.file_lines import FileLines
from labconsole.state.file_log import FileLogStore
from labconsole.state.kernel_log import KernelLogStore
from labconsole.state.log_view import LogQuery, LogView

T0 = datetime(2025, 11, 8, 6, 19, 0, tzinfo=timezone.utc)
NODES = ("pve01", "pve02", "pve03")


# A step: a plain line (node, seconds from T0, may go back) or a hang report (4 registers...).
_step = st.one_of(
    st.tuples(st.just("line"), st.sampled_from(NODES), st.integers(-30, 120)),
    st.tuples(st.just("hang"), st.sampled_from(NODES), st.integers(-30, 120)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(_step, min_size=0, max_size=25), data=st.data())
def test_index_at_is_the_loops_row(steps: list[tuple[str, str, int]],
                                   data: st.DataObject) -> None:
    # A small store forgets its oldest lines (its times' base moves past line 1).
    small = data.draw(st.booleans())
    store = KernelLogStore(capacity=40, spill=False, history=40) if small else KernelLogStore()
    reports: dict[str, int] = {}
    for kind, node, sec in steps:
        at = T0 + timedelta(seconds=sec)
        if kind == "line":
            store.add(node, f"Nov 08 06:19:00 {node} kernel: vmbr0: port {sec} up", at)
        else:
            n = reports[node] = reports.get(node, -1) + 1
            for ev in hang_block(at, n):
                store.add(node, ev.text.replace("pve03", node), ev.at)
    node = data.draw(st.sampled_from((None, *NODES)))
    view = LogView(store, query=LogQuery(node=node))
    view.rebuild()
    for eid in data.draw(st.sets(st.sampled_from(range(max(1, len(store.episodes)))))):
        if eid < len(store.episodes):
            view.toggle(eid)
    for sec in data.draw(st.lists(st.integers(-40, 130), min_size=1, max_size=6)):
        when = T0 + timedelta(seconds=sec, milliseconds=data.draw(st.sampled_from((0, 1))))
        expected = loop_index_at(view, when)
        assert view.index_at(when) == expected
        assert view.snapshot().index_at(when) == expected  # a worker's copy of the rows


_line = st.one_of(
    st.integers(0, 90).map(lambda s: f"2025-11-08T06:{19 + s // 60:02d}:{s % 60:02d}+0000 "
                                     "pve03 kernel: e1000e eno1: link up"),
    st.integers(0, 90).map(lambda s: f"Nov  8 06:{19 + s // 60:02d}:{s % 60:02d} pve02 "
                                     "kernel: perf: interrupt took too long"),
    st.just("  TDH                  <f6>"),
    st.just(""),
    st.integers(60, 66).map(lambda n: "\n".join(["  untimed register line"] * n)),
    st.just("2025-11-08T06:20:00+0000 fw CEF:0|Vendor|fw|1|100|blocked|5|rt=1762582800000"),
)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_line, min_size=1, max_size=150), crlf=st.booleans(),
       end=st.booleans())
def test_file_line_times_are_time_of(tmp_path: Path, lines: list[str], crlf: bool,
                                     end: bool) -> None:
    path = tmp_path / "x.log"
    eol = "\r\n" if crlf else "\n"
    path.write_bytes((eol.join(lines) + (eol if end else "")).encode())
    fl = FileLines(path)
    fl.build_index()
    slow = FileLogStore(fl, fallback_node="pve03", year=2025)
    expected = [slow.time_of(seq) for seq in range(1, fl.count + 1)]
    fast = FileLogStore(FileLines(path), fallback_node="pve03", year=2025)
    fast.lines.build_index()
    found = fast.line_times()
    assert found is not None
    times, base = found
    assert base == 1 and list(times) == expected
