"""The runbook when the node cannot be reached (issue 16 item 3): at the node's console.

pve03 is unreachable (its executor refuses, its peer answers). The operator switches to the
node's console: each action shows the exact commands to type, each confirmed as typed (and
here really run on the fake node, as typing them would); checks on the node wait for it to be
back; the peer's checks go on. Once pve03 answers again, the waiting checks run on it and the
runbook finishes. The audit log says which steps were sent and which were typed by hand.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from labconsole.runbook.audit import AuditLog, read_audit
from labconsole.runbook.engine import RunbookEngine, console_commands
from labconsole.runbook.executor import ExecutorError, LocalExecutor, RunResult
from labconsole.runbook.load import bundled
from labconsole.runbook.placeholders import PlaceholderError
from tests.unit.test_runbook_support import FakeNode, TickClock

HOOK = "post-up /sbin/ethtool -K eno1 tso off gso off gro off"


class Reachability:
    """The fake node's executor, with nodes that are down (no route to host)."""

    def __init__(self, inner: LocalExecutor) -> None:
        self.inner = inner
        self.down: set[str] = set()

    async def run(self, node: str, command: str, *, input: str | None = None,
                  timeout: float = 30.0) -> RunResult:
        if node in self.down:
            raise ExecutorError(f"{node}: cannot run {command!r}: no route to host")
        return await self.inner.run(node, command, input=input, timeout=timeout)

    async def wait_reachable(self, node: str, timeout: float) -> None:
        if node in self.down:
            raise ExecutorError(f"{node}: not reachable after {timeout:g} s: no route to host")


async def no_sleep(_: float) -> None:
    await asyncio.sleep(0)


@pytest.fixture
def node(tmp_path: Path) -> FakeNode:
    return FakeNode(tmp_path / "pve03")


def engine_for(node: FakeNode, executor: Reachability, audit: Path) -> RunbookEngine:
    book = next(b for b in bundled() if b.id == "e1000e-tx-hang")
    return RunbookEngine(book, node.context(bridge="vmbr0"), executor, AuditLog(audit),
                         operator="alice", clock=TickClock(), sleep=no_sleep,
                         settle_seconds=0, detached_dir=str(node.detached), detached_delay=0,
                         console_probe=0.1)


async def type_at_console(engine: RunbookEngine, node: FakeNode) -> list[str]:
    """The operator types each command of the current step at the node (run for real on the
    fake node) and confirms it as typed."""
    run = engine.current
    assert run is not None and run.status == "at-console" and engine.state == "waiting"
    commands = list(run.typed)
    for command in commands:
        assert run.command == command  # the one to type now is the one shown
        done = await node.executor().run("pve03", command)
        assert done.exit_status == 0, done.output
        assert await engine.typed()
    return commands


