"""``labconsole run`` (also ``labconsole`` alone): live console, or the demo without a config.

With a config file (found like ``labconsole.config.find_config_path`` says, or ``--config``) the
live sources are built by ``labconsole.sources.live.build_live_sources``; without one the bundled
recording of the pve03 incident plays, so the first command a new user types shows something.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path
from typing import Any

from labconsole.commands.replay import add_replay_options, play
from labconsole.demo import DEMO_RECORDING


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("run", help="the console (live with a config, else the demo)",
                              description="Run the console on live sources from the config, "
                                          "or play the bundled demo when there is no config.")
    add_run_options(p)
    p.set_defaults(func=run)


def add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", type=Path, default=None, help="config file (TOML)")
    p.add_argument("--demo", action="store_true", help="play the bundled demo even with a config")
    p.add_argument("--record", type=Path, default=None, metavar="PATH",
                   help="append every live event to this JSONL recording")
    add_replay_options(p)


def _find_config(explicit: Path | None) -> Path | None:
    try:
        config_mod = importlib.import_module("labconsole.config")
    except ImportError:
        return explicit
    found: Path | None = config_mod.find_config_path(
        str(explicit) if explicit else None, os.environ)
    return found


def run_demo(args: argparse.Namespace) -> int:
    return play([DEMO_RECORDING], args, "demo: replay of the pve03 incident (no config found)")


def run_live(config_path: Path, args: argparse.Namespace) -> int:
    from labconsole.clock import system_clock

    try:
        config_mod = importlib.import_module("labconsole.config")
        live = importlib.import_module("labconsole.sources.live")
    except ImportError as exc:
        print(f"labconsole: live sources are not available in this build ({exc}); "
              "try `labconsole run --demo` or `labconsole replay FILE`", file=sys.stderr)
        return 2
    try:
        config = config_mod.load_config(config_path)
    except config_mod.ConfigError as exc:
        print(f"labconsole: {config_path}: {exc}", file=sys.stderr)
        return 2
    sources = live.build_live_sources(config, system_clock)
    from labconsole.app import LabConsoleApp
    from labconsole.sources.recording import Recorder

    recorder = Recorder(args.record) if args.record else None
    app = LabConsoleApp(sources, recorder=recorder, subtitle=f"live ({config_path})")
    app.run()
    return 0


def run(args: argparse.Namespace) -> int:
    if args.demo:
        return run_demo(args)
    config_path = _find_config(args.config)
    if config_path is None:
        return run_demo(args)
    return run_live(config_path, args)
