"""``labconsole serve``: the same console in a browser, through textual-serve (optional extra).

textual-serve starts one ``labconsole run ...`` process per browser session and relays its
terminal over a WebSocket, so the browser shows exactly the app the terminal shows. That makes
serve a remote shell with root's SSH keys behind it, so (see ``serve_auth``):

* every request but the static files needs a session: the random token printed at start (or
  a ``--password-file`` login), traded for an HttpOnly SameSite=Strict cookie;
* a request from another origin (a web page in the operator's browser) is refused, and so is a
  ``Host`` that is not serve's own (DNS rebinding);
* it binds 127.0.0.1 unless told otherwise, and a non-loopback address needs
  ``--allow-remote`` (then a warning; ``--tls-cert``/``--tls-key`` serve HTTPS);
* each session's console audits its actions under the name it authenticated as;
* a port in use is a one-line error (exit 2), not "Serving on ..." and a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import logging
import os
import shlex
import signal
import socket
import ssl
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labconsole.commands.run import add_run_options
from labconsole.commands.serve_auth import (
    COOKIE,
    Guard,
    ServeAuthError,
    bind_problem,
    is_loopback,
    is_wildcard,
    new_token,
    read_password_file,
)
from labconsole.operator import SERVE_USER_ENV
from labconsole.sanitize import visible

if TYPE_CHECKING:
    from aiohttp import web

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
INSTALL_HINT = "Install the serve extra: pip install 'labconsole[serve]'."
FAILED_LOGIN_DELAY = 1.0  # seconds before a wrong token/password is answered
_SESSION = "labconsole.session"  # request key: the name the request authenticated as


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
                                          "here. The URL printed at start carries a one-time "
                                          "random token; without it (or a --password-file "
                                          "login) nothing is served. " + INSTALL_HINT)
    p.add_argument("--host", default=DEFAULT_HOST,
                   help=f"address to bind (default {DEFAULT_HOST}: this machine only)")
    p.add_argument("--port", type=_port, default=DEFAULT_PORT,
                   help=f"TCP port (default {DEFAULT_PORT})")
    p.add_argument("--public-url", default=None, metavar="URL",
                   help="URL the browser uses to reach this server when behind a proxy")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow a non-loopback --host (the console runs remediation as this "
                        "user: use TLS and keep the token secret)")
    p.add_argument("--password-file", type=Path, default=None, metavar="PATH",
                   help="log in with a name:password line of this file (chmod 600) instead "
                        "of the printed token; actions are audited under that name")
    p.add_argument("--tls-cert", type=Path, default=None, metavar="PEM",
                   help="serve HTTPS with this certificate (needs --tls-key)")
    p.add_argument("--tls-key", type=Path, default=None, metavar="PEM",
                   help="private key of --tls-cert")
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


class ServeSetupError(Exception):
    """What stops serve before it serves (one line, exit 2)."""


def tls_context(cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise ServeSetupError("--tls-cert and --tls-key go together")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise ServeSetupError(f"cannot use the TLS certificate {cert} / key {key}: "
                              f"{exc}") from None
    return context


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so that a busy port is one clear line."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host.strip("[]"), port), family=family, backlog=64)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise ServeSetupError(f"cannot listen on {host}:{port}: {reason}") from None


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _basic_auth(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    name, sep, password = decoded.partition(":")
    return (name, password) if sep else None


def make_server(command: str, guard: Guard, *, host: str, port: int,
                public_url: str, secure: bool) -> Any:
    """A textual-serve Server that answers only authenticated, same-origin requests."""
    from aiohttp import web
    from textual_serve.app_service import AppService
    from textual_serve.server import Server

    class SessionService(AppService):
        """One browser session's console, told who it acts for (the audit log)."""

        def __init__(self, *args: Any, operator: str, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.operator = operator

        def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
            env: dict[str, str] = super()._build_environment(width=width, height=height)
            env[SERVE_USER_ENV] = self.operator
            return env

    guard_requests = guard_middleware(guard, secure=secure)

    class GuardedServer(Server):
        def initialize_logging(self) -> None:
            # Plain lines, no Rich tracebacks with local variables (they would print secrets).
            logging.basicConfig(level=logging.INFO, format="labconsole serve: %(message)s")

        async def _make_app(self) -> web.Application:
            app: web.Application = await super()._make_app()
            app.middlewares.append(guard_requests)
            return app

        async def on_startup(self, app: web.Application) -> None:
            """Said by ``run`` before serving (with the token); nothing more here."""

        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            return await _session_websocket(self, request, SessionService,
                                            request.get(_SESSION, ""))

        def serve_on(self, sock: socket.socket, context: ssl.SSLContext | None) -> None:
            self.initialize_logging()
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.request_exit)
            # No access log: its request lines would carry the token of ?token=... URLs.
            web.run_app(self._make_app(), sock=sock, ssl_context=context, access_log=None,
                        handle_signals=False, loop=loop, print=lambda *args: None)

    return GuardedServer(command, host=host, port=port, title="labconsole",
                         public_url=public_url)


def _refuse(status: int, why: str, **headers: str) -> web.Response:
    from aiohttp import web

    return web.Response(status=status, text=f"labconsole serve: {visible(why)}\n",
                        headers=headers)


