"""Replay: recordings and plain log files played back as a source, with speed, pause, step, seek.

Any mix of files can be replayed: JSONL recordings (``labconsole.sources.recording``, maybe
gzip-compressed) and plain kernel log files in any format the kernel reader knows (journalctl,
syslog, dmesg). Lines of a plain file become ``KernelText`` events; the node is the syslog host
where the line has one (a host name, never a PID or tag in that place), else the file's name
marked as such (``file:kern``), and the time is the line's own time from its content
(``labconsole.parse.content_time``: lines without one, like the indented lines of a hang
dump, keep the previous line's time and host; never the file's mtime). All events are merged
in time order.

Pacing: at speed ``s`` a gap of ``g`` seconds between consecutive events is played as
``min(g, max_gap) / s`` seconds. Capping each quiet stretch at ``max_gap`` (0.75 s by default)
is how a 17-minute incident plays in about a minute at speed 1 while bursts keep their rhythm;
``max_gap=None`` plays real time. Speed 0 plays as fast as possible.

Control (``ReplayControl``, shared with the UI): pause/resume, step (release the next group of
events that share a timestamp), seek to a time (forward: fast-forward; backward: the pipeline
resets the domain state and the replay fast-forwards from the start), change speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from labconsole.events import Event, KernelText
from labconsole.model import timefmt
from labconsole.parse.syslog_header import parse_syslog_header
from labconsole.sources.base import Emit
from labconsole.sources.plain_or_gzip import open_binary
from labconsole.sources.recording import (
    RecordingError,
    is_recording,
    iter_recording,
)

if TYPE_CHECKING:
    from labconsole.config.node_names import NodeNames

DEFAULT_MAX_GAP = 0.75
_YIELD_EVERY = 200  # at speed 0, let the UI breathe every N events


class ReplayError(ValueError):
    """A replay input that cannot be used at all (missing file, nothing readable)."""


def _utc(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)


def replay_gap(prev: datetime | None, at: datetime, max_gap: float | None) -> float:
    """Recording seconds to wait before an event at ``at`` after one at ``prev`` (capped)."""
    if prev is None:
        return 0.0
    gap = max(0.0, (at - prev).total_seconds())
    return gap if max_gap is None else min(gap, max_gap)


def playing_time(events: Sequence[Event], *, speed: float = 1.0,
                 max_gap: float | None = DEFAULT_MAX_GAP) -> float:
    """Wall-clock seconds a replay of ``events`` takes at ``speed`` (0 = as fast as possible)."""
    if speed == 0:
        return 0.0
    total, prev = 0.0, None
    for ev in events:
        at = _utc(ev.at)
        total += replay_gap(prev, at, max_gap)
        prev = at
    return total / speed


FILE_NODE_PREFIX = "file:"
# What a syslog header's host field must look like to name a node: a host name (letters,
# digits, '.', '_', '-'; an anonymised "node  02" too). Not a PID ("[25591]"), a subsystem
# tag ("[KNET]") or a vmkernel "cpu0:2097575)WARNING:" that a headerless line put there.
_HOST_NAME = re.compile(r"[A-Za-z0-9][\w.-]{0,252}(?: +\d+)?")


def is_host_name(text: str | None) -> bool:
    return text is not None and _HOST_NAME.fullmatch(text) is not None


def iter_log_file(path: str | Path, *, node: str | None = None, year: int | None = None,
                  errors: list[RecordingError] | None = None,
                  names: NodeNames | None = None) -> Iterable[KernelText]:
    """The lines of a plain log file as KernelText events (see the module docstring).

    Times come from the content (``labconsole.parse.content_time``), never the file's mtime.
    A compressed file cut short yields every line read before the damage, then one
    ``RecordingError`` (``ends_input``) in ``errors``; without ``errors``, a ReplayError.
    ``names`` (a config given): a host is named as the config names it, and the lines of a
    file that name no host belong to the config node its file name names (the config
    confirms that name; without one a file name stays marked ``file:``)."""
    p = Path(path)
    by_name = names.for_file(p) if names is not None else None
    # Marked as a file name, so nobody takes it for a host (and it never clashes with one).
    fallback_node = node or by_name or f"{FILE_NODE_PREFIX}{p.name.split('.')[0] or 'log'}"
    # Imported here: a recording (the demo) needs no content times, and its first frame
    # does not wait for this module (issue 13 item 5).
    from labconsole.parse.content_time import file_times

    texts = _read_texts(p, errors)
    times = file_times(texts, year=year).times
    host: str | None = None  # a continuation line belongs to the previous line's host
    for text, at in zip(texts, times, strict=True):
        found = parse_syslog_header(text)
        if found is not None:
            header = found[0]
            host = header.host if is_host_name(header.host) else host
            if host is not None and names is not None:
                host = names.for_host(host)
        yield KernelText(at=at, source=f"file:{p.name}", node=node or host or fallback_node,
                         text=text)


def _read_texts(p: Path, errors: list[RecordingError] | None) -> list[str]:
    """The non-blank lines of a plain file (decoded, line ends removed)."""
    texts: list[str] = []
    lineno = 0
    with open_binary(p) as fh:
        lines = iter(fh)
        while True:
            try:
                raw = next(lines, None)
            except (OSError, EOFError, zlib.error) as exc:  # OSError covers BadGzipFile
                reason = f"compressed stream damaged: {exc}"
                if errors is None:
                    raise ReplayError(f"{p}:{lineno + 1}: {reason}") from None
                errors.append(RecordingError(path=str(p), lineno=lineno + 1, reason=reason,
                                             ends_input=True))
                return texts
            if raw is None:
                return texts
            lineno += 1
            text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if text.strip():
                texts.append(text)


def load_events(paths: Sequence[str | Path], errors: list[RecordingError] | None = None,
                *, year: int | None = None, names: NodeNames | None = None) -> list[Event]:
    """Events of every input, merged in time order (stable: file order for equal times).

    ``year`` is for log lines whose stamp has none (syslog, journalctl short); by default the
    year the file's own dated times give, else unknown (``labconsole.parse.content_time``).
    """
    streams: list[list[Event]] = []
    for path in paths:
        p = Path(path)
        if not p.is_file():
            raise ReplayError(f"{p}: no such file")
        if is_recording(p):
            streams.append([r.event for r in iter_recording(p, errors)])
        else:
            streams.append(list(iter_log_file(p, year=year, errors=errors, names=names)))
    merged = [ev for stream in streams for ev in stream]
    merged.sort(key=lambda ev: _utc(ev.at))
    return merged


@dataclass(slots=True)
class ReplayControl:
    """Speed, pause, step and seek of a replay; shared by the source and the UI."""

    speed: float = 1.0
    paused: bool = False
    max_gap: float | None = DEFAULT_MAX_GAP
    position: datetime | None = None
    start: datetime | None = None
    end: datetime | None = None
    index: int = 0
    total: int = 0
    finished: bool = False
    target: datetime | None = None
    on_reset: Callable[[], None] | None = None
    # What a file opened as a log viewer is doing ("indexing 40%", "facts 43%"), else None.
    progress: str | None = None
    # A file opened whole as a log viewer (``sources.file_view``): every line is on screen at
    # once, so there is nothing to step, pace or seek; the UI jumps its log pane instead.
    whole_file: bool = False
    _steps: int = 0
    _rewind: bool = False
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    def set_speed(self, speed: float) -> None:
        if speed < 0:
            raise ValueError(f"speed must be >= 0, got {speed}")
        self.speed = speed
        self._wake.set()

    def faster(self) -> float:
        self.set_speed(1.0 if self.speed == 0 else min(self.speed * 2, 64.0))
        return self.speed

    def slower(self) -> float:
        self.set_speed(max(self.speed / 2, 0.125) if self.speed else 0.125)
        return self.speed

    def pause(self) -> None:
        self.paused = True
        self._wake.set()

    def resume(self) -> None:
        self.paused = False
        self._wake.set()

    def toggle(self) -> bool:
        """Pause or resume; returns True when now paused."""
        if self.paused:
            self.resume()
        else:
            self.pause()
        return self.paused

    def step(self) -> None:
        """While paused: release the next group of events sharing one timestamp."""
        self._steps += 1
        self._wake.set()

    def seek(self, when: datetime) -> None:
        """Go to ``when``: forward fast-forwards, backward replays from the start."""
        when = _utc(when)
        if self.position is not None and when < self.position:
            self._rewind = True
        self.target = when
        self._wake.set()

    def seek_by(self, seconds: float) -> datetime | None:
        """Seek relative to the current position (recording time)."""
        if self.position is None:
            return None
        from datetime import timedelta

        when = self.position + timedelta(seconds=seconds)
        if self.start is not None and when < self.start:
            when = self.start
        self.seek(when)
        return when

    @property
    def label(self) -> str:
        if self.finished:
            state = "end"
        elif self.paused:
            state = "paused"
        else:
            state = "x" + (f"{self.speed:g}" if self.speed else "max")
        dated = timefmt.spans_days(self.start, self.end)
        pos = timefmt.short(self.position, date=dated) if self.position else "--:--:--"
        end = timefmt.short(self.end, date=dated) if self.end else "--:--:--"
        label = f"replay {pos}/{end} {state}"
        return label if self.progress is None else f"{label} {self.progress}"


class ReplaySource:
    """A Source that plays events loaded from files (or given directly)."""

    def __init__(self, events: Sequence[Event], *, control: ReplayControl | None = None,
                 name: str = "replay") -> None:
        self.name = name
        self.events = list(events)
        self.control = control or ReplayControl()
        c = self.control
        c.total = len(self.events)
        if self.events:
            c.start, c.end = _utc(self.events[0].at), _utc(self.events[-1].at)

    @classmethod
    def from_paths(cls, paths: Sequence[str | Path], *, control: ReplayControl | None = None,
                   errors: list[RecordingError] | None = None,
                   year: int | None = None, names: NodeNames | None = None) -> ReplaySource:
        events = load_events(paths, errors, year=year, names=names)
        if not events:
            raise ReplayError("nothing to replay in " + ", ".join(str(p) for p in paths))
        return cls(events, control=control, name="replay")

    async def run(self, emit: Emit) -> None:
        c = self.control
        c.finished = False
        i = 0
        since_yield = 0
        while True:
            if c._rewind:
                c._rewind = False
                i = 0
                c.position = None
                if c.on_reset is not None:
                    c.on_reset()
            if i >= len(self.events):
                c.finished = True
                await self._idle()
                if not c._rewind:
                    continue
                c.finished = False
                continue
            ev = self.events[i]
            at = _utc(ev.at)
            if c.target is not None and at > c.target:
                c.target = None
            if c.target is None:
                await self._pace(at)
                if c._rewind:
                    continue
            await emit(ev)
            c.position = at
            i += 1
            c.index = i
            since_yield += 1
            if since_yield >= _YIELD_EVERY:
                since_yield = 0
                await asyncio.sleep(0)

    async def _idle(self) -> None:
        """At the end: wait for a seek backwards (or cancellation)."""
        c = self.control
        c._wake.clear()
        await c._wake.wait()

    async def _pace(self, at: datetime) -> None:
        """Wait the (capped, scaled) gap before the event at ``at``; honour pause and step."""
        c = self.control
        gap = replay_gap(c.position, at, c.max_gap)
        new_group = c.position is None or at != c.position
        loop = asyncio.get_running_loop()
        while True:
            if c._rewind or c.target is not None:
                return
            if c.paused:
                if c._steps > 0 and new_group:
                    c._steps -= 1
                    return
                if c._steps > 0 or not new_group:
                    return  # finish the group being stepped through
                await self._wait(None)
                continue
            if gap <= 0 or c.speed == 0:
                return
            started = loop.time()
            await self._wait(gap / c.speed)
            gap -= (loop.time() - started) * (c.speed or 1.0)

    async def _wait(self, timeout: float | None) -> None:
        c = self.control
        c._wake.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(c._wake.wait(), timeout)
