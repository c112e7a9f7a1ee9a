"""``labconsole watch [--config F] [--once] [PATH...]``: the console headless, alerting.

Live sources from the config (or recordings / log files given as PATHs) through the
console's pipeline; a recording that rotates by size and age (``[watch]`` in the config);
an alert to every configured sink when an incident starts, changes cause or ends. Every
alert and every delivery outcome is one line on stdout (the journal under systemd).

``--once`` is for cron: read the sources once (live: for ``--window`` seconds; PATHs: to
their end), print the open incidents with cause and evidence, and exit 0 (healthy),
1 (an incident is open) or 2 (the check itself failed: config, unreadable input, a source
that crashed). With ``--alert`` it also sends the open incidents to the sinks.
Headless: never imports Textual or rich.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from labconsole.alert.dispatch import AlertPolicy
from labconsole.alert.sink import Sink
from labconsole.alert.text import body, visible
from labconsole.config import Config, ConfigError, find_config_path, load_config
from labconsole.config.watch_model import WatchConfig
from labconsole.sources.base import Source
from labconsole.sources.recording import Recorder, RecordingError
from labconsole.sources.replay import ReplayError

HEALTHY, INCIDENT, ERROR = 0, 1, 2
DEFAULT_WINDOW = 15.0  # --once on live sources: votes, NICs and the kernel log tail by then


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "watch", help="the console headless: record, and alert when an incident starts, "
                      "changes cause or ends",
        description="Run the console's pipeline without a screen (a systemd service or a "
                    "tmux window nobody looks at): record continuously and send an alert to "
                    "every sink of the config's [watch] section. --once checks once for "
                    "cron: exit 0 healthy, 1 incident, 2 error.")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                   help="watch recordings or log files instead of the live sources")
    p.add_argument("--config", type=Path, default=None, help="config file (TOML)")
    p.add_argument("--once", action="store_true",
                   help="read the sources once, print open incidents, exit 0/1/2")
    p.add_argument("--alert", action="store_true",
                   help="with --once: also send the open incidents to the sinks")
    p.add_argument("--window", type=float, default=DEFAULT_WINDOW, metavar="SECONDS",
                   help=f"with --once on live sources: how long to read (default "
                        f"{DEFAULT_WINDOW:g})")
    p.add_argument("--record", type=Path, default=None, metavar="PATH",
                   help="record here (default: [watch] recording, else "
                        "RECORDING_DIR/watch.jsonl; PATHs and --once: no recording)")
    p.add_argument("--year", type=int, default=None,
                   help="year of log lines whose stamp has none (default: from the data's "
                        "own dated times, else unknown; never the file's mtime)")
    p.set_defaults(func=run)


def out(line: str) -> None:
    print(line, flush=True)


def _config(args: argparse.Namespace) -> Config | None:
    """The config (None when there is none and PATHs are given); raises ConfigError."""
    path = find_config_path(str(args.config) if args.config else None, os.environ)
    if path is None:
        if args.paths:
            return None
        raise ConfigError([])
    return load_config(path)


def _recorder(args: argparse.Namespace, config: Config | None) -> Recorder | None:
    watch = config.watch if config is not None else WatchConfig()
    path = args.record
    if path is None and not args.paths and not args.once and config is not None:
        path = watch.recording or config.recording_dir / "watch.jsonl"
    if path is None:
        return None
    return Recorder(path, max_bytes=max(1, int(watch.rotate_mb * 1024 * 1024)),
                    backups=watch.keep,
                    max_age=watch.rotate_hours * 3600 if watch.rotate_hours > 0 else None,
                    sync_thread=True)


def _sources(args: argparse.Namespace, config: Config | None,
             errors: list[RecordingError]) -> tuple[list[Source], list[str]]:
    """(sources, problems that disabled part of the live set)."""
    if args.paths:
        from labconsole.watch.recorded import RecordedSource

        return [RecordedSource.from_paths(list(args.paths), errors, year=args.year)], []
    from labconsole.sources.live import build_live

    assert config is not None
    live = build_live(config)
    return list(live.sources), list(live.problems)


def _sinks(config: Config | None) -> tuple[list[Sink], AlertPolicy]:
    if config is None:
        return [], AlertPolicy()
    from labconsole.alert.build import build_sinks, policy

    return build_sinks(config.watch), policy(config.watch)


def run(args: argparse.Namespace) -> int:
    try:
        config = _config(args)
    except ConfigError as exc:
        if not exc.problems:
            print("labconsole watch: no config found (--config, $LABCONSOLE_CONFIG or the "
                  "default file) and no PATH to watch", file=sys.stderr)
        else:
            print(f"labconsole watch: {exc}", file=sys.stderr)
        return ERROR
    errors: list[RecordingError] = []
    try:
        sources, problems = _sources(args, config, errors)
        recorder = _recorder(args, config)
    except (ReplayError, OSError, ValueError) as exc:
        print(f"labconsole watch: {exc}", file=sys.stderr)
        return ERROR
    for problem in problems:
        out(f"problem: {visible(problem)}")
    for err in errors[:20]:
        out(f"skipped {visible(str(err))}")
    sinks, policy = _sinks(config)
    hold = timedelta(seconds=config.watch.hold if config is not None else 5.0)
    if args.once:
        return asyncio.run(_once(args, sources, sinks if args.alert else [], policy))
    return asyncio.run(_watch(sources, sinks, policy, recorder, hold))


async def _watch(sources: list[Source], sinks: list[Sink], policy: AlertPolicy,
                 recorder: Recorder | None, hold: timedelta) -> int:
    from labconsole.watch.runner import Watcher

    watcher = Watcher(sources, sinks, log=out, recorder=recorder, policy=policy, hold=hold)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    out(f"watching: {len(sources)} source{'s' * (len(sources) != 1)}, "
        f"{len(sinks)} alert sink{'s' * (len(sinks) != 1)}"
        + (f", recording to {recorder.path}" if recorder is not None else ""))
    await watcher.run(stop)
    return HEALTHY


async def _once(args: argparse.Namespace, sources: list[Source], sinks: list[Sink],
                policy: AlertPolicy) -> int:
    from labconsole.alert.dispatch import AlertDispatcher, Delivery
    from labconsole.watch.runner import Watcher

    watcher = Watcher(sources, [], log=lambda _line: None, hold=timedelta(0), every=None)
    await watcher.run(window=None if args.paths else max(args.window, 0.1))
    open_ids = {r.incident.id for r in watcher.tracker.open_incidents()}
    alerts = [a for a in watcher.alerts if a.change == "started" and a.incident_id in open_ids]
    for alert in alerts:
        out(body(alert).rstrip("\n"))
        out("")
    failed = False
    if sinks and alerts:
        async def report(d: Delivery) -> None:
            nonlocal failed
            failed |= d.outcome == "failed"
            out(f"alert {d.sink}: {d.outcome} {d.alert.incident_id}"
                + (f": {visible(d.error)}" if d.error else ""))

        dispatcher = AlertDispatcher(sinks, report, policy=policy)
        dispatcher.start()
        for alert in alerts:
            dispatcher.submit(alert)
        await dispatcher.drain()
        await dispatcher.stop()
    crashed = [f for f in watcher.pipeline.failures if not f.startswith("rec:")]
    for problem in crashed:
        out(f"problem: {visible(problem)}")
    if crashed or failed:
        return ERROR
    if alerts:
        return INCIDENT
    out("healthy: no open incident")
    return HEALTHY
