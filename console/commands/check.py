"""``labconsole check [--config PATH]``: validate the configuration, name every problem."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from labconsole.config import ConfigError, describe_search, find_config_path, load_config


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check",
        help="validate the configuration file",
        description="Validate the configuration: prints 'OK: ...' (exit 0) or every problem as "
        "'<file>: <key>: <problem>', one per line (exit 1).",
    )
    parser.add_argument("--config", metavar="PATH", help="the config file (default: "
                        "$LABCONSOLE_CONFIG, then config.toml in the user config dir)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    explicit: str | None = getattr(args, "config", None)
    path = find_config_path(explicit, os.environ)
    if path is None:
        print("no configuration found; looked at:", file=sys.stderr)
        for line in describe_search(explicit, os.environ):
            print(f"  {line}", file=sys.stderr)
        print("(without a configuration, `labconsole` plays the demo)", file=sys.stderr)
        return 1
    try:
        config = load_config(path)
    except ConfigError as error:
        for problem in error.problems:
            print(problem)
        return 1
    clusters = len(config.clusters)
    nodes = len(config.nodes)
    print(f"OK: {path}: {clusters} cluster{'s' * (clusters != 1)}, "
          f"{nodes} node{'s' * (nodes != 1)}")
    return 0