def guard_middleware(guard: Guard, *, secure: bool, delay: float = FAILED_LOGIN_DELAY) -> Any:
    """The aiohttp middleware in front of every request but the static files: Host, Origin,
    then a session cookie or a credential (token or password), the latter throttled."""
    from aiohttp import web

    @web.middleware
    async def guard_requests(request: web.Request, handler: Any) -> web.StreamResponse:
        if not guard.host_ok(request.headers.get("Host")):
            return _refuse(421, "this server does not answer to that Host")
        if not guard.origin_ok(request.headers.get("Origin")):
            return _refuse(403, "cross-origin request refused")
        if request.path.startswith("/static/"):
            response: web.StreamResponse = await handler(request)
            return response
        name = guard.session_name(request.cookies.get(COOKIE))
        cookie = None
        if name is None:
            basic = _basic_auth(request.headers.get("Authorization"))
            if "token" in request.query or basic is not None:
                peer = request.remote or "?"
                why = guard.throttle.admit(peer)
                if why is not None:
                    return _refuse(429, why, **{"Retry-After": str(int(delay) + 1)})
                try:  # a guess that hangs up during the delay still counts as failed
                    name = await _check_credentials(guard, request, basic, delay)
                finally:
                    guard.throttle.done(peer, ok=name is not None)
            if name is None:
                extra = {"WWW-Authenticate": 'Basic realm="labconsole"'} if guard.users else {}
                what = ("log in with a name from the password file" if guard.users else
                        "open the URL serve printed at start (it carries the token)")
                return _refuse(401, f"authentication required: {what}", **extra)
            cookie = guard.open_session(name)
            if request.path == "/" and "token" in request.query:
                # Trade the token for the cookie, and take it out of the address bar.
                # A plain 303 response: returning an HTTPException object is deprecated
                # in aiohttp (raising one would skip the cookie).
                response = web.Response(status=303, headers={"Location": "/"})
                _set_cookie(response, cookie, secure)
                return response
        request[_SESSION] = name
        response = await handler(request)
        if cookie is not None and not response.prepared:
            _set_cookie(response, cookie, secure)
        return response

    return guard_requests


async def _check_credentials(guard: Guard, request: web.Request,
                             basic: tuple[str, str] | None, delay: float) -> str | None:
    """The name a token or password logs in as; a wrong one is answered after ``delay``
    (its throttle slot is held meanwhile, so parallel guesses do not get around it)."""
    name = guard.check_token(request.query.get("token"))
    if name is None and basic is not None and guard.users:
        name = guard.check_password(*basic)
    if name is None:
        await asyncio.sleep(delay)
    return name


def _set_cookie(response: web.StreamResponse, value: str, secure: bool) -> None:
    response.set_cookie(COOKIE, value, httponly=True, samesite="Strict", secure=secure,
                        path="/")


async def _session_websocket(server: Any, request: web.Request, service: Any,
                             operator: str) -> web.WebSocketResponse:
    """textual-serve's WebSocket handler, with the session's console told who it acts for."""
    from aiohttp import web
    from textual_serve.server import to_int

    websocket = web.WebSocketResponse(heartbeat=15)
    width = to_int(request.query.get("width", "80"), 80)
    height = to_int(request.query.get("height", "24"), 24)
    app_service = None
    try:
        await websocket.prepare(request)
        app_service = service(server.command, operator=operator,
                              write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                              close=websocket.close, download_manager=server.download_manager,
                              debug=server.debug)
        await app_service.start(width, height)
        await server._process_messages(websocket, app_service)
    except asyncio.CancelledError:
        await websocket.close()
    except Exception as error:  # a broken session must not stop the server
        logging.getLogger("textual-serve").error("session ended: %s", error)
    finally:
        if app_service is not None:
            await app_service.stop()
    return websocket


def _setup(args: argparse.Namespace) -> tuple[Guard, ssl.SSLContext | None, socket.socket, str]:
    problem = bind_problem(args.host, args.allow_remote)
    if problem is not None:
        raise ServeSetupError(problem)
    context = tls_context(args.tls_cert, args.tls_key)
    try:
        users = read_password_file(args.password_file) if args.password_file else None
    except ServeAuthError as exc:
        raise ServeSetupError(str(exc)) from None
    scheme = "https" if context is not None else "http"
    # A wildcard address is no address a browser can use: name the machine instead.
    url_host = socket.getfqdn() if is_wildcard(args.host) else _url_host(args.host)
    public_url = args.public_url or f"{scheme}://{url_host}:{args.port}"
    guard = Guard.for_server(bind_host=args.host, port=args.port, tls=context is not None,
                             public_url=args.public_url, token=None if users else new_token(),
                             users=users)
    sock = listen(args.host, args.port)
    return guard, context, sock, public_url


def run(args: argparse.Namespace) -> int:
    try:
        import textual_serve.server  # noqa: F401
    except ImportError:
        print(f"labconsole serve: textual-serve is not installed. {INSTALL_HINT}",
              file=sys.stderr)
        return 2
    try:
        guard, context, sock, public_url = _setup(args)
    except ServeSetupError as exc:
        print(visible(f"labconsole serve: {exc}"), file=sys.stderr)
        return 2
    if not is_loopback(args.host):
        print(visible(f"labconsole serve: WARNING: serving on {args.host}:{args.port}, "
                      "beyond this machine: whoever has the "
                      + ("password" if guard.users else "token")
                      + " runs remediation as this user"
                      + ("" if context else "; and without TLS it crosses the network in "
                         "clear text (--tls-cert/--tls-key)")), file=sys.stderr)
    server = make_server(run_command(args), guard, host=args.host, port=args.port,
                         public_url=public_url, secure=context is not None)
    if guard.token is not None:
        print(f"labconsole serve: open {public_url}/?token={guard.token}", flush=True)
    else:
        print(f"labconsole serve: open {public_url}/ and log in with a name from "
              f"{args.password_file}", flush=True)
    print("labconsole serve: Ctrl+C stops it", flush=True)
    server.serve_on(sock, context)
    return 0
