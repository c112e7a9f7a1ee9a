"""Facts: the normalised observations that correlation works on.

Events carry raw text; the timeline carries display strings. Correlation needs neither: it needs
to know *what kind* of thing happened, *to which node*, *when*, and whether it is trouble or a
recovery. A ``Fact`` is that, plus the verbatim log lines that prove it (for the report).
Facts are built from events (``extract.facts_from_events``), from the console's domain state
(``from_state.facts_from_state``) or from an audit log (``audit_read``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal

from labconsole.incident.wording import words
from labconsole.model.hang import HangEpisode
from labconsole.model.offloads import Offloads
from labconsole.model.vote_view import ClusterPicture, NodeView

if TYPE_CHECKING:  # a CEF record's type comes with the parser, when the first record does
    from labconsole.model.cef import CefEvent

# What happened. "vote_left"/"vote_joined": a node left / rejoined the cluster's membership;
# "quorum_lost"/"quorum_back": the cluster as a whole; "conn_lost"/"conn_back": the console's
# connection to a node ("conn_never": one that never succeeded, with its reason: not a loss,
# but trouble until it is made, which is its "conn_back"); "device_alert"/"device_back": a CEF
# alert about a network device;
# "nic_reset": a NIC driver reset its adapter with no hang report open (the driver's own
# recovery from something it did not dump); "client_left": a CEF note that a client dropped
# off a switch port (context: it joins an open incident as evidence but never opens one, since
# clients come and go all day).
# The console's timeline also holds facts the incident logic does not correlate (context for
# the operator): "view_changed" (one node's own view of the votes, ``view``), "view_unknown"
# (a node that cannot be read), "picture_changed" (the cluster picture flipped: agreement,
# split, ``picture``), "nic_changed" (offloads changed), "conn_changed" (a connection state
# that is neither lost nor back, e.g. connecting), "link_seen" (a link's starting state),
# "cef_note" (a CEF record that bears on no incident).
FactKind = Literal[
    "device_alert", "device_back", "client_left", "link_down", "link_up", "vote_left",
    "vote_joined", "quorum_lost", "quorum_back", "hang", "nic_reset", "conn_lost", "conn_back",
    "conn_never", "action", "view_changed", "view_unknown", "picture_changed", "nic_changed",
    "conn_changed", "link_seen", "cef_note",
]
TROUBLE: frozenset[str] = frozenset(
    {"device_alert", "link_down", "vote_left", "quorum_lost", "hang", "nic_reset", "conn_lost",
     "conn_never", "view_unknown"})
RECOVERY: frozenset[str] = frozenset({"device_back", "link_up", "vote_joined", "quorum_back",
                                      "conn_back"})
# What correlation, causes and downtime work on (the rest is the timeline's context). A node's
# view that cannot be read ("view_unknown") is trouble until that node's next view
# ("view_changed", which the state records whenever an unknown node answers again); views
# read from the nodes also confirm when an incident is over (correlate.py rule 3).
INCIDENT_KINDS: frozenset[str] = TROUBLE | RECOVERY | frozenset(
    {"client_left", "action", "view_changed"})


@dataclass(frozen=True, slots=True)
class Fact:
    """One observation on the incident time axis.

    ``until`` is set for facts that last (a hang episode: first to last report). ``lines`` are
    verbatim log lines backing the fact (a hang block, a CEF record). Renderers word a fact with
    ``wording.words``; ``text`` is empty unless a test gives a caption of its own (no producer
    does, and nothing in the incident logic reads it). ``state``: a connection's
    or a link's state; ``reason``: why (a connection's detail, why a view cannot be read);
    ``driver``: the NIC driver; ``first``: a connection made for the first time (not "back").
    ``sort_key`` orders facts of the same instant by their fields, so the result never
    depends on which source delivered first.
    """

    at: datetime
    kind: FactKind
    node: str | None
    text: str = ""
    device: str | None = None
    until: datetime | None = None
    lines: tuple[str, ...] = ()
    hang: HangEpisode | None = None
    cef: CefEvent | None = None
    action: ActionRecord | None = None
    source: str = ""
    view: NodeView | None = None
    picture: ClusterPicture | None = None
    episode_id: int | None = None  # the console's hang episode (kernel log store index)
    state: str | None = None
    reason: str | None = None
    driver: str | None = None
    first: bool = False
    offloads: Offloads | None = None  # "nic_changed": the offloads now
    observer: str | None = None  # votes facts: the node whose reading made the change
    seen: NodeView | None = None  # ... and its view then (None: it could not be read)

    @property
    def last(self) -> datetime:
        """When the fact was last true (``until`` for lasting facts, else ``at``)."""
        return self.until if self.until is not None and self.until > self.at else self.at

    @property
    def is_trouble(self) -> bool:
        """Trouble opens an incident. A view that cannot be read is trouble only for a node
        that was read before (``view``: its last view): a node not yet connected when the
        console starts is no incident."""
        if self.kind == "view_unknown":
            return self.view is not None
        return self.kind in TROUBLE

    @property
    def is_recovery(self) -> bool:
        return self.kind in RECOVERY

    def sort_key(self) -> tuple[Any, ...]:
        """Time, then the fact's fields: facts of one instant sort the same whatever order
        they came in. Typed fields only (words are for readers, ``wording.words``); every
        element compares with its counterpart in another fact's key (no None)."""
        return (self.at, self.kind, self.node or "", self.device or "", self.state or "",
                self.reason or "", self.driver or "", self.observer or "", self.first,
                self.text, _payload_key(self), self.source,
                -1 if self.episode_id is None else self.episode_id)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "at": self.at.isoformat(), "kind": self.kind, "node": self.node,
            "device": self.device, "text": words(self),
        }
        if self.until is not None:
            data["until"] = self.until.isoformat()
        if self.hang is not None:
            data["hang"] = self.hang.to_json()
        if self.cef is not None:
            data["cef"] = self.cef.to_json()
        if self.action is not None:
            data["action"] = self.action.to_json()
        return data


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """A remediation step that ran (from the audit log or an ``OperatorAction`` event)."""

    at: datetime
    runbook: str
    step: str
    command: str
    result: str
    node: str | None = None
    kind: str = "action"
    operator: str = ""
    iface: str | None = None
    dry_run: bool = False
    exit_status: int | None = None
    output: str = ""
    detail: str = ""
    episode: str | None = None

    def dedup_key(self) -> tuple[str, str, str, str, str]:
        """Same step, same command, same second: one record, whichever log it came from."""
        return (self.at.replace(microsecond=0).isoformat(), self.runbook, self.step,
                self.command, self.node or "")

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(), "operator": self.operator, "runbook": self.runbook,
            "step": self.step, "kind": self.kind, "node": self.node, "iface": self.iface,
            "command": self.command, "dry_run": self.dry_run, "exit_status": self.exit_status,
            "result": self.result, "detail": self.detail, "episode": self.episode,
        }


