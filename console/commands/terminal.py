"""The full-screen console needs a terminal; without one, say what to use instead."""

from __future__ import annotations

import os
import sys

NO_TERMINAL = ("labconsole: the console needs a terminal (stdin and stdout are not a TTY); "
               "for text output use `labconsole scan FILE...` or `labconsole report`")


def refuse_without_terminal() -> bool:
    """Print the one-line reason and return True when stdin or stdout is not a terminal
    (piped, redirected, cron): the app would otherwise draw escape codes into the pipe."""
    if os.environ.get("TEXTUAL_DRIVER"):  # textual-serve: the browser is the terminal
        return False
    if sys.stdin.isatty() and sys.stdout.isatty():
        return False
    print(NO_TERMINAL, file=sys.stderr)
    return True
