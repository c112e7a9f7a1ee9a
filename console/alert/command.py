"""A command hook: an argv list run without a shell, the alert given to it as data only.

The alert (its JSON form) is written to the command's stdin, and a few fields are in its
environment (``LABCONSOLE_ALERT_CHANGE``, ``_INCIDENT``, ``_CAUSE_KIND``, ``_SUBJECT``,
``_STATUS``). Nothing from a log line ever becomes part of the argv, and no shell parses
anything: the argv is exactly the configured list. Exit status 0 is delivered; anything
else (or the timeout, after which the process is killed) is a failed attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

from labconsole.alert.message import IncidentAlert
from labconsole.alert.sink import DeliveryError
from labconsole.alert.text import subject, visible

MAX_STDERR = 500  # characters of the command's stderr shown in a failure
# Passed on from the watcher's environment; everything else is left out (secrets of the
# service stay with the service).
KEEP_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "USER", "LOGNAME")


@dataclass(slots=True)
class CommandSink:
    name: str
    argv: tuple[str, ...]
    timeout: float = 30.0

    def environment(self, alert: IncidentAlert,
                    base: Mapping[str, str] | None = None) -> dict[str, str]:
        source = os.environ if base is None else base
        env = {k: source[k] for k in KEEP_ENV if k in source}
        env.update({
            "LABCONSOLE_ALERT_CHANGE": alert.change,
            "LABCONSOLE_ALERT_INCIDENT": alert.incident_id,
            "LABCONSOLE_ALERT_CAUSE_KIND": alert.cause_kind,
            "LABCONSOLE_ALERT_STATUS": alert.status,
            "LABCONSOLE_ALERT_SUBJECT": subject(alert),
        })
        return env

    async def send(self, alert: IncidentAlert) -> None:
        data = json.dumps(alert.to_json()).encode("utf-8") + b"\n"
        try:
            proc = await asyncio.create_subprocess_exec(
                *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE, env=self.environment(alert))
        except OSError as exc:
            raise DeliveryError(f"cannot run {self.argv[0]}: {exc.strerror or exc}") from None
        try:
            _, err = await asyncio.wait_for(proc.communicate(data), self.timeout)
        except asyncio.TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            raise DeliveryError(f"{self.argv[0]} did not finish within {self.timeout:g} s"
                                ) from None
        if proc.returncode != 0:
            tail = visible(err.decode("utf-8", "replace").strip()[-MAX_STDERR:])
            raise DeliveryError(f"{self.argv[0]} exited with status {proc.returncode}"
                                + (f": {tail}" if tail else ""))
