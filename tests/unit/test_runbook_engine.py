"""The engine over a fake node (real shell, fake tools): the whole e1000e runbook, dry run,
skip/retry/abort, resume after a crash, refusal, rollback."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from labconsole.runbook.audit import AuditLog, read_audit
from labconsole.runbook.engine import RunbookEngine
from labconsole.runbook.load import bundled
from labconsole.runbook.model import Runbook
from tests.unit.test_runbook_support import INTERFACES, FakeNode, TickClock


def e1000e() -> Runbook:
    return next(b for b in bundled() if b.id == "e1000e-tx-hang")


async def no_sleep(_: float) -> None:
    await asyncio.sleep(0)


def make_engine(node: FakeNode, audit: AuditLog, *, dry_run: bool = False,
                clock: TickClock | None = None) -> RunbookEngine:
    return RunbookEngine(e1000e(), node.context(), node.executor(), audit, operator="alice",
                         clock=clock or TickClock(), dry_run=dry_run, sleep=no_sleep,
                         settle_seconds=0, detached_dir=str(node.detached),
                         detached_delay=0)


@pytest.fixture
def node(tmp_path: Path) -> FakeNode:
    return FakeNode(tmp_path / "pve03")


async def confirm_until_done(engine: RunbookEngine, node: FakeNode, limit: int = 10) -> None:
    """Confirm each action; bring the node's vote back when the reload ran (as corosync
    would once the node sends again)."""
    for _ in range(limit):
        if engine.state != "waiting":
            return
        step = engine.current
        assert step is not None
        if step.step.id == "reload":
            node.set_votes(["pve01", "pve02", "pve03"])
        assert await engine.confirm()


async def test_full_run_fixes_persists_reloads_and_audits_every_step(
        node: FakeNode, tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl")
    engine = make_engine(node, audit)
    await engine.start()
    # the checks ran by themselves and stopped at the first action
    assert engine.state == "waiting" and engine.current is not None
    assert engine.current.step.id == "offloads-off"
    assert [r.status for r in engine.runs[:4]] == ["pass"] * 4
    assert "pve03 missing" in engine.runs[0].detail
    assert "1 hang report" in engine.runs[1].detail
    assert node.flag("tso") == "on"  # nothing changed before the confirm
    await confirm_until_done(engine, node)
    assert engine.state == "finished", [(r.step.id, r.status, r.detail) for r in engine.runs]
    assert (node.flag("tso"), node.flag("gso"), node.flag("gro")) == ("off", "off", "off")
    new = node.interfaces.read_text()
    expected = INTERFACES.replace(
        "\tbridge-fd 0\n", "\tbridge-fd 0\n\tpost-up /sbin/ethtool -K eno1 tso off gso off "
        "gro off\n")
    assert new == expected  # exactly one line added, in the vmbr0 stanza, every byte kept
    backups = list(node.etc.glob("interfaces.labconsole-*.bak"))
    assert len(backups) == 1 and backups[0].read_text() == INTERFACES
    assert "ifreload -a" in (node.state / "ifupdown.log").read_text()
    entries = list(read_audit(audit.path))
    assert [e.step for e in entries] == [s.id for s in e1000e().steps]
    assert all(e.operator == "alice" and e.node == "pve03" and e.iface == "eno1"
               and e.episode == "pve03-eno1-20260302T095800Z" for e in entries)
    fix = next(e for e in entries if e.step == "offloads-off")
    assert (fix.kind, fix.command, fix.result, fix.exit_status, fix.dry_run) == (
        "action", "ethtool -K eno1 tso off gso off gro off", "done", 0, False)
    assert next(e for e in entries if e.step == "votes-back").result == "pass"


async def test_second_run_changes_nothing(node: FakeNode, tmp_path: Path) -> None:
    engine = make_engine(node, AuditLog(tmp_path / "a1.jsonl"))
    await engine.start()
    await confirm_until_done(engine, node)
    after_first = node.interfaces.read_bytes()
    node.set_votes(["pve01", "pve02"])  # it dropped again: a new run, new audit log
    again = make_engine(node, AuditLog(tmp_path / "a2.jsonl"))
    await again.start()
    await confirm_until_done(again, node)
    assert again.state == "finished"
    assert node.interfaces.read_bytes() == after_first
    assert len(list(node.etc.glob("interfaces.labconsole-*.bak"))) == 1  # no second write
    persist = next(r for r in again.runs if r.step.id == "persist")
    assert persist.status == "done" and "already present" in persist.detail


async def test_dry_run_sends_no_action_and_changes_nothing(node: FakeNode,
                                                           tmp_path: Path) -> None:
    before = node.interfaces.read_bytes()
    audit = AuditLog(tmp_path / "audit.jsonl")
    engine = make_engine(node, audit, dry_run=True)
    await engine.start()
    seen = []
    for _ in range(10):
        if engine.state == "waiting":
            seen.append(engine.current.step.id)  # type: ignore[union-attr]
            await engine.confirm()
        elif engine.state == "failed":  # verify checks fail: nothing was changed
            await engine.skip()
        else:
            break
    assert seen == ["offloads-off", "persist", "reload"]
    assert node.interfaces.read_bytes() == before
    assert node.flag("tso") == "on" and not (node.state / "ethtool-K.log").exists()
    assert not (node.state / "ifupdown.log").exists()
    assert not list(node.etc.glob("*.bak")) and not node.detached.exists()
    dry = [e for e in read_audit(audit.path) if e.result == "dry-run"]
    assert [e.step for e in dry] == seen and all(e.dry_run for e in dry)
    assert dry[0].command == "ethtool -K eno1 tso off gso off gro off"
    persist = next(r for r in engine.runs if r.step.id == "persist")
    assert "+\tpost-up /sbin/ethtool -K eno1 tso off gso off gro off" in persist.output


async def test_resume_after_crash_goes_on_after_the_confirmed_action(node: FakeNode,
                                                                     tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl")
    first = make_engine(node, audit)
    await first.start()
    await first.confirm()  # offloads off; checks run up to "persist"
    assert first.current is not None and first.current.step.id == "persist"
    # the console dies here; a new one opens the runbook on the same episode
    with open(audit.path, "ab") as fh:
        fh.write(b'{"at": "2026-03-02T10:')  # and its last write was cut in half
    second = make_engine(node, audit)
    await second.start()
    assert second.state == "waiting"
    assert second.current is not None and second.current.step.id == "persist"
    # up to the confirmed action: from the log; the checks after it ran again
    fix = second.runs.index(next(r for r in second.runs if r.step.id == "offloads-off"))
    assert all(r.resumed for r in second.runs[:fix + 1])
    assert not any(r.resumed for r in second.runs[fix + 1:])
    assert [r.status for r in second.runs[fix + 1:second.index]] == ["pass", "pass"]
    # another episode does not inherit the progress
    other = RunbookEngine(e1000e(), node.context(episode="other"), node.executor(),
                          audit, operator="bob", clock=TickClock(), sleep=no_sleep,
                          settle_seconds=0)
    await other.start()
    assert other.current is not None and other.current.step.id == "offloads-off"
    entries = list(read_audit(audit.path))  # the torn line was skipped, later ones read
    assert entries[-1].operator == "bob"


async def test_failed_check_waits_for_retry_or_skip(node: FakeNode, tmp_path: Path) -> None:
    node.set_votes(["pve01", "pve02", "pve03"])  # the symptom is not there
    engine = make_engine(node, AuditLog(tmp_path / "audit.jsonl"))
    await engine.start()
    assert engine.state == "failed" and engine.index == 0
    assert engine.runs[0].status == "fail" and "pve03 is a member" in engine.runs[0].detail
    node.set_votes(["pve01", "pve02"])
    assert await engine.retry()
    assert engine.runs[0].status == "pass" and engine.current.step.id == "offloads-off"  # type: ignore[union-attr]
    assert await engine.skip()
    assert engine.runs[4].status == "skipped"
    # verify-offloads fails: the fix was skipped
    assert engine.state == "failed" and engine.current.step.id == "verify-offloads"  # type: ignore[union-attr]
    assert await engine.abort()
    assert engine.state == "aborted" and not await engine.confirm()
    results = [e.result for e in read_audit(engine.audit.path)]
    assert results[-2:] == ["fail", "aborted"] and "skipped" in results


async def test_interface_not_on_node_is_refused_before_any_command(node: FakeNode,
                                                                   tmp_path: Path) -> None:
    ctx = node.context(iface="eno9")
    engine = RunbookEngine(e1000e(), ctx, node.executor(), AuditLog(tmp_path / "a.jsonl"),
                           operator="alice", clock=TickClock(), sleep=no_sleep)
    await engine.start()
    # the votes check runs on a peer; the first step on the node refuses
    assert engine.state == "failed" and engine.current.step.id == "kernel-log"  # type: ignore[union-attr]
    assert engine.current.status == "refused"  # type: ignore[union-attr]
    assert "not on the node" in engine.current.detail  # type: ignore[union-attr]


async def test_persist_refused_when_file_changed_since_read(node: FakeNode, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    import labconsole.runbook.engine as engine_mod

    real_read = engine_mod.read_remote

    async def read_then_someone_edits(*args: object, **kw: object):  # type: ignore[no-untyped-def]
        got = await real_read(*args, **kw)  # type: ignore[arg-type]
        with open(node.interfaces, "a") as fh:
            fh.write("# edited by someone else meanwhile\n")
        return got

    engine = make_engine(node, AuditLog(tmp_path / "audit.jsonl"))
    await engine.start()
    await engine.confirm()
    monkeypatch.setattr(engine_mod, "read_remote", read_then_someone_edits)
    await engine.confirm()
    run = engine.current
    assert run is not None and run.step.id == "persist" and run.status == "refused"
    assert "changed since it was read" in run.detail
    assert node.interfaces.read_text() == INTERFACES + "# edited by someone else meanwhile\n"
    assert not list(node.etc.glob("*.bak"))


async def test_rollback_restores_the_backup_byte_for_byte(node: FakeNode,
                                                          tmp_path: Path) -> None:
    original = b"auto lo\r\niface lo inet loopback\r\n\r\niface vmbr0 inet manual\r\n" \
        b"\tbridge-ports eno1\r\n# caf\xc3\xa9 \xff not utf-8\r\n"
    node.interfaces.write_bytes(original)
    audit = AuditLog(tmp_path / "audit.jsonl")
    engine = make_engine(node, audit)
    await engine.start()
    await engine.confirm()
    await engine.confirm()  # persist
    assert b"post-up /sbin/ethtool -K eno1 tso off gso off gro off\r\n" in \
        node.interfaces.read_bytes()
    assert engine.rollback_step() is not None
    assert await engine.rollback()
    assert node.interfaces.read_bytes() == original
    assert engine.current is not None and engine.current.step.id == "persist"
    rb = [e for e in read_audit(audit.path) if e.kind == "rollback"]
    assert len(rb) == 1 and rb[0].result == "done"
    # resumed later, the rolled back step is not done
    again = make_engine(node, audit)
    await again.start()
    assert again.current is not None and again.current.step.id == "persist"


async def test_settle_fails_when_a_new_hang_report_arrives(node: FakeNode,
                                                           tmp_path: Path) -> None:
    from tests.unit.test_runbook_support import HANG

    async def hang_again(_: float) -> None:  # the NIC hangs again during the settle period
        with open(node.kern_log, "a") as fh:
            fh.write(HANG.replace("9001.", "9031."))

    engine = RunbookEngine(e1000e(), node.context(), node.executor(),
                           AuditLog(tmp_path / "audit.jsonl"), operator="alice",
                           clock=TickClock(), sleep=hang_again, settle_seconds=5)
    await engine.start()
    await engine.confirm()
    assert engine.state == "failed" and engine.current is not None
    assert engine.current.step.id == "settle"
    assert "1 before, 2 after 5 s: NEW HANG REPORTS" in engine.current.detail


async def test_node_left_cluster_tells_a_dead_corosync_from_the_network(
        node: FakeNode, tmp_path: Path) -> None:
    book = next(b for b in bundled() if b.id == "node-left-cluster")
    engine = RunbookEngine(book, node.context(episode="left-1"), node.executor(),
                           AuditLog(tmp_path / "audit.jsonl"), operator="alice",
                           clock=TickClock(), sleep=no_sleep)
    await engine.start()
    by_id = {r.step.id: r for r in engine.runs}
    # missing from the votes, but reachable and with carrier: not the cable, not the switch
    assert [by_id[s].status for s in ("confirm-votes", "reachable", "link")] == ["pass"] * 3
    assert engine.state == "failed" and engine.current is by_id["corosync-running"]
    assert by_id["corosync-running"].exit_status == 1
    (node.state / "running-corosync").write_text("")
    assert await engine.retry()
    assert by_id["corosync-running"].status == "pass"
    assert engine.current is by_id["own-view"] and by_id["own-view"].status == "fail"
    assert await engine.skip()
    assert engine.state == "finished" and by_id["next"].status == "done"


async def test_no_action_runs_when_the_audit_log_cannot_be_written(node: FakeNode,
                                                                  tmp_path: Path) -> None:
    audit_dir = tmp_path / "auditdir"
    audit = AuditLog(audit_dir / "audit.jsonl")
    engine = make_engine(node, audit)
    await engine.start()
    assert engine.state == "waiting"
    (audit_dir / "audit.jsonl").unlink()
    audit_dir.rmdir()
    audit_dir.write_text("not a directory any more")
    await engine.confirm()
    run = engine.runs[4]
    assert run.status == "refused" and "cannot write audit log" in run.detail
    assert node.flag("tso") == "on" and not (node.state / "ethtool-K.log").exists()
