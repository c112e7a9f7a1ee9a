"""Which CEF records matter to an incident, and as what.

Network gear sends CEF for everything (logins, config changes, channel changes). Only three
classes matter here, decided from the event name and severity, not from one vendor's ids:

* ``device_alert``: a device went away or restarted (name says offline / restarted / lost
  contact / down / unreachable ...), or anything of CEF severity 7 or more;
* ``device_back``: the device is back (online / connected / restored / adopted);
* ``client_left``: a *client* disconnected from a port: context for an open incident only.

Security events (IPS blocks, threats) are left out even at high severity: they say nothing
about the network carrying the cluster, and an IPS blocking a scan every minute would otherwise
open an incident every minute.

Everything else returns None and stays out of the correlation (it is still in the recording).
"""

from __future__ import annotations

import re
from datetime import datetime

from labconsole.incident.facts import Fact, FactKind
from labconsole.model.cef import CefEvent

_ALERT = re.compile(r"offline|restart|reboot|lost contact|disconnect|\bdown\b|unreachable|"
                    r"isolated|power loss|failed", re.IGNORECASE)
_BACK = re.compile(r"online|connected|restored|\bup\b|adopted|back", re.IGNORECASE)
_CLIENT = re.compile(r"\bclient\b", re.IGNORECASE)
_SECURITY = re.compile(r"threat|intrusion|\bips\b|\bids\b|blocked|honeypot|attack",
                       re.IGNORECASE)
_DEVICE_KEYS = ("UNIFIdeviceName", "deviceName", "dvchost", "UNIFIhost")
ALERT_SEVERITY = 7


def severity_level(severity: str) -> int | None:
    """CEF severity as a number 0-10 (words mapped to the middle of their band)."""
    word = severity.strip().lower()
    if word.isdigit():
        return int(word)
    return {"low": 2, "medium": 5, "high": 7, "very-high": 9}.get(word)


def device_name(rec: CefEvent) -> str:
    """The device an alert is about: the vendor's device field, else the sender."""
    for key in _DEVICE_KEYS:
        value = rec.extensions.get(key, "").strip()
        if value:
            return value
    return rec.host or rec.product


def classify(rec: CefEvent) -> FactKind | None:
    name = rec.name
    category = rec.extensions.get("UNIFIcategory", "")
    is_client = bool(_CLIENT.search(name)) or category.lower() == "client"
    if _SECURITY.search(name) or category.lower() in ("security", "threat management"):
        return None
    if _ALERT.search(name):
        return "client_left" if is_client else "device_alert"
    level = severity_level(rec.severity)
    if level is not None and level >= ALERT_SEVERITY:
        return "device_alert"
    if _BACK.search(name) and not is_client:
        return "device_back"
    return None


def cef_fact(rec: CefEvent, at: datetime, source: str) -> Fact | None:
    """The fact of one CEF record, or None when it does not bear on incidents."""
    kind = classify(rec)
    if kind is None:
        return None
    return Fact(at=at, kind=kind, node=None, device=device_name(rec), lines=(rec.raw,),
                cef=rec, source=source)
