"""A resume that never lies: one test per case (skip, fail, error, abort, pass, confirmed
action, action confirmed but its verification failed). Each closes the console mid-run and
opens a new engine on the same audit log and episode, over the fake node (real shell)."""

from __future__ import annotations

from pathlib import Path

import pytest

from labconsole.runbook.audit import AuditLog, read_audit
from labconsole.runbook.engine import RunbookEngine, StepRun
from labconsole.runbook.executor import ExecutorError, RunResult
from tests.unit.test_runbook_engine import make_engine
from tests.unit.test_runbook_support import ETHTOOL, FakeNode


@pytest.fixture
def node(tmp_path: Path) -> FakeNode:
    return FakeNode(tmp_path / "pve03")


@pytest.fixture
def audit(tmp_path: Path) -> AuditLog:
    return AuditLog(tmp_path / "audit.jsonl")


def by_id(engine: RunbookEngine, step: str) -> StepRun:
    return next(r for r in engine.runs if r.step.id == step)


def results(audit: AuditLog, step: str) -> list[str]:
    return [e.result for e in read_audit(audit.path) if e.step == step]


async def test_skipped_check_resumes_as_skipped_run_again_never_as_passed(
        node: FakeNode, audit: AuditLog) -> None:
    node.set_votes(["pve01", "pve02", "pve03"])  # the symptom is not there: the check fails
    first = make_engine(node, audit)
    await first.start()
    assert await first.skip()
    assert by_id(first, "confirm-votes").status == "skipped"
    second = make_engine(node, audit)
    await second.start()
    votes = by_id(second, "confirm-votes")
    # ran again (no action was confirmed): it fails again, as the node still says
    assert votes.status == "fail" and not votes.resumed
    assert votes.earlier is not None and votes.earlier.result == "skipped"
    assert second.state == "failed" and second.index == 0
    assert results(audit, "confirm-votes") == ["fail", "skipped", "fail"]


async def test_skipped_action_is_offered_again_not_done(node: FakeNode, audit: AuditLog
                                                        ) -> None:
    first = make_engine(node, audit)
    await first.start()
    assert first.current is not None and first.current.step.id == "offloads-off"
    assert await first.skip()  # verify-offloads then fails: nothing was changed
    assert first.state == "failed"
    second = make_engine(node, audit)
    await second.start()
    fix = by_id(second, "offloads-off")
    assert second.state == "waiting" and second.current is fix
    assert fix.status == "waiting" and not fix.resumed
    assert "skipped in an earlier session" in fix.detail
    assert node.flag("tso") == "on" and not (node.state / "ethtool-K.log").exists()


async def test_failed_check_runs_again_and_shows_what_it_found(node: FakeNode,
                                                               audit: AuditLog) -> None:
    node.set_votes(["pve01", "pve02", "pve03"])
    first = make_engine(node, audit)
    await first.start()
    assert first.state == "failed"
    node.set_votes(["pve01", "pve02"])  # the node has left since: the check now passes
    second = make_engine(node, audit)
    await second.start()
    votes = by_id(second, "confirm-votes")
    assert votes.status == "pass" and not votes.resumed and "pve03 missing" in votes.detail
    assert votes.earlier is not None and votes.earlier.result == "fail"
    assert second.current is not None and second.current.step.id == "offloads-off"


class FailingOnce:
    """The real executor, but the first command to the node cannot reach it."""

    def __init__(self, node: FakeNode) -> None:
        self.inner = node.executor()
        self.failed = False

    async def run(self, node: str, command: str, *, input: str | None = None,
                  timeout: float = 30.0) -> RunResult:
        if node == "pve03" and not self.failed:
            self.failed = True
            raise ExecutorError("pve03: connection refused")
        return await self.inner.run(node, command, input=input, timeout=timeout)

    async def wait_reachable(self, node: str, timeout: float) -> None:
        await self.inner.wait_reachable(node, timeout)


