"""``labconsole scan`` of a file split into parts (``labconsole.scan.parallel``) gives exactly
the single-process report, whatever the number of parts and wherever the cuts fall.

The mixes are ``test_scan_fast_path``'s (every ``bench/loggen.py`` profile and format, with odd
register blocks longer than the followed 64 lines, glued records, CEF lines, corosync facts);
the parts are many and small, so cuts fall inside hang dumps, between a report and its reset or
link flap, inside runs of CEF records and between repeated corosync facts. Most examples run
the parts one after the other in this process (the same merge, no fork); one test forks.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any, cast
from unittest import mock

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from labconsole.cli import main
from labconsole.commands import scan as scan_command
from labconsole.model.quorum_event import QuorumEvent
from labconsole.parse import corosync_log
from labconsole.sanitize import json_visible
from labconsole.scan import hang_spill, parallel, scanner
from labconsole.scan.scanner import scan_input
from tests.property.test_scan_fast_path import HEAD, _log


def _single(path: Path) -> dict[str, Any]:
    with mock.patch.dict("os.environ", {parallel.PARTS_ENV: "1"}):
        return scan_input(str(path), default_year=2024).to_json()


def _in_parts(path: Path, parts: int, *, fork: bool) -> tuple[dict[str, Any], list[object]]:
    """The report with the file cut into ``parts``, and what ``scan_in_parts`` returned
    (``None`` would mean it declined and the single-process scan ran)."""
    outcomes: list[object] = []

    def split(*args: Any, **kwargs: Any) -> object:
        outcome = parallel.scan_in_parts(*args, parts=parts, fork=fork)
        outcomes.append(outcome)
        return outcome

    with mock.patch.object(scanner, "scan_in_parts", split):
        return scan_input(str(path), default_year=2024).to_json(), outcomes


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=_log(), parts=st.integers(2, 60), early=st.sampled_from([2, 8, 512]),
       max_cef=st.sampled_from([0, 3, 40, scanner.MAX_CEF]), keep=st.sampled_from([0, 1, 2000]),
       max_facts=st.sampled_from([1, 4, corosync_log.MAX_SCAN_FACTS]))
def test_a_scan_in_parts_equals_the_single_scan(
    data: bytes, parts: int, early: int, max_cef: int, keep: int, max_facts: int,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Cuts every few lines; a short ``EARLY_LINES`` makes parts end before a resume point is
    found (the part before reads on through them); a small ``MAX_CEF`` puts the cap of listed
    CEF records inside a part, a small ``max_facts`` the cap of listed corosync facts (the
    repeats past it are counted off); ``keep`` 0 or 1 writes every final hang episode out at
    once (the single-process scan keeps them all in memory here)."""
    path = tmp_path_factory.mktemp("mix") / "log"
    path.write_bytes(data)
    with (mock.patch.object(scanner, "MAX_CEF", max_cef),
          mock.patch.object(corosync_log, "MAX_SCAN_FACTS", max_facts),
          mock.patch.object(parallel, "MAX_SCAN_FACTS", max_facts)):
        want = _single(path)
        with (mock.patch.object(parallel, "EARLY_LINES", early),
              mock.patch.object(hang_spill, "KEEP_IN_MEMORY", keep)):
            got, outcomes = _in_parts(path, parts, fork=False)
    assert got == want
    if (want["kinds"] and "kernel_log" in want["kinds"]) or "syslog_cef" in want["kinds"]:
        assert outcomes and outcomes[0] is not None  # the parts were merged, not declined


