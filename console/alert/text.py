"""Alerts in words, for plain-text channels (mail, ntfy, Gotify, a command's environment).

The evidence holds text from logs and CEF records, so every piece passes the project's one
sanitiser (``labconsole.sanitize.visible``) first: a log line can then neither fake a second
line in a message nor reach a terminal that shows the message as a control sequence.
"""

from __future__ import annotations

from datetime import datetime

from labconsole.alert.message import IncidentAlert
from labconsole.model import timefmt
from labconsole.sanitize import visible

__all__ = ["body", "subject", "visible"]

MAX_EVIDENCE = 12  # lines of evidence in one message (the JSON form carries them all)

_VERB = {"started": "started", "cause_changed": "cause changed", "ended": "ended",
         "reopened": "reopened"}


def subject(alert: IncidentAlert) -> str:
    """One line: ``labconsole: incident 2 started: stuck TX ring on pve03 eno1 ...``."""
    verb = _VERB.get(alert.change, alert.change)
    return visible(f"labconsole: incident {alert.number} {verb}: {alert.cause}")


def _since(start: datetime) -> str:
    """``2025-11-08 06:19:02 UTC`` (the display zone); ``Nov 16 13:33:09 UTC`` when the
    year is unknown; ``uptime 665.191 s`` for a log without timestamps."""
    text = timefmt.clock(start, date=True)
    return text if timefmt.basis(start) == "no timestamps" else f"{text} {timefmt.zone_name()}"


def body(alert: IncidentAlert) -> str:
    """The cause and the evidence, one message (a subject line's worth is repeated first)."""
    lines = [subject(alert), "",
             f"incident: {alert.incident_id} (since {_since(alert.start)}, {alert.status})",
             f"cause: {visible(alert.cause)}"]
    if alert.previous_cause:
        lines.append(f"previous cause: {visible(alert.previous_cause)}")
    if alert.nodes:
        lines.append(f"nodes: {', '.join(visible(n) for n in alert.nodes)}")
    if alert.outstanding:
        lines.append(f"outstanding: {visible('; '.join(alert.outstanding))}")
    if alert.evidence:
        lines += ["", "evidence:"]
        lines += [f"  {visible(e)}" for e in alert.evidence[:MAX_EVIDENCE]]
        if len(alert.evidence) > MAX_EVIDENCE:
            lines.append(f"  ... and {len(alert.evidence) - MAX_EVIDENCE} more")
    return "\n".join(lines) + "\n"
