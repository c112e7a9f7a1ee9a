"""Drive a program in a detached tmux session as an operator would: send keys, read the screen.

Shared by the e2e tests (demo, runbook) and the live lab test. Every wait is bounded: at most
``polls`` reads of the screen, ``poll_seconds`` apart.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable


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
