"""corosync, pmxcfs and pacemaker log lines -> :class:`QuorumEvent` facts (and member lists).

The cluster stack says in its own words when membership or quorum changed; this module turns
those words into typed facts with the node that logged them. Pure functions of one line (plus
a small de-duplicating reader); no I/O, no clock.

Line forms read (the header gives ``host`` and ``at``):

- syslog / journal text: RFC 3164 (journalctl ``short``, ``/var/log/messages``), ``short-iso``
  / ``short-precise`` / RFC 3339 rsyslog, RFC 5424, with or without ``<PRI>``, and a host with
  a space in it (``node  02``, anonymised);
- journal entries (``-o json`` / ``-o export``) through :func:`facts_in_message`, with the
  entry's ``_HOSTNAME`` and time;
- corosync's own logfile: ``[pid] host corosync notice  [TOTEM ] ...`` with or without a
  date in front, the priority glued to the ident (``corosyncnotice``), function names after the
  subsystem (``memb_state_operational_enter A new membership ...``);
- trimmed pastes without a host (``Jan 07 03:14:33 [KNET] rx: host: 2 link: 1 is up``): the
  fact is kept with ``host`` None.

Callers decide cheaply which lines to offer: :data:`WORDS` are substrings every fact line
holds (case-sensitive, ASCII), so a scan tests them with ``in`` / ``bytes.find`` and parses
nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime

from labconsole.model.kernel_line import KernelLine
from labconsole.model.quorum_event import MembershipSeen, QuorumEvent, QuorumEventKind
from labconsole.parse.fast_syslog_head import FastSyslogHeads
from labconsole.parse.kernel_journal import JournalError, parse_json_entry
from labconsole.parse.kernel_reader import split_glued
from labconsole.parse.syslog_header import bsd_time, host_or_none, parse_syslog_header

# Every line a fact comes from holds one of these ("uorum" covers "quorum" and "Quorum", not
# corosync's "[QUORUM]" tag; "Members" covers "Members left/joined" and "Members[2]:").
WORDS = ("Members", "primary component", "uorum", "host: ", "state is now")
MAX_TEXT = 4096  # a longer line is a paste accident: not a fact
_MAX_NODES = 256

_NEW_MEMBERSHIP = re.compile(
    r"A new membership \((?P<ring>[^)\s]{1,64})\) was formed\. Members"
    r"(?: joined:(?P<joined>(?: +\d+)+))?(?: left:(?P<left>(?: +\d+)+))?"
)
# corosync 1.x/2.x order and spacing ("Members left: 3" / "Members joined: 1") is the same
# pattern as 3.x ("Members joined: 1 left: 3"): both are matched by _NEW_MEMBERSHIP.
_MEMBER_LIST = re.compile(r"\[QUORUM\] (?:\S+ )?Members\[(?P<n>\d+)\]:(?P<ids>(?: +\w+)*)")
_COMPONENT = re.compile(
    r"This node is within the (?P<non>non-)?primary component and will (?:NOT )?provide"
)
_PMXCFS_QUORUM = re.compile(r"\bnode (?P<what>lost|has) quorum\b")
_PACEMAKER_QUORUM = re.compile(r"(?:^|[\s:])[Qq]uorum (?P<what>lost|acquired)\b")
_PACEMAKER_NODE = re.compile(
    r"\bNode (?P<name>[^\s\[\]]{1,253})(?:\[\d+\])?(?: -)? state is now (?P<state>lost|member)\b"
)
_KNET_LINK = re.compile(r"\bhost: (?P<peer>\d+) link: (?P<link>\d+) is (?P<state>down|up)\b")
# Every fact regex above, with its boundary assertions dropped: whatever one of them finds in
# a message (a part of a line), this finds in the whole line. A line without it states no
# fact and is not parsed (most corosync lines holding a WORD are chatter: "has no active
# links", "best link", member lists).
_MAYBE_FACT = re.compile(
    r"A new membership \(|This node is within the |node (?:lost|has) quorum"
    r"|[Qq]uorum (?:lost|acquired)|host: \d+ link: \d+ is (?:down|up)"
    r"|state is now (?:lost|member)"
)


def might_state_fact(text: str) -> bool:
    """False when no line part of ``text`` can hold a fact: ``facts_in_line`` of every part
    is then ``[]`` (a superset test, never a guess)."""
    return _MAYBE_FACT.search(text) is not None

# corosync's logfile header: "[pid] host ident..." with an optional date in front.
_LOGFILE = re.compile(
    r"\s*(?:(?P<mon>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) (?P<hh>\d\d):(?P<mi>\d\d):(?P<ss>\d\d) )?"
    r"\[\d+\] (?P<host>[^\s\[\]]+) +(?P<ident>[A-Za-z][\w.-]*)"
)
_PACEMAKER_IDENTS = ("pacemaker", "crmd", "cib", "attrd", "stonith", "pengine", "lrmd")


def facts_in_line(
    text: str, *, default_year: int | None = None, lineno: int = 0
) -> list[QuorumEvent]:
    """The facts one physical log line states (``[]`` for most lines)."""
    message, host, at, source = _split_header(text, default_year)
    if message is None:
        return []
    return facts_in_message(message, host=host, at=at, source=source, lineno=lineno)


def facts_in_message(
    message: str,
    *,
    host: str | None,
    at: datetime | None,
    source: str | None = None,
    lineno: int = 0,
) -> list[QuorumEvent]:
    """The facts a message states whose header (host, time, program) is already known."""
    if len(message) > MAX_TEXT:
        return []
    text = message.strip()
    facts: list[QuorumEvent] = []

    def add(kind: QuorumEventKind, nodes: Iterable[str], ring: str | None = None,
            link: int | None = None) -> None:
        facts.append(QuorumEvent(kind, at, host, tuple(nodes)[:_MAX_NODES], text,
                                 source, ring, link, lineno))

    if "Members" in message:
        m = _NEW_MEMBERSHIP.search(message)
        if m is not None:
            if m["joined"]:
                add("member_joined", m["joined"].split(), m["ring"])
            if m["left"]:
                add("member_left", m["left"].split(), m["ring"])
            return facts
    if "primary component" in message:
        m = _COMPONENT.search(message)
        if m is not None:
            add("quorum_lost" if m["non"] else "quorum_regained", ())
            return facts
    if "uorum" in message:
        m = _PMXCFS_QUORUM.search(message)
        if m is not None:
            add("quorum_lost" if m["what"] == "lost" else "quorum_regained", ())
            return facts
        m = _PACEMAKER_QUORUM.search(message)
        if m is not None:
            add("quorum_lost" if m["what"] == "lost" else "quorum_regained", ())
            return facts
    if "host: " in message:
        m = _KNET_LINK.search(message)
        if m is not None:
            add("link_down" if m["state"] == "down" else "link_up", (m["peer"],),
                link=int(m["link"]))
            return facts
    if "state is now" in message:
        m = _PACEMAKER_NODE.search(message)
        if m is not None:
            add("member_left" if m["state"] == "lost" else "member_joined", (m["name"],))
    return facts


def membership_in_line(
    text: str, *, default_year: int | None = None, lineno: int = 0
) -> MembershipSeen | None:
    """corosync's ``[QUORUM] Members[N]: ...`` list in one physical line, or None."""
    if "Members[" not in text:
        return None
    message, host, at, _source = _split_header(text, default_year)
    if message is None:
        return None
    return membership_in_message(message, host=host, at=at, lineno=lineno)


