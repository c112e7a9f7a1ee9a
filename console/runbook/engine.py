"""The runbook engine: checks run by themselves, actions wait for a confirm, everything audited.

Pure asyncio, no UI: the runbook screen (and the tests) drive it through :meth:`start`,
:meth:`confirm`, :meth:`skip`, :meth:`retry`, :meth:`abort` and :meth:`rollback`, and redraw
on ``on_change``. Progress *is* the audit log: reopening a runbook on the same episode reads
the log and resumes after the last action confirmed and verified (never past a rollback), so a
crash of the console loses nothing that was done. Only a passed check and a done action resume
as such; a skipped, failed, errored, refused or aborted step shows what it was; the checks from
the resume point on run again (the node may have changed since).
"""

from __future__ import annotations

import asyncio
import difflib
import re
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Literal

from labconsole.clock import Clock
from labconsole.model import timefmt
from labconsole.parse.interfaces import InterfacesFile
from labconsole.runbook.audit import (
    AuditEntry,
    AuditError,
    AuditKind,
    AuditLog,
    AuditResult,
    is_finished,
    latest_attempts,
    tail_bytes,
)
from labconsole.runbook.choice import PriorSession
from labconsole.runbook.executor import (
    DETACHED_DIR,
    Executor,
    ExecutorError,
    RunResult,
    run_detached,
)
from labconsole.runbook.expect import count_hang_reports, evaluate
from labconsole.runbook.interfaces_edit import (
    EditRefused,
    plan_post_up,
    read_remote,
    rollback,
    write_atomic,
)
from labconsole.runbook.model import Runbook, Step
from labconsole.runbook.placeholders import (
    PlaceholderError,
    RunbookContext,
    check_iface,
    parse_link_names,
    render_command,
)
from labconsole.runbook.rehearsal import Rehearsal

StepStatus = Literal["pending", "running", "waiting", "pass", "fail", "done", "skipped",
                     "dry-run", "error", "refused", "aborted", "at-console", "typed",
                     "deferred", "rehearsed"]
RunState = Literal["new", "running", "waiting", "failed", "finished", "aborted"]
OK_STATUSES = frozenset({"pass", "done", "skipped", "dry-run", "typed", "deferred",
                         "rehearsed"})
_BACKUP = re.compile(r"backup (\S+) sha256 ([0-9a-f]{64})")
Sleep = Callable[[float], Awaitable[None]]


@dataclass
class StepRun:
    """One step of this run: its state and what the last attempt printed."""

    step: Step
    status: StepStatus = "pending"
    command: str = ""
    output: str = ""
    exit_status: int | None = None
    detail: str = ""
    resumed: bool = False  # its status comes from an earlier session (the audit log)
    earlier: AuditEntry | None = None  # its latest attempt in an earlier session
    # At the node's console: the exact commands to type, and how many are confirmed typed.
    typed: tuple[str, ...] = ()
    typed_count: int = 0


