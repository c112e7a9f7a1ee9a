"""Opening a runbook on what the console saw: a hang episode, or a node gone from the votes.

Turns a HangEpisode (or a missing node) plus the node's configuration into a validated
:class:`RunbookContext` with a stable episode id (the key under which the audit log keeps
progress, so reopening on the same episode resumes), and picks the runbook that applies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path

from labconsole.clock import Clock
from labconsole.config import NodeConfig
from labconsole.model.hang import HangEpisode
from labconsole.runbook.audit import AuditLog
from labconsole.runbook.engine import RunbookEngine
from labconsole.runbook.executor import Executor
from labconsole.runbook.load import applicable
from labconsole.runbook.model import Runbook
from labconsole.runbook.placeholders import RunbookContext, episode_window, make_context


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
