"""HTTP sinks: a generic JSON webhook, ntfy (plain text body, title header) and Gotify (JSON
message with an app token).

Requests go through the standard library (``urllib``) in a worker thread, each bounded by a
timeout; no third-party HTTP client is needed at run time. Anything but a 2xx answer is a
failed attempt, named with its status; redirects are not followed for a POST.
"""

from __future__ import annotations

import asyncio
import base64
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from labconsole.alert.message import IncidentAlert
from labconsole.alert.sink import DeliveryError
from labconsole.alert.text import body, subject, visible
from labconsole.config import SecretUnavailableError

SecretFn = Callable[[], str]  # reads the token when needed (raises SecretUnavailableError)
MAX_ERROR_BODY = 200  # characters of an error answer shown in the failure


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a 3xx answer is a failure to deliver, not a place to resend to


_OPENER = urllib.request.build_opener(_NoRedirect)


def post(url: str, data: bytes, headers: Mapping[str, str], timeout: float) -> int:
    """POST ``data``; the HTTP status of a 2xx answer, DeliveryError for anything else."""
    req = urllib.request.Request(url, data=data, headers=dict(headers), method="POST")
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            status: int = resp.status
            resp.read(65536)
    except urllib.error.HTTPError as exc:
        text = exc.read(MAX_ERROR_BODY).decode("utf-8", "replace")
        raise DeliveryError(f"HTTP {exc.code} {exc.reason}: {visible(text.strip())}"
                            ) from None
    except urllib.error.URLError as exc:
        raise DeliveryError(f"cannot reach {url}: {exc.reason}") from None
    except (OSError, ValueError) as exc:  # timeouts, resets, malformed answers
        raise DeliveryError(f"{url}: {type(exc).__name__}: {exc}") from None
    if not 200 <= status < 300:
        raise DeliveryError(f"HTTP {status}")
    return status


def secret(read: SecretFn) -> str:
    """The token now; a token that cannot be read fails this attempt, not the watcher."""
    try:
        return read()
    except SecretUnavailableError as exc:
        raise DeliveryError(str(exc)) from None


def header_text(text: str) -> str:
    """A header value: ASCII as is, else RFC 2047 encoded (ntfy decodes it)."""
    if text.isascii():
        return text
    return "=?UTF-8?B?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "?="


@dataclass(slots=True)
class WebhookSink:
    """POST ``{"source": "labconsole", "subject", "text", "alert": {...}}`` as JSON."""

    name: str
    url: str
    timeout: float = 10.0

    def payload(self, alert: IncidentAlert) -> bytes:
        return json.dumps({"source": "labconsole", "subject": subject(alert),
                           "text": body(alert), "alert": alert.to_json()}).encode("utf-8")

    async def send(self, alert: IncidentAlert) -> None:
        await asyncio.to_thread(post, self.url, self.payload(alert),
                                {"Content-Type": "application/json"}, self.timeout)


PRIORITY = {"started": "high", "cause_changed": "high", "ended": "default",
            "reopened": "high"}
TAGS = {"started": "rotating_light", "cause_changed": "warning", "ended": "white_check_mark",
        "reopened": "rotating_light"}


@dataclass(slots=True)
class NtfySink:
    """ntfy: the topic URL gets the message as a plain-text body; title, priority and tags
    in headers; an access token (optional) as a bearer token."""

    name: str
    url: str
    token: SecretFn | None = field(default=None, repr=False)
    timeout: float = 10.0

    def headers(self, alert: IncidentAlert) -> dict[str, str]:
        out = {"Title": header_text(subject(alert)), "Priority": PRIORITY[alert.change],
               "Tags": TAGS[alert.change], "Content-Type": "text/plain; charset=utf-8"}
        if self.token is not None:
            out["Authorization"] = f"Bearer {secret(self.token)}"
        return out

    async def send(self, alert: IncidentAlert) -> None:
        headers = self.headers(alert)
        await asyncio.to_thread(post, self.url, body(alert).encode("utf-8"), headers,
                                self.timeout)


GOTIFY_PRIORITY = {"started": 8, "cause_changed": 8, "ended": 4, "reopened": 8}


@dataclass(slots=True)
class GotifySink:
    """Gotify: ``POST {url}/message`` with the application token in ``X-Gotify-Key``."""

    name: str
    url: str
    token: SecretFn = field(repr=False)
    timeout: float = 10.0

    def payload(self, alert: IncidentAlert) -> bytes:
        return json.dumps({"title": subject(alert), "message": body(alert),
                           "priority": GOTIFY_PRIORITY[alert.change],
                           "extras": {"labconsole::alert": alert.to_json()}}).encode("utf-8")

    async def send(self, alert: IncidentAlert) -> None:
        headers = {"Content-Type": "application/json", "X-Gotify-Key": secret(self.token)}
        await asyncio.to_thread(post, self.url.rstrip("/") + "/message", self.payload(alert),
                                headers, self.timeout)
