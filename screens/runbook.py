"""The runbook screen: a guided diagnosis and fix, one step at a time.

Checks run by themselves; an action shows its exact command and runs only on ``c``; ``s``
skips, ``r`` retries a failed step, ``a`` aborts, ``R`` restores the interfaces file backup.
The screen only drives :class:`~labconsole.runbook.engine.RunbookEngine` and draws it; every
step goes to the audit log (the engine) and onto the timeline (an OperatorAction event fed to
the app's pipeline, when there is one).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Header, Static

from labconsole.events import OperatorAction
from labconsole.model import timefmt
from labconsole.operator import operator_name
from labconsole.runbook.audit import AuditEntry, AuditError
from labconsole.runbook.choice import PriorSession, hang_behind_loss
from labconsole.runbook.engine import RunbookEngine
from labconsole.runbook.placeholders import PlaceholderError
from labconsole.runbook.session import RunbookLauncher
from labconsole.sanitize import visible_row
from labconsole.sources.replay import ReplaySource
from labconsole.sources.ssh import SshPool
from labconsole.widgets.console_footer import ConsoleFooter
from labconsole.widgets.runbook_step_detail import RunbookStepDetail
from labconsole.widgets.runbook_steps import RunbookSteps

if TYPE_CHECKING:
    from labconsole.screens.dashboard import DashboardScreen

RUNBOOK_KEYS: list[tuple[str, str, str, bool]] = [
    ("c", "confirm", "Confirm action", True),
    ("s", "skip", "Skip step", True),
    ("r", "retry", "Retry step", True),
    ("a", "abort", "Abort runbook", True),
    ("R", "rollback", "Roll back interfaces", False),
    ("t", "console", "Node unreachable: at its console / command typed", False),
    ("up,k", "select(-1)", "Previous step", False),
    ("down,j", "select(1)", "Next step", False),
    ("escape", "close", "Back", True),
]


class RunbookScreen(Screen[None]):
    DEFAULT_CSS = """
    RunbookScreen #rb-context { height: auto; max-height: 3; padding: 0 1; }
    RunbookScreen #rb-body { height: 1fr; }
    RunbookScreen RunbookSteps { width: 44%; min-width: 30; }
    RunbookScreen RunbookStepDetail { width: 1fr; }
    RunbookScreen #rb-state { height: 1; padding: 0 1; }
    """
    BINDINGS = [Binding(k, a, d, show=s) for k, a, d, s in RUNBOOK_KEYS]

    def __init__(self, engine: RunbookEngine) -> None:
        super().__init__()
        self.engine = engine
        self.selected = 0
        self.follow = True  # the selection follows the current step until the operator moves

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="rb-context")
        with Horizontal(id="rb-body"):
            yield RunbookSteps(id="rb-steps")
            yield RunbookStepDetail(id="rb-detail")
        yield Static(id="rb-state")
        yield ConsoleFooter()

    def on_mount(self) -> None:
        self.engine.on_change = self.refresh_view
        self.engine.on_audit = self._audited
        self.query_one("#rb-context", Static).update(self._context_text())
        self.refresh_view()
        self._drive(self.engine.start())

    # -- drawing -----------------------------------------------------------------------------
    def _context_text(self) -> Text:
        e, ctx = self.engine, self.engine.ctx
        text = Text(no_wrap=False)
        text.append(visible_row(e.runbook.title), style="bold")
        if e.rehearsal is not None:
            text.append("  REHEARSAL: checks from the recording, nothing sent",
                        style="bold cyan")
        elif e.dry_run:
            text.append("  DRY RUN", style="bold cyan")
        text.append(f"\nnode {visible_row(ctx.node)}", style="")
        if ctx.iface:
            text.append(f"  iface {visible_row(ctx.iface)}")
        if ctx.since and ctx.until:
            text.append(f"  window {ctx.since:%H:%M:%S}-{ctx.until:%H:%M:%S}Z")
        if ctx.episode:
            text.append(f"  episode {visible_row(str(ctx.episode))}", style="dim")
        return text

    def refresh_view(self) -> None:
        if not self.is_mounted:
            return
        e = self.engine
        current = min(e.index, len(e.runs) - 1)
        if self.follow:
            self.selected = current
        self.query_one(RunbookSteps).show(e.runs, e.index, self.selected)
        run = e.runs[self.selected]
        self.query_one(RunbookStepDetail).show(
            run, self.selected + 1, dry_run=e.dry_run, rehearsal=e.rehearsal is not None,
            waiting=e.state == "waiting" and self.selected == e.index)
        self.query_one("#rb-state", Static).update(self._state_text())

    def _state_text(self) -> Text:
        e = self.engine
        done = sum(1 for r in e.runs if r.status in ("pass", "done", "skipped", "dry-run",
                                                     "rehearsed"))
        label = {
            "new": ("starting", "dim"), "running": ("running checks...", "cyan"),
            "waiting": ("waiting for your confirm (c)", "bold yellow"),
            "failed": ("step failed: r retry, s skip, a abort", "bold red"),
            "finished": ("rehearsal finished" if e.rehearsal else "finished", "bold green"),
            "aborted": ("aborted", "bold red"),
        }[e.state]
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{done}/{len(e.runs)} steps  ")
        text.append(label[0], style=label[1])
        if e.backup:
            text.append(f"  backup {visible_row(str(e.backup))} (R restores)", style="dim")
        return text

    # -- engine plumbing ---------------------------------------------------------------------
    def _drive(self, job: Coroutine[Any, Any, object]) -> None:
        self.follow = True
        self.run_worker(self._guarded(job), group="runbook", exit_on_error=False)

    async def _guarded(self, job: Coroutine[Any, Any, object]) -> None:
        """The engine stops itself on command failures; what is left (the audit log became
        unwritable mid-run) is shown instead of vanishing into a worker."""
        try:
            await job
        except AuditError as exc:
            self.notify(visible_row(f"runbook stopped: {exc}"), severity="error", timeout=30,
                        markup=False)
        self.refresh_view()

    def _audited(self, entry: AuditEntry) -> None:
        pipeline = getattr(self.app, "pipeline", None)
        if pipeline is None:
            return
        event = OperatorAction(
            at=entry.when, source="runbook", node=entry.node, runbook=entry.runbook,
            step=entry.step, command=entry.command,
            # "ok" is what the timeline colours green (labconsole.state)
            status="ok" if entry.result in ("pass", "done", "typed") else entry.result,
            output=entry.output,
            exit_status=entry.exit_status)
        self.run_worker(pipeline.emit(event), group="runbook-timeline", exit_on_error=False)

    # -- actions -----------------------------------------------------------------------------
    def action_confirm(self) -> None:
        self._drive(self.engine.confirm())

    def action_skip(self) -> None:
        self._drive(self.engine.skip())

    def action_retry(self) -> None:
        self._drive(self.engine.retry())

    def action_console(self) -> None:
        """The node cannot be reached: switch to typing its steps at its console; then
        confirm each command shown as typed."""
        run = self.engine.current
        if run is not None and run.status == "at-console":
            self._drive(self.engine.typed())
        else:
            self._drive(self.engine.use_console())

    def action_abort(self) -> None:
        self._drive(self.engine.abort())

    def action_rollback(self) -> None:
        if self.engine.rollback_step() is None:
            self.notify("nothing to roll back: no backup taken in this run", severity="warning")
            return
        self._drive(self.engine.rollback())

    def action_select(self, delta: int) -> None:
        self.follow = False
        self.selected = max(0, min(len(self.engine.runs) - 1, self.selected + delta))
        self.refresh_view()

    def action_close(self) -> None:
        self.app.pop_screen()


def launcher_for(app: Any) -> RunbookLauncher:
    """The app's launcher (set by the live console), else an offline one: in a replay or the
    demo the runbook opens, shows every exact command, and runs none."""
    launcher = getattr(app, "runbook_launcher", None)
    if isinstance(launcher, RunbookLauncher):
        return launcher
    sources = getattr(getattr(app, "pipeline", None), "sources", ())
    pool = next((s for s in sources if isinstance(s, SshPool)), None)
    if pool is not None:  # live console: the same SSH connections its sources use
        launcher = RunbookLauncher.from_pool(pool.nodes, operator=operator_name(),
                                             clock=app.clock)
        app.runbook_launcher = launcher
        return launcher
    # the user's private offline log under the XDG data dir (never /tmp: offline_state.py);
    # on a replay or the demo, a rehearsal on its recording
    replay = next((s for s in sources if isinstance(s, ReplaySource)), None)
    # a rehearsal's steps happen at the recording's time (the replay position), so that its
    # timeline entries and report never mix replay time with wall-clock time (issue 12)
    launcher = RunbookLauncher.offline(operator=operator_name(),
                                       clock=app.now if replay else app.clock,
                                       recording=replay.events if replay else None)
    app.runbook_launcher = launcher
    return launcher


def open_runbook(dashboard: DashboardScreen) -> str:
    """Open the runbook for the dashboard's selection: the hang episode under the kernel log
    cursor, else a node that lost its vote. Returns what happened (for the status line).

    A name from the log that fails validation (an interface like ``eno1$(...)``) refuses the
    runbook with the reason on screen; nothing is built from it, and the console goes on."""
    try:
        return _open_runbook(dashboard)
    except PlaceholderError as exc:
        message = f"runbook refused: {exc}"
        dashboard.notify(visible_row(message), severity="error", timeout=15, markup=False)
        return message


def _open_runbook(dashboard: DashboardScreen) -> str:
    app = dashboard.lc
    launcher = launcher_for(app)
    row = dashboard.log_pane.current_row
    if row is not None and row.episode is not None:
        ref = row.episode
        engine = _offer(launcher, lambda new: launcher.for_episode(
            ref.node, ref.episode, _peers(app, ref.node), new_session=new))
        if engine is None:
            return f"no runbook for a {ref.episode.driver} hang"
        back = ref.node if _in_votes(app, ref.node) else None
        return _push_or_offer(dashboard, launcher, engine, back_in_votes=back)
    gone = [(n, since) for c in app.state.votes.clusters.values()
            for n, since in sorted(c.out_since.items())]
    if not gone:
        return "select a hang episode in the kernel log, or wait for a node to leave"
    chosen = dashboard.selected_node()
    name, since = next(((n, s) for n, s in gone if n == chosen), gone[0])
    # the runbook of the cause: its hang only when that hang reaches to its leaving and no
    # link down came after it; else (link down, unknown loss) the node-left one
    hang = hang_behind_loss(since, [r.episode for r in app.state.log.episodes if r.node == name],
                            _link_downs(app, name))
    engine = None
    if hang is not None:
        engine = _offer(launcher, lambda new: launcher.for_episode(
            name, hang, _peers(app, name), new_session=new))
    if engine is None:
        nics = [iface for (node, iface) in app.state.nics.nics if node == name]
        engine = _offer(launcher, lambda new: launcher.for_missing_node(
            name, since, _peers(app, name), iface=nics[0] if nics else None,
            new_session=new))
    if engine is None:
        return "no runbook for a node that left the cluster"
    return _push_or_offer(dashboard, launcher, engine, back_in_votes=None)


def _offer(launcher: RunbookLauncher, build: Callable[[bool], RunbookEngine | None]
           ) -> RunbookEngine | None:
    """The engine on the episode's latest session, or a new session when the operator was
    told the last one was remediated/resolved and pressed ``b`` again on the same episode."""
    engine = build(False)
    if engine is None or launcher.offered is None:
        return engine
    base = engine.ctx.episode if engine.prior is None else engine.prior.episode
    if launcher.offered == base:
        launcher.offered = None
        return build(True)
    return engine


def _push_or_offer(dashboard: DashboardScreen, launcher: RunbookLauncher,
                   engine: RunbookEngine, *, back_in_votes: str | None) -> str:
    prior = engine.prior
    if prior is not None and (prior.remediated or back_in_votes) and launcher.offered is None:
        launcher.offered = prior.episode
        return visible_row(_dealt_with(prior, back_in_votes))
    launcher.offered = None
    dashboard.app.push_screen(RunbookScreen(engine))
    return f"runbook {engine.runbook.id} on {engine.ctx.node}" + (
        f" (new session {engine.ctx.episode})" if "~" in str(engine.ctx.episode) else "")


def _dealt_with(prior: PriorSession, back_in_votes: str | None) -> str:
    verb = "rehearsed" if prior.rehearsal else "done"
    parts = [f"{e.step} {verb} {_hms(e.at)}" for e in prior.done]
    parts += [f"{e.step} rolled back {_hms(e.at)}" for e in prior.rolled_back]
    if back_in_votes:
        parts.append(f"{back_in_votes} is back in the votes")
    state = "rehearsed" if prior.rehearsal and prior.remediated else \
        "remediated" if prior.remediated else "resolved"
    return (f"episode {prior.episode} already {state} ({'; '.join(parts)}): "
            "b again opens a new session")


def _hms(at: str) -> str:
    try:
        return timefmt.clock(datetime.fromisoformat(at))
    except ValueError:
        return at


def _peers(app: Any, node: str) -> list[str]:
    """Members the votes show next to the node."""
    return [n for c in app.state.votes.clusters.values() if node in c.known
            for n in c.peers(node)]


def _in_votes(app: Any, node: str) -> bool:
    """The node is a known member of a cluster and not out of its votes now."""
    return any(node in c.known and node not in c.out_since
               for c in app.state.votes.clusters.values())


def _link_downs(app: Any, node: str) -> list[datetime]:
    """The node's NIC carrier losses (not corosync's knet links, which drop in a hang too)."""
    return [e.at for e in app.state.timeline.entries
            if e.node == node and e.fact.kind == "link_down"
            and not str(e.fact.device or "").startswith("knet")]
