"""A node's kernel log as a stream of KernelText events, over the node's shared SSH connection.

The command is configurable per node; how a dropped stream resumes depends on the command
(each strategy below is a small pure class, unit tested without SSH):

- ``journalctl ... -o json`` (the default; started with ``--since=-10min`` unless the command
  sets its own start): every line carries ``__CURSOR``; on restart the
  ``--since``/``--lines`` options are replaced by ``--after-cursor=<last cursor> --no-tail``:
  the journal itself guarantees no duplicate and no gap. Lines are emitted as received
  (JSON); the domain core reads journal JSON.
- ``dmesg -w`` (fallback where there is no journal: journalctl missing or "No journal files",
  found by a probe before the first start, or by the stream's own error):
  a restart replays the ring buffer, so lines are dropped up to the last ``[seconds]`` stamp
  seen (counting lines that share that stamp). Lines that left the ring meanwhile are lost:
  the ring is all there is.
- ``tail -n +K -F FILE`` (the lab): the absolute start line K is known, so a restart asks for
  ``-n +(K + lines seen)``: no duplicate, no gap (as long as the file is not rotated while the
  connection is down). A ``tail`` without ``+K`` has no absolute position to resume from: it
  is restarted as configured, like any other command.
- anything else: restarted as configured; no resume guarantee (may repeat or miss lines).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncssh

from labconsole.clock import Clock, system_clock
from labconsole.events import ConnectionChange, KernelText
from labconsole.parse.line_limit import DEFAULT_MAX_LINE, LineSplitter
from labconsole.sources.backoff import Backoff
from labconsole.sources.base import Emit, emit_all
from labconsole.sources.remote_command import join, split_configured
from labconsole.sources.ssh import TRANSIENT_ERRORS, NodeConnection, SshError, describe_exit

DEFAULT_COMMAND = "journalctl -k -f -o json"
# First start of a journal stream without its own starting point: the last 10 minutes, enough
# to show a hang that began just before the console started, without replaying the boot.
JOURNAL_SINCE = "--since=-10min"
FALLBACK_COMMAND = "dmesg -w"
READ_CHUNK = 65536
MAX_STDERR = 65536  # only the start of stderr is kept (it explains a failed start)
# ``journalctl -f`` on a node without journal files waits silently forever, so the journal is
# probed once before streaming; this prints "No journal files were found." in that case.
JOURNAL_PROBE = "journalctl --header 2>&1 | head -n 3"
_DMESG_STAMP = re.compile(r"^\[\s*(\d+\.\d+)\]")
# Signs that the node has no usable journal (then the dmesg fallback is used).
_NO_JOURNAL = re.compile(r"No journal files|command not found|not found|No such file",
                         re.IGNORECASE)


class ResumeStrategy:
    """Restart command and line filter for one kind of kernel log command."""

    kind = "plain"

    def __init__(self, argv: Sequence[str]) -> None:
        self.argv = list(argv)
        self.seen = 0

    def command(self) -> str:
        """The command line to (re)start the stream with, resuming after what was seen."""
        return join(self.argv)

    def accept(self, line: str) -> bool:
        """Whether a received line is new (True) or a replay of one already emitted."""
        self.seen += 1
        return True

    def restarted(self) -> None:
        """Called before each restart after the first start."""


class TailResume(ResumeStrategy):
    """``tail -n +K -F FILE``: resume at absolute line ``K + seen``."""

    kind = "tail"

    def __init__(self, argv: Sequence[str]) -> None:
        super().__init__(argv)
        self.start, self._n_index = _tail_start(self.argv)

    def command(self) -> str:
        if self.start is None or self._n_index is None:
            return join(self.argv)
        argv = list(self.argv)
        argv[self._n_index] = f"+{self.start + self.seen}"
        return join(argv)


def _tail_start(argv: list[str]) -> tuple[int | None, int | None]:
    for i, arg in enumerate(argv[:-1]):
        if arg in ("-n", "--lines") and argv[i + 1].startswith("+"):
            value = argv[i + 1][1:]
            if value.isdigit():
                return max(int(value), 1), i + 1
    return None, None


class JournalResume(ResumeStrategy):
    """``journalctl -o json -f``: resume with ``--after-cursor`` of the last line seen, and
    ``--no-tail``: ``-f`` implies ``--lines=10`` and, with ``--after-cursor`` (unlike with
    ``--since``), journalctl applies it, printing only the last 10 entries written since the
    cursor (measured with systemd 252 on a real journal: tests/lab/test_journal_lab.py), so
    a reconnect after 30 new lines lost 20 of them."""

    kind = "journal"
    _DROP_ON_RESUME = ("--since", "-S", "--lines", "-n", "--boot", "-b", "--cursor",
                       "--after-cursor", "-e", "--pager-end", "--no-tail")

    def __init__(self, argv: Sequence[str]) -> None:
        if not any(a.split("=", 1)[0] in self._DROP_ON_RESUME for a in argv):
            argv = [*argv, JOURNAL_SINCE]
        super().__init__(argv)
        self.cursor: str | None = None

    def command(self) -> str:
        if self.cursor is None:
            return join(self.argv)
        return join([*_drop_options(self.argv, self._DROP_ON_RESUME),
                     f"--after-cursor={self.cursor}", "--no-tail"])

    def accept(self, line: str) -> bool:
        self.seen += 1
        with contextlib.suppress(ValueError, RecursionError):  # deep nesting: RecursionError
            data = json.loads(line)
            if isinstance(data, dict) and isinstance(data.get("__CURSOR"), str):
                self.cursor = data["__CURSOR"]
        return True


def _drop_options(argv: Sequence[str], names: Sequence[str]) -> list[str]:
    """Remove options (``--x=v``, ``--x v``, ``-x v``) from argv; flags in names take values
    except ``-e``/``--pager-end``/``--no-tail``."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if name in names:
            skip = "=" not in arg and name not in ("-e", "--pager-end", "--no-tail")
            continue
        out.append(arg)
    return out


