"""``labconsole check [--config PATH] [--connect]``: will this configuration work?

Three passes, each only when the previous one leaves something to check: the file itself
(every problem as ``<file>: <key>: <problem>``), then what can be verified on this machine,
then with ``--connect`` every node and API as the console would reach them. Problems of the
last two are ``<node>: <what>: <problem>: <how to fix>``. Exit codes as ``scan``: 0 when
nothing is wrong, 2 when something is.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

from labconsole.config import ConfigError, describe_search, find_config_path, load_config

EXIT_OK = 0
EXIT_PROBLEMS = 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check the configuration (and with --connect, every node)",
        description="Check the configuration file, then offline what it refers to (key "
        "files and their permissions, known_hosts entries, token variables, directories, "
        "runbooks); with --connect also every node over SSH (host key, login, every command "
        "the console and the runbooks need, corosync answering) and each Proxmox API token. "
        "Prints 'OK: ...' (exit 0) or one line per problem (exit 2): "
        "'<file>: <key>: <problem>' for the file, '<node>: <what>: <problem>: <fix>' else.")
    parser.add_argument("--config", metavar="PATH", help="the config file (default: "
                        "$LABCONSOLE_CONFIG, then config.toml in the user config dir)")
    parser.add_argument("--connect", action="store_true",
                        help="also contact every node and API (read-only commands)")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                        help="per connection and command with --connect (default 10)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from labconsole.preflight.offline import check_offline

    explicit: str | None = getattr(args, "config", None)
    path = find_config_path(explicit, os.environ)
    if path is None:
        print("no configuration found; looked at:", file=sys.stderr)
        for line in describe_search(explicit, os.environ):
            print(f"  {line}", file=sys.stderr)
        print("(without a configuration, `labconsole` plays the demo)", file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        config = load_config(path)
    except ConfigError as error:
        for problem in error.problems:
            print(problem)
        return EXIT_PROBLEMS
    findings = check_offline(config)
    if getattr(args, "connect", False):
        from labconsole.preflight.connect import check_connect

        findings += asyncio.run(check_connect(config, timeout=args.timeout))
    for finding in findings:
        print(finding)
    if findings:
        return EXIT_PROBLEMS
    clusters, nodes = len(config.clusters), len(config.nodes)
    reached = "every node reached" if getattr(args, "connect", False) else \
        "offline checks only (--connect probes the nodes)"
    print(f"OK: {path}: {clusters} cluster{'s' * (clusters != 1)}, "
          f"{nodes} node{'s' * (nodes != 1)}; {reached}")
    return EXIT_OK