def membership_in_message(
    message: str, *, host: str | None, at: datetime | None, lineno: int = 0
) -> MembershipSeen | None:
    """The member list of a message whose header is already known, or None."""
    if "Members[" not in message or len(message) > MAX_TEXT:
        return None
    m = _MEMBER_LIST.search(message)
    if m is None:
        return None
    members = tuple(m["ids"].split())[:_MAX_NODES]
    return MembershipSeen(at, host, members, message.strip(), lineno)


def source_of(app: str | None) -> str | None:
    """The program family a syslog tag / journal identifier names (``pacemaker-controld`` ->
    ``pacemaker``); other tags are kept as they are."""
    if app is None:
        return None
    lower = app.lower()
    if lower.startswith("corosync"):
        return "corosync"
    if lower.startswith("pmxcfs"):
        return "pmxcfs"
    if lower.startswith(_PACEMAKER_IDENTS):
        return "pacemaker"
    return app


def _split_header(
    text: str, default_year: int | None
) -> tuple[str | None, str | None, datetime | None, str | None]:
    """(message, host, time, source) of one physical line; message None when too long."""
    if len(text) > MAX_TEXT:
        return None, None, None, None
    text = text.rstrip("\r\n")
    found = parse_syslog_header(text, default_year=default_year)
    if found is not None and found[0].host is not None:
        head, message = found
        return message, head.host, head.time, source_of(head.app)
    m = _LOGFILE.match(text)
    if m is not None:
        return (text[m.end():], host_or_none(m["host"]), bsd_time(m, default_year),
                source_of(m["ident"]))
    if found is not None:  # a stamp but no host ("Jan 07 03:14:33 [KNET] ...", logread)
        head, message = found
        return message, None, head.time, source_of(head.app)
    return text, None, None, None


