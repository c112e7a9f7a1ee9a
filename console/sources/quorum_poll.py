"""Every node's own view of the votes: ``corosync-quorumtool -s`` polled on each node.

Each node is asked over its own SSH connection (one channel per poll, a few ms), in a loop of
its own, every ``interval`` (0.25 s by default: each node's view on screen p90 0.28 s, max
0.39 s behind its own quorumtool in the lab, against p90 0.49 s, max 0.64 s at 0.5 s; bench
``votes-screen``). Every node, because during a partition each node is right about what *it*
sees and the views disagree: one node's answer is not the cluster's. Monitor mode
(``corosync-quorumtool -m``) was tried in the lab (corosync 3.1.7): with its output on a pipe,
as over SSH without a pty, it printed nothing through a link down/up cycle (stdio buffering;
under ``stdbuf -oL`` it does print one block per change, a way to drop the poll's lag),
so polling it is.

Per node: a QuorumText when its answer changes (the ``Date:`` line changes every second and
carries no state, so it is ignored in that comparison; the text is sent whole); a
QuorumUnreadable with the reason when it cannot be read (SSH down, corosync not answering),
once per change of reason; and a Heartbeat every ``heartbeat`` seconds while the answer holds,
so the console can tell a node that stopped answering from one whose view did not change.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from labconsole.clock import Clock, system_clock
from labconsole.events import Heartbeat, QuorumText, QuorumUnreadable
from labconsole.sources.base import Emit
from labconsole.sources.ssh import NodeConnection, SshError

DEFAULT_COMMAND = "corosync-quorumtool -s"
PACE = 3.0  # a node is asked again after at least PACE x its last answer's round trip
_DATE_LINE = re.compile(r"^Date:.*$", re.M)
# Output of a node whose corosync answered (as opposed to an error message).
_ANSWER = re.compile(r"^Quorum information|^Quorate:|^Votequorum information", re.M)


def state_key(text: str) -> str:
    """The part of the output that carries state (everything but the ``Date:`` line)."""
    return _DATE_LINE.sub("", text).strip()


def is_answer(text: str) -> bool:
    return bool(_ANSWER.search(text))


@dataclass
class QuorumPollSource:
    """Polls every node's quorum view."""

    conns: Sequence[NodeConnection]
    cluster: str | None = None
    command: str = DEFAULT_COMMAND
    interval: float = 0.25
    command_timeout: float = 3.0
    heartbeat: float = 5.0
    clock: Clock = system_clock
    current: int = 0
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.conns:
            raise ValueError("quorum source needs at least one node")
        self.name = f"quorum:{self.cluster or 'cluster'}"
        self._last: dict[str, tuple[str, str]] = {}  # node -> ("ok", state) | ("err", reason)
        self._beat: dict[str, datetime] = {}

    async def run(self, emit: Emit) -> None:
        await asyncio.gather(*(self._node_loop(conn, emit) for conn in self.conns))

    async def _node_loop(self, conn: NodeConnection, emit: Emit) -> None:
        """One node's polls, on their own: a slow node never delays the others' views, and
        it is asked again only after ``PACE`` times its last answer took (a link that is slow
        is not filled with status polls: the lab's 32 kbit/s node starved its log stream)."""
        while True:
            start = time.monotonic()
            text, reason = await self._read(conn)
            await self._report(emit, conn.node, text, reason)
            await asyncio.sleep(max(self.interval, PACE * (time.monotonic() - start)))

    async def poll_all(self, emit: Emit) -> None:
        """Ask every node at once; report each node's answer (or why there is none)."""
        answers = await asyncio.gather(*(self._read(c) for c in self.conns))
        for conn, (text, reason) in zip(self.conns, answers, strict=True):
            await self._report(emit, conn.node, text, reason)

    async def _read(self, conn: NodeConnection) -> tuple[str | None, str]:
        # a node that is not connected is reported at once rather than waited for
        wait = self.command_timeout if conn.state == "connected" else 0.0
        try:
            res = await conn.run(self.command, timeout=self.command_timeout, wait=wait)
        except SshError as exc:
            self._note(f"{conn.node}: {exc}")
            return None, f"ssh: {exc}"
        if is_answer(res.stdout):
            return res.stdout, ""
        reason = (f"no quorum answer (exit {res.exit_status}): "
                  f"{(res.stderr or res.stdout).strip()[:200]}")
        self._note(f"{conn.node}: {reason}")
        return None, reason

    async def _report(self, emit: Emit, node: str, text: str | None, reason: str) -> None:
        now = self.clock()
        last = self._last.get(node)
        if text is None:
            if last != ("err", reason):
                self._last[node] = ("err", reason)
                await emit(QuorumUnreadable(at=now, source=self.name, node=node, reason=reason,
                                            cluster=self.cluster))
            return
        key = ("ok", state_key(text))
        if key != last:
            self._last[node] = key
            self._beat[node] = now
            await emit(QuorumText(at=now, source=self.name, node=node, text=text,
                                  cluster=self.cluster))
        elif (now - self._beat[node]).total_seconds() >= self.heartbeat:
            self._beat[node] = now
            await emit(Heartbeat(at=now, source=self.name, node=node, every=self.heartbeat))

    async def poll_once(self) -> tuple[str, str] | None:
        """One answer from any node (the current one first, then each other one): for
        callers that need one reading, not the views (the scale benchmark)."""
        n = len(self.conns)
        order = [(self.current + i) % n for i in range(n)]
        order.sort(key=lambda i: self.conns[i].state != "connected")
        for i in order:
            text, _ = await self._read(self.conns[i])
            if text is not None:
                self.current = i
                return self.conns[i].node, text
        return None

    def _note(self, message: str) -> None:
        self.errors.append(message)
        del self.errors[:-50]  # bounded: the latest reasons are what matter
