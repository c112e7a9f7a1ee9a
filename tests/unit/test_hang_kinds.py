"""Every hang kind (unit_hang, watchdog, tx_timeout, reset) is a TX hang wherever kind is
switched on: the incident's cause and evidence, the kernel pane's fold and the timeline fact."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from labconsole.incident.cause import evidence, explain
from labconsole.incident.correlate import correlate
from labconsole.incident.facts import Fact
from labconsole.incident.wording import words
from labconsole.model.hang import HANG_KINDS, HangEpisode, HangKind
from labconsole.state.kernel_log import EpisodeRef, episode_fact, episode_summary

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
# What each kind's evidence quotes, and the words of its fold in the kernel pane.
MARKER = {"unit_hang": "Detected Hardware Unit Hang", "watchdog": "transmit queue timed out",
          "tx_timeout": "transmit queue timed out", "reset": "reset for a TX hang"}
FOLD = {"unit_hang": "hang", "watchdog": "tx timeout", "tx_timeout": "tx timeout",
        "reset": "tx reset"}


def episode(kind: HangKind) -> HangEpisode:
    return HangEpisode(kind=kind, driver="r8169", device="eth2", first=T0,
                       last=T0 + timedelta(seconds=10), reports=3)


@pytest.mark.parametrize("kind", HANG_KINDS)
def test_every_kind_is_a_nic_hang_cause_with_its_own_words(kind: HangKind) -> None:
    ep = episode(kind)
    fact = Fact(at=T0, kind="hang", node="pve03", device="eth2", until=ep.last, text="h",
                hang=ep)
    (inc,) = correlate([fact], data_end=T0 + timedelta(minutes=30)).incidents
    cause = explain(inc, {"pve01", "pve02", "pve03"})
    assert cause.kind == "nic_hang"
    assert "pve03 eth2 (r8169)" in cause.text
    (line,) = evidence(inc)
    assert f"3 x '{MARKER[kind]}' on pve03 eth2" in line


@pytest.mark.parametrize("kind", HANG_KINDS)
def test_every_kind_folds_and_becomes_a_hang_fact(kind: HangKind) -> None:
    ep = episode(kind)
    assert episode_summary(ep).startswith(f"r8169 eth2 {FOLD[kind]} x 3 since 09:00:00")
    ref = EpisodeRef(node="pve03", id=1, episode=ep, first_seq=0, last_seq=0)
    fact = episode_fact(ref, T0)
    assert (fact.kind, fact.node, fact.hang) == ("hang", "pve03", ep)
    assert "unit hang" not in words(fact) or kind == "unit_hang"
