"""Drive a program in a detached tmux session as an operator would: send keys, read the screen.

Shared by the e2e tests (demo, runbook) and the live lab test. Every wait is bounded: at most
``polls`` reads of the screen, ``poll_seconds`` apart.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence


class TmuxSession:
    """One tmux server on a private socket (``tmux -L``) with one window named ``target``."""

    def __init__(self, socket: str, target: str = "lc", *, polls: int = 240,
                 poll_seconds: float = 0.25) -> None:
        self.socket = socket
        self.target = target
        self.polls = polls
        self.poll_seconds = poll_seconds

    def run(self, *args: str) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                             text=True, timeout=20, check=False)
        return out.stdout

    def screen(self, colours: bool = False) -> str:
        return self.run("capture-pane", "-p", *(["-e"] if colours else []), "-t", self.target)

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.target, *keys)

    def wait_for(self, check: Callable[[str], bool], what: str, colours: bool = False) -> str:
        """The first screen ``check`` accepts; AssertionError with the last screen otherwise."""
        screen = ""
        for _ in range(self.polls):
            screen = self.screen(colours)
            if check(screen):
                return screen
            time.sleep(self.poll_seconds)
        raise AssertionError(f"timed out waiting for {what}; screen was:\n{screen}")


EXIT_MARK = "LABCONSOLE_EXIT="  # printed after labconsole exits: ``LABCONSOLE_EXIT=<status>``


@contextlib.contextmanager
def labconsole_in_tmux(args: Sequence[str], *, width: int, height: int,
                       env: Mapping[str, str | None] | None = None,
                       netns: str | None = None, program: Sequence[str] | None = None,
                       polls: int = 240, poll_seconds: float = 0.25,
                       name: str = "labconsole-e2e", window: str | None = None,
                       exit_mark: bool = True) -> Iterator[TmuxSession]:
    """``labconsole ARGS`` in a detached tmux session of ``width`` x ``height`` on a private
    server (killed afterwards, whatever happened), as an operator would run it.

    ``env``: changes to this process's environment (None removes a variable); TERM is
    xterm-256color. ``netns``: start the tmux server inside that network namespace (the
    pane's shell and labconsole inherit it). ``program``: the labconsole command (default:
    this interpreter's ``-m labconsole``). ``window``: its name (the session's target is then
    that window). After labconsole exits the pane prints ``LABCONSOLE_EXIT=<status>``
    (unless not ``exit_mark``) and stays a minute, so the exit can be read."""
    t = TmuxSession(f"{name}-{os.getpid()}-{uuid.uuid4().hex[:8]}",
                    target=f"lc:{window}" if window else "lc", polls=polls,
                    poll_seconds=poll_seconds)
    argv = [*(program or (sys.executable, "-m", "labconsole")), *args]
    command = shlex.join(argv) + (f"; echo {EXIT_MARK}$?" if exit_mark else "") + "; sleep 60"
    environment = {**os.environ, "TERM": "xterm-256color"}
    for key, value in (env or {}).items():
        if value is None:
            environment.pop(key, None)
        else:
            environment[key] = value
    prefix = ["ip", "netns", "exec", netns] if netns else []
    named = ["-n", window] if window else []
    subprocess.run([*prefix, "tmux", "-L", t.socket, "-f", os.devnull, "new-session", "-d",
                    "-s", "lc", *named, "-x", str(width), "-y", str(height), "sh", "-c",
                    command], check=True, timeout=20, env=environment)
    try:
        yield t
    finally:
        t.run("kill-server")