class DmesgResume(ResumeStrategy):
    """``dmesg -w``: a restart replays the ring; skip up to the last stamp seen."""

    kind = "dmesg"

    def __init__(self, argv: Sequence[str]) -> None:
        super().__init__(argv)
        self.last: float | None = None
        self.at_last = 0  # lines emitted carrying stamp == last
        self._skip_same = 0  # on replay: lines with stamp == last still to drop
        self._dropping = False

    def restarted(self) -> None:
        self._skip_same = self.at_last

    def accept(self, line: str) -> bool:
        m = _DMESG_STAMP.match(line)
        if m is None:  # a continuation line shares the fate of its stamped line
            return not self._dropping
        stamp = float(m.group(1))
        last = self.last
        replayed = last is not None and (stamp < last or (stamp == last and self._skip_same))
        self._dropping = bool(replayed)
        if replayed:
            if stamp == last:
                self._skip_same -= 1
            return False
        self._skip_same = 0
        if stamp == last:
            self.at_last += 1
        else:
            self.last, self.at_last = stamp, 1
        self.seen += 1
        return True


def _journal_output(argv: Sequence[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg in ("-o", "--output") and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--output="):
            return arg.split("=", 1)[1]
        if arg.startswith("-o") and len(arg) > 2:
            return arg[2:]
    return None


def strategy_for(command: str) -> ResumeStrategy:
    """Pick the resume strategy from the configured command (see the module doc)."""
    argv = split_configured(command)
    prog = argv[0].rsplit("/", 1)[-1]
    if prog == "journalctl" and _journal_output(argv) == "json":
        return JournalResume(argv)
    if prog == "dmesg":
        return DmesgResume(argv)
    if prog == "tail":
        return TailResume(argv)
    return ResumeStrategy(argv)


@dataclass
class KernelStreamSource:
    """Streams one node's kernel log; survives reconnects (see the module doc)."""

    conn: NodeConnection
    command: str = DEFAULT_COMMAND
    fallback: str | None = FALLBACK_COMMAND
    clock: Clock = system_clock
    restart_backoff: Backoff = field(default_factory=lambda: Backoff(base=0.5, cap=30))
    strategy: ResumeStrategy = field(init=False)
    errors: list[str] = field(default_factory=list)
    starts: int = 0
    max_line: int = DEFAULT_MAX_LINE  # longer lines are cut and marked (LineSplitter)
    truncated: int = 0  # lines cut so far
    failed: bool = False  # the last run ended without a line (reported as failed)

    def __post_init__(self) -> None:
        self.strategy = strategy_for(self.command)
        self.name = f"kernel:{self.conn.node}"

    async def run(self, emit: Emit) -> None:
        while not self.conn.closed:
            try:
                conn = await self.conn.connection()
            except SshError:
                return  # closed: the pool is shutting down
            if not self.starts and await self._journal_missing():
                self._fall_back("no journal on the node")
            if self.starts:
                self.strategy.restarted()
            self.starts += 1
            got, status, stderr = await self._stream_once(conn, emit)
            if self._should_fall_back(got, status, stderr):
                self._fall_back(stderr.strip()[:200])
                self.starts = 0
                continue
            if got:
                self.restart_backoff.reset()
            delay = self.restart_backoff.next_delay()
            await self._report(emit, got, status, stderr, delay)
            await asyncio.sleep(delay)

    async def _report(self, emit: Emit, got: int, status: int | None, stderr: str,
                      delay: float) -> None:
        """A command that ends without a line (not found, refused by the node) is shown as
        this source failing, in words; its next line shows it connected again."""
        if got == 0 and status not in (None, 0):
            self.failed = True
            await emit(ConnectionChange(
                at=self.clock(), source=self.name, node=self.conn.node, state="failed",
                detail=describe_exit(self.strategy.command(), status, stderr), retry_in=delay))

    async def _stream_once(self, conn: asyncssh.SSHClientConnection,
                           emit: Emit) -> tuple[int, int | None, str]:
        """Run the command until it ends or the connection drops; returns lines, status."""
        got = 0
        splitter = LineSplitter(self.max_line)
        try:
            async with conn.create_process(self.strategy.command(), encoding="utf-8",
                                           errors="replace") as proc:
                while chunk := await proc.stdout.read(READ_CHUNK):
                    got += await self._emit_lines(self._split(splitter, chunk), emit)
                got += await self._emit_lines(splitter.close(), emit)
                stderr = await asyncio.wait_for(proc.stderr.read(MAX_STDERR), 2)
                await asyncio.wait_for(proc.wait(), 2)
                return got, proc.exit_status, stderr
        except TRANSIENT_ERRORS as exc:
            return got, None, str(exc)

    def _split(self, splitter: LineSplitter, chunk: str) -> list[str]:
        cut_before = splitter.truncated
        lines = splitter.feed(chunk)
        self.truncated += splitter.truncated - cut_before  # counted live, not at stream end
        return lines

    async def _emit_lines(self, lines: list[str], emit: Emit) -> int:
        if lines and self.failed:  # streaming again after a reported failure
            self.failed = False
            await emit(ConnectionChange(at=self.clock(), source=self.name,
                                        node=self.conn.node, state="connected"))
        # The lines of one read arrived together: one time, handed on in one batch.
        at = self.clock()
        accept = self.strategy.accept
        events = [KernelText(at=at, source=self.name, node=self.conn.node, text=line)
                  for line in lines if accept(line)]
        await emit_all(emit, events)
        return len(events)

    async def _journal_missing(self) -> bool:
        if self.strategy.kind != "journal" or self.fallback is None:
            return False
        try:
            res = await self.conn.run(JOURNAL_PROBE, timeout=10)
        except SshError:
            return False  # unreachable: the stream attempt will say more
        return bool(_NO_JOURNAL.search(res.stdout + res.stderr))

    def _fall_back(self, reason: str) -> None:
        self.errors.append(f"{self.strategy.command()!r}: {reason}; "
                           f"falling back to {self.fallback!r}")
        self.strategy = strategy_for(self.fallback or "")
        self.fallback = None

    def _should_fall_back(self, got: int, status: int | None, stderr: str) -> bool:
        return (self.fallback is not None and got == 0 and status not in (None, 0)
                and self.strategy.kind == "journal" and bool(_NO_JOURNAL.search(stderr)))
