"""Typed events: the one vocabulary between sources (live or replay), domain state and recorder.

Sources emit *raw* observations (a kernel log line, the text of ``corosync-quorumtool -s``,
``ethtool -k`` output, a syslog datagram) stamped with their arrival time. Parsing happens in the
domain state, so a replayed recording goes through exactly the same parsing code as live input.
Each event serialises to one JSON object (one line of a JSONL recording) and back.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, ClassVar, Literal, get_args

ConnState = Literal["connecting", "connected", "reconnecting", "failed", "closed"]


class EventDecodeError(ValueError):
    """A recording line that is not a valid event (named by type and missing/bad field)."""


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every event: when it arrived, which source produced it, about which node."""

    type: ClassVar[str] = "event"
    at: datetime
    source: str
    node: str | None

    def to_json(self) -> dict[str, Any]:
        # Shallow on purpose: dataclasses.asdict deep-copies every value and was the single
        # biggest per-line cost of recording a kernel log flood (bench/flood.py profile).
        data: dict[str, Any] = {"type": self.type}
        for name in _field_names(type(self)):
            data[name] = getattr(self, name)
        data["at"] = self.at.isoformat()
        return data


@dataclass(frozen=True, slots=True)
class KernelText(Event):
    """One line of a node's kernel log stream, exactly as received."""

    type: ClassVar[str] = "kernel"
    text: str


@dataclass(frozen=True, slots=True)
class QuorumText(Event):
    """Full output of ``corosync-quorumtool -s`` or ``pvecm status`` as seen from ``node``."""

    type: ClassVar[str] = "quorum"
    text: str
    cluster: str | None = None


@dataclass(frozen=True, slots=True)
class QuorumUnreadable(Event):
    """``node``'s quorum view could not be read (SSH down, corosync not answering): why."""

    type: ClassVar[str] = "quorum_error"
    reason: str
    cluster: str | None = None


@dataclass(frozen=True, slots=True)
class Heartbeat(Event):
    """A polling source's last answer about ``node`` still holds; it promises the next within
    ``every`` seconds. A source that should speak and does not is how a view goes stale
    (a quiet kernel log is not)."""

    type: ClassVar[str] = "heartbeat"
    every: float | None = None


@dataclass(frozen=True, slots=True)
class NicText(Event):
    """``ethtool -k`` / ``ethtool -i`` output and link state of one interface on ``node``."""

    type: ClassVar[str] = "nic"
    iface: str
    features: str = ""
    driver: str = ""
    link: str | None = None  # "up" / "down" / None when unknown
    speed: str | None = None


@dataclass(frozen=True, slots=True)
class SyslogText(Event):
    """A syslog message (maybe carrying CEF) received by the listener from ``peer``."""

    type: ClassVar[str] = "syslog"
    text: str
    peer: str | None = None


@dataclass(frozen=True, slots=True)
class ConnectionChange(Event):
    """State of a source's connection to a node: the UI shows it, the timeline records it."""

    type: ClassVar[str] = "conn"
    state: ConnState
    detail: str = ""
    retry_in: float | None = None
    via: str | None = None  # connected through this alternate address, not the primary

    def to_json(self) -> dict[str, Any]:
        data = Event.to_json(self)
        if self.via is None:  # the common case: recordings stay as they were before ``via``
            del data["via"]
        return data


@dataclass(frozen=True, slots=True)
class ApiJson(Event):
    """A Proxmox VE API response body (``data`` already unwrapped or not) for ``path``."""

    type: ClassVar[str] = "pve_api"
    path: str
    body: Any = None
    cluster: str | None = None  # the configured cluster the API was polled for
    every: float | None = None  # the poll interval: the next answer is due within it


@dataclass(frozen=True, slots=True)
class OperatorAction(Event):
    """A runbook step that ran (or was refused): mirrors one audit log entry."""

    type: ClassVar[str] = "action"
    runbook: str
    step: str
    command: str
    status: str
    output: str = ""
    exit_status: int | None = None


@dataclass(frozen=True, slots=True)
class IntakeLoss(Event):
    """What a listener lost in the last ``window`` seconds, by cause (issue 19 item 3): the
    status bar shows it, so a flood or an attack is never silent. ``kernel`` is the socket's
    own drop counter (None when the system does not tell); connections evicted to make room
    or closed idle lost no message and are not counted as dropped."""

    type: ClassVar[str] = "intake"
    window: float = 10.0
    received: int = 0
    kernel: int | None = None
    queue: int = 0
    malformed: int = 0
    rejected: int = 0
    refused: int = 0
    evicted: int = 0
    idle_closed: int = 0

    @property
    def dropped(self) -> int:
        """Messages (and refused connections) lost in the window."""
        return (self.kernel or 0) + self.queue + self.malformed + self.rejected + self.refused


@dataclass(frozen=True, slots=True)
class AlertNotice(Event):
    """What became of one incident alert at one sink (``labconsole watch``; source
    ``alert:SINK``): delivered, failed after its retries, or suppressed by the rate limit.
    Recorded so that an alert nobody received is still on record; never an incident fact."""

    type: ClassVar[str] = "alert"
    sink: str
    incident: str
    change: str
    status: str  # "delivered" | "failed" | "suppressed"
    attempts: int | None = None
    detail: str = ""


# What each annotated field of an event may hold once decoded from JSON.
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "str | None": (str, type(None)),
    "int | None": (int, type(None)),
    "float | None": (int, float, type(None)),
    "int": (int,),
    "float": (int, float),
    "ConnState": (str,),
}
_CONN_STATES = frozenset(get_args(ConnState))

_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type[Event]) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (KernelText, QuorumText, NicText, SyslogText, ConnectionChange, ApiJson,
                OperatorAction, IntakeLoss, AlertNotice, QuorumUnreadable, Heartbeat)
}


def event_from_json(obj: Any) -> Event:
    """Rebuild an event from its JSON object; raises EventDecodeError naming what is wrong."""
    if not isinstance(obj, dict):
        raise EventDecodeError(f"event must be a JSON object, got {type(obj).__name__}")
    kind = obj.get("type")
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise EventDecodeError(f"unknown event type {kind!r}")
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name in obj:
            kwargs[f.name] = _checked(cls.type, f.name, str(f.type), obj[f.name])
    try:
        kwargs["at"] = datetime.fromisoformat(str(obj["at"]))
    except KeyError as exc:
        raise EventDecodeError(f"{kind} event without 'at'") from exc
    except ValueError as exc:
        raise EventDecodeError(f"{kind} event with bad 'at': {obj['at']!r}") from exc
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise EventDecodeError(f"{kind} event: {exc}") from exc


def _checked(kind: str, name: str, annotation: str, value: Any) -> Any:
    """The field's value if JSON gave it the declared type; EventDecodeError otherwise."""
    if name == "at":
        return value
    allowed = _JSON_TYPES.get(annotation)
    if allowed is not None and (
        not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed)
    ):
        raise EventDecodeError(f"{kind} event: field {name!r} must be {annotation}, "
                               f"got {type(value).__name__}")
    if annotation == "ConnState" and value not in _CONN_STATES:
        raise EventDecodeError(f"{kind} event: unknown connection state {value!r}")
    return value
