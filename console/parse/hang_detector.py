"""NIC transmit hang detection: kernel lines in, hang episodes and link events out, incrementally.

What counts as a *report* (one per printed block / line):
- e1000e/e1000 ``Detected Hardware Unit Hang:`` and igb/ixgbe/e1000 ``Detected Tx Unit Hang``
  (kind ``unit_hang``), with the register lines that follow as continuation lines;
- ``NETDEV WATCHDOG`` ``transmit queue N timed out`` in the old (``NETDEV WATCHDOG: eth2
  (r8169): ...``) and new (``r8125 0000:22:04.0 eth4: NETDEV WATCHDOG: CPU: 3: ...``) styles
  (kind ``watchdog``), and the driver's timeout handler in its own words (kind
  ``tx_timeout``; just after a watchdog line of the device, it is that report's detail). A
  new-style line printed without its device prefix is kept as its own episode with empty
  ``driver``/``device``: attributing it to a nearby device would be a guess.

Folding: reports of one (host, device, family) form one episode while they keep coming, the
families being the register dump (``unit_hang``), a queue timing out (``watchdog`` and
``tx_timeout`` together) and a bare reset; other devices may interleave. An episode's ``kind``
is the form of its first report, ``forms`` every form it holds. A new episode starts when
more than ``quiet_gap`` seconds (default 60 s; uptime when both reports carry it, else wall
time) passed since the episode's last report, when the uptime went backwards (a reboot), or
after a link-up of that device. e1000e prints a report every 2 s while the ring is stuck, so
60 s separates incidents, not reports.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from labconsole.model.hang import (
    CONSUMER_REGISTERS,
    PRODUCER_OF,
    HangEpisode,
    HangForm,
    HangKind,
)
from labconsole.model.kernel_line import KernelLine
from labconsole.model.link import LinkEvent, LinkState
from labconsole.model.nic_event import NicDetached
from labconsole.parse.kernel_line import register_pairs
from labconsole.parse.link_events import link_event

QUIET_GAP = 60.0
UNIT_HANG_MARKERS = ("Detected Hardware Unit Hang", "Detected Tx Unit Hang")
WATCHDOG_MARKER = "NETDEV WATCHDOG"
RESET_MARKER = "Reset adapter unexpectedly"
# Last register line of a block: the report is complete, no need to wait for the next line.
_FINAL_REGISTERS = frozenset({"PCI Status", "desc.status"})
FINAL_REGISTERS = _FINAL_REGISTERS  # a register that ends its report's block
_QUEUE = re.compile(r"transmit queue (\d+) timed out")
# The driver's ndo_tx_timeout handler in its own words (after the NETDEV WATCHDOG line, or
# alone where the watchdog line was not captured): mlx5 "TX timeout detected" / "TX timeout on
# queue: 19, SQ: 0xab6, ...", virtio_net "TX timeout on queue: 0, sq: output.0, ...", tg3
# "transmit timed out, resetting", vmxnet3 "tx hang", i40e/ice "tx_timeout recovery level 1,
# txqueue 6" and their "tx_timeout: VSI_seid: 390, Q 6, NTC: 0x1a0, ..." state line.
DRIVER_TIMEOUT = re.compile(
    r"TX timeout (?:detected|on queue:? ?(?P<q1>\d+))"
    r"|transmit timed out"
    r"|: tx hang$"
    r"|tx_timeout recovery level \d+, txqueue (?P<q2>\d+)"
    r"|tx_timeout: VSI_\w+: \d+, Q (?P<q3>\d+)"
)
# A driver reset for a TX hang: ixgbe "tx hang 1 detected on queue 6, resetting adapter" /
# "initiating reset due to tx timeout", i40e "TX driver issue detected, PF reset issued".
DRIVER_RESET = re.compile(
    r"tx hang \d+ detected on queue (?P<q>\d+), resetting adapter"
    r"|initiating reset due to tx timeout"
    r"|TX driver issue detected, PF reset issued"
)
DETACHED_MARKER = "PCIe link lost, device now detached"
# A headless line that starts like a kernel device message: driver and a bus address, or the
# watchdog's own prefix.
_DEVICE_START = re.compile(r"[A-Za-z][\w-]* [0-9a-fA-F]{4}:[0-9a-fA-F]{2}:|NETDEV WATCHDOG: ")
# "NAME: 0xHEX" state values printed on a driver's timeout line.
_HEX_FIELD = re.compile(r"(?P<name>[A-Za-z][\w ]{0,20}?): (?P<value>0x[0-9a-fA-F]+)")
# A driver's timeout line this close to a report of the same episode is that report's detail.
_SAME_REPORT_S = 0.5


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


@dataclass(frozen=True, slots=True)
class NicGone:
    """A NIC detached from the bus (igc "PCIe link lost"): its own fact, not a hang."""

    detached: NicDetached


DetectorUpdate = EpisodeOpened | EpisodeUpdated | LinkChanged | NicGone

_Key = tuple[str | None, str, HangKind]
# Takes a link event as (host, device, state, time, uptime): ``LinkTally.add_fields``.
LinkFieldsSink = Callable[[str | None, str, LinkState, datetime | None, float | None], None]


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
    file scan summarises them rather than holding every one. ``on_link_fields`` (with
    ``on_link``) takes the events :meth:`link_fields` announces, as their fields
    ``(host, device, state, time, uptime)``, where nothing else reads them (``on_link`` is
    then the same tally's ``add``).
    """

    def __init__(self, quiet_gap: float = QUIET_GAP,
                 on_link: Callable[[LinkEvent], None] | None = None,
                 on_link_fields: LinkFieldsSink | None = None) -> None:
        self.quiet_gap = quiet_gap
        self.episodes: list[HangEpisode] = []
        self.links: list[LinkEvent] = []
        self._on_link = on_link
        self._on_link_fields = on_link_fields if on_link is not None else None
        self.detached: list[NicDetached] = []
        self.unattached_resets = 0
        self._open: dict[_Key, _Open] = {}
        self._report: _Report | None = None

    def feed(self, line: KernelLine) -> list[DetectorUpdate]:
        """Take one logical line; return what changed (often nothing)."""
        if line.continuation and self._report is not None:
            return self._register_line(line)
        updates = self._close_report()
        if not line.is_kernel or line.continuation or not _kernel_shaped(line):
            return updates
        message = line.message
        if any(marker in message for marker in UNIT_HANG_MARKERS):
            updates.append(self._report_line(line, "unit_hang", "unit_hang"))
        elif WATCHDOG_MARKER in message and "timed out" in message:
            updates.append(self._report_line(line, "tx_timeout", "watchdog"))
            self._close_report()  # a watchdog line carries no register block
        elif RESET_MARKER in message:
            updates.extend(self._reset(line))
        elif DETACHED_MARKER in message:
            updates.append(self._detached(line))
        else:
            updates.extend(self._driver_words(line))
        return updates

    def unit_hang(self, line: KernelLine) -> list[DetectorUpdate]:
        """:meth:`feed` of a headed kernel record (not a continuation) whose message holds
        a :data:`UNIT_HANG_MARKERS` marker, which the caller checked: the same updates
        without the tests (a whole-file scan of a hang storm reads thousands)."""
        updates = self._close_report()
        updates.append(self._report_line(line, "unit_hang", "unit_hang"))
        return updates

    def unit_hang_registers(self, line: KernelLine, registers: dict[str, str], final: bool,
                            updates: bool = True) -> list[DetectorUpdate]:
        """:meth:`unit_hang` of ``line``, then :meth:`report_registers` of its whole register
        block (``registers``, taken over; ``final`` as there), in one call: the updates of
        the head (those of the registers are read by nobody: a continuation line's), or
        none without ``updates`` (a caller that reads none: the same effect otherwise). A
        whole-file scan of an e1000e hang storm reads tens of thousands of such reports; a
        final one is closed at once, without being held as the open report."""
        found = self._close_report() if self._report is not None else []
        opened, state = self._add_report(line, "unit_hang", "unit_hang", None)
        if updates:
            found.append(EpisodeOpened(state.episode) if opened
                         else EpisodeUpdated(state.episode))
        if not final:
            self._report = _Report(state, None, registers)
        elif registers:  # (as _close_report: a report without registers changes nothing)
            self._registers_read(state, None, registers)
        return found if updates else []

    def _driver_words(self, line: KernelLine) -> list[DetectorUpdate]:
        """A driver's own timeout or reset line, else a link change, else nothing."""
        message = line.message
        # Every DRIVER_TIMEOUT / DRIVER_RESET match holds one of these words: a link line
        # (most hit lines of a busy log) skips both searches.
        if not ("timeout" in message or "timed out" in message or "tx hang" in message
                or "PF reset" in message):
            link = link_event(line)
            return [] if link is None else [self._link(link)]
        m = DRIVER_TIMEOUT.search(message)
        if m is not None and line.driver:
            queue = m["q1"] or m["q2"] or m["q3"]
            return self._driver_timeout(line, int(queue) if queue else None)
        m = DRIVER_RESET.search(message)
        if m is not None and line.driver:
            return self._reset(line, standalone=True)
        link = link_event(line)
        return [] if link is None else [self._link(link)]

    @property
    def collecting(self) -> bool:
        """A report's register lines are being collected (the next record closes it)."""
        return self._report is not None

    @property
    def at_rest(self) -> bool:
        """No episode open and no report collecting registers: a "fact rest point". A call
        reads nothing of the detector but ``_open`` and ``_report`` (``episodes``, ``links``,
        ``detached`` and ``unattached_resets`` are only added to), so from here on this
        detector and a fresh one give the same updates to the same calls, and no episode
        listed so far changes any more. A whole-file scan in parts (``scan.parallel``) takes
        a later part's own detector from such a point on instead of replaying its calls: a
        field a later call reads must be covered here."""
        return not self._open and self._report is None

    def take_open(self, later: HangDetector) -> None:
        """Go on from where ``later`` stopped: ``later`` started fresh at a point of this
        detector's calls where every episode open here is of a device it never looked up
        (none when this one was :attr:`at_rest`) and took the calls after it instead of this
        one, whose own episodes the caller lists. Taking those calls here would have left
        these open episodes as they are and added ``later``'s (a device's open episodes
        are read and changed only by that device's calls), and ``later``'s report."""
        self._open.update(later._open)
        self._report = later._report

    def link_line(self, link: LinkEvent) -> None:
        """:meth:`feed` of a kernel record that only announces ``link`` (``link_lines.
        link_only``) while no report is being collected, without building the record (nor
        the update nobody reads)."""
        self._link_seen(link)

    def link_fields(self, host: str | None, device: str, state: LinkState,
                    time: datetime | None, uptime: float | None, detail: str | None,
                    lineno: int) -> None:
        """:meth:`link_line` of ``LinkEvent(device, state, time, host, uptime, detail,
        lineno)``, built only where something reads the event itself (the ``links`` list,
        ``on_link`` without ``on_link_fields``): then it goes through ``self.link_line``, so
        that a subclass or an instance attribute that wraps ``link_line`` (a part's traced
        detector in ``scan.parallel``) still sees every link-only line."""
        sink = self._on_link_fields
        if sink is None:
            self.link_line(LinkEvent(device, state, time, host, uptime, detail, lineno))
            return
        sink(host, device, state, time, uptime)
        if state == "up" and self._open:
            self._link_up(host, device)

    def open_episodes(self) -> list[HangEpisode]:
        """The episodes later lines may still change (each device's last one, until a link
        up or an episode of its own replaces it, and the one collecting registers); every
        other episode in ``episodes`` is final. A whole-file scan writes the final ones out
        instead of holding them."""
        found = [state.episode for state in self._open.values()]
        if self._report is not None:  # its registers are still to come
            found.append(self._report.state.episode)
        return found

    def finish(self) -> list[DetectorUpdate]:
        """End of input: complete the report being collected."""
        return self._close_report() if self._report is not None else []

    # -- reports -----------------------------------------------------------------------------

    def _report_line(self, line: KernelLine, kind: HangKind, form: HangForm,
                     queue: int | None = None) -> DetectorUpdate:
        if form == "watchdog":
            queue = _watchdog_queue(line.message)
        opened, state = self._add_report(line, kind, form, queue)
        self._report = _Report(state, queue)
        return EpisodeOpened(state.episode) if opened else EpisodeUpdated(state.episode)

    def _add_report(self, line: KernelLine, kind: HangKind, form: HangForm,
                    queue: int | None) -> tuple[bool, _Open]:
        """The report ``line`` added to its device's episode (a new one when it is not the
        same episode): whether the episode is new, and its book-keeping."""
        device = line.device or line.pci or ""
        key: _Key = (line.host, device, kind)
        state = self._open.get(key)
        # ``kind`` is the folding family; the episode is named for the form of its first report.
        if state is not None and self._same_episode(state.episode, line):
            ep = state.episode
            ep.reports += 1
            ep.last, ep.last_uptime, ep.last_lineno = line.time, line.uptime, line.lineno
            opened = False
        else:
            ep = HangEpisode(
                kind=form, driver=line.driver or "", device=device, pci=line.pci,
                host=line.host, first=line.time, last=line.time, first_uptime=line.uptime,
                last_uptime=line.uptime, reports=1, first_lineno=line.lineno,
                last_lineno=line.lineno,
            )
            state = _Open(ep)
            self._open[key] = state
            self.episodes.append(ep)
            opened = True
        if queue is not None and queue not in ep.queues:
            ep.queues.append(queue)
        if form not in ep.forms:
            ep.forms.append(form)
        return opened, state

    def _driver_timeout(self, line: KernelLine, queue: int | None) -> list[DetectorUpdate]:
        """The driver's timeout handler: a report of its own, or the detail of a report of the
        same device printed just before (the NETDEV WATCHDOG line, mlx5's first line)."""
        device = line.device or line.pci or ""
        state = self._open.get((line.host, device, "tx_timeout"))
        if state is not None and _just_after(state.episode, line):
            ep = state.episode
            if "tx_timeout" not in ep.forms:
                ep.forms.append("tx_timeout")
            if queue is not None and queue not in ep.queues:
                ep.queues.append(queue)
            self._report = _Report(state, queue)  # its values join that report's registers
            update: DetectorUpdate = EpisodeUpdated(ep)
        else:
            update = self._report_line(line, "tx_timeout", "tx_timeout", queue)
        report = self._report
        assert report is not None
        for m in _HEX_FIELD.finditer(line.message):
            report.registers.setdefault(m["name"].strip(), m["value"])
        return [update, *self._close_report()]

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

    def register_lines(
        self, lines: Sequence[tuple[tuple[str, str], ...] | None]
    ) -> list[DetectorUpdate]:
        """Continuation lines of the current message given by their :func:`register_pairs`
        (``None`` or ``()`` for a line holding none): exactly what feeding each as a
        continuation ``KernelLine`` does, without building the records. A whole-file scan of
        a hang storm is mostly such lines."""
        report = self._report
        if report is None:
            return []
        registers = report.registers
        for pairs in lines:
            if not pairs:
                continue
            final = False
            for name, value in pairs:
                registers.setdefault(name, value)
                if name == "Tx Queue" and value.isdigit():
                    report.queue = int(value)
                elif name in _FINAL_REGISTERS:
                    final = True
            if final:
                return self._close_report()  # the lines after it find no report: no-ops
        return []

    def report_registers(self, registers: dict[str, str], final: bool) -> None:
        """:meth:`register_lines` of lines whose pairs, in order, are ``registers`` (names
        distinct, no ``Tx Queue``), the last line holding a final register when ``final`` and
        none before it: one whole e1000e register block read by one match. ``registers`` is
        taken over (the caller builds it for this call)."""
        report = self._report
        if report is None:
            return
        if report.registers:
            for name, value in registers.items():
                report.registers.setdefault(name, value)
        else:
            report.registers = registers
        if final:
            self._close_report()

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
        self._registers_read(report.state, report.queue, report.registers)
        return [EpisodeUpdated(report.state.episode)]

    def _registers_read(self, state: _Open, queue: int | None, regs: dict[str, str]) -> None:
        """A closed report's registers (not empty) in its episode: the last report's, its
        queue, whether the ring moved since that queue's report before."""
        ep = state.episode
        ep.registers = regs  # the report's own dict, which nothing else holds: no copy
        if queue is not None and queue not in ep.queues:
            ep.queues.append(queue)
        for name in CONSUMER_REGISTERS:
            if name in regs:
                tdh = regs[name]
                ntc = regs.get("next_to_clean")
                before = state.ring.get(queue)
                tail = regs.get(PRODUCER_OF[name])
                if tail is not None and tail == tdh:
                    # The NIC has sent everything queued (head == tail): whatever is late,
                    # it is not a TX ring the hardware stopped working on.
                    ep.stuck = False
                elif before is not None:
                    same_ntc = before[1] is None or ntc is None or before[1] == ntc
                    ep.stuck = before[0] == tdh and same_ntc
                state.ring[queue] = (tdh, ntc)
                return

    # -- resets and links ---------------------------------------------------------------------

    def _reset(self, line: KernelLine, *, standalone: bool = False) -> list[DetectorUpdate]:
        """A driver reset: counted on the device's open episode; without one, an episode of
        kind ``reset`` when the line itself names a TX hang (``standalone``), else only
        counted in ``unattached_resets`` (e1000e's "Reset adapter unexpectedly" alone)."""
        device = line.device or line.pci or ""
        kinds: tuple[HangKind, ...] = ("unit_hang", "tx_timeout", "reset")
        for kind in kinds:
            state = self._open.get((line.host, device, kind))
            if state is not None and self._same_episode(state.episode, line):
                ep = state.episode
                ep.resets += 1
                if "reset" not in ep.forms:
                    ep.forms.append("reset")
                return [EpisodeUpdated(ep)]
        if standalone:
            m = DRIVER_RESET.search(line.message)
            queue = int(m["q"]) if m is not None and m["q"] else None
            update = self._report_line(line, "reset", "reset", queue)
            if isinstance(update, EpisodeOpened | EpisodeUpdated):
                update.episode.resets += 1
            return [update, *self._close_report()]
        self.unattached_resets += 1
        return []

    def _detached(self, line: KernelLine) -> DetectorUpdate:
        gone = NicDetached(
            driver=line.driver or "", device=line.device or line.pci or "", pci=line.pci,
            host=line.host, time=line.time, uptime=line.uptime, lineno=line.lineno,
        )
        self.detached.append(gone)
        return NicGone(gone)

    def _link(self, link: LinkEvent) -> DetectorUpdate:
        self._link_seen(link)
        return LinkChanged(link)

    def _link_seen(self, link: LinkEvent) -> None:
        """A link event's effect: listed or tallied; an up ends the device's open episodes."""
        if self._on_link is None:
            self.links.append(link)
        else:
            self._on_link(link)
        if link.state == "up" and self._open:
            self._link_up(link.host, link.device)

    def _link_up(self, host: str | None, device: str) -> None:
        """A link up ends the device's open episodes."""
        opened = self._open
        opened.pop((host, device, "unit_hang"), None)
        opened.pop((host, device, "tx_timeout"), None)
        opened.pop((host, device, "reset"), None)


def _kernel_shaped(line: KernelLine) -> bool:
    """A report needs the kernel-record shape: a kernel header, or (dmesg -t, a paste) a line
    that starts like a device message (``driver 0000:00:1f.6 ...``, ``NETDEV WATCHDOG:``);
    prose that mentions "Hang" is neither."""
    return line.headed or line.driver is not None or _DEVICE_START.match(line.message) is not None


def _just_after(ep: HangEpisode, line: KernelLine) -> bool:
    """Is ``line`` within :data:`_SAME_REPORT_S` after the episode's last report (by uptime,
    else wall time; without either clock, on the very next line)?"""
    if line.uptime is not None and ep.last_uptime is not None:
        return 0 <= line.uptime - ep.last_uptime <= _SAME_REPORT_S
    if (line.time is not None and ep.last is not None
            and (line.time.tzinfo is None) == (ep.last.tzinfo is None)):
        return 0 <= (line.time - ep.last).total_seconds() <= _SAME_REPORT_S
    return line.lineno == ep.last_lineno + 1


def _watchdog_queue(message: str) -> int | None:
    m = _QUEUE.search(message)
    return int(m.group(1)) if m else None
