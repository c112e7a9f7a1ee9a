"""Facts a whole-file scan can stream as it finds them, instead of holding them all.

``labconsole scan --events`` prints every one as a JSON line; ``scan --json`` keeps only
summaries (hang episodes, per-device link summaries, the first CEF records and quorum facts).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from labconsole.model.cef import CefEvent
from labconsole.model.hang import HangEpisode, HangKind
from labconsole.model.kernel_line import KernelLine
from labconsole.model.link import LinkEvent
from labconsole.model.nic_event import NicDetached
from labconsole.model.quorum_event import QuorumEvent
from labconsole.model.timefmt import iso_or_none
from labconsole.parse.hang_detector import (
    DetectorUpdate,
    EpisodeOpened,
    EpisodeUpdated,
    NicGone,
)


@dataclass(frozen=True, slots=True)
class HangReport:
    """One hang report (a ``Detected ... Unit Hang`` block or a watchdog line); ``episode``
    is the index of the episode it was folded into, in the scan's ``hangs``."""

    kind: HangKind
    driver: str
    device: str
    pci: str | None
    host: str | None
    time: datetime | None
    uptime: float | None
    lineno: int
    episode: int

    def to_json(self) -> dict[str, Any]:
        return {"fact": "hang_report", "line": self.lineno, "kind": self.kind,
                "driver": self.driver, "device": self.device, "pci": self.pci,
                "host": self.host, "time": iso_or_none(self.time), "uptime": self.uptime,
                "episode": self.episode}


@dataclass(frozen=True, slots=True)
class CefRecord:
    """A CEF record and the physical line it was read from."""

    lineno: int
    event: CefEvent

    def to_json(self) -> dict[str, Any]:
        return {"fact": "cef", "line": self.lineno, **self.event.to_json()}


def link_json(link: LinkEvent) -> dict[str, Any]:
    """A link event as one ``scan --events`` line."""
    return {"fact": "link", "line": link.lineno, "host": link.host, "device": link.device,
            "state": link.state, "time": iso_or_none(link.time), "uptime": link.uptime,
            "detail": link.detail}


Fact = HangReport | CefRecord | LinkEvent | QuorumEvent | NicDetached
FactSink = Callable[[Fact], None]


def fact_json(fact: Fact) -> dict[str, Any]:
    if isinstance(fact, LinkEvent):
        return link_json(fact)
    if isinstance(fact, QuorumEvent):
        return {"fact": "quorum_event", "line": fact.lineno, **fact.to_json()}
    if isinstance(fact, NicDetached):
        return {"fact": "nic_event", "line": fact.lineno, **fact.to_json()}
    return fact.to_json()


class HangReports:
    """Turns the detector's updates into one :class:`HangReport` per report head.

    Episodes are numbered by a counter in the order they open (their index in the scan's
    ``hangs``). The number is looked up by the episode's identity while the episode can still
    change; each entry holds the episode itself, so its ``id`` cannot pass to a new one while
    the entry lives. :meth:`forget_final` drops the entries of episodes no later line can
    change: a whole-file scan moves those out of memory (``scan.hang_spill``), and numbering
    by ``id`` alone then gave a freed episode's number to the next one allocated there."""

    __slots__ = ("_numbers", "_opened", "_sink")

    def __init__(self, sink: FactSink) -> None:
        self._sink = sink
        self._opened = 0  # episodes opened so far: the next one's number
        self._numbers: dict[int, tuple[HangEpisode, int]] = {}  # id(episode) -> (it, number)

    def take(self, line: KernelLine, updates: list[DetectorUpdate]) -> None:
        for update in updates:
            if isinstance(update, NicGone):
                self._sink(update.detached)
                continue
            ep = update.episode if isinstance(update, EpisodeOpened | EpisodeUpdated) else None
            if ep is None:
                continue
            if isinstance(update, EpisodeOpened):
                self._numbers[id(ep)] = (ep, self._opened)
                self._opened += 1
            elif line.continuation or ep.last_lineno != line.lineno:
                continue  # registers or a reset added, not a new report
            self._emit(ep, line)
            return  # one report per line at most

    def forget_final(self, still_open: list[HangEpisode]) -> None:
        """Keep the numbers of ``still_open`` (``HangDetector.open_episodes``) only: every
        other episode is final, no update names it again."""
        self._numbers = {id(ep): self._numbers[id(ep)] for ep in still_open
                         if id(ep) in self._numbers}

    def _emit(self, ep: HangEpisode, line: KernelLine) -> None:
        entry = self._numbers.get(id(ep))
        number = entry[1] if entry is not None and entry[0] is ep else -1
        self._sink(HangReport(kind=ep.kind, driver=ep.driver, device=ep.device, pci=ep.pci,
                              host=ep.host, time=line.time, uptime=line.uptime,
                              lineno=line.lineno, episode=number))
