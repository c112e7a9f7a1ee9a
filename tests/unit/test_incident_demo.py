"""The bundled demo recording (the pve03 story) correlates into exactly two incidents."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from labconsole.demo.generate import DEMO_PATH, events
from labconsole.incident.correlate import correlate
from labconsole.incident.from_state import facts_from_events
from labconsole.incident.report import IncidentReport, report_from_events, report_from_paths
from labconsole.incident.wording import words


def _t(minute: int, second: int) -> datetime:
    return datetime(2025, 11, 8, 6, minute, second, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def demo() -> list[IncidentReport]:
    return report_from_paths([DEMO_PATH]).incidents


def test_exactly_two_incidents(demo: list[IncidentReport]) -> None:
    assert [r.incident.number for r in demo] == [1, 2]


def test_switch_reboot_is_one_incident_with_pve03_back(demo: list[IncidentReport]) -> None:
    first = demo[0].incident
    # From the first switch alert (Device Restarted) to pve03 rejoining the votes.
    assert (first.start, first.end) == (_t(8, 12), _t(11, 0))
    assert first.nodes == ("pve03",)
    assert first.status == "resolved"
    kinds = {f.kind for f in first.facts}
    assert {"device_alert", "link_down", "vote_left", "device_back", "link_up",
            "vote_joined"} <= kinds
    assert "hang" not in kinds


def test_switch_cause_names_device_and_alert(demo: list[IncidentReport]) -> None:
    cause = demo[0].cause
    assert cause.kind == "device_offline"
    assert cause.text == ("switch USW-Lite-16 offline (CEF 'Device Offline'), "
                          "pve03 lost contact")


def test_second_drop_is_a_separate_incident_with_the_stuck_ring(
        demo: list[IncidentReport]) -> None:
    second = demo[1].incident
    assert (second.start, second.end) == (_t(19, 2), _t(21, 0))
    assert second.nodes == ("pve03",)
    assert demo[1].cause.kind == "stuck_tx_ring"
    assert demo[1].cause.text == ("stuck TX ring on pve03 eno1 (e1000e), TDH frozen at <f6> "
                                  "for 37 reports")
    # The data ends 06:22, one minute after pve03 came back: recovered, not yet settled.
    assert second.status == "recovered"


def test_remediation_belongs_to_the_second_incident(demo: list[IncidentReport]) -> None:
    assert demo[0].actions == ()
    steps = [(a.step, a.result) for a in demo[1].actions]
    assert steps == [("disable-offloads", "ok"), ("persist", "ok")]


def test_downtime_of_pve03_per_incident(demo: list[IncidentReport]) -> None:
    assert demo[0].downtime["pve03"].total.total_seconds() == 60
    assert demo[1].downtime["pve03"].total.total_seconds() == 108


def test_key_lines_are_verbatim_log_lines(demo: list[IncidentReport]) -> None:
    lines = demo[1].cause.log_lines
    assert lines[0].endswith("e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:")
    assert any(line.strip().startswith("TDH") and "<f6>" in line for line in lines)
    texts = {e.text for e in events() if hasattr(e, "text")}
    assert all(line in texts for line in lines)


def test_events_and_file_give_the_same_incidents(demo: list[IncidentReport]) -> None:
    direct = report_from_events(events()).incidents
    assert [(r.incident.start, r.incident.end, r.cause.text) for r in direct] == [
        (r.incident.start, r.incident.end, r.cause.text) for r in demo]


def test_noise_lines_do_not_make_incidents() -> None:
    ex = facts_from_events(events())
    assert not any("perf" in words(f) for f in ex.facts)
    assert len(correlate(ex.facts, data_end=ex.last).incidents) == 2
