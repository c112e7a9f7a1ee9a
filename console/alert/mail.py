"""E-mail through an SMTP server (``smtplib`` in a worker thread, bounded by a timeout).

``security``: "starttls" (upgrade a plain connection, the submission port's default),
"tls" (TLS from the first byte, port 465) or "none" (a local relay on loopback). The password,
when the server wants one, is read when needed from a file or an environment variable, like
the Proxmox token; a login is refused over an unencrypted connection other than loopback.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from labconsole.alert.message import IncidentAlert
from labconsole.alert.sink import DeliveryError
from labconsole.alert.text import body, subject
from labconsole.config import SecretUnavailableError

SMTP_ERRORS = (smtplib.SMTPException, OSError, ssl.SSLError)


@dataclass(slots=True)
class MailSink:
    name: str
    host: str
    sender: str
    recipients: tuple[str, ...]
    port: int = 25
    security: str = "starttls"  # "starttls" | "tls" | "none"
    user: str | None = None
    password: Callable[[], str] | None = field(default=None, repr=False)
    timeout: float = 20.0

    def message(self, alert: IncidentAlert) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = subject(alert)
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.recipients)
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain="labconsole.invalid")
        msg["X-Labconsole-Incident"] = alert.incident_id
        msg.set_content(body(alert))
        return msg

    def _deliver(self, msg: EmailMessage) -> None:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.security == "tls":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            smtp.ehlo()
            if self.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.user is not None and self.password is not None:
                smtp.login(self.user, self.password())
            refused = smtp.send_message(msg)
        if refused:
            raise DeliveryError(f"refused recipients: {', '.join(sorted(refused))}")

    async def send(self, alert: IncidentAlert) -> None:
        msg = self.message(alert)
        try:
            await asyncio.to_thread(self._deliver, msg)
        except SecretUnavailableError as exc:
            raise DeliveryError(str(exc)) from None
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode("utf-8", "replace") if isinstance(
                exc.smtp_error, bytes) else str(exc.smtp_error)
            raise DeliveryError(f"SMTP {exc.smtp_code}: {text}") from None
        except SMTP_ERRORS as exc:
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {type(exc).__name__}: {exc}"
                                ) from None
