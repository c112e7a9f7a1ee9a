"""Opening a runbook on what the console saw: a hang episode, or a node gone from the votes.

Turns a HangEpisode (or a missing node) plus the node's configuration into a validated
:class:`RunbookContext` with a stable episode id (the key under which the audit log keeps
progress, so reopening on the same episode resumes), and picks the runbook that applies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from platformdirs import user_data_dir

from labconsole.clock import Clock
from labconsole.config import Config, NodeConfig
from labconsole.events import Event
from labconsole.model.hang import HangEpisode
from labconsole.runbook.audit import AuditLog
from labconsole.runbook.choice import PriorSession, prior_session
from labconsole.runbook.engine import RunbookEngine
from labconsole.runbook.executor import Executor, ExecutorError, RunResult, SshExecutor
from labconsole.runbook.load import applicable, load_all
from labconsole.runbook.model import Runbook
from labconsole.runbook.offline_state import offline_audit_path
from labconsole.runbook.placeholders import RunbookContext, episode_window, make_context
from labconsole.runbook.rehearsal import Rehearsal
from labconsole.sources.ssh import NodeConnection


def episode_key(node: str, ep: HangEpisode) -> str:
    """``pve03-eno1-20251108T061902Z`` (or ``...-up5120`` when the log had only uptimes)."""
    if ep.first is not None:
        first = ep.first if ep.first.tzinfo else ep.first.replace(tzinfo=timezone.utc)
        return f"{node}-{ep.device}-{first.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}"
    if ep.first_uptime is not None:
        return f"{node}-{ep.device}-up{ep.first_uptime:.0f}"
    return f"{node}-{ep.device}"


def context_for_episode(node: str, ep: HangEpisode, *, now: datetime,
                        config: NodeConfig | None = None, peers: Iterable[str] = ()
                        ) -> RunbookContext:
    since, until = episode_window(_aware(ep.first), _aware(ep.last), now)
    return make_context(
        node, iface=ep.device, peers=peers, since=since, until=until,
        kernel_log_command=config.kernel_log_command if config else None,
        bridge=config.bridge if config and config.bridge else None,
        episode=episode_key(node, ep))


def context_for_missing_node(node: str, *, now: datetime, since: datetime | None = None,
                             config: NodeConfig | None = None, peers: Iterable[str] = (),
                             iface: str | None = None) -> RunbookContext:
    """A node that left the votes; the episode key is the time it left (to the minute)."""
    left = _aware(since) or now
    nic = iface or (config.interfaces[0] if config and config.interfaces else None)
    return make_context(
        node, iface=nic, peers=peers, since=left, until=max(now, left),
        kernel_log_command=config.kernel_log_command if config else None,
        episode=f"{node}-left-{left.astimezone(timezone.utc):%Y%m%dT%H%MZ}")


def choose(books: Iterable[Runbook], *, driver: str | None, hang: bool,
           node_missing: bool) -> Runbook | None:
    found = applicable(books, driver=driver, hang=hang, node_missing=node_missing)
    return found[0] if found else None


def open_engine(books: Mapping[str, Runbook], ctx: RunbookContext, executor: Executor,
                audit_path: Path, *, driver: str | None, hang: bool, operator: str,
                clock: Clock, dry_run: bool = False) -> RunbookEngine | None:
    book = choose(books.values(), driver=driver, hang=hang, node_missing=not hang)
    if book is None:
        return None
    return RunbookEngine(book, ctx, executor, AuditLog(audit_path), operator=operator,
                         clock=clock, dry_run=dry_run)


def _aware(when: datetime | None) -> datetime | None:
    if when is None:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


class NoNodeExecutor:
    """For replays and the demo: there is no node to run on; the runbook is shown, every
    command says so instead of running (and nothing pretends to have passed)."""

    async def run(self, node: str, command: str, *, input: str | None = None,
                  timeout: float = 30.0) -> RunResult:
        raise ExecutorError(f"{node}: no live connection (replay or demo): command shown, "
                            "not run")

    async def wait_reachable(self, node: str, timeout: float) -> None:
        raise ExecutorError(f"{node}: no live connection (replay or demo)")


@dataclass
class RunbookLauncher:
    """What the console needs to open a runbook on a selection: the runbooks, a way to run
    commands on nodes, the audit log, who is operating, and each node's configuration."""

    books: Mapping[str, Runbook]
    executor: Executor
    audit_path: Path
    operator: str
    clock: Clock
    nodes: Mapping[str, NodeConfig] = field(default_factory=dict)
    peers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    dry_run: bool = False
    problems: list[str] = field(default_factory=list)
    private_audit: bool = False  # the offline log: opened as the user's private state
    # The episode key whose earlier session was reported as remediated/resolved: opening it
    # again (``b`` twice) starts a new session instead of resuming the old one.
    offered: str | None = None
    # A replay's or the demo's events: runbooks opened offline are rehearsals on them.
    recording: Sequence[Event] | None = None

    @classmethod
    def from_config(cls, config: Config, connections: Mapping[str, NodeConnection], *,
                    operator: str, clock: Clock, audit_path: Path | None = None,
                    dry_run: bool = False) -> RunbookLauncher:
        books, problems = load_all(config.runbook_dir)
        peers = {n.name: tuple(m.name for m in c.nodes if m.name != n.name)
                 for c in config.clusters for n in c.nodes}
        return cls(books, SshExecutor(connections), audit_path or config.audit_log,
                   operator, clock, {n.name: n for n in config.nodes}, peers, dry_run,
                   problems)

    @classmethod
    def from_pool(cls, connections: Mapping[str, NodeConnection], *, operator: str,
                  clock: Clock, audit_path: Path | None = None) -> RunbookLauncher:
        """Live, without the config at hand: bundled runbooks, each node's default kernel
        log (journalctl) and the peers the caller passes in."""
        books, problems = load_all(None)
        return cls(books, SshExecutor(connections), audit_path or default_audit_path(),
                   operator, clock, problems=problems)

    @classmethod
    def offline(cls, *, operator: str, clock: Clock, audit_path: Path | None = None,
                runbook_dir: Path | None = None, recording: Sequence[Event] | None = None
                ) -> RunbookLauncher:
        """No live nodes (replay, demo): runbooks open, commands are shown, none run. The
        progress goes to the user's private offline log (never the live audit log)."""
        books, problems = load_all(runbook_dir)
        return cls(books, NoNodeExecutor(), audit_path or offline_audit_path(), operator,
                   clock, problems=problems, private_audit=True, recording=recording)

    def for_episode(self, node: str, ep: HangEpisode, peers: Iterable[str] = (), *,
                    new_session: bool = False) -> RunbookEngine | None:
        """The runbook for a hang episode: the one for its driver, else the node-left one
        (None when neither exists).
        ``peers`` (e.g. the other members seen in the votes) when the config names none."""
        ctx = context_for_episode(node, ep, now=self.clock(), config=self.nodes.get(node),
                                  peers=self.peers.get(node) or tuple(peers))
        return self._engine(ctx, driver=ep.driver, hang=True, new_session=new_session,
                            moment=_aware(ep.last or ep.first))

    def for_missing_node(self, node: str, since: datetime | None = None,
                         peers: Iterable[str] = (), iface: str | None = None, *,
                         new_session: bool = False) -> RunbookEngine | None:
        """``iface``: the NIC to check when the config names none (e.g. one the NIC panel
        watches on that node)."""
        config = self.nodes.get(node)
        ctx = context_for_missing_node(
            node, now=self.clock(), since=since, config=config,
            peers=self.peers.get(node) or tuple(peers),
            iface=None if config is not None and config.interfaces else iface)
        return self._engine(ctx, driver=None, hang=False, new_session=new_session,
                            moment=_aware(since))

    def _engine(self, ctx: RunbookContext, *, driver: str | None, hang: bool,
                new_session: bool = False, moment: datetime | None = None
                ) -> RunbookEngine | None:
        book = choose(self.books.values(), driver=driver, hang=hang, node_missing=not hang)
        if book is None and hang:
            # No runbook for this driver's hang (igc, mlx5, virtio_net, ...): the e1000e fix
            # does not apply; what the operator loses is the node, so its runbook is offered.
            book = choose(self.books.values(), driver=None, hang=False, node_missing=True)
        if book is None:
            return None
        audit = AuditLog(self.audit_path, private=self.private_audit)
        prior = self._prior(audit, book, ctx.episode,
                            dry_run=self.dry_run or self.recording is not None)
        if prior is not None:
            key = prior.next_key(str(ctx.episode)) if new_session else prior.episode
            ctx = replace(ctx, episode=key)
        rehearsal = None if self.recording is None else \
            Rehearsal(self.recording, moment or ctx.until or self.clock())
        engine = RunbookEngine(book, ctx, self.executor, audit, operator=self.operator,
                               clock=self.clock, dry_run=self.dry_run, rehearsal=rehearsal)
        engine.prior = None if new_session else prior
        return engine

    @staticmethod
    def _prior(audit: AuditLog, book: Runbook, base: str | None, *, dry_run: bool
               ) -> PriorSession | None:
        if base is None:
            return None
        try:
            entries = audit.entries()
        except OSError:  # unreadable: the engine reports it when it writes
            return None
        return prior_session(entries, book.id, base, [s.id for s in book.steps],
                             dry_run=dry_run)


def default_audit_path() -> Path:
    """``<user data dir>/labconsole/audit.jsonl`` (next to the default recordings)."""
    return Path(user_data_dir("labconsole")) / "audit.jsonl"
