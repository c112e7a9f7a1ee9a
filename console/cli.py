"""The ``labconsole`` command line: subcommands dispatch to the domain core or the app.

Each subcommand lives in ``labconsole.commands.<name>`` and exposes ``register(subparsers)``
(which sets ``func``) and ``run(args) -> int``. Only the module of the command being run is
imported (all of them only for ``--help``), so ``labconsole scan`` never pays for Textual or
asyncssh and the console's first frame is not delayed by commands it does not use.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from labconsole import __version__, gc_pause
from labconsole.sanitize import visible

# Commands that start the console: the garbage collector is paused until its first frame.
CONSOLE_COMMANDS = frozenset({"run", "replay"})

# Subcommand modules under labconsole.commands, in the order shown by --help.
COMMANDS: tuple[str, ...] = ("run", "replay", "scan", "check", "report", "serve", "runbook",
                             "watch", "completion")


class OneLineParser(argparse.ArgumentParser):
    """A usage error is one line on stderr and exit 2 (argparse prints the whole usage
    first, which buries the error; ``--help`` still shows it)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, visible(f"{self.prog}: {message} (see {self.prog} --help)") + "\n")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser with every subcommand, or with just ``only`` when that is a command name."""
    parser = OneLineParser(
        prog="labconsole",
        description="Operations console for small Proxmox/corosync clusters.",
    )
    parser.add_argument("--version", action="version", version=f"labconsole {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    if only == "--version":
        return parser  # answers before any subcommand is needed
    for name in (only,) if only in COMMANDS else COMMANDS:
        importlib.import_module(f"labconsole.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if not words or (words[0].startswith("-") and words[0] not in ("-h", "--help", "--version")):
        # ``labconsole`` alone, or with run's options (``labconsole --speed 0``), is
        # ``labconsole run`` (the demo when there is no config).
        words = ["run", *words]
    if words[0] in CONSOLE_COMMANDS:
        gc_pause.pause()  # resumed after the first frame (labconsole.gc_pause)
    try:
        parser = build_parser(words[0])
        if any("\0" in word for word in words):  # no path or value holds one
            parser.error("an argument contains a NUL character")
        args = parser.parse_args(words)
        result: int = args.func(args)
    finally:
        gc_pause.resume()
    return result