class QuorumFactReader:
    """Facts of a stream of lines, with consecutive repeats dropped.

    pacemaker logs "Node X state is now lost" once per daemon, and corosync logging to both
    syslog and stderr doubles every line; a fact equal to the previous fact of the same host
    (same kind, nodes and time) is the same observation, not a second event.
    """

    def __init__(self, default_year: int | None = None) -> None:
        self.default_year = default_year
        self._last: dict[str | None, tuple[str, tuple[str, ...], datetime | None]] = {}
        self._heads = FastSyslogHeads(self._split, source_of)

    @property
    def heads(self) -> FastSyslogHeads:
        """The checked fast header split this reader uses."""
        return self._heads

    def feed_line(self, text: str, lineno: int = 0) -> list[QuorumEvent]:
        """One physical line in any text form; records glued onto it (lost newlines) are
        split on their headers and read one by one."""
        return self._fresh(self.line_facts(text, lineno))

    def line_facts(self, text: str, lineno: int = 0) -> list[QuorumEvent]:
        """The facts of one physical line as :meth:`feed_line` reads them, before the repeat
        rule drops any."""
        facts: list[QuorumEvent] = []
        for part in split_glued(text) if len(text) <= MAX_TEXT else [text]:
            # facts_in_line(part), its header split by the checked fast path
            message, host, at, source = (self._heads.split(part) if len(part) <= MAX_TEXT
                                         else _split_header(part, self.default_year))
            if message is not None:
                facts += facts_in_message(message, host=host, at=at, source=source,
                                          lineno=lineno)
        return facts

    def _split(self, text: str) -> tuple[str | None, str | None, datetime | None, str | None]:
        return _split_header(text, self.default_year)

    def feed_message(self, message: str, *, host: str | None, at: datetime | None,
                     source: str | None = None, lineno: int = 0) -> list[QuorumEvent]:
        """One journal entry (or any message whose header is already parsed)."""
        return self._fresh(
            facts_in_message(message, host=host, at=at, source=source, lineno=lineno)
        )

    def is_fresh(self, host: str | None, key: tuple[str, tuple[str, ...], datetime | None]
                 ) -> bool:
        """The repeat rule for one fact of ``host`` whose (kind, nodes, time) is ``key``:
        False for a repeat of the host's last fact; else it becomes the host's last fact."""
        last = self._last
        if last.get(host) == key:
            return False
        if len(last) >= 4096 and host not in last:
            last.clear()  # bounded: a hostile stream of host names cannot grow it
        last[host] = key
        return True

    def _fresh(self, facts: list[QuorumEvent]) -> list[QuorumEvent]:
        return [fact for fact in facts
                if self.is_fresh(fact.host, (fact.kind, fact.nodes, fact.at))]


MAX_SCAN_FACTS = 10_000
# A fact without its header and line: (kind, nodes, text, ring_id, link).
FactShape = tuple[QuorumEventKind, tuple[str, ...], str, str | None, int | None]


def fact_shape(fact: QuorumEvent) -> FactShape:
    """What :meth:`QuorumLineScan.take_facts` needs of a fact besides its header."""
    return fact.kind, fact.nodes, fact.text, fact.ring_id, fact.link


