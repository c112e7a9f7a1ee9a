"""``labconsole runbook list|validate|show|run``: runbooks from the command line.

``show`` prints the plan: every step's exact command for a node and interface (from
``--iface``, else the node's configured interfaces), every note, and the exact change the
persist step would make: a unified diff against the node's interfaces file when the config
names the node and it answers (read-only ``cat``; ``--offline`` skips it), else the lines it
would add. ``run`` opens the console on the live sources with the runbook screen on top
(``--dry-run``: actions are recorded, never sent).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from labconsole.config import ConfigError, NodeConfig, find_config_path, load_config
from labconsole.runbook.load import RunbookError, load_all, load_file
from labconsole.runbook.model import Runbook
from labconsole.runbook.placeholders import PlaceholderError, RunbookContext, make_context
from labconsole.runbook.session import default_audit_path


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "runbook", help="list, validate, show or run runbooks",
        description="Runbooks are TOML data: the bundled ones plus the config's runbook_dir.")
    sub = parser.add_subparsers(dest="runbook_command", metavar="ACTION", required=True)
    lst = sub.add_parser("list", help="list the runbooks")
    lst.add_argument("--config", metavar="PATH")
    val = sub.add_parser("validate", help="check runbook files; every error names file and key")
    val.add_argument("files", nargs="+", type=Path)
    for name, text in (("show", "print each step's exact command, every note and the "
                                "persist step's change (reads the node's interfaces file)"),
                       ("run", "open the console with the runbook screen")):
        p = sub.add_parser(name, help=text)
        p.add_argument("id")
        p.add_argument("--config", metavar="PATH")
        p.add_argument("--node", required=True)
        p.add_argument("--iface")
        p.add_argument("--since", type=_iso, help="ISO 8601 start of the episode window")
        p.add_argument("--until", type=_iso, help="ISO 8601 end of the episode window")
        p.add_argument("--episode", help="progress key (default: derived from node/iface/"
                       "since); reopening with the same key resumes")
    sub.choices["show"].add_argument("--offline", action="store_true",
                                     help="contact nothing (the persist change as the lines "
                                          "it would add, not a diff)")
    runp = sub.choices["run"]
    runp.add_argument("--dry-run", action="store_true", help="record actions, send none")
    runp.add_argument("--audit", type=Path, default=None,
                      help=f"audit log (default {default_audit_path()})")
    runp.add_argument("--operator", default=None, help="name in the audit log (default: "
                      "the login name)")
    runp.add_argument("--settle", type=float, default=None,
                      help="seconds for every settle step (default: the runbook's)")
    parser.set_defaults(func=run)


def _iso(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from exc
    if when.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a time zone (e.g. +00:00 or Z)")
    return when


def run(args: argparse.Namespace) -> int:
    action = args.runbook_command
    if action == "validate":
        return _validate(args.files)
    try:
        config = _config(getattr(args, "config", None))
    except ConfigError as exc:
        print(f"labconsole: {exc}", file=sys.stderr)
        return 2
    books, errors = load_all(config.runbook_dir if config else None)
    for error in errors:
        print(f"warning: {error}", file=sys.stderr)
    if action == "list":
        for each in books.values():
            print(f"{each.id:<22} {each.title}  [{each.source}]")
        return 0
    book = books.get(args.id)
    if book is None:
        print(f"labconsole: no runbook {args.id!r} (have: {', '.join(books)})",
              file=sys.stderr)
        return 2
    try:
        ctx = _context(args, config)
    except PlaceholderError as exc:
        print(f"labconsole: {exc}", file=sys.stderr)
        return 2
    if action == "show":
        return show(book, ctx, _node_config(args, config), offline=args.offline,
                    iface_given=args.iface is not None)
    if config is None:
        print("labconsole: runbook run needs a configuration (the nodes to reach)",
              file=sys.stderr)
        return 2
    return _run_app(book, ctx, config, args)


def _config(explicit: str | None) -> Any:
    path = find_config_path(explicit, os.environ)
    return load_config(path) if path is not None else None


def _node_config(args: argparse.Namespace, config: Any) -> NodeConfig | None:
    if config is None:
        return None
    return next((n for n in config.nodes if n.name == args.node), None)


def _context(args: argparse.Namespace, config: Any) -> RunbookContext:
    node_cfg = _node_config(args, config)
    cluster = next((c for c in config.clusters if node_cfg in c.nodes), None) if config \
        else None
    peers = [n.name for n in cluster.nodes] if cluster else []
    since = args.since
    episode = args.episode or "-".join(
        p for p in (args.node, args.iface, since.strftime("%Y%m%dT%H%M%S") if since else "")
        if p)
    iface = args.iface or (node_cfg.interfaces[0] if node_cfg and node_cfg.interfaces
                           else None)
    return make_context(
        args.node, iface=iface, peers=peers, since=since, until=args.until,
        kernel_log_command=node_cfg.kernel_log_command if node_cfg else None,
        bridge=node_cfg.bridge if node_cfg else None, episode=episode)


def _validate(files: list[Path]) -> int:
    bad = 0
    for path in files:
        try:
            book = load_file(path)
        except RunbookError as exc:
            print(exc)
            bad += 1
            continue
        print(f"OK: {path}: {book.id}, {len(book.steps)} steps")
    return 1 if bad else 0


def show(book: Runbook, ctx: RunbookContext, node: NodeConfig | None, *,
         offline: bool = False, iface_given: bool = True) -> int:
    """The plan: every step, its exact command, every note, the persist step's change."""
    from labconsole.commands.runbook_plan import print_plan

    print_plan(book, ctx, node, offline=offline, iface_given=iface_given)
    return 0


def _run_app(book: Runbook, ctx: RunbookContext, config: Any, args: argparse.Namespace
             ) -> int:
    # The console (Textual) is loaded by name, as cli.py loads a command: this module stays
    # in the core, which the import-linter contract and tests/unit/test_core_purity.py check.
    ui = importlib.import_module("labconsole.commands.runbook_app")
    result: int = ui.run_app(book, ctx, config, args)
    return result
