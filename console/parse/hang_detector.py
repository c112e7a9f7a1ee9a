"""NIC transmit hang detection: kernel lines in, hang episodes and link events out, incrementally.

What counts as a *report* (one per printed block / line):
- e1000e/e1000 ``Detected Hardware Unit Hang:`` and igb/ixgbe/e1000 ``Detected Tx Unit Hang``
  (kind ``unit_hang``), with the register lines that follow as continuation lines;
- ``NETDEV WATCHDOG`` ``transmit queue N timed out`` in the old (``NETDEV WATCHDOG: eth2
  (r8169): ...``) and new (``r8125 0000:22:04.0 eth4: NETDEV WATCHDOG: CPU: 3: ...``) styles
  (kind ``tx_timeout``). A new-style line printed without its device prefix is kept as its own
  episode with empty ``driver``/``device``: attributing it to a nearby device would be a guess.

Folding: reports of one (host, device, kind) form one episode while they keep coming; other
devices may interleave. A new episode starts when more than ``quiet_gap`` seconds (default
60 s; uptime when both reports carry it, else wall time) passed since the episode's last
report, when the uptime went backwards (a reboot), or after a link-up of that device. e1000e
prints a report every 2 s while the ring is stuck, so 60 s separates incidents, not reports.

``Reset adapter unexpectedly`` is not a report: it is counted in ``resets`` of the device's
open episode (the driver's recovery attempt), or in ``unattached_resets`` when no episode is
open. Link down/up lines become ``LinkEvent`` records, never hangs.

``registers`` hold the last report that printed registers, keyed by name as printed (runs of
spaces collapsed: ``PHY 1000BASE-T Status``) with the value inside the angle brackets (``<f6>``
-> ``"f6"``); ixgbe's ``TDH, TDT <0>, <9>`` becomes ``TDH`` and ``TDT``; ``Tx Queue`` stays a
register and also lands in ``queues``. ``stuck`` compares each report with the previous report
of the same Tx queue in the episode: True when TDH (and next_to_clean where both print it) did
not move, False when it moved, None until two reports of one queue carried TDH. It reflects
the latest comparison: a ring that was moving and then froze reads True.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from labconsole.model.hang import HangEpisode, HangKind
from labconsole.model.kernel_line import KernelLine
from labconsole.model.link import LinkEvent
from labconsole.parse.kernel_line import register_pairs
from labconsole.parse.link_events import link_event

QUIET_GAP = 60.0
UNIT_HANG_MARKERS = ("Detected Hardware Unit Hang", "Detected Tx Unit Hang")
WATCHDOG_MARKER = "NETDEV WATCHDOG"
RESET_MARKER = "Reset adapter unexpectedly"
# Last register line of a block: the report is complete, no need to wait for the next line.
_FINAL_REGISTERS = frozenset({"PCI Status", "desc.status"})
_QUEUE = re.compile(r"transmit queue (\d+) timed out")


@dataclass(frozen=True, slots=True)
class EpisodeOpened:
    """A new hang episode (its first report). ``episode`` is the live, growing record."""

    episode: HangEpisode


@dataclass(frozen=True, slots=True)
class EpisodeUpdated:
    """Another report, its registers, or a reset was added to ``episode``."""

    episode: HangEpisode


@dataclass(frozen=True, slots=True)
class LinkChanged:
    link: LinkEvent


DetectorUpdate = EpisodeOpened | EpisodeUpdated | LinkChanged

_Key = tuple[str | None, str, HangKind]


@dataclass(slots=True)
class _Open:
    """Book-keeping for one episode still accepting reports."""

    episode: HangEpisode
    ring: dict[int | None, tuple[str, str | None]] = field(default_factory=dict)


@dataclass(slots=True)
class _Report:
    """The report whose register lines are being collected."""

    state: _Open
    queue: int | None = None
    registers: dict[str, str] = field(default_factory=dict)


class HangDetector:
    """Feed ``KernelLine`` records in log order; read ``episodes`` and ``links`` at any time.

    ``on_link`` takes each link event instead of ``links`` (which then stays empty): a whole-
    file scan summarises them rather than holding every one.
    """

    def __init__(self, quiet_gap: float = QUIET_GAP,
                 on_link: Callable[[LinkEvent], None] | None = None) -> None:
        self.quiet_gap = quiet_gap
        self.episodes: list[HangEpisode] = []
        self.links: list[LinkEvent] = []
        self._on_link = on_link
        self.unattached_resets = 0
        self._open: dict[_Key, _Open] = {}
        self._report: _Report | None = None

    def feed(self, line: KernelLine) -> list[DetectorUpdate]:
        """Take one logical line; return what changed (often nothing)."""
        if line.continuation and self._report is not None:
            return self._register_line(line)
        updates = self._close_report()
        if not line.is_kernel or line.continuation:
            return updates
        message = line.message
        if any(marker in message for marker in UNIT_HANG_MARKERS):
            updates.append(self._report_line(line, "unit_hang"))
        elif WATCHDOG_MARKER in message and "timed out" in message:
            updates.append(self._report_line(line, "tx_timeout"))
            self._close_report()  # a watchdog line carries no register block
        elif RESET_MARKER in message:
            updates.extend(self._reset(line))
        else:
            link = link_event(line)
            if link is not None:
                updates.append(self._link(link))
        return updates

    def finish(self) -> list[DetectorUpdate]:
        """End of input: complete the report being collected."""
        return self._close_report()

    # -- reports -----------------------------------------------------------------------------

    def _report_line(self, line: KernelLine, kind: HangKind) -> DetectorUpdate:
        driver = line.driver or ""
        device = line.device or line.pci or ""
        key: _Key = (line.host, device, kind)
        state = self._open.get(key)
        queue = _watchdog_queue(line.message) if kind == "tx_timeout" else None
        if state is not None and self._same_episode(state.episode, line):
            ep = state.episode
            ep.reports += 1
            ep.last, ep.last_uptime, ep.last_lineno = line.time, line.uptime, line.lineno
            update: DetectorUpdate = EpisodeUpdated(ep)
        else:
            ep = HangEpisode(
                kind=kind, driver=driver, device=device, pci=line.pci, host=line.host,
                first=line.time, last=line.time, first_uptime=line.uptime,
                last_uptime=line.uptime, reports=1, first_lineno=line.lineno,
                last_lineno=line.lineno,
            )
            state = _Open(ep)
            self._open[key] = state
            self.episodes.append(ep)
            update = EpisodeOpened(ep)
        if queue is not None and queue not in ep.queues:
            ep.queues.append(queue)
        self._report = _Report(state)
        return update

    def _same_episode(self, ep: HangEpisode, line: KernelLine) -> bool:
        if line.uptime is not None and ep.last_uptime is not None:
            gap = line.uptime - ep.last_uptime
        elif (
            line.time is not None
            and ep.last is not None
            and (line.time.tzinfo is None) == (ep.last.tzinfo is None)
        ):
            gap = (line.time - ep.last).total_seconds()
        else:
            return True  # no comparable clock: consecutive reports are one episode
        return 0 <= gap <= self.quiet_gap or -1.0 < gap < 0  # small skew, not a reboot

    def _register_line(self, line: KernelLine) -> list[DetectorUpdate]:
        report = self._report
        assert report is not None
        pairs = register_pairs(line.message)
        if not pairs:
            return []  # a section label or an unrelated indented line
        for name, value in pairs:
            report.registers.setdefault(name, value)
            if name == "Tx Queue" and value.isdigit():
                report.queue = int(value)
        if any(name in _FINAL_REGISTERS for name, _ in pairs):
            return self._close_report()
        return []

    def _close_report(self) -> list[DetectorUpdate]:
        report, self._report = self._report, None
        if report is None or not report.registers:
            return []
        state = report.state
        ep = state.episode
        regs = report.registers
        ep.registers = dict(regs)
        if report.queue is not None and report.queue not in ep.queues:
            ep.queues.append(report.queue)
        tdh = regs.get("TDH")
        if tdh is not None:
            ntc = regs.get("next_to_clean")
            before = state.ring.get(report.queue)
            if before is not None:
                same_ntc = before[1] is None or ntc is None or before[1] == ntc
                ep.stuck = before[0] == tdh and same_ntc
            state.ring[report.queue] = (tdh, ntc)
        return [EpisodeUpdated(ep)]

    # -- resets and links ---------------------------------------------------------------------

    def _reset(self, line: KernelLine) -> list[DetectorUpdate]:
        device = line.device or line.pci or ""
        for kind in ("unit_hang", "tx_timeout"):
            state = self._open.get((line.host, device, kind))
            if state is not None and self._same_episode(state.episode, line):
                state.episode.resets += 1
                return [EpisodeUpdated(state.episode)]
        self.unattached_resets += 1
        return []

    def _link(self, link: LinkEvent) -> DetectorUpdate:
        if self._on_link is None:
            self.links.append(link)
        else:
            self._on_link(link)
        if link.state == "up":
            for kind in ("unit_hang", "tx_timeout"):
                self._open.pop((link.host, link.device, kind), None)
        return LinkChanged(link)


def _watchdog_queue(message: str) -> int | None:
    m = _QUEUE.search(message)
    return int(m.group(1)) if m else None
