"""Replay: plain log files and recordings as events, pacing, pause, step, seek."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from labconsole.events import Event, KernelText
from labconsole.sources.recording import Recorder
from labconsole.sources.replay import (
    ReplayControl,
    ReplayError,
    ReplaySource,
    iter_log_file,
    load_events,
    playing_time,
    replay_gap,
)

T0 = datetime(2025, 11, 8, 6, 0, 0, tzinfo=timezone.utc)
JOURNAL = """\
Nov 08 06:19:02 pve03 kernel: e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:
                              TDH                  <f6>
Nov 08 06:19:04 pve03 kernel: e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:
"""


def _ev(second: int, text: str = "x", node: str = "pve01") -> KernelText:
    return KernelText(at=T0 + timedelta(seconds=second), source="t", node=node, text=text)


def test_plain_log_lines_become_kernel_text_with_host_and_time(tmp_path: Path) -> None:
    log = tmp_path / "kern.log"
    log.write_text(JOURNAL)
    events = list(iter_log_file(log, year=2025))
    assert [e.node for e in events] == ["pve03"] * 3
    assert [e.at.second for e in events] == [2, 2, 4]  # the indented line keeps the time
    assert events[1].text.strip() == "TDH                  <f6>"


def test_dmesg_without_hosts_is_named_after_the_file(tmp_path: Path) -> None:
    log = tmp_path / "nodeX.dmesg"
    log.write_text("[   66.123456] e1000e 0000:00:19.0 eno1: NIC Link is Down\n\n")
    events = list(iter_log_file(log))
    assert len(events) == 1 and events[0].node == "file:nodeX"  # marked as a file name


def test_recordings_and_logs_merge_in_time_order(tmp_path: Path) -> None:
    rec = tmp_path / "rec.jsonl"
    with Recorder(rec) as r:
        r.write(KernelText(at=datetime(2025, 11, 8, 6, 19, 3, tzinfo=timezone.utc),
                           source="ssh:pve01", node="pve01", text="between"))
    log = tmp_path / "kern.log"
    log.write_text(JOURNAL)
    events = load_events([log, rec], year=2025)
    assert [e.text for e in events if isinstance(e, KernelText)][2] == "between"


def test_missing_input_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ReplayError, match="no such file"):
        load_events([tmp_path / "nope.jsonl"])
    empty = tmp_path / "empty.log"
    empty.write_text("")
    with pytest.raises(ReplayError, match="nothing to replay"):
        ReplaySource.from_paths([empty])


def test_gaps_are_capped_then_scaled() -> None:
    assert replay_gap(None, T0, 0.75) == 0.0
    assert replay_gap(T0, T0 + timedelta(seconds=0.25), 0.75) == 0.25
    assert replay_gap(T0, T0 + timedelta(minutes=8), 0.75) == 0.75
    assert replay_gap(T0, T0 + timedelta(minutes=8), None) == 480.0
    events = [_ev(0), _ev(1), _ev(600)]
    assert playing_time(events, speed=1, max_gap=0.5) == 1.0
    assert playing_time(events, speed=2, max_gap=None) == 300.0
    assert playing_time(events, speed=0) == 0.0


async def _run(source: ReplaySource, until: int, got: list[Event], limit: int = 2000) -> None:
    """Drive the event loop until ``got`` has ``until`` events (bounded number of turns)."""
    for _ in range(limit):
        if len(got) >= until:
            return
        await asyncio.sleep(0)


@pytest.mark.timeout(20)
async def test_speed_zero_plays_everything_and_marks_the_end() -> None:
    events = [_ev(i * 60) for i in range(500)]
    control = ReplayControl(speed=0)
    source = ReplaySource(events, control=control)
    got: list[Event] = []

    async def emit(ev: Event) -> None:
        got.append(ev)

    task = asyncio.create_task(source.run(emit))
    await _run(source, 500, got)
    for _ in range(50):
        if control.finished:
            break
        await asyncio.sleep(0)
    task.cancel()
    assert got == events
    assert control.finished and control.position == events[-1].at
    assert control.label.endswith("end")


@pytest.mark.timeout(20)
async def test_paused_replay_steps_one_timestamp_group_at_a_time() -> None:
    events = [_ev(0, "a"), _ev(0, "b"), _ev(5, "c"), _ev(9, "d")]
    control = ReplayControl(speed=1, paused=True)
    source = ReplaySource(events, control=control)
    got: list[Event] = []

    async def emit(ev: Event) -> None:
        got.append(ev)

    task = asyncio.create_task(source.run(emit))
    await _run(source, 10, got, limit=200)
    assert got == []
    control.step()
    await _run(source, 2, got)
    await _run(source, 10, got, limit=200)  # must not run ahead
    assert [e.text for e in got if isinstance(e, KernelText)] == ["a", "b"]
    control.step()
    await _run(source, 3, got)
    await _run(source, 10, got, limit=200)
    assert len(got) == 3 and control.paused
    task.cancel()


@pytest.mark.timeout(20)
async def test_seek_forward_fast_forwards_and_backward_resets() -> None:
    events = [_ev(i * 60, str(i)) for i in range(10)]
    control = ReplayControl(speed=1, paused=True)
    resets: list[int] = []
    source = ReplaySource(events, control=control)
    got: list[Event] = []

    def reset() -> None:
        resets.append(len(got))
        got.clear()

    control.on_reset = reset

    async def emit(ev: Event) -> None:
        got.append(ev)

    task = asyncio.create_task(source.run(emit))
    control.seek(T0 + timedelta(minutes=5))
    await _run(source, 6, got)
    await _run(source, 20, got, limit=200)
    assert [e.text for e in got if isinstance(e, KernelText)] == ["0", "1", "2", "3", "4", "5"]
    assert control.position == T0 + timedelta(minutes=5)
    control.seek(T0 + timedelta(minutes=2))
    await _run(source, 3, got)
    await _run(source, 20, got, limit=200)
    assert resets == [6]
    assert [e.text for e in got if isinstance(e, KernelText)] == ["0", "1", "2"]
    assert control.seek_by(-600) == T0  # clamped to the start
    task.cancel()


def test_speed_controls() -> None:
    c = ReplayControl(speed=1)
    assert c.faster() == 2 and c.slower() == 1 and c.slower() == 0.5
    c.set_speed(0)
    assert c.faster() == 1
    with pytest.raises(ValueError):
        c.set_speed(-1)
    assert c.toggle() is True and c.label.endswith("paused")


def test_a_truncated_gzip_log_keeps_what_was_read_and_says_where_it_ended(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """report and replay on a .gz cut short: the lines before the cut, one error naming the
    file and line, exit 2 from report, and never an EOFError traceback."""
    import gzip
    import random

    from labconsole.cli import main
    from labconsole.sources.recording import RecordingError
    from labconsole.sources.replay import ReplayError, load_events

    rnd = random.Random(7)
    lines = "".join(f"Mar 14 06:19:{i % 60:02d} pve03 kernel: e1000e 0000:00:1f.6 eno1: "
                    f"Detected Hardware Unit Hang: TDH <{rnd.getrandbits(32):x}>\n"
                    for i in range(3000))
    packed = gzip.compress(lines.encode())
    cut = tmp_path / "pve03.log.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    errors: list[RecordingError] = []
    events = load_events([cut], errors, year=2025)
    assert 0 < len(events) < 3000
    assert len(errors) == 1 and errors[0].ends_input and "ended before" in errors[0].reason
    with pytest.raises(ReplayError, match="compressed stream damaged"):
        list(iter_log_file(cut, year=2025))
    assert main(["report", "--no-audit", "--year", "2025", str(cut)]) == 2
    out, err = capsys.readouterr()
    assert "# Incident report" in out and "Traceback" not in err
    assert err.count("\n") == 1 and f"{cut}:{len(events) + 1}: compressed stream damaged" in err