class RunbookEngine:
    def __init__(self, runbook: Runbook, ctx: RunbookContext, executor: Executor,
                 audit: AuditLog, *, operator: str, clock: Clock, dry_run: bool = False,
                 on_change: Callable[[], None] | None = None,
                 on_audit: Callable[[AuditEntry], None] | None = None,
                 sleep: Sleep = asyncio.sleep, reconnect_timeout: float = 60.0,
                 settle_seconds: float | None = None, detached_dir: str = DETACHED_DIR,
                 detached_delay: float = 1.0, console_probe: float = 5.0,
                 rehearsal: Rehearsal | None = None) -> None:
        self.runbook = runbook
        self.ctx = ctx
        self.executor = executor
        self.audit = audit
        self.operator = operator
        self.clock = clock
        # A rehearsal (demo, replay): checks answered from the recording, nothing sent; its
        # audit entries are dry-run entries (they never count as a real remediation).
        self.rehearsal = rehearsal
        self.dry_run = dry_run or rehearsal is not None
        self.on_change = on_change
        self.on_audit = on_audit
        self.sleep = sleep
        self.reconnect_timeout = reconnect_timeout
        self.settle_seconds = settle_seconds  # overrides every settle step (tests, CLI)
        self.detached_dir = detached_dir
        self.detached_delay = detached_delay
        self.runs = [StepRun(s, command=self.preview(s)) for s in runbook.steps]
        self.index = 0
        self.state: RunState = "new"
        self.backup: str | None = None
        self.written_digest: str | None = None
        # The node cannot be reached: its steps are typed at its console (actions) or left
        # for when it is back (checks); peers' steps still run. See ``at_console``.
        self.at_console = False
        self.console_probe = console_probe  # seconds to wait for the node before each action
        self._lock = asyncio.Lock()
        # The latest earlier session on this episode, as the launcher found it (None for a
        # first or a new session): the console says when it was already remediated.
        self.prior: PriorSession | None = None

    # -- public --------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """A step is running (keys pressed now wait for it)."""
        return self._lock.locked()

    @property
    def current(self) -> StepRun | None:
        return self.runs[self.index] if self.index < len(self.runs) else None

    def preview(self, step: Step) -> str:
        """The command a step will send, as far as it is known before it runs."""
        return preview_command(step, self.ctx)

    async def start(self) -> None:
        """Resume from the audit log, then run checks up to the first action."""
        async with self._lock:
            self._resume()
            await self._advance()

    async def confirm(self) -> bool:
        """Run the action waiting for confirmation (False when none is waiting)."""
        async with self._lock:
            run = self.current
            if self.state != "waiting" or run is None or run.step.kind != "action":
                return False
            await self._execute(run)
            if run.status in OK_STATUSES:
                self.index += 1
                await self._advance()
            else:
                self._set_state("failed")
            return True

    async def retry(self) -> bool:
        """Run the failed step again (an action goes back to waiting for its confirm); past
        the last step, run the checks left for when the node is back."""
        async with self._lock:
            run = self.current
            if self.state != "failed":
                return False
            if run is None:
                await self._verify_deferred()
                return True
            await self._advance()
            return True

    async def skip(self) -> bool:
        async with self._lock:
            run = self.current
            if run is None or self.state not in ("waiting", "failed"):
                return False
            run.status, run.detail = "skipped", "skipped by the operator"
            self._audit(run, "skipped", run.detail, command="")
            self.index += 1
            await self._advance()
            return True

    async def abort(self) -> bool:
        async with self._lock:
            run = self.current
            if self.state in ("finished", "aborted"):
                return False
            if run is not None:
                run.status, run.detail = "aborted", "runbook aborted by the operator"
                self._audit(run, "aborted", run.detail, command="")
            self._set_state("aborted")
            return True

    async def use_console(self) -> bool:
        """Switch to the node's console: the step that could not reach the node, and each
        later one on the node that cannot either, is done by hand there (actions: the exact
        commands, each confirmed as typed) or left for when the node is back (checks)."""
        async with self._lock:
            run = self.current
            if self.at_console or self.state != "failed" or run is None \
                    or run.status != "error" or run.step.on == "peer":
                return False
            self.at_console = True
            await self._advance()
            return True

    async def typed(self) -> bool:
        """The operator typed the next command of the current step at the node's console."""
        async with self._lock:
            run = self.current
            if self.state != "waiting" or run is None or run.status != "at-console":
                return False
            command = run.typed[run.typed_count]
            run.typed_count += 1
            self._audit(run, "typed", f"typed at {self.ctx.node}'s console "
                                      f"({run.typed_count} of {len(run.typed)})",
                        command=command, kind="typed")
            if run.typed_count < len(run.typed):
                run.command = run.typed[run.typed_count]
                self._notify()
                return True
            run.status, run.command = "typed", "; ".join(run.typed)
            run.detail = (f"typed by hand at {self.ctx.node}'s console "
                          f"({len(run.typed)} command{'s' * (len(run.typed) != 1)})")
            self._audit(run, "done", run.detail)
            self.index += 1
            await self._advance()
            return True

    def rollback_step(self) -> StepRun | None:
        """The persist step whose backup can be restored, if any."""
        for run in self.runs:
            if run.step.rollback and run.step.op == "persist_post_up" and self.backup:
                return run
        return None

    async def rollback(self) -> bool:
        """Restore the interfaces file from the backup taken by the persist step."""
        async with self._lock:
            run = self.rollback_step()
            if run is None or self.backup is None or self.written_digest is None:
                return False
            command = f"restore {self.backup} over {self.ctx.interfaces_path}"
            try:
                res = await rollback(self.executor, self.ctx.node, self.ctx.interfaces_path,
                                     self.backup, self.written_digest, self._stamp())
            except (EditRefused, ExecutorError) as exc:
                self._audit(run, "refused", str(exc), command=command, kind="rollback")
                self._notify()
                return False
            run.detail = f"rolled back from {self.backup}"
            self._audit(run, "done", run.detail, command=command, kind="rollback",
                        res=res.result)
            self.backup = self.written_digest = None
            # back to the persist step: the operator persists again, or aborts
            self.index = self.runs.index(run)
            run.status = "waiting"
            self._set_state("waiting")
            return True

    # -- running -------------------------------------------------------------------------
    def _resume(self) -> None:
        try:
            entries = self.audit.entries()
        except OSError:
            entries = []
        for entry in entries:
            if entry.runbook == self.runbook.id and entry.episode == self.ctx.episode:
                m = _BACKUP.search(entry.detail)
                if m and entry.kind == "action" and not entry.dry_run:
                    self.backup, self.written_digest = m.group(1), m.group(2)
                elif entry.kind == "rollback" and entry.result == "done":
                    self.backup = self.written_digest = None
        latest = latest_attempts(entries, self.runbook.id, self.ctx.episode,
                                 dry_run=self.dry_run)
        self.index = resume_index(self.runs, latest)
        for i, run in enumerate(self.runs):
            run.earlier = latest.get(run.step.id)
            if run.earlier is None:
                continue
            if i < self.index:
                run.status, run.resumed = resumed_status(run.step, run.earlier), True
                run.detail = run.earlier.detail or f"{run.earlier.result} in an earlier session"
            else:
                again = "runs again" if run.step.kind != "action" else "waits for your confirm"
                run.detail = f"{_earlier_word(run.earlier)} in an earlier session; {again}"

    async def _advance(self) -> None:
        """Run checks and notes from the current step until an action or a failure."""
        while (run := self.current) is not None:
            if run.step.kind == "action":
                # never run without its confirm: at the node's console, an action whose node
                # still cannot be reached is typed there instead of waiting for ``c``
                if self.at_console and run.step.on != "peer" and not await self._reachable():
                    self._by_hand(run)
                    self._set_state("waiting" if run.status == "at-console" else "failed")
                    return
                run.status = "waiting"
                self._set_state("waiting")
                return
            self._set_state("running")
            await self._execute(run)
            if self._unreachable(run):
                self._by_hand(run)
            if run.status not in OK_STATUSES:
                self._set_state("failed")
                return
            self.index += 1
        if self.at_console:
            await self._verify_deferred()
            return
        self._set_state("finished")

    async def _reachable(self) -> bool:
        try:
            await self.executor.wait_reachable(self.ctx.node, self.console_probe)
        except ExecutorError:
            return False
        return True

    def _unreachable(self, run: StepRun) -> bool:
        """At the node's console, a node step that could not reach the node."""
        return self.at_console and run.step.on != "peer" and run.status == "error"

    def _by_hand(self, run: StepRun) -> None:
        """A check waits for the node to be back; an action is typed at its console."""
        if run.step.kind != "action":
            run.status = "deferred"
            run.detail = (f"{self.ctx.node} unreachable: checked when it is back "
                          f"(at its console: {run.command})")
            self._audit(run, "deferred", run.detail)
            return
        try:
            commands = console_commands(run.step, self.ctx, self._stamp())
        except PlaceholderError as exc:
            run.status, run.detail = "refused", str(exc)
            self._audit(run, "refused", run.detail)
            return
        run.status, run.typed, run.typed_count = "at-console", commands, 0
        run.command = commands[0]
        run.detail = (f"{self.ctx.node} unreachable: type the command shown at its console, "
                      f"then confirm it as typed (t)")

    async def _verify_deferred(self) -> None:
        """The node's checks left for when it is back: run them now; finished when all pass,
        else failed (retry runs them again)."""
        for run in (r for r in self.runs if r.status == "deferred"):
            self._set_state("running")
            await self._execute(run)
            if run.status == "error":
                run.status = "deferred"
                run.detail = f"{self.ctx.node} still unreachable: retry when it is back"
            elif run.status not in OK_STATUSES:
                break
        self.index = len(self.runs)
        waiting = [r for r in self.runs if r.status not in OK_STATUSES
                   or r.status == "deferred"]
        self._set_state("failed" if waiting else "finished")

    async def _execute(self, run: StepRun) -> None:
        step = run.step
        run.status, run.output, run.exit_status, run.detail = "running", "", None, ""
        self._notify()
        if step.kind == "note":
            run.status, run.detail = "done", step.why
            self._audit(run, "done", "", command="")
            return
        if self.rehearsal is not None:
            self._rehearse(run, self.rehearsal)
            self._notify()
            return
        if step.kind == "action" and not self.dry_run:
            try:
                self.audit.check_writable()
            except AuditError as exc:  # no action without its audit trail
                run.status, run.detail = "refused", f"not run: {exc}"
                self._notify()
                return
        try:
            await self._ensure_context(step)
            handler = _HANDLERS[step.op]
            await handler(self, run)
        except (ExecutorError, PlaceholderError, EditRefused) as exc:
            run.status = "refused" if isinstance(exc, (EditRefused, PlaceholderError)) \
                else "error"
            run.detail = str(exc)
            self._audit(run, run.status, run.detail)
        except AuditError:
            raise
        except Exception as exc:  # a bug must not kill the screen: report, audit, stop
            run.status, run.detail = "error", f"{type(exc).__name__}: {exc}"
            self._audit(run, "error", run.detail)
        self._notify()

    async def _ensure_context(self, step: Step) -> None:
        """Check the interface against the node's real list (once), find its bridge."""
        if self.ctx.verified or self.ctx.iface is None or step.on != "node":
            return
        res = await self.executor.run(self.ctx.node, "ip -o link show", timeout=15)
        if res.exit_status != 0:
            raise ExecutorError(f"{self.ctx.node}: cannot list interfaces: {res.output}")
        known = parse_link_names(res.stdout)
        check_iface(self.ctx.iface, known)
        bridge = self.ctx.bridge
        if bridge is None:
            current = await read_remote(self.executor, self.ctx.node, self.ctx.interfaces_path)
            bridge = InterfacesFile.parse(current.text).bridge_for(self.ctx.iface)
        if bridge is not None:
            check_iface(bridge, known)
        self.ctx = replace(self.ctx, known_ifaces=tuple(known), bridge=bridge)
        for other in self.runs:
            if other.status in ("pending", "waiting", "running"):
                other.command = self.preview(other.step)

    def _targets(self, step: Step) -> list[str]:
        if step.on == "peer" and self.ctx.peers:
            return list(self.ctx.peers)
        return [self.ctx.node]

    async def _run_on_targets(self, run: StepRun, command: str) -> RunResult:
        """Run a check on its node, or on the first peer that answers."""
        errors = []
        for node in self._targets(run.step):
            try:
                res = await self.executor.run(node, command, timeout=run.step.timeout)
                run.detail = f"on {node}"
                return res
            except ExecutorError as exc:
                errors.append(str(exc))
        raise ExecutorError("; ".join(errors))

    async def _op_command(self, run: StepRun) -> None:
        step = run.step
        run.command = render_command(step.command, self.ctx)
        if step.kind == "action" and self.dry_run:
            self._dry(run)
            return
        res = await self._run_on_targets(run, run.command)
        ok, why = evaluate(step.expect, res, self.ctx)
        run.output, run.exit_status = res.output, res.exit_status
        run.status = ("pass" if step.kind == "check" else "done") if ok else "fail"
        run.detail = f"{why} ({run.detail})" if run.detail else why
        self._audit(run, run.status, run.detail, res=res)

    async def _op_settle(self, run: StepRun) -> None:
        step = run.step
        run.command = render_command(step.command, self.ctx)
        before = await self.executor.run(self.ctx.node, run.command, timeout=step.timeout)
        n0 = count_hang_reports(before.stdout, self.ctx.iface)
        wait = step.settle_seconds if self.settle_seconds is None else self.settle_seconds
        run.detail = f"{n0} hang reports so far; waiting {wait:g} s"
        self._notify()
        await self.sleep(wait)
        after = await self.executor.run(self.ctx.node, run.command, timeout=step.timeout)
        n1 = count_hang_reports(after.stdout, self.ctx.iface)
        ok = after.exit_status == 0 and n1 <= n0
        run.output, run.exit_status = tail_bytes(after.output, 2048), after.exit_status
        run.status = "pass" if ok else "fail"
        run.detail = (f"hang reports of {self.ctx.iface}: {n0} before, {n1} after "
                      f"{wait:g} s" + ("" if ok else ": NEW HANG REPORTS"))
        self._audit(run, run.status, run.detail, res=after)

    async def _op_persist(self, run: StepRun) -> None:
        step = run.step
        if self.ctx.iface is None:
            raise PlaceholderError("no interface in this run's context")
        hook = render_command(step.command, self.ctx)
        current = await read_remote(self.executor, self.ctx.node, self.ctx.interfaces_path)
        plan = plan_post_up(current, self.ctx.iface, shlex.split(hook), self.ctx.bridge)
        run.command = (f"post-up {plan.line}  (in the {plan.bridge} stanza of "
                       f"{self.ctx.interfaces_path})")
        if not plan.changed:
            run.status, run.detail = "done", f"nothing to do: {plan.reason}"
            self._audit(run, "done", run.detail)
            return
        run.output = "".join(difflib.unified_diff(
            current.text.splitlines(keepends=True), plan.new_text.splitlines(keepends=True),
            self.ctx.interfaces_path, self.ctx.interfaces_path + " (new)"))
        if self.dry_run:
            self._dry(run)
            return
        written = await write_atomic(self.executor, current, plan.new_text, self._stamp())
        self.backup, self.written_digest = written.backup, written.new_digest
        run.status, run.exit_status = "done", written.result.exit_status
        run.detail = f"backup {written.backup} sha256 {written.new_digest}"
        self._audit(run, "done", run.detail, res=written.result)

    async def _op_reload(self, run: StepRun) -> None:
        bridge = self.ctx.bridge
        if bridge is None:
            raise PlaceholderError(f"no bridge carries {self.ctx.iface} on {self.ctx.node}")
        run.command = reload_command(bridge)
        if self.dry_run:
            self._dry(run)
            return
        tag = f"reload-{self._stamp()}"
        res = await run_detached(self.executor, self.ctx.node, run.command, tag,
                                 timeout=run.step.timeout, sleep=self.sleep,
                                 directory=self.detached_dir, delay=self.detached_delay)
        await self.executor.wait_reachable(self.ctx.node, self.reconnect_timeout)
        run.output, run.exit_status = res.output, res.exit_status
        ok = res.exit_status == 0
        run.status = "done" if ok else "fail"
        run.detail = ("ran detached on the node; reconnected" if ok
                      else f"reload exited {res.exit_status}")
        self._audit(run, run.status, run.detail, res=res)

    def _rehearse(self, run: StepRun, rehearsal: Rehearsal) -> None:
        """Checks from the recording, actions shown and not sent. A check that does not hold
        after an action that was not sent is what the recording shows, not a failure."""
        step = run.step
        run.command = self.preview(step)
        if step.kind == "action":
            run.status, run.detail = "rehearsed", "not sent (rehearsal)"
            self._audit(run, "dry-run", run.detail)
            return
        found = rehearsal.answer(step, self.ctx)
        if found is None:
            run.status = "rehearsed"
            run.detail = ("rehearsal: the recording holds nothing for this check "
                          "(command shown, not sent)")
            self._audit(run, "dry-run", run.detail)
            return
        run.output = tail_bytes(found.result.output, 16 * 1024)
        when = f" at {timefmt.clock(found.at)}" if found.at else ""
        source = f"rehearsal: from the recording ({found.what}{when})"
        if step.op == "settle":
            n = count_hang_reports(found.result.stdout, self.ctx.iface)
            run.status = "rehearsed"
            run.detail = (f"{source}: {n} hang reports of {self.ctx.iface} in the episode; "
                          "the settle period is not waited in a rehearsal")
            self._audit(run, "dry-run", run.detail)
            return
        ok, why = evaluate(step.expect, found.result, self.ctx)
        unsent = any(r.step.kind == "action" and r.status == "rehearsed"
                     for r in self.runs[:self.runs.index(run)])
        if ok:
            run.status, run.detail = "pass", f"{source}: {why}"
        elif unsent:
            run.status = "rehearsed"
            run.detail = (f"{source}: {why}; as recorded before the fix, which a rehearsal "
                          "does not send")
        else:
            run.status, run.detail = "fail", f"{source}: {why}"
        self._audit(run, run.status if run.status != "rehearsed" else "dry-run", run.detail)

    def _dry(self, run: StepRun) -> None:
        run.status = "dry-run"
        run.detail = "dry run: not sent" + (f"; {run.detail}" if run.detail else "")
        self._audit(run, "dry-run", run.detail)

    # -- bookkeeping ---------------------------------------------------------------------
    def _stamp(self) -> str:
        return self.clock().strftime("%Y%m%dT%H%M%SZ")

    def _set_state(self, state: RunState) -> None:
        self.state = state
        self._notify()

    def _notify(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def _audit(self, run: StepRun, outcome: str, detail: str, *, command: str | None = None,
               kind: AuditKind | None = None, res: RunResult | None = None) -> None:
        out = res.output if res is not None else run.output
        status = res.exit_status if res is not None else run.exit_status
        entry = AuditEntry(
            at=self.clock().isoformat(), operator=self.operator, runbook=self.runbook.id,
            step=run.step.id, kind=kind or run.step.kind, node=self.ctx.node,
            iface=self.ctx.iface, command=run.command if command is None else command,
            dry_run=self.dry_run, exit_status=status, output=tail_bytes(out),
            result=_result(outcome), detail=detail, episode=self.ctx.episode)
        self.audit.append(entry)
        if self.on_audit is not None:
            self.on_audit(entry)


def preview_command(step: Step, ctx: RunbookContext) -> str:
    """What a step will send, shown before it runs (and by ``labconsole runbook show``)."""
    try:
        if step.op == "persist_post_up":
            return (f"post-up {render_command(step.command, ctx)}  (in the "
                    f"{ctx.bridge or 'bridge'} stanza of {ctx.interfaces_path})")
        if step.op == "reload_network":
            if ctx.bridge is None:
                return "ifreload -a, or ifdown/ifup of the bridge that carries " \
                    f"{ctx.iface or 'the interface'} (found when the node is read)"
            return reload_command(ctx.bridge)
        if step.kind == "note":
            return ""
        return render_command(step.command, ctx)
    except PlaceholderError as exc:
        return f"(cannot build the command: {exc})"


def console_commands(step: Step, ctx: RunbookContext, stamp: str) -> tuple[str, ...]:
    """The exact commands to type at the node's console for an action, built from the same
    validated parts as the commands the engine sends (nothing from a log line): the
    command itself; for the persist step a backup, an idempotent insert of the post-up line
    into the bridge stanza (GNU sed) and a grep that shows it; for the reload, the reload."""
    if step.op == "reload_network":
        if ctx.bridge is None:
            raise PlaceholderError(f"no bridge known for {ctx.iface} on {ctx.node}: set "
                                   "bridge for the node in the config")
        return (reload_command(ctx.bridge),)
    if step.op != "persist_post_up":
        return (render_command(step.command, ctx),)
    if ctx.bridge is None or ctx.iface is None:
        raise PlaceholderError(f"no bridge known for {ctx.iface} on {ctx.node}: set bridge "
                               "for the node in the config")
    bridge = check_iface(ctx.bridge, None)
    line = f"post-up {render_command(step.command, ctx)}"
    path = shlex.quote(ctx.interfaces_path)
    insert = "/^iface " + bridge + " inet/a\\\\t" + line  # GNU sed: a\\ then a tab
    return (f"cp -p {path} {shlex.quote(ctx.interfaces_path + '.labconsole-' + stamp)}",
            f"grep -qF {shlex.quote(line)} {path} || sed -i {shlex.quote(insert)} {path}",
            f"grep -nF {shlex.quote(line)} {path}")


def resume_index(runs: list[StepRun], latest: dict[str, AuditEntry]) -> int:
    """Where a resumed run goes on: after the last action confirmed and verified, never past
    a step that was rolled back. Everything from there runs again (checks) or waits for its
    confirm (actions)."""
    index = 0
    for i, run in enumerate(runs):
        entry = latest.get(run.step.id)
        if entry is None:
            continue
        if entry.kind == "rollback":
            return min(index, i)
        if run.step.kind == "action" and is_finished(entry):
            index = i + 1
    return index


def resumed_status(step: Step, entry: AuditEntry) -> StepStatus:
    """A step before the resume point shows what its latest attempt was (a step only shown in
    a dry run or rehearsal stays that, never "done")."""
    if entry.result == "dry-run":
        return "dry-run"
    if is_finished(entry):
        return "pass" if step.kind == "check" else "done"
    statuses: dict[str, StepStatus] = {
        "fail": "fail", "skipped": "skipped", "refused": "refused", "aborted": "aborted",
        "error": "error", "typed": "typed", "deferred": "deferred"}
    return statuses.get(entry.result, "error")


def _earlier_word(entry: AuditEntry) -> str:
    return "rolled back" if entry.kind == "rollback" else entry.result


def _result(status: str) -> AuditResult:
    mapping: dict[str, AuditResult] = {
        "pass": "pass", "fail": "fail", "done": "done", "skipped": "skipped",
        "refused": "refused", "aborted": "aborted", "dry-run": "dry-run", "error": "error",
        "typed": "typed", "deferred": "deferred", "rehearsed": "dry-run"}
    return mapping.get(status, "error")


def reload_command(bridge: str) -> str:
    """``ifreload -a`` where ifupdown2 is installed, else ``ifdown BR && ifup BR``."""
    br = shlex.quote(check_iface(bridge, None))
    return (f"if command -v ifreload >/dev/null 2>&1; then ifreload -a; "
            f"else ifdown {br} && ifup {br}; fi")


_HANDLERS: dict[str, Callable[[RunbookEngine, StepRun], Awaitable[None]]] = {
    "command": RunbookEngine._op_command,
    "votes": RunbookEngine._op_command,
    "kernel_log": RunbookEngine._op_command,
    "settle": RunbookEngine._op_settle,
    "persist_post_up": RunbookEngine._op_persist,
    "reload_network": RunbookEngine._op_reload,
}
