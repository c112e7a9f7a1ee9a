"""The ``labconsole`` command line: subcommands dispatch to the domain core or the app."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from labconsole import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="labconsole",
        description="Operations console for small Proxmox/corosync clusters.",
    )
    parser.add_argument("--version", action="version", version=f"labconsole {__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    return 0
