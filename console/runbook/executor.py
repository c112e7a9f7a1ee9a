"""Running a runbook's commands on a node: over the shared SSH connection, or locally (tests).

Both executors run one command line (already validated and quoted, see placeholders.py) through
the node's shell and return its output decoded with ``surrogateescape``, so the bytes of a file
read with ``cat`` survive the round trip and can be written back unchanged.

Detached execution is for the network reload: ``ifdown vmbr0`` drops the address the SSH
session runs over, so the command is started in its own session (``setsid nohup``) with its
output and exit status written to files on the node; the executor then reconnects (the SSH
layer's supervisor does, with backoff) and polls for the status file.
"""

from __future__ import annotations

import asyncio
import re
import shlex
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from labconsole.sources.ssh import TRANSIENT_ERRORS, NodeConnection, SshError, describe_error

DETACHED_DIR = "/run/labconsole"
_TAG = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
Sleep = Callable[[float], Awaitable[None]]
_NET_ERRORS: tuple[type[BaseException], ...] = (*TRANSIENT_ERRORS, SshError)


class ExecutorError(RuntimeError):
    """The node could not be reached, or a detached command never reported back."""


@dataclass(frozen=True, slots=True)
class RunResult:
    stdout: str
    stderr: str
    exit_status: int | None

    @property
    def output(self) -> str:
        """stdout and stderr together, as the operator would see them."""
        if self.stderr and self.stdout:
            return self.stdout.rstrip("\n") + "\n" + self.stderr
        return self.stdout or self.stderr


class Executor(Protocol):
    async def run(self, node: str, command: str, *, input: str | None = None,
                  timeout: float = 30.0) -> RunResult: ...

    async def wait_reachable(self, node: str, timeout: float) -> None: ...


class SshExecutor:
    """Commands over the console's own SSH connections (host keys verified there)."""

    def __init__(self, nodes: Mapping[str, NodeConnection], *, connect_wait: float = 15.0
                 ) -> None:
        self.nodes = nodes
        self.connect_wait = connect_wait

    def _node(self, node: str) -> NodeConnection:
        try:
            return self.nodes[node]
        except KeyError:
            raise ExecutorError(f"no SSH connection configured for node {node!r}") from None

    async def run(self, node: str, command: str, *, input: str | None = None,
                  timeout: float = 30.0) -> RunResult:
        conn = self._node(node)
        try:
            ssh = await conn.connection(self.connect_wait)
            res = await asyncio.wait_for(
                ssh.run(command, input=input, check=False, encoding="utf-8",
                        errors="surrogateescape"), timeout)
        except _NET_ERRORS as exc:
            raise ExecutorError(f"{node}: cannot run {command!r}: {describe_error(exc)}"
                                ) from exc
        return RunResult(_text(res.stdout), _text(res.stderr), res.exit_status)

    async def wait_reachable(self, node: str, timeout: float) -> None:
        try:
            await self._node(node).connection(timeout)
        except _NET_ERRORS as exc:
            raise ExecutorError(f"{node}: not reachable after {timeout:g} s: "
                                f"{describe_error(exc)}") from exc


class LocalExecutor:
    """Runs ``[*prefix[node], "sh", "-c", command]`` on this machine: for tests, and for the
    lab, where the prefix enters the node's namespaces (``nsenter -t PID -m -n --``)."""

    def __init__(self, prefix: Mapping[str, Sequence[str]] | None = None,
                 env: Mapping[str, str] | None = None) -> None:
        self.prefix = prefix or {}
        self.env = dict(env) if env is not None else None

    async def run(self, node: str, command: str, *, input: str | None = None,
                  timeout: float = 30.0) -> RunResult:
        argv = [*self.prefix.get(node, ()), "sh", "-c", command]
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=self.env)
        data = input.encode("utf-8", "surrogateescape") if input is not None else b""
        try:
            out, err = await asyncio.wait_for(proc.communicate(data), timeout)
        except TimeoutError as exc:
            proc.kill()
            await proc.wait()
            raise ExecutorError(f"{node}: {command!r} timed out after {timeout:g} s") from exc
        return RunResult(out.decode("utf-8", "surrogateescape"),
                         err.decode("utf-8", "surrogateescape"), proc.returncode)

    async def wait_reachable(self, node: str, timeout: float) -> None:
        return None


def detached_start_command(command: str, tag: str, *, delay: float = 1.0,
                           directory: str = DETACHED_DIR) -> str:
    """Start ``command`` in a new session, immune to the SSH session ending; its output goes
    to ``DETACHED_DIR/TAG.out`` and its exit status, once it is known, to ``TAG.rc``
    (renamed into place so a reader never sees a half-written status)."""
    if not _TAG.fullmatch(tag):
        raise ExecutorError(f"invalid detached job tag {tag!r}")
    base = f"{directory}/{tag}"
    inner = (f"sleep {delay:g}; ( {command} ) > {shlex.quote(base + '.out')} 2>&1; "
             f"echo $? > {shlex.quote(base + '.rc.tmp')}; "
             f"mv -f {shlex.quote(base + '.rc.tmp')} {shlex.quote(base + '.rc')}")
    return (f"mkdir -p {shlex.quote(directory)} && rm -f {shlex.quote(base + '.rc')} && "
            f"setsid nohup sh -c {shlex.quote(inner)} < /dev/null > /dev/null 2>&1 & "
            "echo started")


def detached_poll_command(tag: str, directory: str = DETACHED_DIR) -> str:
    base = f"{directory}/{tag}"
    return (f"if [ -f {shlex.quote(base + '.rc')} ]; then echo \"rc=$(cat "
            f"{shlex.quote(base + '.rc')})\"; cat {shlex.quote(base + '.out')} 2>/dev/null; "
            "else echo pending; fi")


async def run_detached(executor: Executor, node: str, command: str, tag: str, *,
                       timeout: float = 90.0, poll: float = 0.5,
                       sleep: Sleep = asyncio.sleep, directory: str = DETACHED_DIR,
                       delay: float = 1.0) -> RunResult:
    """Start ``command`` detached on the node, then poll (reconnecting as needed) until it
    reports its exit status; ExecutorError when it does not within ``timeout`` seconds
    (counted in poll rounds, so no clock read)."""
    started = await executor.run(node, detached_start_command(command, tag, delay=delay,
                                                                directory=directory),
                                 timeout=15)
    if started.exit_status != 0 or "started" not in started.stdout:
        return RunResult(started.stdout, started.stderr or "could not start the detached job",
                         started.exit_status)
    rounds = max(1, int(timeout / poll))
    last_error = ""
    for _ in range(rounds):
        await sleep(poll)
        try:
            res = await executor.run(node, detached_poll_command(tag, directory), timeout=10)
        except ExecutorError as exc:  # the reload cut the session: keep polling
            last_error = str(exc)
            continue
        first, _, rest = res.stdout.partition("\n")
        if first.startswith("rc="):
            status = first[3:].strip()
            return RunResult(rest, "", int(status) if status.isdigit() else None)
    raise ExecutorError(f"{node}: detached job {tag} did not report within {timeout:g} s"
                        + (f" (last error: {last_error})" if last_error else ""))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return str(value)
