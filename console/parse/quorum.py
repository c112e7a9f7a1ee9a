"""``pvecm status`` and ``corosync-quorumtool -s`` / ``-p`` output -> :class:`QuorumStatus`.

Written by hand: no library parses this text (corosync only offers the C API behind it). The
parser is line based and forgiving about what operators paste around the output: shell prompt
lines, ``pcs --debug`` wrappers, a whole block indented, blank lines or none, trailing spaces,
CRLF, ``---`` or asciidoc ``~~~`` underlines. It is strict about the values it takes: a number
that is not a number is a :class:`QuorumParseError` naming the line.

Decisions worth knowing:

* **QDevice.** The ``0x00000000 ... Qdevice`` membership row is *not* a node: it is left out of
  ``nodes``, sets ``qdevice=True`` and ``qdevice_votes``; its vote is already counted in
  ``Total votes`` as votequorum prints it, so ``total_votes`` is kept as printed.
* **local.** A ``(local)`` marker on a membership row wins; only when no row carries one are the
  rows whose id equals ``Node ID:`` marked local (corosync 2 ``-l`` style output). Where the two
  disagree (the pve-docs example does), the row marker is what the tool printed for that row.
* **quorate.** ``Quorate: Yes/No``; else the ``Quorate`` word in ``Flags:`` (a ``Flags:`` line
  without it means not quorate); else ``Activity blocked`` on the ``Quorum:`` line means not
  quorate. Vote counts are never derived from guesses: a fragment without ``Expected votes`` is
  an error; a missing ``Total votes`` is taken as the sum of the listed votes, which is what
  votequorum prints there.
* Several outputs in one text (a ``watch`` capture): the last block wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from labconsole.model.quorum import QuorumNode, QuorumStatus

__all__ = ["QuorumParseError", "parse_quorum"]


class QuorumParseError(ValueError):
    """The text is not quorum status output, or one of its values is malformed."""


_SECTIONS = {
    "cluster information": "cluster",
    "quorum information": "quorum",
    "votequorum information": "votequorum",
    "membership information": "membership",
}
_UNDERLINE = re.compile(r"^[-~=]{3,}$")
_KEY_VALUE = re.compile(r"^([A-Za-z][A-Za-z ]*?):(?:\s+(.*))?$")
_HEADER = re.compile(r"^Nodeid\s+Votes\s+(?:(Qdevice)\s+)?Name$", re.IGNORECASE)
_ROW = re.compile(r"^(0x[0-9A-Fa-f]+|[0-9]+)\s+([0-9]+)(?:\s+(.*))?$")
_NUMBER = re.compile(r"^(?:0x[0-9A-Fa-f]+|[0-9]+)$")
# corosync-quorumtool's per-node qdevice state: Alive/Not Alive, Vote/No Vote, Master Wins /
# Not Master Wins, or NR (not registered).
_QDEVICE_STATE = re.compile(r"^(?:NR|N?A,N?V,N?MW)$")
_LOCAL = re.compile(r"\s*\(local\)$")


@dataclass
class _Row:
    nodeid: int
    votes: int
    name: str
    local: bool
    qdevice: bool


@dataclass
class _Block:
    values: dict[str, tuple[str, int]] = field(default_factory=dict)
    rows: list[_Row] = field(default_factory=list)
    seen_section: bool = False
    qdevice_column: bool = False


def parse_quorum(text: str) -> QuorumStatus:
    """Parse one ``pvecm status`` / ``corosync-quorumtool`` output (or a fragment of one)."""
    block = _scan(text)
    if not block.seen_section and not block.values.keys() & {"expected votes", "total votes"}:
        raise QuorumParseError("no quorum status found (no votequorum section or vote lines)")
    return _build(block)


def _scan(text: str) -> _Block:
    block = _Block()
    section: str | None = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or _UNDERLINE.match(line):
            continue
        title = _SECTIONS.get(line.lower())
        if title is not None:
            if title in ("cluster", "quorum") and (block.rows or "expected votes" in block.values):
                block = _Block()  # a second output begins: the last one wins
            section = title
            block.seen_section = True
            continue
        if section == "membership" and _membership_line(block, line, lineno):
            continue
        match = _KEY_VALUE.match(line)
        if match:
            block.values[match.group(1).lower()] = ((match.group(2) or "").strip(), lineno)
    return block


def _membership_line(block: _Block, line: str, lineno: int) -> bool:
    header = _HEADER.match(line)
    if header:
        block.qdevice_column = header.group(1) is not None
        return True
    row = _ROW.match(line)
    if row is None:
        return False
    rest = (row.group(3) or "").strip()
    if block.qdevice_column:
        first, _, after = rest.partition(" ")
        if _QDEVICE_STATE.match(first) and after.strip():
            rest = after.strip()
    local = _LOCAL.search(rest) is not None
    name = _LOCAL.sub("", rest).strip()
    nodeid = _int(row.group(1), lineno)
    block.rows.append(
        _Row(
            nodeid=nodeid,
            votes=int(row.group(2)),
            name=name,
            local=local,
            qdevice=nodeid == 0 and name.lower() == "qdevice",
        )
    )
    return True


def _int(token: str, lineno: int) -> int:
    """Decimal or ``0x`` hex (``pvecm`` prints node ids in hex), ASCII digits only."""
    if not _NUMBER.match(token):
        raise QuorumParseError(f"line {lineno}: {token!r} is not a number")
    return int(token, 16) if token[:2] in ("0x", "0X") else int(token)


def _number(block: _Block, key: str) -> int | None:
    """The leading integer of a value (``2 Activity blocked`` -> 2), None where absent."""
    if key not in block.values:
        return None
    value, lineno = block.values[key]
    first = value.split()[0] if value.split() else ""
    if not first:
        raise QuorumParseError(f"line {lineno}: {key!r} has no value")
    return _int(first, lineno)


def _text(block: _Block, key: str) -> str | None:
    value = block.values.get(key)
    return value[0] if value is not None and value[0] else None


def _quorate(block: _Block, flags: tuple[str, ...] | None, blocked: bool) -> bool:
    if "quorate" in block.values:
        value, lineno = block.values["quorate"]
        word = value.lower()
        if word in ("yes", "no"):
            return word == "yes"
        raise QuorumParseError(f"line {lineno}: Quorate is {value!r}, expected Yes or No")
    if flags is not None:
        return "Quorate" in flags
    if blocked:
        return False
    raise QuorumParseError("fragment has no Quorate, Flags or Quorum line to tell quorate")


def _build(block: _Block) -> QuorumStatus:
    expected = _number(block, "expected votes")
    if expected is None:
        raise QuorumParseError("no 'Expected votes' line: cannot tell the expected votes")
    flags_value = block.values.get("flags")
    flags = tuple(flags_value[0].split()) if flags_value is not None else None
    quorum_value = _text(block, "quorum") or ""
    blocked = "activity blocked" in quorum_value.lower()
    qdevice_rows = [r for r in block.rows if r.qdevice]
    members = [r for r in block.rows if not r.qdevice]
    total = _number(block, "total votes")
    if total is None:
        if not block.rows:
            raise QuorumParseError("no 'Total votes' line and no membership rows to count")
        total = sum(r.votes for r in block.rows)
    local_id = _number(block, "node id")
    marked = any(r.local for r in members)
    nodes = tuple(
        QuorumNode(
            nodeid=r.nodeid,
            votes=r.votes,
            name=r.name,
            local=r.local if marked else (local_id is not None and r.nodeid == local_id),
        )
        for r in members
    )
    return QuorumStatus(
        quorate=_quorate(block, flags, blocked),
        total_votes=total,
        expected_votes=expected,
        quorum=_number(block, "quorum"),
        nodes=nodes,
        flags=flags or (),
        cluster_name=_text(block, "name"),
        activity_blocked=blocked,
        qdevice=bool(qdevice_rows) or "Qdevice" in (flags or ()),
        qdevice_votes=sum(r.votes for r in qdevice_rows) if qdevice_rows else None,
        local_nodeid=local_id,
        node_count=_number(block, "nodes"),
        highest_expected=_number(block, "highest expected"),
        ring_id=_text(block, "ring id"),
        date=_text(block, "date"),
        config_version=_number(block, "config version"),
        transport=_text(block, "transport"),
        secure_auth=_text(block, "secure auth"),
    )
