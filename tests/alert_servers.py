"""Real local servers for the alert sinks' tests: an HTTP server and an SMTP server, each on
loopback on a free port, recording what they received."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpRecorder:
    """What the server got, and what it answers (``status``; a list: one per request, the
    last one repeated)."""

    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=lambda: [200])


@contextmanager
def http_server(statuses: list[int] | None = None) -> Iterator[HttpRecorder]:
    rec = HttpRecorder(url="")
    if statuses:
        rec.statuses = list(statuses)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length)
            rec.requests.append(Received("POST", self.path, dict(self.headers.items()), data))
            status = rec.statuses[min(len(rec.requests), len(rec.statuses)) - 1]
            self.send_response(status)
            reply = b'{"ok": true}' if status < 300 else b"try again later"
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released: connecting is refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@dataclass
class SmtpRecorder:
    host: str
    port: int
    messages: list[Any] = field(default_factory=list)  # (envelope, mail_from, rcpt_tos)


@contextmanager
def smtp_server() -> Iterator[SmtpRecorder]:
    from aiosmtpd.controller import Controller

    port = closed_port()
    rec = SmtpRecorder("127.0.0.1", port)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            rec.messages.append(envelope)
            return "250 Message accepted for delivery"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    try:
        yield rec
    finally:
        controller.stop()
