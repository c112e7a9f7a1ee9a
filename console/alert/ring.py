"""The console rings: which incidents are new since the last look, and the desktop
notification escapes (OSC 9, OSC 777) that announce one.

Pure: the app decides when to look and writes the escapes through Textual's driver. The
notification text is built from the incident's number and named cause and then reduced to a
conservative character set, so nothing from a log line can end the escape early or start
another (no ESC, BEL, ``;`` or any control character reaches the terminal).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the marks come with the correlation, after the first frame
    from labconsole.incident.mark import IncidentMark

_UNSAFE = re.compile(r"[^A-Za-z0-9 .,:()<>/_+=@#%-]")
MAX_TEXT = 160


@dataclass(slots=True)
class Ringer:
    """Remembers every incident it was shown (by start), so each rings once, and only when
    first seen open: an incident already resolved when first seen (a replay seeking past
    it) is old news. An incident whose start moved earlier (a fact stamped before it arrived
    late: a node that could not send delivers its log when it can) is the one it was, not
    a new one: a mark whose span holds the start of a mark seen before that is gone now."""

    seen: set[str] = field(default_factory=set)
    _starts: dict[str, datetime] = field(default_factory=dict)  # seen key -> start

    def new(self, marks: Iterable[IncidentMark]) -> list[IncidentMark]:
        marks = list(marks)
        now = {mark.start.isoformat() for mark in marks}
        fresh = []
        for mark in marks:
            key = mark.start.isoformat()
            if key in self.seen:
                continue
            moved = any(k not in now and mark.start <= t <= mark.end
                        for k, t in self._starts.items())
            self.seen.add(key)
            self._starts[key] = mark.start
            if mark.status != "resolved" and not moved:
                fresh.append(mark)
        return fresh


def safe_text(text: str) -> str:
    """``text`` with anything but plain printable ASCII (and a few separators) replaced by
    ``?``, and cut to MAX_TEXT characters."""
    return _UNSAFE.sub("?", text)[:MAX_TEXT]


def notification(mark: IncidentMark) -> tuple[str, str]:
    """(title, body) of the desktop notification for a new incident."""
    title = f"labconsole: incident {mark.number} started"
    return safe_text(title), safe_text(mark.cause or "no cause named yet")


def desktop_escapes(title: str, body: str, *, tmux: bool = False) -> str:
    """OSC 9 (iTerm2, Windows Terminal, WezTerm, ...) and OSC 777 (urxvt, foot, Ghostty,
    VTE, ...): a terminal that knows neither ignores both. Inside tmux each is wrapped in
    tmux's passthrough (shown where ``allow-passthrough`` is on, dropped otherwise).
    Title and body are reduced with ``safe_text`` here too."""
    title, body = safe_text(title), safe_text(body)
    seqs = [f"\x1b]9;{title}: {body}\x07", f"\x1b]777;notify;{title};{body}\x07"]
    if tmux:
        seqs = ["\x1bPtmux;" + s.replace("\x1b", "\x1b\x1b") + "\x1b\\" for s in seqs]
    return "".join(seqs)