def _storm(reports: int, *, by_turns: bool = False) -> str:
    """Hang reports of two ports 2 s apart, each with a full register block, a reset and a
    link flap now and then, a corosync fact repeated by two daemons, a broken CEF record and
    an over-long line (errors naming their line numbers). The ports alternate report by
    report, or ``by_turns`` five reports each (their link flap closes the episode, so that
    none is open between turns)."""
    out = []
    for i in range(reports):
        s = f"2024-06-03T00:{i * 2 // 60:02d}:{i * 2 % 60:02d}+0200"
        dev = ("eno1", "eno2")[i // 5 % 2 if by_turns else i % 2]
        out.append(f"{s} pve03 kernel: e1000e 0000:00:1f.6 {dev}: Detected Hardware Unit "
                   "Hang:")
        out += [f"  TDH                  <{i % 7:x}>", "  TDT                  <1a>",
                "  next_to_use          <1a>", f"  next_to_clean        <{i % 7:x}>",
                "  MAC Status           <80083>", "  PCI Status           <10>"]
        out.append(f"{s} pve03 systemd[1]: chatter {i}")
        if i % 5 == 4:
            out.append(f"{s} pve03 kernel: e1000e 0000:00:1f.6 {dev}: Reset adapter "
                       "unexpectedly")
            out.append(HEAD.format(s=1).replace("eno1", dev) + "NIC Link is Down")
            out.append(HEAD.format(s=3).replace("eno1", dev) + "NIC Link is Up 1000 Mbps")
        if i % 7 == 3:  # errors that name their line
            out.append(f"Jun  3 00:00:01 udm CEF:0|broken {i}")
            out.append(HEAD.format(s=1).replace("eno1", dev) + "NIC Link is Up " + "x" * 17000)
        if i % 9 == 0:
            for _ in range(2):
                out.append(f"{s} pve03 corosync[9]:   [QUORUM] This node is within the "
                           "non-primary component and will NOT provide any services.")
    return "\n".join(out) + "\n"


def test_parts_in_forked_workers_equal_the_single_scan(tmp_path: Path) -> None:
    """The real thing: forked workers, their calls streamed through files, cuts in the middle
    of register blocks, episodes and repeated facts."""
    path = tmp_path / "storm.log"
    path.write_text(_storm(400))
    want = _single(path)
    assert want["hangs"] and want["links"] and want["quorum_events"]
    assert any("CEF" in e for e in want["errors"]) and any("longer" in e for e in want["errors"])
    for parts in (2, 3, 7, 31, 97):
        got, outcomes = _in_parts(path, parts, fork=True)
        assert got == want, parts
        assert outcomes[0] is not None
    with (mock.patch.object(corosync_log, "MAX_SCAN_FACTS", 2),
          mock.patch.object(parallel, "MAX_SCAN_FACTS", 2)):
        want = _single(path)
        assert len(want["quorum_events"]) == 2  # and the rest counted
        for parts in (5, 31):
            assert _in_parts(path, parts, fork=True)[0] == want, parts


def test_the_first_part_is_the_larger_as_a_worker_s_part_costs_more(
    tmp_path: Path,
) -> None:
    """A worker's part costs it more than this process's of the same size (its trace, its
    episodes written out): the first part is cut larger (by ``TRACE_SHARE``) so both end
    together; the others are alike. Every cut is just after a newline."""
    path = tmp_path / "log"
    path.write_bytes(b"".join(b"line %06d\n" % i for i in range(100_000)))
    size = path.stat().st_size
    for count in (2, 3, 4):
        cuts = parallel._boundaries(str(path), size, count)
        sizes = [b - a for a, b in zip(cuts, [*cuts[1:], size], strict=True)]
        assert len(sizes) == count
        assert all(sizes[0] > s for s in sizes[1:]), sizes
        assert max(sizes[1:]) - min(sizes[1:]) <= 12, sizes
        want = (1 + parallel.TRACE_SHARE) / (count + parallel.TRACE_SHARE) * size
        assert abs(sizes[0] - want) <= 12, (sizes, want)
        assert all(path.read_bytes()[c - 1:c] == b"\n" for c in cuts[1:])


def test_gzip_and_small_inputs_are_scanned_in_one_process(tmp_path: Path) -> None:
    """Only an uncompressed regular file is split, and only when it is big enough."""
    with mock.patch.dict("os.environ", {parallel.PARTS_ENV: "4"}):
        assert parallel.part_count(100) == 4  # the benchmarks' override
    with mock.patch.dict("os.environ", clear=True):
        assert parallel.part_count(parallel.MIN_PART_BYTES - 1) == 1
        big = parallel.MIN_PART_BYTES * 8
        with (mock.patch("os.sched_getaffinity", return_value={0, 1}),
              mock.patch("os.getloadavg", return_value=(0.3, 0.0, 0.0))):
            assert parallel.part_count(big) == 2  # a CPU is free: a part for it
        with (mock.patch("os.sched_getaffinity", return_value={0, 1}),
              mock.patch("os.getloadavg", return_value=(4.5, 0.0, 0.0))):
            assert parallel.part_count(big) == 1  # every CPU busy: one process
    gz = tmp_path / "storm.log.gz"
    gz.write_bytes(gzip.compress(_storm(20).encode()))
    never = mock.Mock(side_effect=AssertionError("a gzip input was split"))
    with (mock.patch.object(scanner, "scan_in_parts", never),
          mock.patch.dict("os.environ", {parallel.PARTS_ENV: "4"})):
        report = scan_input(str(gz), default_year=2024)
    assert report.hangs and report.lines == _storm(20).count("\n")


def test_hang_episodes_written_out_read_back_the_same(tmp_path: Path) -> None:
    """Final episodes go to a file as the scan goes (one process and in parts); ``scan
    --json`` writes them one at a time, byte for byte what one ``json.dumps`` gives."""
    path = tmp_path / "storm.log"
    path.write_text(_storm(300))
    want = scan_input(str(path), default_year=2024)
    assert isinstance(want.hangs, hang_spill.HangSpill) and len(want.hangs) > 50
    with mock.patch.object(hang_spill, "KEEP_IN_MEMORY", 3):
        spilled = scan_input(str(path), default_year=2024)
        in_parts, _ = _in_parts(path, 5, fork=True)
    assert spilled.hangs._file is not None  # written out, not held
    assert spilled.to_json() == want.to_json() == in_parts
    out = io.BytesIO()
    scan_command.write_json([spilled, want], scan_command._Output(out))
    text = json.dumps({"files": [spilled.to_json(), want.to_json()]}, ensure_ascii=False)
    assert out.getvalue() == (json_visible(text) + "\n").encode()


def test_a_worker_that_cannot_start_or_fails_leaves_the_scan_to_one_process(
    tmp_path: Path,
) -> None:
    """No fork (a process limit) or a worker that dies: the same report, from one process."""
    path = tmp_path / "storm.log"
    path.write_text(_storm(60))
    want = _single(path)
    with mock.patch("os.fork", side_effect=OSError(11, "Resource temporarily unavailable")):
        got, outcomes = _in_parts(path, 3, fork=True)
    assert got == want and outcomes == [None]
    # the first part runs in this process: a bug there is not hidden by the fallback
    with (mock.patch.object(parallel._PartScan, "run", side_effect=RuntimeError("boom")),
          pytest.raises(RuntimeError)):
        _in_parts(path, 3, fork=False)
    died = mock.patch.object(parallel._Workers, "_work", side_effect=SystemExit(3))
    with died:
        got, outcomes = _in_parts(path, 3, fork=True)
    assert got == want and outcomes == [None]


def test_scan_events_writes_its_file_line_in_pieces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """``scan --events`` writes its final ``file`` line a hang episode at a time: the same
    object ``--json`` gives for the file."""
    path = tmp_path / "storm.log"
    path.write_text(_storm(120))
    assert main(["scan", "--events", "--year", "2024", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    want = {"fact": "file", **scan_input(str(path), default_year=2024).to_json()}
    assert json.loads(lines[-1]) == json.loads(json.dumps(want)) and len(want["hangs"]) > 20
    reports = [json.loads(x) for x in lines if '"hang_report"' in x]
    assert max(r["episode"] for r in reports) == len(want["hangs"]) - 1


def _counted_part(facts: list[QuorumEvent], early: int) -> tuple[parallel._Facts, list[object]]:
    """A later part's ``_Facts`` fed as ``QuorumLineScan.take_facts`` feeds it (a fact built
    only while it is ``building``), its first lines ending after ``early`` facts; and the
    facts it built, read back as the merge reads them."""
    out = io.BytesIO()
    part = parallel._Facts(out)
    for i, fact in enumerate(facts):
        if i == early:
            part.first_lines_done()
        if part.building:
            part(fact)
        else:
            part.count_only(fact.host, parallel._fact_key(fact))
    part.spill()
    out.seek(0)
    return part, [f for batch in parallel._batches(out) for f in batch]


@given(hosts=st.lists(st.sampled_from("ab"), min_size=1, max_size=40),
       kinds=st.lists(st.sampled_from(["link_down", "link_up"]), min_size=40, max_size=40),
       early=st.integers(0, 8), cap=st.integers(1, 6), skip=st.integers(0, 8),
       before=st.sampled_from(["none", "a", "both"]))
@settings(max_examples=300, deadline=None)
def test_a_later_part_builds_only_the_facts_the_merge_can_list(
    hosts: list[str], kinds: list[str], early: int, cap: int, skip: int, before: str,
) -> None:
    """Past the cap a later part counts its facts without building them; merged from any
    resume point in its first lines, after any last facts of the parts before, it gives the
    facts and count of the same part with every fact built."""
    facts = [QuorumEvent(cast(Any, kinds[i]), None, host, (str(i % 3),), "t", "corosync",
                         None, None, i + 1) for i, host in enumerate(hosts)]
    early, skip = min(early, len(facts)), min(skip, early, len(facts))
    with mock.patch.object(parallel, "MAX_SCAN_FACTS", cap):
        counted, built = _counted_part(facts, early)
        assert len(built) <= early + cap + 2  # the early facts, the cap, a first per host
        everything = parallel._Facts(io.BytesIO())
        for i, fact in enumerate(facts):
            if i == early:
                everything.first_lines_done()
            everything(fact)
            everything.building = True  # the reference: every fact built
        for part, stream in ((counted, built), (everything, facts)):
            merge = object.__new__(parallel._Merge)
            merge.facts, merge.fact_count = [], 0
            merge.last_fact = {h: parallel._fact_key(facts[skip]) if skip < len(facts)
                               else ("link_up", ("0",), None)
                               for h in {"none": "", "a": "a", "both": "ab"}[before]}
            merge._take_facts(part, skip, 0, iter(cast(list[QuorumEvent], stream)))
            if part is counted:
                got = (merge.facts, merge.fact_count)
        assert got == (merge.facts, merge.fact_count)


def test_a_trace_reads_back_every_field_of_its_records() -> None:
    """The trace pickles a ``KernelLine``/``LinkEvent`` as its class and field values, in
    field order: read back, each record equals the one written, no field left at a default."""
    from datetime import datetime, timezone

    from labconsole.model.kernel_line import KernelLine
    from labconsole.model.link import LinkEvent

    at = datetime(2024, 6, 2, 22, 0, 48, 902385, tzinfo=timezone.utc)
    line = KernelLine(raw="r", message="m", lineno=7, time=at, uptime=1.5, host="h",
                      facility="kern", priority=3, driver="e1000e", device="eno1",
                      pci="0000:00:1f.6", continuation=True, is_kernel=False, app="kernel",
                      headed=False)
    link = LinkEvent(device="eno2", state="down", time=at, host="h2", uptime=2.5,
                     detail="d", lineno=9)
    trace = parallel._PartDetector()
    trace.feed(line)
    trace.link_line(link)
    out = io.BytesIO()
    trace.spill(out)
    out.seek(0)
    (batch,) = list(parallel._batches(out))
    assert batch == [line, link]
    assert type(batch[0]) is KernelLine and type(batch[1]) is LinkEvent


# -- a later part's own detector (the hand-over at a fact rest point) --------------------------

_DEVICES = (("pve03", "eno1", "0000:00:1f.6"), ("pve03", "eno2", "0000:00:19.0"),
            ("pve04", "eno1", "0000:00:1f.6"), ("pve03", "enp5s0", "0000:05:00.0"))
_STEPS = (0, 0, 1, 2, 2, 2, 30, 61, 200)


def _event(kind: str, host: str, dev: str, pci: str, at: int, i: int) -> list[str]:
    stamp = f"2024-06-03T{at // 3600 % 24:02d}:{at // 60 % 60:02d}:{at % 60:02d}+0200"
    head = f"{stamp} {host} kernel: "
    if kind == "report":
        return [head + f"e1000e {pci} {dev}: Detected Hardware Unit Hang:",
                f"  TDH                  <{i % 3:x}>", "  TDT                  <1a>",
                "  next_to_use          <1a>", f"  next_to_clean        <{i % 3:x}>",
                "  MAC Status           <80083>", "  PCI Status           <10>"][:2 + i % 6]
    return [head + {
        "down": f"e1000e: {dev} NIC Link is Down",
        "up": f"e1000e: {dev} NIC Link is Up 1000 Mbps Full Duplex",
        "reset": f"e1000e {pci} {dev}: Reset adapter unexpectedly",
        "watchdog": f"NETDEV WATCHDOG: {dev} (e1000e): transmit queue {i % 2} timed out",
        "txhang": f"ixgbe {pci} {dev}: tx hang 1 detected on queue {i % 4}, resetting adapter",
        "detached": f"igc {pci} {dev}: PCIe link lost, device now detached",
        "chatter": f"vmbr0: port {i % 9}(tap{i}i0) entered forwarding state",
    }[kind]]


@st.composite
def _episodes(draw: st.DrawFn) -> bytes:
    """Hang reports (register blocks of every length), resets, watchdogs, link flaps and
    detached NICs of a few devices on two hosts, seconds to minutes apart, among chatter:
    episodes that span parts, close on a link up in one part or stay open over many."""
    kinds = st.sampled_from(["report"] * 4 + ["down", "up", "up", "reset", "watchdog",
                                              "txhang", "detached"] + ["chatter"] * 6)
    out: list[str] = []
    at = 0
    for i, (kind, device, step) in enumerate(draw(st.lists(
            st.tuples(kinds, st.sampled_from(_DEVICES), st.sampled_from(_STEPS)),
            min_size=20, max_size=400))):
        at += step
        out += _event(kind, *device, at, i)
    return ("\n".join(out) + "\n").encode()


class _HandOvers:
    """Counts the hand-overs the merge took, and those it declined."""

    def __init__(self) -> None:
        self.taken = self.declined = 0
        self.stale = 0  # taken with episodes open in the parent
        self._take = parallel._Merge._take_handed

    def __enter__(self) -> _HandOvers:
        counter = self

        def take(merge: parallel._Merge, *args: Any) -> bool:
            stale = bool(merge.detector.open_episodes())
            taken = counter._take(merge, *args)
            counter.taken += taken
            counter.declined += not taken
            counter.stale += stale and taken
            return taken

        self._patch = mock.patch.object(parallel._Merge, "_take_handed", take)
        self._patch.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._patch.__exit__(*exc)


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=_episodes(), parts=st.integers(2, 40), early=st.sampled_from([1, 3, 512]),
       keep=st.sampled_from([0, 1, 2000]))
def test_a_later_part_s_own_detector_gives_the_single_scan(
    data: bytes, parts: int, early: int, keep: int, tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Parts whose detectors hand over at their first fact rest point (their own episodes,
    link tallies and detached NICs taken as they are, the parent's open episodes carried
    on) give the single scan's report, as do the same parts with every call replayed."""
    path = tmp_path_factory.mktemp("episodes") / "log"
    path.write_bytes(data)
    want = _single(path)
    with (mock.patch.object(parallel, "EARLY_LINES", early),
          mock.patch.object(hang_spill, "KEEP_IN_MEMORY", keep)):
        with _HandOvers() as seen:
            got, outcomes = _in_parts(path, parts, fork=False)
        with mock.patch.object(parallel, "HAND_OVER", False):
            replayed, replayed_outcomes = _in_parts(path, parts, fork=False)
    assert got == want
    assert replayed == want and replayed_outcomes[0] is not None
    assert outcomes[0] is not None  # a part not taken as its own is traced again
    event(f"hand-overs taken: {min(seen.taken, 3)}, declined: {min(seen.declined, 3)}")


def _flapping(reports: int, *, stale: str | None = None, late: bool = False) -> str:
    """``_storm``'s two ports by turns, each episode closed by a link up, with ``stale``'s
    hang report first (an episode no link up closes) and, ``late``, again after each report
    of eno1 in the last tenth, stamped 30 s after the first (out of order, as merged logs
    are): they join its episode."""
    out = []
    if stale is not None:
        out.append(f"2024-06-03T00:00:00+0200 pve03 kernel: e1000e 0000:07:00.0 {stale}: "
                   "Detected Hardware Unit Hang:\n  TDH                  <3>")
    lines = _storm(reports, by_turns=True).splitlines()
    for n, line in enumerate(lines):
        out.append(line)
        if (late and stale is not None and n > len(lines) * 0.9 and "Unit Hang" in line
                and "eno1" in line):
            out.append(f"2024-06-03T00:00:30+0200 pve03 kernel: e1000e 0000:07:00.0 {stale}: "
                       "Detected Hardware Unit Hang:")
    return "\n".join(out) + "\n"


def test_later_parts_hand_over_and_carry_the_open_episodes_on(tmp_path: Path) -> None:
    """Forked workers hand over (their tallies too: both ports flap); an episode
    left open in the first part, of a device no later part looks up, is carried over them;
    the part that reports it again is scanned again in the parent, every call traced."""
    path = tmp_path / "storm.log"
    for stale, late, parts in ((None, False, (2, 3, 5)), ("eno9", False, (2, 5)),
                               ("eno9", True, (2, 5))):
        path.write_text(_flapping(1200, stale=stale, late=late))
        want = _single(path)
        for count in parts:
            with _HandOvers() as seen:
                got, outcomes = _in_parts(path, count, fork=True)
            assert got == want, (stale, late, count)
            assert outcomes[0] is not None
            if late:  # the last part looks eno9 up: traced again
                assert seen.declined == 1 and seen.taken == count - 2
            else:
                assert seen.taken == count - 1 and not seen.declined
            assert seen.stale == (seen.taken if stale else 0)


@st.composite
def _link_events(draw: st.DrawFn) -> list[Any]:
    from datetime import datetime, timedelta, timezone

    from labconsole.model.link import LinkEvent

    events = []
    start = datetime(2024, 6, 3, tzinfo=timezone.utc)
    for i, (host, device, state, clock, step) in enumerate(draw(st.lists(st.tuples(
            st.sampled_from(["a", "b", None]), st.sampled_from(["eno1", "eno2"]),
            st.sampled_from(["down", "up"]), st.sampled_from(["both", "time", "naive", "none"]),
            st.integers(-3, 40)), max_size=60))):
        at = start + timedelta(seconds=i * 5 + step)
        events.append(LinkEvent(
            device=device, state=cast(Any, state), host=host, lineno=i,
            time=None if clock == "none" else at.replace(tzinfo=None) if clock == "naive" else at,
            uptime=float(i * 5 + step) if clock == "both" else None))
    return events


@given(events=_link_events(), at=st.integers(0, 60), cap=st.sampled_from([1, 2, 4096]))
@settings(max_examples=120, deadline=None)
def test_a_later_part_s_link_tally_folds_in_exactly(events: list[Any], at: int, cap: int) -> None:
    """A later part's link events from its hand-over on (``_LaterLinks``: each device's
    events up to its first up as they are, the rest tallied fresh) added to the tally of
    the events before give the tally of every event added one by one."""
    from labconsole.model import link_summary

    with mock.patch.object(link_summary, "MAX_DEVICES", cap):
        want = link_summary.LinkTally()
        for event in events:
            want.add(event)
        got = link_summary.LinkTally()
        later = parallel._LaterLinks()
        for i, event in enumerate(events):
            if i < at:
                got.add(event)
            else:
                later.add_fields(event.host, event.device, event.state, event.time,
                                 event.uptime)
        for fields in later.first:
            got.add_fields(*fields)
        if later.tally.untallied:  # the later tally is capped too: the merge declines
            with pytest.raises(ValueError):
                got.then(later.tally)
            return
        got.then(later.tally)
    assert (got.events, got.untallied, got.to_json()) == (
        want.events, want.untallied, want.to_json())
    assert [(s.at_rest, s._down) for s in got.summaries()] == [
        (s.at_rest, s._down) for s in want.summaries()]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_episodes())
def test_a_detector_at_rest_goes_on_as_a_fresh_one(data: bytes) -> None:
    """At every fact rest point of a detector fed a log's records, a fresh detector fed the
    records after it finds the same new episodes, link events and detached NICs."""
    from labconsole.parse.hang_detector import HangDetector
    from labconsole.parse.kernel_reader import KernelLogReader

    reader = KernelLogReader(default_year=2024)
    records = [line for raw in data.decode().splitlines(keepends=True)
               for line in reader.feed(raw)]
    records += reader.close()

    def run(lines: list[Any]) -> tuple[HangDetector, list[Any]]:
        links: list[Any] = []
        det = HangDetector(on_link=links.append)
        for line in lines:
            det.feed(line)
        det.finish()
        return det, links

    whole, all_links = run(records)
    det = HangDetector(on_link=lambda link: None)
    for i, line in enumerate(records):
        det.feed(line)
        if det.at_rest and i % 7 == 0:
            fresh, links = run(records[i + 1:])
            later = len(det.episodes)
            assert [e.to_json() for e in fresh.episodes] == [
                e.to_json() for e in whole.episodes[later:]]
            assert fresh.detached == whole.detached[len(det.detached):]
            assert links == all_links[len(all_links) - len(links):]
