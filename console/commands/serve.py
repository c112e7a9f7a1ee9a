"""``labconsole serve``: the same console in a browser, through textual-serve (optional extra).

textual-serve starts one ``labconsole run ...`` process per browser session and relays its
terminal over a websocket, so the browser shows exactly the app the terminal shows. It binds to
127.0.0.1 unless told otherwise: the console can run remediation actions, so exposing it on
the network must be an explicit choice (``--host``), ideally behind an authenticating proxy.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any

from labconsole.commands.run import add_run_options

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
INSTALL_HINT = "Install the serve extra: pip install 'labconsole[serve]'."


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from exc
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 1-65535, got {value}")
    return value


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("serve", help="serve the console in a web browser (textual-serve)",
                              description="Serve the console to a browser. Each browser tab "
                                          "runs its own `labconsole run` with the options given "
                                          "here. " + INSTALL_HINT)
    p.add_argument("--host", default=DEFAULT_HOST,
                   help=f"address to bind (default {DEFAULT_HOST}: this machine only)")
    p.add_argument("--port", type=_port, default=DEFAULT_PORT,
                   help=f"TCP port (default {DEFAULT_PORT})")
    p.add_argument("--public-url", default=None, metavar="URL",
                   help="URL the browser uses to reach this server when behind a proxy")
    add_run_options(p)
    p.set_defaults(func=run)


def run_command(args: argparse.Namespace) -> str:
    """The ``labconsole run`` command line each browser session starts (same interpreter)."""
    argv = [sys.executable, "-m", "labconsole", "run", "--speed", repr(args.speed),
            "--max-gap", repr(args.max_gap)]
    if args.config is not None:
        argv += ["--config", str(args.config.expanduser().resolve())]
    if args.demo:
        argv.append("--demo")
    if args.paused:
        argv.append("--paused")
    if args.year is not None:
        argv += ["--year", str(args.year)]
    if args.record is not None:
        argv += ["--record", str(args.record.expanduser().resolve())]
    return shlex.join(argv)


def run(args: argparse.Namespace) -> int:
    try:
        from textual_serve.server import Server
    except ImportError:
        print(f"labconsole serve: textual-serve is not installed. {INSTALL_HINT}",
              file=sys.stderr)
        return 2
    server = Server(run_command(args), host=args.host, port=args.port, title="labconsole",
                    public_url=args.public_url)
    server.serve()
    return 0
