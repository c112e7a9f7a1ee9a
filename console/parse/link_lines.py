"""Kernel messages that announce a link change and nothing else, decided once per message.

A busy node's log is up to a tenth link lines, and a whole-file scan used to read each one
through the full reader (header, glue tests, continuation rules) and the hang detector
(report markers, driver timeout words) only to get one ``LinkEvent``. The answer for the
message part is a pure function of its text, so :func:`link_only` decides it once per distinct
message; the scan (``KernelBlockScan``) then builds the event straight from the header it
matched, and reads every other line the long way.
"""

from __future__ import annotations

import re

from labconsole.model.link import LinkState
from labconsole.parse.hang_detector import (
    DETACHED_MARKER,
    RESET_MARKER,
    UNIT_HANG_MARKERS,
    WATCHDOG_MARKER,
)
from labconsole.parse.kernel_line import netdev_fields, register_pairs
from labconsole.parse.kernel_reader import GLUE
from labconsole.parse.link_events import link_state

# Anything in a message that sends it elsewhere than "one link event": a hang, watchdog,
# reset or detach marker, a driver timeout or reset word (``HangDetector._driver_words``), a
# register-line sign or a glued ``HOST kernel:`` record (``KernelLogReader.feed_kernel``).
_ELSEWHERE = re.compile("|".join(re.escape(w) for w in (
    *UNIT_HANG_MARKERS, WATCHDOG_MARKER, RESET_MARKER, DETACHED_MARKER,
    "Hang", "WATCHDOG", "timeout", "timed out", "tx hang", "PF reset",
    ">", "buffer_info", " kernel: ",
)))

LinkOnly = tuple[str, LinkState, str | None]  # device, state, detail


def link_only(message: str) -> LinkOnly | None:
    """``(device, state, detail)`` when a headed kernel record with this message, read by
    ``KernelLogReader`` (whatever came before it) and fed to ``HangDetector`` (with no
    report being collected), is exactly one link event of that device and nothing else: not
    a continuation, not glued, no hang, reset, timeout or detach. ``None`` when it is anything
    else or might be (the caller then reads the line the long way)."""
    if (not message or message[0].isspace() or message[0] == "["
            or _ELSEWHERE.search(message) is not None
            or GLUE.search(message, 1) is not None
            or register_pairs(message) is not None):
        return None
    _driver, device, _pci = netdev_fields(message)
    if device is None or "ink " not in message:
        return None
    found = link_state(message)
    if found is None:
        return None
    state, detail = found
    return device, state, detail