async def test_errored_check_resumes_as_run_again_not_passed(node: FakeNode,
                                                             audit: AuditLog) -> None:
    first = make_engine(node, audit)
    first.executor = FailingOnce(node)
    await first.start()
    assert first.state == "failed" and first.current is not None
    errored = first.current.step.id
    assert first.current.status == "error"
    second = make_engine(node, audit)
    await second.start()
    again = by_id(second, errored)
    assert again.status == "pass" and again.earlier is not None
    assert again.earlier.result == "error"
    assert results(audit, errored) == ["error", "pass"]


async def test_aborted_run_resumes_at_the_aborted_step_with_checks_run_again(
        node: FakeNode, audit: AuditLog) -> None:
    first = make_engine(node, audit)
    await first.start()
    assert await first.abort()
    second = make_engine(node, audit)
    await second.start()
    fix = by_id(second, "offloads-off")
    assert second.state == "waiting" and second.current is fix
    assert fix.earlier is not None and fix.earlier.result == "aborted"
    assert "aborted in an earlier session" in fix.detail
    assert results(audit, "confirm-votes") == ["pass", "pass"]  # ran again
    assert not any(r.resumed for r in second.runs)


async def test_passed_checks_run_again_the_node_may_have_changed(node: FakeNode,
                                                                 audit: AuditLog) -> None:
    first = make_engine(node, audit)
    await first.start()
    assert [r.status for r in first.runs[:4]] == ["pass"] * 4
    node.set_votes(["pve01", "pve02", "pve03"])  # it came back meanwhile
    second = make_engine(node, audit)
    await second.start()
    votes = by_id(second, "confirm-votes")
    assert votes.status == "fail" and "pve03 is a member" in votes.detail
    assert second.state == "failed" and second.index == 0


async def test_confirmed_action_resumes_as_done_and_is_not_sent_again(
        node: FakeNode, audit: AuditLog) -> None:
    first = make_engine(node, audit)
    await first.start()
    assert await first.confirm()
    assert first.current is not None and first.current.step.id == "persist"
    second = make_engine(node, audit)
    await second.start()
    fix = by_id(second, "offloads-off")
    assert fix.status == "done" and fix.resumed
    assert all(r.status == "pass" and r.resumed for r in second.runs[:4])
    # the checks after the action ran again; it waits at persist
    assert by_id(second, "verify-offloads").status == "pass"
    assert not by_id(second, "verify-offloads").resumed
    assert results(audit, "verify-offloads") == ["pass", "pass"]
    assert second.current is not None and second.current.step.id == "persist"
    assert (node.state / "ethtool-K.log").read_text() == "eno1\n"  # sent once


async def test_action_confirmed_but_not_verified_is_offered_again(node: FakeNode,
                                                                  audit: AuditLog) -> None:
    broken = ETHTOOL.replace('-K) dev="$2"; shift 2',
                             '-K) echo "Cannot set device feature settings" >&2; exit 1;;\n'
                             '  -X) dev="$2"; shift 2')
    (node.bin / "ethtool").write_text(broken)
    first = make_engine(node, audit)
    await first.start()
    assert await first.confirm()
    assert first.state == "failed" and by_id(first, "offloads-off").status == "fail"
    second = make_engine(node, audit)
    await second.start()
    fix = by_id(second, "offloads-off")
    assert fix.status == "waiting" and not fix.resumed and second.current is fix
    assert "fail in an earlier session" in fix.detail
    assert fix.earlier is not None and fix.earlier.exit_status == 1


async def test_action_done_but_later_verification_failed_resumes_at_the_check(
        node: FakeNode, audit: AuditLog) -> None:
    first = make_engine(node, audit)
    await first.start()
    assert await first.confirm()
    for flag in ("tso", "gso", "gro"):  # something turned them back on (a driver reset)
        (node.state / flag).write_text("on\n")
    second = make_engine(node, audit)
    await second.start()
    assert by_id(second, "offloads-off").status == "done"
    check = by_id(second, "verify-offloads")
    assert check.status == "fail" and second.current is check and second.state == "failed"
