"""Test helper: the console's live pipeline on the real lab, recording to a JSONL file.

:class:`RecordingSession` wires what ``labconsole run`` wires for a cluster (one SSH pool, a
kernel stream per node with the lab's kernel log command, one quorum poller failing over across
the nodes, a NIC poller for one interface) into a real :class:`Pipeline` with a real
:class:`Recorder`, runs it in the ops namespace's event loop and stops it cleanly. Tests wait
on what was *recorded* (the file), not on what the sources emitted, so a wait that succeeds
also proves the recording has it.

It also mirrors runbook audit entries into the pipeline as ``OperatorAction`` events, as the
runbook screen does for the live console, so a headless runbook run lands in the recording too.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from labconsole.events import Event, OperatorAction, QuorumText
from labconsole.parse.quorum import QuorumParseError, parse_quorum
from labconsole.pipeline import Pipeline
from labconsole.runbook.audit import AuditEntry
from labconsole.sources.backoff import Backoff
from labconsole.sources.kernel_stream import KernelStreamSource
from labconsole.sources.nic_poll import NicPollSource
from labconsole.sources.quorum_poll import QuorumPollSource
from labconsole.sources.recording import Recorder, RecordingError, iter_recording
from labconsole.sources.ssh import SshPool
from tests.lab.labnet import Lab

POLL_SECONDS = 0.2  # how often a wait re-reads the recording


@contextlib.contextmanager
def fresh_kernel_logs(lab: Lab) -> Iterator[None]:
    """Every node's kernel log emptied for the block and put back as it was afterwards.

    The session lab's logs keep what earlier tests wrote (dmesg-style blocks without a wall
    clock, a 1 MB junk line); a recording that starts with ``tail -n +1`` would replay them.
    Restoring keeps later tests' view of the logs unchanged by this one.
    """
    saved = {name: node.kern_log.read_bytes() for name, node in lab.nodes.items()}
    try:
        for node in lab.nodes.values():
            node.kern_log.write_bytes(b"")
        yield
    finally:
        for name, data in saved.items():
            lab.node(name).kern_log.write_bytes(data)


def recorded_votes(events: list[Event]) -> list[int]:
    """Total votes of each recorded quorum text, in order (unparsable texts left out)."""
    out = []
    for e in events:
        if isinstance(e, QuorumText):
            with contextlib.suppress(QuorumParseError):
                out.append(parse_quorum(e.text).total_votes)
    return out


@dataclass
class RecordingSession:
    """Build with :meth:`for_lab`, use as ``async with`` inside ``lab.run_in_ops``."""

    path: Path
    pool: SshPool
    nic: NicPollSource
    pipeline: Pipeline
    _task: asyncio.Task[None] | None = None
    _mirrors: set[asyncio.Task[None]] = field(default_factory=set)

    @classmethod
    def for_lab(cls, lab: Lab, path: Path, *, cluster: str = "lab", nic_node: str = "pve03",
                iface: str = "eno1", quorum_interval: float = 0.3,
                nic_interval: float = 5.0, journal: bool = False) -> RecordingSession:
        """``journal``: the kernel streams run the console's default command on each node's
        real journal (``Lab.journal_command``), from now on (not what earlier tests wrote),
        instead of ``tail -F`` of its kern.log."""
        pool = SshPool([lab.ssh_target(n) for n in lab.nodes],
                       backoff=lambda: Backoff(base=0.2, cap=1.0, jitter=0.2))
        conns = [pool.node(n) for n in lab.nodes]
        now = datetime.now(timezone.utc)
        kernels = [KernelStreamSource(pool.node(n), lab.journal_command(n, since=now)
                                      if journal else lab.kernel_log_command(n),
                                      restart_backoff=Backoff(base=0.2, cap=1.0, jitter=0.2))
                   for n in lab.nodes]
        quorum = QuorumPollSource(conns, cluster=cluster, interval=quorum_interval)
        nic = NicPollSource(pool.node(nic_node), iface, interval=nic_interval)
        pipeline = Pipeline([pool, quorum, *kernels, nic], recorder=Recorder(path))
        return cls(path=path, pool=pool, nic=nic, pipeline=pipeline)

    async def __aenter__(self) -> RecordingSession:
        self._task = asyncio.create_task(self.pipeline.run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop every source (the pipeline closes the recorder), then the SSH connections."""
        if self._mirrors:
            await asyncio.wait(self._mirrors, timeout=timeout)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(self._task, timeout)
            self._task = None
        await asyncio.wait_for(self.pool.close(), timeout)

    # -- what was recorded -------------------------------------------------------------------
    def recorded(self, errors: list[RecordingError] | None = None) -> list[Event]:
        """The events in the recording file now, in file order (none before the first event:
        the recorder creates the file when it writes)."""
        if not self.path.exists():
            return []
        return [r.event for r in iter_recording(self.path, errors)]

    async def wait_recorded(self, predicate: Callable[[list[Event]], bool], timeout: float,
                            what: str) -> list[Event]:
        """Re-read the recording until ``predicate`` holds on its events (bounded rounds)."""
        rounds = max(1, int(timeout / POLL_SECONDS))
        for _ in range(rounds):
            if self._task is not None and self._task.done():
                raise AssertionError(f"pipeline stopped while waiting for {what}: "
                                     f"{self.pipeline.failures}")
            events = self.recorded()
            if predicate(events):
                return events
            await asyncio.sleep(POLL_SECONDS)
        tail = "\n".join(repr(e) for e in self.recorded()[-8:])
        raise AssertionError(f"not recorded after {timeout} s: {what}; last events:\n{tail}")

    # -- runbook steps into the recording ----------------------------------------------------
    def mirror_audit(self, entry: AuditEntry) -> None:
        """``RunbookEngine.on_audit``: the step as an OperatorAction event, as the runbook
        screen records it (``ok`` for pass/done, the audit result otherwise)."""
        at = entry.when if entry.when.tzinfo else entry.when.replace(tzinfo=timezone.utc)
        event = OperatorAction(
            at=at, source="runbook", node=entry.node, runbook=entry.runbook, step=entry.step,
            command=entry.command, status="ok" if entry.result in ("pass", "done")
            else entry.result, output=entry.output, exit_status=entry.exit_status)
        task = asyncio.get_running_loop().create_task(self.pipeline.emit(event))
        self._mirrors.add(task)
        task.add_done_callback(self._mirrors.discard)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