async def test_unreachable_node_is_fixed_at_its_console_and_verified_when_back(
        node: FakeNode, tmp_path: Path) -> None:
    executor = Reachability(node.executor())
    executor.down.add("pve03")
    engine = engine_for(node, executor, tmp_path / "audit.jsonl")
    await engine.start()
    assert engine.state == "failed" and engine.current is not None
    assert engine.current.step.id == "kernel-log" and "no route to host" in \
        engine.current.detail
    assert engine.runs[0].status == "pass"  # the symptom, confirmed on the peer
    assert not await engine.typed()  # nothing to type before the switch

    assert await engine.use_console()
    assert [r.status for r in engine.runs[1:4]] == ["deferred"] * 3
    assert engine.current is not None and engine.current.step.id == "offloads-off"
    typed = [await type_at_console(engine, node)]
    assert typed[0] == ["ethtool -K eno1 tso off gso off gro off"]
    assert node.flag("tso") == "off"
    assert engine.current is not None and engine.current.step.id == "persist"
    typed.append(await type_at_console(engine, node))
    assert typed[1][1].startswith(f"grep -qF '{HOOK}' ")
    assert engine.current is not None and engine.current.step.id == "reload"
    node.set_votes(["pve01", "pve02", "pve03"])  # after the reload pve03 sends again
    typed.append(await type_at_console(engine, node))
    # votes-back ran on the peer; the node's own checks still wait for it
    assert engine.runs[-1].status == "pass"
    assert engine.state == "failed" and engine.current is None
    waiting = [r.step.id for r in engine.runs if r.status == "deferred"]
    assert waiting == ["kernel-log", "driver", "offloads-before", "verify-offloads",
                       "settle", "verify-after-reload"]
    assert await engine.retry()  # still down: still waiting, nothing lost
    assert [r.step.id for r in engine.runs if r.status == "deferred"] == waiting

    executor.down.clear()  # pve03 is back
    assert await engine.retry()
    assert engine.state == "finished", [(r.step.id, r.status, r.detail) for r in engine.runs]
    assert [r.status for r in engine.runs] == [
        "pass", "pass", "pass", "pass", "typed", "pass", "pass", "typed", "typed", "pass",
        "pass"]
    assert node.interfaces.read_text().count(HOOK) == 1
    # the persist commands are idempotent: typing them again adds nothing
    for command in typed[1]:
        await node.executor().run("pve03", command)
    assert node.interfaces.read_text().count(HOOK) == 1
    lines = node.interfaces.read_text().splitlines()
    assert lines[lines.index("auto vmbr0") + 2] == f"\t{HOOK}"  # in the vmbr0 stanza

    entries = list(read_audit(tmp_path / "audit.jsonl"))
    by_hand = [(e.step, e.command) for e in entries if e.kind == "typed"]
    assert by_hand == [("offloads-off", typed[0][0]),
                       *(("persist", c) for c in typed[1]), ("reload", typed[2][0])]
    assert all(e.result == "typed" for e in entries if e.kind == "typed")
    done = {e.step: e.detail for e in entries if e.kind == "action" and e.result == "done"}
    assert done["persist"] == "typed by hand at pve03's console (3 commands)"
    assert {e.step for e in entries if e.result == "deferred"} == set(waiting)
    sent = [e.step for e in entries if e.kind == "check" and e.result == "pass"]
    assert sent[0] == "confirm-votes" and "verify-offloads" in sent


async def test_an_action_on_a_reachable_node_still_waits_for_its_confirm(
        node: FakeNode, tmp_path: Path) -> None:
    executor = Reachability(node.executor())
    executor.down.add("pve03")
    engine = engine_for(node, executor, tmp_path / "audit.jsonl")
    await engine.start()
    executor.down.clear()  # back before the operator chose the console
    assert await engine.use_console()
    assert engine.state == "waiting" and engine.current is not None
    assert engine.current.step.id == "offloads-off" and engine.current.status == "waiting"
    assert node.flag("tso") == "on"  # nothing ran without the confirm
    assert not await engine.typed()


async def test_console_only_for_a_node_that_could_not_be_reached(node: FakeNode,
                                                                 tmp_path: Path) -> None:
    engine = engine_for(node, Reachability(node.executor()), tmp_path / "audit.jsonl")
    await engine.start()
    assert engine.state == "waiting" and not await engine.use_console()


def test_console_commands_are_built_from_validated_parts(node: FakeNode) -> None:
    book = next(b for b in bundled() if b.id == "e1000e-tx-hang")
    persist = next(s for s in book.steps if s.id == "persist")
    with pytest.raises(PlaceholderError, match=r"invalid interface name 'eno1;reboot'"):
        console_commands(persist, node.context(iface="eno1;reboot", bridge="vmbr0"), "X")
    with pytest.raises(PlaceholderError, match=r"invalid interface name 'vm br0'"):
        console_commands(persist, node.context(bridge="vm br0"), "X")
    with pytest.raises(PlaceholderError, match=r"no bridge known"):
        console_commands(persist, node.context(), "X")



async def test_the_report_reads_the_typed_and_deferred_steps(node: FakeNode,
                                                            tmp_path: Path) -> None:
    from labconsole.incident.audit_read import read_audit as read_records
    from labconsole.incident.report_md import _actions

    executor = Reachability(node.executor())
    executor.down.add("pve03")
    audit = tmp_path / "audit.jsonl"
    engine = engine_for(node, executor, audit)
    await engine.start()
    assert await engine.use_console()
    await type_at_console(engine, node)
    read = read_records(audit)
    assert read.errors == []
    kinds = [(r.step, r.kind, r.result) for r in read.records]
    assert ("offloads-off", "typed", "typed") in kinds
    assert ("kernel-log", "check", "deferred") in kinds
    table = "\n".join(_actions(read.records, lambda t: f"{t:%H:%M:%S}"))
    typed_row = next(line for line in table.splitlines() if "tso off" in line
                     and "typed" in line)
    assert "typed by hand at the console" in typed_row
