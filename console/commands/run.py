"""``labconsole run`` (also ``labconsole`` alone): live console, or the demo without a config.

With a config file (found like ``labconsole.config.find_config_path`` says, or ``--config``) the
live sources are built by ``labconsole.sources.live.build_live``; without one the bundled
recording of the pve03 incident plays, so the first command a new user types shows something.
Problems that disable only part of the live set (``LiveSet.problems``) are shown in the status
bar rather than stopping the console; a config that does not load stops it with every problem.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labconsole.commands.replay import add_replay_options, play
from labconsole.commands.terminal import refuse_without_terminal
from labconsole.config.locate import find_config_path
from labconsole.demo import DEMO_RECORDING
from labconsole.operator import operator_name

if TYPE_CHECKING:
    from labconsole.app import LabConsoleApp

# The live path's modules (the config's loader and model, the SSH sources, runbooks) are
# imported in the functions that need them: the demo's first frame does not wait for them.


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("run", help="the console (live with a config, else the demo)",
                              description="Run the console on live sources from the config, "
                                          "or play the bundled demo when there is no config.")
    add_run_options(p)
    p.set_defaults(func=run)


def add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", type=Path, default=None, help="config file (TOML)")
    p.add_argument("--demo", action="store_true", help="play the bundled demo even with a config")
    p.add_argument("--record", type=Path, nargs="?", const=RECORD_TO_CONFIG, default=None,
                   metavar="DIR",
                   help="record every live event (JSONL): into a new timestamped file in DIR "
                        "(default: the config's console.recording_dir), or append to DIR "
                        "when it names a .jsonl file")
    add_replay_options(p)


# ``--record`` without a value: the config's recording directory.
RECORD_TO_CONFIG = Path("")


def recording_path(arg: Path, recording_dir: Path, now: datetime) -> Path:
    """Where ``--record ARG`` writes: ``ARG`` itself when it is a ``.jsonl`` file name, else a
    new ``labconsole-<UTC stamp>.jsonl`` in the directory ARG (or the configured one), which
    is created (private) when missing."""
    if arg != RECORD_TO_CONFIG and arg.suffix == ".jsonl" and not arg.is_dir():
        return arg
    folder = recording_dir if arg == RECORD_TO_CONFIG else arg
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder / f"labconsole-{now.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}.jsonl"


def run_demo(args: argparse.Namespace) -> int:
    from labconsole.incident.source import DataSource

    return play([DEMO_RECORDING], args, "demo: replay of the pve03 incident (no config found)",
                DataSource.demo())


def build_live_app(config_path: Path, args: argparse.Namespace) -> LabConsoleApp:
    """The app on the config's live sources (raises ConfigError when the config is bad)."""
    from labconsole.app import LabConsoleApp
    from labconsole.clock import system_clock
    from labconsole.commands.tz_option import use_tz
    from labconsole.config.load import load_config
    from labconsole.incident.source import DataSource
    from labconsole.model import timefmt
    from labconsole.runbook.session import RunbookLauncher
    from labconsole.sources.live import build_live
    from labconsole.sources.recording import Recorder

    config = load_config(config_path)
    if getattr(args, "tz", None) is None:  # --tz wins over the config's zone
        timefmt.set_display_zone(timefmt.parse_zone(config.timezone))
    use_tz(args)
    live = build_live(config)
    # Runbooks over the console's own SSH connections, with each node's configured kernel
    # log command and bridge, the operator's runbook_dir, and peers from the config.
    launcher = RunbookLauncher.from_config(config, live.pool.nodes, operator=operator_name(),
                                           clock=system_clock)
    record = None if args.record is None else recording_path(
        args.record, config.recording_dir, system_clock())
    recorder = Recorder(record, sync_thread=True) if record is not None else None
    problems = [*live.problems, *(f"runbooks: {p}" for p in launcher.problems)]
    return LabConsoleApp(live.sources, recorder=recorder, problems=problems,
                         subtitle=f"live ({config_path})", runbook_launcher=launcher,
                         report_dir=record.parent if record else config.recording_dir,
                         on_event=live.react, bell=config.bell,
                         desktop_notification=config.desktop_notification,
                         data_source=DataSource("live", (str(config_path),)))


def run_live(config_path: Path, args: argparse.Namespace) -> int:
    from labconsole.config.errors import ConfigError

    try:
        app = build_live_app(config_path, args)
    except ConfigError as exc:  # each problem names the file already
        for problem in exc.problems:
            print(f"labconsole: {problem}", file=sys.stderr)
        print("labconsole: `labconsole check` lists every problem of the setup",
              file=sys.stderr)
        return 2
    except OSError as exc:  # the recording file cannot be opened
        print(f"labconsole: {exc}", file=sys.stderr)
        return 2
    if refuse_without_terminal():
        return 2
    app.run()
    return app.return_code or 0  # non-zero when the app died


def run(args: argparse.Namespace) -> int:
    if args.demo:
        return run_demo(args)
    config_path = find_config_path(str(args.config) if args.config else None, os.environ)
    if config_path is None:
        return run_demo(args)
    return run_live(config_path, args)
