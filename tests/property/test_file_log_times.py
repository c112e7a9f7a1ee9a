"""Times and clocks read by shorter roads in a replayed file. The file store reads an ISO
stamp's time from its minute's start plus its seconds (``FileLogStore._iso_time``): the same
float as ``timestamp(parse_iso_time(stamp))`` for any stamp the line pattern takes, invalid
dates and leap seconds included, through the cache. The facts pass finds the first clock of a
register run from its colons (``file_view._clock_at``): where one regex search finds it."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from labconsole.parse.syslog_header import parse_iso_time
from labconsole.state.file_lines import FileLines
from labconsole.state.file_log import _ISO_AT_START, FileLogStore
from labconsole.state.line_archive import timestamp

_ZONES = st.sampled_from(["", "Z", "+0200", "-0530", "+02:00", "-11:45", "+0000", "+1400"])


@st.composite
def stamps(draw: st.DrawFn) -> str:
    # A few minutes of few days, so that stamps share their minute (the cached road).
    y = draw(st.sampled_from([1970, 2000, 2024, 2038, 2100]))
    mo = draw(st.integers(1, 12))
    d = draw(st.sampled_from([1, 28, 29, 30, 31]))
    hh = draw(st.sampled_from([0, 12, 23]))
    mi = draw(st.sampled_from([0, 1, 59]))
    ss = draw(st.integers(0, 60))
    frac = draw(st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=9)))
    return (f"{y:04d}-{mo:02d}-{d:02d}T{hh:02d}:{mi:02d}:{ss:02d}"
            + (f".{frac}" if frac else "") + draw(_ZONES))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> FileLogStore:
    """One store for every example: its minute cache carries over, as in a log."""
    path = tmp_path_factory.mktemp("t") / "x.log"
    path.write_bytes(b"x\n")
    return FileLogStore(FileLines(path), fallback_node="n")


@settings(max_examples=400, deadline=None)
@given(st.lists(stamps(), min_size=1, max_size=30))
@example(["2024-06-03T00:00:60+0200", "2024-02-30T00:00:01Z", "2024-06-03T23:59:59.999999999Z"])
def test_a_stamp_time_is_the_parsed_time(store: FileLogStore, texts: list[str]) -> None:
    for text in texts:
        raw = f"{text} pve01 kernel: x".encode()
        m = _ISO_AT_START.match(raw)
        assert m is not None
        when = parse_iso_time(m[1].decode())
        assert store._iso_time(m[1]) == (None if when is None else timestamp(when)), text


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["12:34:56", "1:23:45", "12:3", ":", "7", "  ", "\n", "<0>",
                                 "ab:", "00:"]), max_size=20), st.data())
def test_the_first_clock_of_a_register_run_is_the_regex_s(parts: list[str],
                                                           data: st.DataObject) -> None:
    """``file_view._clock_at`` (colons first, the regex from the first that may start a
    clock) finds what one regex search of the run finds."""
    from labconsole.sources.file_view import _CLOCK, _clock_at

    block = "".join(parts).encode()
    start = data.draw(st.integers(0, len(block)))
    end = data.draw(st.integers(start, len(block)))
    found = _CLOCK.search(block, start, end)
    assert _clock_at(block, start, end) == (-1 if found is None else found.start())
