"""Redacting a secret in every form it can take on its way out (issue 19 item 6).

A secret rarely leaves as itself: an HTTP library puts a bad header value in its error with
``repr`` (``'abc\\ndef'``), JSON escapes it, a URL percent-encodes it, a shell message quotes
it. Replacing only the raw text let an API token with an inner newline reach the screen, the
recording and the report. :class:`Redactor` knows each secret in all those forms, and each of
its lines on its own (a secret cut at a newline leaves as two pieces), and replaces every one.

``REDACTOR`` is the process-wide instance: the console registers the Proxmox token secret when
it reads it, and the writers of recordings and the audit log pass every line through it, so a
secret that slipped into any event's text still never reaches a file.
"""

from __future__ import annotations

import json
import shlex
from urllib.parse import quote, quote_plus

MASK = "***"
# Pieces shorter than this are not redacted on their own: masking every "a" would destroy the
# text and tell an attacker the secret's characters. A whole secret is always redacted.
MIN_PIECE = 6


def secret_forms(secret: str) -> set[str]:
    """The secret as raw text, Python repr, JSON, unicode-escaped, shell-quoted and
    URL-encoded (path and form encodings), without the quotes those forms add."""
    forms = {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1],
             json.dumps(secret, ensure_ascii=False)[1:-1],
             secret.encode("unicode_escape").decode("ascii"),
             secret.encode("utf-8", "surrogateescape").decode("latin-1"),
             quote(secret, safe=""), quote(secret), quote_plus(secret),
             shlex.quote(secret)}
    quoted = shlex.quote(secret)
    if quoted.startswith("'") and quoted.endswith("'"):
        forms.add(quoted[1:-1])
    forms.add(secret.replace("'", "\\'"))
    forms.add(secret.replace('"', '\\"'))
    return {f for f in forms if f}


class Redactor:
    """Replaces every registered secret, in each of its forms, by ``***``."""

    def __init__(self) -> None:
        self._forms: list[str] = []
        self._secrets: set[str] = set()

    def add(self, secret: str) -> None:
        if not secret or secret in self._secrets:
            return
        self._secrets.add(secret)
        forms = set(self._forms) | secret_forms(secret)
        for piece in secret.splitlines():
            piece = piece.strip()
            if len(piece) >= MIN_PIECE:
                forms |= secret_forms(piece)
        # Longest first: a form that contains another is replaced whole.
        self._forms = sorted(forms, key=len, reverse=True)

    def __bool__(self) -> bool:
        return bool(self._forms)

    def redact(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, MASK)
        return text

    def clear(self) -> None:
        """Forget every secret (tests; a config reload)."""
        self._forms = []
        self._secrets = set()


REDACTOR = Redactor()


def register_secret(secret: str) -> None:
    """Mask ``secret`` in everything the process writes from now on. A secret shorter than
    MIN_PIECE is not registered: masking every "x" would wreck every recording, and a real
    Proxmox token secret is a 36-character UUID (the API source still masks a short one in
    its own errors)."""
    if len(secret.strip()) >= MIN_PIECE:
        REDACTOR.add(secret)


def redact(text: str) -> str:
    """``text`` with every registered secret masked, in any of its forms."""
    return REDACTOR.redact(text) if REDACTOR else text
