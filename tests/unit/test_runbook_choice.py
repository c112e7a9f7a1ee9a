"""The right runbook for the cause, and sessions: an episode already remediated is said so and
a new session is its own; a session never resumes across episodes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from labconsole.model.hang import HangEpisode
from labconsole.runbook.choice import hang_behind_loss
from labconsole.runbook.engine import RunbookEngine
from labconsole.runbook.load import bundled
from labconsole.runbook.session import RunbookLauncher
from tests.unit.test_runbook_engine import no_sleep
from tests.unit.test_runbook_support import FakeNode, TickClock

LEFT = datetime(2026, 3, 2, 9, 58, 30, tzinfo=timezone.utc)


def hang(first: datetime, last: datetime, driver: str = "e1000e") -> HangEpisode:
    return HangEpisode(kind="unit_hang", driver=driver, device="eno1", first=first, last=last)


def test_a_hang_reaching_to_the_leave_is_the_cause() -> None:
    ep = hang(LEFT - timedelta(seconds=20), LEFT + timedelta(seconds=40))
    assert hang_behind_loss(LEFT, [ep]) is ep


def test_an_old_fixed_hang_is_not_the_cause_of_a_later_loss() -> None:
    old = hang(LEFT - timedelta(minutes=9), LEFT - timedelta(minutes=8))
    assert hang_behind_loss(LEFT, [old]) is None


def test_a_link_down_after_the_hang_makes_it_a_link_loss() -> None:
    ep = hang(LEFT - timedelta(seconds=60), LEFT - timedelta(seconds=30))
    assert hang_behind_loss(LEFT, [ep], [LEFT - timedelta(seconds=5)]) is None
    # a link down before the hang's last report does not
    assert hang_behind_loss(LEFT, [ep], [LEFT - timedelta(seconds=50)]) is ep


@pytest.fixture
def node(tmp_path: Path) -> FakeNode:
    return FakeNode(tmp_path / "pve03")


def launcher(node: FakeNode, tmp_path: Path) -> RunbookLauncher:
    books = {b.id: b for b in bundled()}
    return RunbookLauncher(books, node.executor(), tmp_path / "audit.jsonl", "alice",
                           TickClock(), peers={"pve03": ("pve01",)})


@pytest.mark.parametrize(("driver", "book"), [("e1000e", "e1000e-tx-hang"),
                                              ("e1000", "e1000e-tx-hang"),
                                              ("igc", "node-left-cluster")])
def test_runbook_per_cause(node: FakeNode, tmp_path: Path, driver: str, book: str) -> None:
    ep = hang(LEFT, LEFT, driver)
    engine = launcher(node, tmp_path).for_episode("pve03", ep)
    assert engine is not None and engine.runbook.id == book
    lost = launcher(node, tmp_path).for_missing_node("pve03", LEFT)  # link down / unknown
    assert lost is not None and lost.runbook.id == "node-left-cluster"


def ready(engine: RunbookEngine, node: FakeNode) -> None:
    """Point the engine at the fake node's files, keeping the launcher's session key."""
    engine.ctx = node.context(episode=engine.ctx.episode)
    engine.sleep, engine.settle_seconds = no_sleep, 0


async def test_remediated_episode_is_said_and_a_new_session_is_its_own(
        node: FakeNode, tmp_path: Path) -> None:
    ep = hang(datetime(2026, 3, 2, 9, 58, tzinfo=timezone.utc),
              datetime(2026, 3, 2, 10, 1, tzinfo=timezone.utc))
    lc = launcher(node, tmp_path)
    first = lc.for_episode("pve03", ep)
    assert first is not None and first.prior is None
    ready(first, node)
    await first.start()
    assert first.current is not None and first.current.step.id == "offloads-off"
    assert await first.confirm()
    base = first.ctx.episode
    # opened again: the launcher reports what the last session did
    again = lc.for_episode("pve03", ep)
    assert again is not None and again.ctx.episode == base
    assert again.prior is not None and again.prior.remediated
    assert [e.step for e in again.prior.done] == ["offloads-off"]
    # a new session: its own key, nothing resumed from the old one
    fresh = lc.for_episode("pve03", ep, new_session=True)
    assert fresh is not None and fresh.ctx.episode == f"{base}~2" and fresh.prior is None
    ready(fresh, node)
    await fresh.start()
    assert not any(r.resumed for r in fresh.runs)
    # and the latest session is the one reopened from now on
    latest = lc.for_episode("pve03", ep)
    assert latest is not None and latest.ctx.episode == f"{base}~2"
    assert latest.prior is not None and not latest.prior.remediated


async def test_a_session_never_resumes_across_episodes(node: FakeNode, tmp_path: Path
                                                       ) -> None:
    lc = launcher(node, tmp_path)
    one = lc.for_episode("pve03", hang(LEFT, LEFT))
    assert one is not None
    ready(one, node)
    await one.start()
    assert await one.confirm()
    later = hang(LEFT + timedelta(minutes=8), LEFT + timedelta(minutes=9))
    two = lc.for_episode("pve03", later)
    assert two is not None and two.prior is None and two.ctx.episode != one.ctx.episode
    left = lc.for_missing_node("pve03", LEFT)
    assert left is not None and left.prior is None
