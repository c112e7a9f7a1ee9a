"""What ``scan`` found in one input, in the JSON shape of the headless contract."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from labconsole.model.link_summary import LinkTally

if TYPE_CHECKING:  # the block formats' models are loaded with their parsers only
    from labconsole.model import (
        CefEvent,
        HangEpisode,
        NicDetached,
        Offloads,
        QuorumEvent,
        QuorumStatus,
    )
    from labconsole.scan.hang_spill import HangSpill

# Stands for the hang list in ``to_json(hangs=False)``: no input text can equal it (a path
# holds no NUL, and ``path``, ``kinds`` and ``lines`` are the only keys before ``hangs``).
HANGS_PLACEHOLDER = "\x00labconsole hangs\x00"
# Errors kept per file; the rest are counted so a garbage file cannot flood the output.
MAX_ERRORS = 100


@dataclass(slots=True)
class FileReport:
    """One input's entry in ``files``; :meth:`to_json` is its object in the contract."""

    path: str
    kinds: list[str] = field(default_factory=list)
    lines: int = 0
    hangs: list[HangEpisode] | HangSpill = field(default_factory=list)
    links: LinkTally = field(default_factory=LinkTally)
    quorum_events: list[QuorumEvent] = field(default_factory=list)
    nic_events: list[NicDetached] = field(default_factory=list)
    quorum: QuorumStatus | None = None
    offloads: Offloads | None = None
    cef: list[CefEvent] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    errors_dropped: int = 0
    ended_at: str | None = None  # the input stopped early (truncated gzip): what happened

    def ended_early(self, line: int, error: str) -> None:
        """The input could not be read to its end: an error entry, and ``scan`` exits 2."""
        self.ended_at = f"line {line}: input ends early: {error}"
        self.add_error(self.ended_at)

    def add_kind(self, kind: str) -> None:
        if kind not in self.kinds:
            self.kinds.append(kind)

    def add_error(self, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(message)
        else:
            self.errors_dropped += 1

    def to_json(self, *, hangs: bool = True) -> dict[str, Any]:
        """The contract's object; ``hangs=False`` puts :data:`HANGS_PLACEHOLDER` where the
        list of hang episodes goes (``scan --json`` writes them one at a time there)."""
        errors = list(self.errors)
        if self.errors_dropped:
            errors.append(f"... and {self.errors_dropped} more errors not shown")
        out: dict[str, Any] = {
            "path": self.path,
            "kinds": list(self.kinds),
            "lines": self.lines,
            "hangs": [h.to_json() for h in self.hangs] if hangs else HANGS_PLACEHOLDER,
            "links": self.links.to_json(),
            "quorum_events": [e.to_json() for e in self.quorum_events],
            "nic_events": [e.to_json() for e in self.nic_events],
            "quorum": self.quorum.to_json() if self.quorum else None,
            "offloads": self.offloads.to_json() if self.offloads else None,
            "cef": [c.to_json() for c in self.cef],
            "errors": errors,
        }
        out.update(self.extra)
        return out
