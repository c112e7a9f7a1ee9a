"""The bundled demo: generated deterministically, and telling the pve03 story when played."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from labconsole.demo import DEMO_RECORDING
from labconsole.demo.generate import main as generate
from labconsole.events import ConnectionChange, KernelText
from labconsole.incident.from_state import IncidentMark, incident_marks
from labconsole.incident.wording import picture_text
from labconsole.pipeline import Pipeline
from labconsole.sources.recording import RecordingError
from labconsole.sources.replay import ReplayControl, ReplaySource, load_events, playing_time
from labconsole.state.console_state import ConsoleState

REALDATA_MARKERS = ("pve-02", "Express-7", "prod-central")  # strings from ../shared samples


def test_bundled_recording_is_what_the_generator_writes(tmp_path: Path) -> None:
    out = tmp_path / "demo.jsonl"
    assert generate([str(out)]) == 0
    assert out.read_bytes() == DEMO_RECORDING.read_bytes(), (
        "run `python -m labconsole.demo.generate` to refresh the bundled recording")


def test_recording_is_clean_and_synthetic() -> None:
    errors: list[RecordingError] = []
    events = load_events([DEMO_RECORDING], errors)
    assert errors == [] and len(events) > 500
    text = DEMO_RECORDING.read_text()
    assert not any(marker in text for marker in REALDATA_MARKERS)


def test_demo_plays_in_about_a_minute_at_speed_one() -> None:
    events = load_events([DEMO_RECORDING])
    # 42.75 s measured: the 37 hang reports arrive in one catch-up burst once pve03 can send
    # again (they were 37 paced gaps of 0.75 s when the recording showed them live).
    assert 40 <= playing_time(events, speed=1) <= 75
    assert playing_time(events, speed=0) == 0


@pytest.fixture(scope="module")
def played() -> tuple[ConsoleState, list[tuple[str, str]]]:
    """Play the demo at speed 0 through the real pipeline; record the votes seen over time."""
    control = ReplayControl(speed=0)
    source = ReplaySource.from_paths([DEMO_RECORDING], control=control)
    pipeline = Pipeline([source])
    votes: list[tuple[str, str]] = []

    def seen(panels: set[str]) -> None:
        c = pipeline.state.votes.clusters.get("homelab")
        summary = picture_text(c.picture()) if c is not None else ""
        if "votes" in panels and c is not None and (not votes or votes[-1][1] != summary):
            votes.append((f"{pipeline.state.latest:%H:%M}", summary))

    pipeline.on_change = seen

    async def play() -> None:
        task = asyncio.create_task(pipeline.run())
        for _ in range(10_000):
            if control.finished:
                break
            await asyncio.sleep(0)
        task.cancel()

    asyncio.run(play())
    assert control.finished
    return pipeline.state, votes


def test_votes_drop_twice_and_recover(played: tuple[ConsoleState, list[tuple[str, str]]]) -> None:
    state, votes = played
    assert votes == [("06:05", "3/3 quorate"), ("06:10", "2/3 quorate"),
                     ("06:11", "3/3 quorate"), ("06:19", "2/3 quorate"),
                     ("06:21", "3/3 quorate")]
    assert state.error_count == 0, list(state.errors)


def test_one_stuck_hang_episode_of_37_reports(
        played: tuple[ConsoleState, list[tuple[str, str]]]) -> None:
    state, _ = played
    assert len(state.log.episodes) == 1
    ref = state.log.episodes[0]
    assert ref.node == "pve03"
    assert ref.summary == "e1000e eno1 hang x 37, TDH stuck at <f6> since 06:19:02"
    assert ref.episode.registers["next_to_clean"].strip("<>") == "f6"
    assert ref.episode.registers["next_to_watch.status"].strip("<>") == "0"


def test_two_separate_incidents_on_the_timeline(
        played: tuple[ConsoleState, list[tuple[str, str]]]) -> None:
    state, _ = played
    first, second = incident_marks(state)
    assert [f"{m.start:%H:%M}" for m in (first, second)] == ["06:08", "06:19"]
    entries = state.timeline.entries

    def kinds(mark: IncidentMark) -> set[str]:
        return {e.kind for e in entries if mark.start <= e.at <= mark.end}

    assert "cef" in kinds(first)
    assert "hang" in kinds(second)
    assert any(e.kind == "action" and e.at >= second.start for e in entries)
    assert second.cause is not None and second.cause.startswith("stuck TX ring on pve03 eno1")


def test_fix_turns_offloads_off_on_pve03_only(
        played: tuple[ConsoleState, list[tuple[str, str]]]) -> None:
    state, _ = played
    pve03 = state.nics.nics[("pve03", "eno1")]
    assert pve03.warning is None and pve03.offloads is not None and pve03.offloads.tso is False
    assert state.nics.nics[("pve01", "eno1")].warning is not None


def test_hang_lines_are_in_the_real_journal_shape() -> None:
    texts = [e.text for e in load_events([DEMO_RECORDING]) if isinstance(e, KernelText)]
    head = [t for t in texts if "Detected Hardware Unit Hang" in t]
    assert len(head) == 37
    assert head[0] == ("Nov 08 06:19:02 pve03 kernel: e1000e 0000:00:1f.6 eno1: "
                       "Detected Hardware Unit Hang:")


def test_nothing_arrives_over_a_connection_that_is_down() -> None:
    """What a live console could have recorded (issue 14): pve03's kernel lines and NIC state
    come over its SSH connection, so none arrives while that connection is down; those
    logged meanwhile arrive once it is back, with their own (earlier) times."""
    state: dict[str, str] = {}
    late: list[KernelText] = []
    for e in load_events([DEMO_RECORDING]):
        if isinstance(e, ConnectionChange):
            state[e.source] = e.state
        elif e.source.startswith("ssh:"):
            assert state.get(e.source) == "connected", (e.at, e.source, type(e).__name__)
            if isinstance(e, KernelText) and e.text.startswith("Nov 08 ") \
                    and e.text[7:15] < f"{e.at:%H:%M:%S}":
                late.append(e)
    assert {e.text[7:15] for e in late} >= {"06:09:01", "06:19:02", "06:20:14"}


@pytest.mark.parametrize(("moment", "pve03"), [
    ("06:08:30", "connected"), ("06:09:40", "reconnecting"), ("06:11:00", "connected"),
    ("06:19:40", "reconnecting"), ("06:20:20", "reconnecting"), ("06:20:28", "connected"),
    ("06:21:30", "connected")])
def test_the_status_is_true_throughout(moment: str, pve03: str) -> None:
    """pve03 is unreachable during the switch outage and while its TX ring is stuck, and
    connected otherwise; pve01 and pve02 are connected and never stale throughout."""
    state = ConsoleState()
    for e in load_events([DEMO_RECORDING]):
        if f"{e.at:%H:%M:%S}" > moment:
            break
        state.apply(e)
    now = state.latest
    assert now is not None
    assert state.health["ssh:pve03"].state == pve03
    for node in ("pve01", "pve02"):
        assert state.health[f"ssh:{node}"].label(now) == "connected"