def action_fact(record: ActionRecord, source: str = "audit") -> Fact:
    """The fact of a remediation step (never trouble or recovery by itself)."""
    return Fact(at=record.at, kind="action", node=record.node, action=record, source=source)


@dataclass(slots=True)
class Extraction:
    """Facts in canonical order, the nodes and time span of the data, and what could not be
    read (one sentence each)."""

    facts: list[Fact] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    nodes: set[str] = field(default_factory=set)
    first: datetime | None = None
    last: datetime | None = None


def _tri(value: bool | None) -> int:
    return -1 if value is None else int(value)


def _view_key(v: NodeView) -> tuple[Any, ...]:
    return (v.node, v.cluster, v.source, _tri(v.quorate), tuple(sorted(v.members)),
            -1 if v.total_votes is None else v.total_votes,
            -1 if v.expected_votes is None else v.expected_votes, v.ring_id or "", v.via or "")


def _payload_key(f: Fact) -> tuple[tuple[Any, ...], ...]:
    """The payloads' own fields, each part tagged so that parts of different payloads never
    meet in a comparison."""
    parts: list[tuple[Any, ...]] = []
    if f.hang is not None:
        ep = f.hang
        parts.append(("hang", ep.kind, ep.driver, ep.device, ep.reports, _tri(ep.stuck),
                      ep.first_lineno))
    if f.cef is not None:
        rec = f.cef
        parts.append(("cef", rec.signature_id, rec.name, rec.severity, rec.raw,
                      tuple(sorted(rec.extensions.items()))))
    if f.action is not None:
        parts.append(("action", *f.action.dedup_key(), f.action.result, f.action.kind))
    if f.view is not None:
        parts.append(("view", *_view_key(f.view)))
    if f.seen is not None:
        parts.append(("seen", *_view_key(f.seen)))
    if f.picture is not None:
        pic = f.picture
        parts.append(("picture", pic.cluster, pic.kind,
                      tuple((s.nodes, s.members, _tri(s.quorate),
                             -1 if s.total_votes is None else s.total_votes,
                             -1 if s.expected_votes is None else s.expected_votes)
                            for s in pic.sides),
                      tuple(u.node for u in pic.unknown), pic.silent))
    if f.offloads is not None:
        parts.append(("offloads", f.offloads.device or "",
                      tuple(sorted(f.offloads.features.items()))))
    if f.lines:
        parts.append(("lines", *f.lines))
    return tuple(parts)


def utc(t: datetime) -> datetime:
    """Naive times are taken as UTC, as the console does, so that all times compare."""
    return t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)
