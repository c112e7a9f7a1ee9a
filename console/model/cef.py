"""A Common Event Format record (UniFi alerts arrive as CEF over syslog)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from labconsole.model.timefmt import iso_or_none

# Extension keys naming the affected device / client, best first; a group's values are shown
# together ("USW Pro 24 11:22:33:44:55:66").
_DEVICE_KEYS = (
    ("UNIFIdeviceName", "UNIFIdeviceMac"),
    ("UNIFIconnectedToDeviceName", "UNIFIconnectedToDeviceMac"),
    ("UNIFIlastConnectedToDeviceName", "UNIFIlastConnectedToDeviceMac"),
    ("UNIFIdeviceIp",),
    ("dvchost",),
)
_CLIENT_KEYS = (
    ("UNIFIclientAlias", "UNIFIclientHostname", "UNIFIclientMac"),
    ("UNIFIclientIp",),
    ("shost", "suser"),
    ("src",),
)


@dataclass(frozen=True, slots=True)
class CefEvent:
    """One CEF record: its header fields, its extensions, and where and when it was seen."""

    vendor: str
    product: str
    version: str
    signature_id: str
    name: str
    severity: str
    extensions: dict[str, str] = field(default_factory=dict)
    time: datetime | None = None
    host: str | None = None
    cef_version: str = "0"
    raw: str = ""
    lineno: int = 0
    # What the parser had to recover from (e.g. a missing header field, a duplicate key),
    # one sentence each; not part of the scan contract's "cef" object.
    notes: tuple[str, ...] = ()
    # Seconds the record's own time is ahead (+) or behind (-) the time it was received, set
    # by the console when it is far enough off to flag (issue 19 item 4: the sender chooses
    # the time); None when not received live or close enough. Not in the scan contract.
    sender_skew_s: float | None = None

    def device(self) -> str | None:
        """The network device the record is about: its name, else its MAC / IP (UniFi's
        ``UNIFIdeviceName``...; ``UNIFIconnectedToDevice*`` for a client event; ``dvchost``)."""
        return self._first(_DEVICE_KEYS)

    def client(self) -> str | None:
        """The client the record is about: alias, host name, MAC or IP (UniFi's
        ``UNIFIclient*``; ``shost`` / ``suser`` / ``src`` elsewhere)."""
        return self._first(_CLIENT_KEYS)

    def _first(self, keys: tuple[tuple[str, ...], ...]) -> str | None:
        for group in keys:
            names = [self.extensions[k] for k in group if self.extensions.get(k)]
            if names:
                return " ".join(dict.fromkeys(names))  # name and MAC, each once
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "vendor": self.vendor,
            "product": self.product,
            "version": self.version,
            "signature_id": self.signature_id,
            "name": self.name,
            "severity": self.severity,
            "time": iso_or_none(self.time),
            "host": self.host,
            "extensions": dict(self.extensions),
        }
