"""``labconsole replay PATH... [--speed X] [--paused]``: the console fed from files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labconsole.commands.terminal import refuse_without_terminal
from labconsole.commands.tz_option import add_tz_option, use_tz
from labconsole.sanitize import visible
from labconsole.sources.plain_or_gzip import GZIP_MAGIC
from labconsole.sources.recording import RecordingError, is_recording
from labconsole.sources.replay import DEFAULT_MAX_GAP, ReplayControl, ReplaySource

if TYPE_CHECKING:
    from labconsole.app import LabConsoleApp
    from labconsole.incident.source import DataSource
    from labconsole.sources.file_view import FileViewSource

# Plain files from this size open as a file view (``sources.file_view``, about 80k lines);
# that module is imported only then: a recording (the demo) does not wait for it.
BIG_FILE = 8 << 20


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
    if value < 0:
        raise argparse.ArgumentTypeError("speed must be >= 0 (0 plays as fast as possible)")
    return value


def add_replay_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--speed", type=_speed, default=1.0,
                        help="playback speed (default 1; 0 = as fast as possible)")
    parser.add_argument("--paused", action="store_true", help="start paused (p resumes)")
    parser.add_argument("--year", type=int, default=None,
                        help="year of log lines whose stamp has none (default: from the data's "
                        "own dated times, else unknown; never the file's mtime)")
    add_tz_option(parser)
    parser.add_argument("--paced", action="store_true",
                        help="play a big plain log file line by line at --speed (by default "
                             f"a plain file of {BIG_FILE >> 20} MB or more opens at once, "
                             "newest lines first, its facts filled in as they are found)")
    parser.add_argument("--max-gap", type=float, default=DEFAULT_MAX_GAP, metavar="SECONDS",
                        help="play any quiet stretch longer than this as this long "
                             f"(default {DEFAULT_MAX_GAP}; 0 or less keeps real gaps)")


def register(subparsers: Any) -> None:
    from labconsole.commands import CONFIG_HELP

    p = subparsers.add_parser("replay", help="replay recordings or plain kernel log files",
                              description="Play recordings (JSONL, maybe .gz) or plain log "
                                          "files through the console.")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    add_replay_options(p)
    p.add_argument("--config", type=Path, default=None,
                   help=CONFIG_HELP)
    p.set_defaults(func=run)


def opens_as_file(paths: list[Path], big_file: int = BIG_FILE) -> bool:
    """One plain, uncompressed log file of ``big_file`` bytes or more: opened like a log
    viewer (``sources.file_view``) rather than read into events."""
    if len(paths) != 1 or not paths[0].is_file():
        return False
    p = paths[0]
    try:
        with p.open("rb") as fh:
            if fh.read(2) == GZIP_MAGIC:
                return False
        return p.stat().st_size >= big_file and not is_recording(p)
    except OSError:
        return False


def build_replay(paths: list[Path], args: argparse.Namespace, *, big_file: int = BIG_FILE
                 ) -> tuple[ReplaySource | FileViewSource, list[RecordingError]]:
    use_tz(args)
    control = ReplayControl(speed=args.speed, paused=args.paused,
                            max_gap=args.max_gap if args.max_gap > 0 else None)
    errors: list[RecordingError] = []
    # The config's node names for logs (``replay --config``); none given, the config's loader
    # is not imported at all (the demo's first frame does not wait for it: issue 13 item 5).
    names = None
    config = getattr(args, "config", None) if paths_are_logs(args) else None
    if config is not None:
        from labconsole.config.node_names import node_names_from

        names = node_names_from(config)
    if not getattr(args, "paced", False) and opens_as_file(paths, big_file):
        from labconsole.sources.file_view import FileViewSource, file_view_store

        control.speed = 0  # not paced: the status bar says "xmax"
        store = file_view_store(paths[0], year=args.year, names=names)
        return FileViewSource(store, control=control), errors
    source = ReplaySource.from_paths(paths, control=control, errors=errors, year=args.year,
                                     names=names)
    return source, errors


def paths_are_logs(args: argparse.Namespace) -> bool:
    """``replay``'s ``--config`` names nodes; ``run``'s is the live config (not for the
    bundled demo it plays without one)."""
    return getattr(args, "func", None) is run


def replay_app(paths: list[Path], args: argparse.Namespace, subtitle: str,
               data_source: DataSource | None = None, *, big_file: int = BIG_FILE
               ) -> tuple[LabConsoleApp, list[RecordingError]]:
    """The console on a replay of ``paths`` (raises ReplayError/OSError), and the lines that
    could not be read. The data is named (``data_source``: a replay of the paths by default)
    so that its report says what ``labconsole report`` says of the same files."""
    # The source first: a big file's lines are counted in a thread while the app's modules
    # import (a third of the time to the first frame).
    source, errors = build_replay(paths, args, big_file=big_file)
    from labconsole.app import LabConsoleApp
    from labconsole.incident.source import DataSource
    from labconsole.state.console_state import ConsoleState

    cut = [f"input ends early: {err}" for err in errors if err.ends_input]
    # Not a ReplaySource: a file view (isinstance of it would import its module every time).
    state = ConsoleState(log=source.store) if not isinstance(source, ReplaySource) else None
    app = LabConsoleApp([source], replay=source.control, subtitle=subtitle, problems=cut,
                        data_source=data_source or DataSource.of_paths(paths), state=state)
    if not isinstance(source, ReplaySource):
        source.notify = app.pipeline.on_change
    return app, errors


def play(paths: list[Path], args: argparse.Namespace, subtitle: str,
         data_source: DataSource | None = None) -> int:
    try:
        app, errors = replay_app(paths, args, subtitle, data_source)
    except (ValueError, OSError) as exc:  # ReplayError, or a config that does not load
        print(visible(f"labconsole replay: {exc}"), file=sys.stderr)
        return 2
    if refuse_without_terminal():
        return 2
    app.run()
    for err in errors[:20]:
        print(visible(f"skipped {err}"), file=sys.stderr)
    cut = [f"input ends early: {err}" for err in errors if err.ends_input]
    for line in cut:  # shown on the status bar while it played, and an input error after
        print(visible(f"labconsole replay: {line}"), file=sys.stderr)
    return app.return_code or (2 if cut else 0)  # non-zero when the app died


def run(args: argparse.Namespace) -> int:
    names = ", ".join(p.name for p in args.paths)
    return play(list(args.paths), args, f"replay of {names}")
