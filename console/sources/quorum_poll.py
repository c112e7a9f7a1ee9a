"""Cluster votes: ``corosync-quorumtool -s`` (or ``pvecm status``) polled from any reachable node.

Polling over the node's existing SSH connection costs one channel per poll (a few ms), so the
default interval of 0.5 s keeps a vote change within 1 s of corosync reporting it. Monitor
mode (``corosync-quorumtool -m``) was tried in the lab (corosync 3.1.7): with its output on a
pipe, as over SSH without a pty, it printed nothing through a link down/up cycle (stdio
buffering), so polling it is; polling also notices a node that stops answering. When the node
asked is unreachable or its corosync does not answer, the next node in the list is asked
(fail over), and the source remembers which node answered.

A QuorumText is emitted when the answer changes. The ``Date:`` line changes every second
and carries no state, so it is ignored in that comparison (the text itself is sent whole).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from labconsole.clock import Clock, system_clock
from labconsole.events import QuorumText
from labconsole.sources.base import Emit
from labconsole.sources.ssh import NodeConnection, SshError

DEFAULT_COMMAND = "corosync-quorumtool -s"
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
    """Polls the cluster's quorum status, failing over between nodes."""

    conns: Sequence[NodeConnection]
    cluster: str | None = None
    command: str = DEFAULT_COMMAND
    interval: float = 0.5
    command_timeout: float = 3.0
    clock: Clock = system_clock
    current: int = 0
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.conns:
            raise ValueError("quorum source needs at least one node")
        self.name = f"quorum:{self.cluster or 'cluster'}"
        self._last: tuple[str, str] | None = None

    async def run(self, emit: Emit) -> None:
        while True:
            answer = await self.poll_once()
            if answer is not None:
                node, text = answer
                key = (node, state_key(text))
                if key != self._last:
                    self._last = key
                    await emit(QuorumText(at=self.clock(), source=self.name, node=node,
                                          text=text, cluster=self.cluster))
            await asyncio.sleep(self.interval)

    async def poll_once(self) -> tuple[str, str] | None:
        """Ask the current node, then each other one; the first real answer wins."""
        n = len(self.conns)
        # Connected nodes first (in rotation order), so a dead node costs no wait.
        order = [(self.current + i) % n for i in range(n)]
        order.sort(key=lambda i: self.conns[i].state != "connected")
        for i in order:
            conn = self.conns[i]
            # a node that is not connected is skipped at once rather than waited for
            wait = self.command_timeout if conn.state == "connected" else 0.0
            try:
                res = await conn.run(self.command, timeout=self.command_timeout, wait=wait)
            except SshError as exc:
                self._note(f"{conn.node}: {exc}")
                continue
            if is_answer(res.stdout):
                self.current = i
                return conn.node, res.stdout
            self._note(f"{conn.node}: no quorum answer (exit {res.exit_status}): "
                       f"{(res.stderr or res.stdout).strip()[:200]}")
        return None

    def _note(self, message: str) -> None:
        self.errors.append(message)
        del self.errors[:-50]  # bounded: the latest reasons are what matter
