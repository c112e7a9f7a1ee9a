"""The ``labconsole`` command line: subcommands dispatch to the domain core or the app.

Each subcommand lives in ``labconsole.commands.<name>`` and exposes ``register(subparsers)``
(which sets ``func``) and ``run(args) -> int``. Modules are imported lazily by name so that
``labconsole scan`` never pays for importing Textual.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from labconsole import __version__

# Subcommand modules under labconsole.commands, in the order shown by --help.
COMMANDS: tuple[str, ...] = ("run", "replay", "scan", "check", "report")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="labconsole",
        description="Operations console for small Proxmox/corosync clusters.",
    )
    parser.add_argument("--version", action="version", version=f"labconsole {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"labconsole.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        # ``labconsole`` alone is ``labconsole run`` (the demo when there is no config).
        args = parser.parse_args(["run", *(argv if argv is not None else sys.argv[1:])])
    result: int = args.func(args)
    return result