class CountedFacts:
    """An ``on_fact`` that can stop wanting the facts themselves: while ``building`` is False,
    :meth:`QuorumLineScan.take_facts` gives it only each fresh fact's host and repeat key
    (:meth:`count_only`) and builds nothing (a later part of a parallel scan, past the facts the
    merge could still list: ``labconsole.scan.parallel``)."""

    building = True

    def __call__(self, fact: object) -> None:  # any fact sink's signature
        raise NotImplementedError

    def count_only(self, host: str | None, key: tuple[object, ...]) -> None:
        raise NotImplementedError


class QuorumLineScan:
    """The facts of one input for ``labconsole scan``: physical lines holding one of
    :data:`WORDS` are offered with :meth:`line`; journal export entries (whose text spans lines)
    with :meth:`entry` once the kernel reader has assembled them. Keeps the first
    :data:`MAX_SCAN_FACTS` facts and counts the rest in ``dropped``; ``on_fact`` (``scan
    --events``) gets every one as it is read."""

    def __init__(self, default_year: int | None = None,
                 on_fact: Callable[[QuorumEvent], None] | None = None) -> None:
        self._reader = QuorumFactReader(default_year)
        self._on_fact = on_fact
        self._counted = on_fact if isinstance(on_fact, CountedFacts) else None
        self.events: list[QuorumEvent] = []
        self.members_seen = 0
        self.dropped = 0

    def line(self, text: str, lineno: int) -> None:
        """A physical line in any text form, or one ``journalctl -o json`` line."""
        if text.startswith("{"):
            self._json(text, lineno)
            return
        if might_state_fact(text):
            self._keep(self._reader.feed_line(text, lineno))
        if "Members[" in text:
            self.members_seen += 1

    @property
    def heads(self) -> FastSyslogHeads:
        """The checked fast header split of this scan's reader."""
        return self._reader.heads

    def line_facts(self, text: str) -> tuple[list[QuorumEvent], bool]:
        """What :meth:`line` reads in a physical line that is not a JSON entry, before the
        repeat rule: its facts (numbered 0) and whether it lists members."""
        facts = self._reader.line_facts(text) if might_state_fact(text) else []
        return facts, "Members[" in text

    def take_facts(self, host: str | None, at: datetime | None, source: str | None,
                   facts: tuple[FactShape, ...], lineno: int) -> None:
        """Facts of line ``lineno`` given by their parts, all with this header: the same as
        :meth:`line` reading them, the repeat rule included. A fact neither listed nor
        streamed is only counted, never built."""
        reader = self._reader
        on_fact = self._on_fact
        counted = self._counted
        events = self.events
        for kind, nodes, text, ring, link in facts:
            key = (kind, nodes, at)
            if not reader.is_fresh(host, key):
                continue
            if on_fact is None and len(events) >= MAX_SCAN_FACTS:
                self.dropped += 1
                continue
            if counted is not None and not counted.building:
                counted.count_only(host, key)
                self.dropped += 1
                continue
            fact = QuorumEvent(kind, at, host, nodes, text, source, ring, link, lineno)
            if on_fact is not None:
                on_fact(fact)
            if len(events) < MAX_SCAN_FACTS:
                events.append(fact)
            else:
                self.dropped += 1

    def entry(self, line: KernelLine) -> None:
        """A journal entry the kernel reader assembled (``-o export``)."""
        if line.is_kernel or line.continuation or not any(w in line.message for w in WORDS):
            return
        self._keep(self._reader.feed_message(
            line.message, host=line.host, at=line.time, source=source_of(line.app),
            lineno=line.lineno))

    def _json(self, text: str, lineno: int) -> None:
        try:
            entry = parse_json_entry(text)
        except JournalError:
            return  # the kernel reader reports unreadable JSON lines
        if entry.is_kernel:
            return
        self._keep(self._reader.feed_message(
            entry.message, host=entry.host, at=entry.time, source=source_of(entry.identifier),
            lineno=lineno))

    def _keep(self, facts: list[QuorumEvent]) -> None:
        if self._on_fact is not None:
            for fact in facts:
                self._on_fact(fact)
        room = MAX_SCAN_FACTS - len(self.events)
        self.events.extend(facts[:max(room, 0)])
        self.dropped += max(len(facts) - max(room, 0), 0)
