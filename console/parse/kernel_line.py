"""One physical kernel-log line, taken apart without context: header, stamps, netdev prefix.

The context-dependent part (continuation lines, journal entries, glued lines) lives in
``kernel_reader``; everything here is a pure function of one string, so it is easy to test and
to call from the fast scanner. Hand-written regular expressions: no library knows the kernel's
``netdev_*`` / ``dev_*`` message prefixes or the many ways an operator pastes a kernel log.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime

from labconsole.parse.syslog_header import (
    FACILITIES,
    LEVELS,
    bsd_time,
    parse_iso_time,
    parse_syslog_header,
)

# dmesg's ``[ 9327.470501]`` (space padded), a redacted ``[xxxxxx]``, and ``dmesg -T``'s
# ``[Tue May 25 15:23:30 2024]``. One optional space after the bracket belongs to the stamp.
_DMESG = re.compile(r"\[\s*(?P<secs>\d+\.\d+)\] ?|\[(?P<redacted>[xX*]+)\] ?")
_DMESG_T = re.compile(
    r"\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?P<mon>[A-Z][a-z]{2}) +(?P<day>\d{1,2}) "
    r"(?P<hh>\d\d):(?P<mi>\d\d):(?P<ss>\d\d) (?P<year>\d{4})\] ?"
)
# A shell prompt line pasted with the log (``root@pve:~# dmesg | grep eno1``, ``$ journalctl``,
# ``[root@pve ~]# dmesg``, a themed zsh prompt U+276F before ``talosctl``): not log content,
# skipped without error.
_PROMPT = re.compile(
    r"(?:[\w.-]+@[\w.-]+:[^\s#$]*\s?[#$%]|\[[\w.-]+@[\w.-]+ [^\]]*\][#$]|[#$%\u276f>]) +\S"
)
# journalctl's own separators: ``-- Boot 3f2a... --``, ``-- No entries --``, ``-- Logs begin...``
_JOURNAL_MARKER = re.compile(r"-- .+ --\s*$")
# Register lines of a hang dump: ``  TDH                  <f6>``, ``TDH, TDT <0>, <9>``,
# ``MAC Status <80083>``, ``buffer_info[next_to_clean]:`` (a label without a value).
REGISTER = re.compile(
    r"\s*(?P<name>[A-Za-z_][\w.\[\] ,/-]*?)\s+<(?P<value>[^<>]*)>(?:\s*,\s*<(?P<value2>[^<>]*)>)?"
    r"\s*$"
)
MAX_REGISTER_LINE = 200
MAX_CACHED = 256  # messages memoised by netdev_fields (bounded: 4096 entries of <= 256 chars)
SECTION = re.compile(r"\s*(?:tx_)?buffer_info\[next_to_clean\]:?\s*$")

_PCI = re.compile(r"[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}(?:\.[0-7])?$")
# ``<driver> <bus address> <iface>: `` as printed by netdev_printk(), or ``<driver> <bus>: ``
# from dev_printk() (no netdev yet, e.g. igb's Tx hang). The bus must contain a digit so plain
# prose ("Out of memory: ...") is never taken for a device.
_NETDEV = re.compile(
    r"(?P<driver>[A-Za-z][\w-]*) (?=[\w.:-]*\d)(?P<bus>[\w.:-]+?)(?: (?P<dev>[^\s:()]+))?: "
)
_DMESG_X = re.compile(r"(?P<fac>[a-z][a-z0-9]*) *:(?P<lvl>[a-z]+) *: ")
# A record with just ``HOST kernel:`` in front (no stamp); HOST is one word, as syslog prints it.
_HOST_KERNEL = re.compile(r"(?P<host>[A-Za-z0-9][\w.-]{0,252}) kernel: ")
_OLD_WATCHDOG = re.compile(
    r"NETDEV WATCHDOG: (?P<dev>[^\s:()]+)(?: \((?P<driver>[^)\s]+)\))?: (?=transmit )"
)
# ESXi vmkernel.log: ``2019-11-08T03:14:22.530Z cpu3:2097575)WARNING: ...``.
_VMKERNEL = re.compile(
    r"(?P<iso>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?) cpu\d+:\d+\)"
)
_DRIVER_DEV = re.compile(r"(?P<driver>[A-Za-z][\w-]*): (?P<dev>[^\s:()]+) NIC Link is ")


@dataclass(slots=True)  # not frozen: built for every line, frozen __init__ costs ~2x
class LineHead:
    """What one physical line says by itself, before any context is applied.

    ``headed`` is True when the line carried a recognised prefix (syslog/journal header,
    dmesg stamp, bare ``kernel:``); a headless line may be a continuation of the one before.
    """

    message: str
    headed: bool
    format: str
    time: datetime | None = None
    uptime: float | None = None
    host: str | None = None
    facility: str | None = None
    priority: int | None = None
    is_kernel: bool = True


def is_prompt(text: str) -> bool:
    """True for a shell prompt line pasted together with the log output."""
    return _PROMPT.match(text) is not None


def is_journal_marker(text: str) -> bool:
    """True for journalctl's ``-- Boot ... --`` style separator lines."""
    return text.startswith("-- ") and _JOURNAL_MARKER.match(text) is not None


def split_dmesg_stamp(text: str) -> tuple[float | None, datetime | None, str] | None:
    """``(uptime, wall time, rest)`` when ``text`` starts with a dmesg stamp, else ``None``."""
    if not text.startswith("["):
        return None
    m = _DMESG.match(text)
    if m:
        secs = m["secs"]
        return (float(secs) if secs else None), None, text[m.end() :]
    m = _DMESG_T.match(text)
    wall = bsd_time(m, int(m["year"])) if m else None
    return None if m is None or wall is None else (None, wall, text[m.end():])


def parse_line_head(text: str, *, default_year: int | None = None) -> LineHead:
    """Recognise the prefix of one physical line (no trailing newline) in any known format."""
    if text.startswith("["):
        stamp = split_dmesg_stamp(text)
        if stamp is not None:
            uptime, wall, rest = stamp
            return LineHead(rest, True, "dmesg-T" if wall else "dmesg", wall, uptime)
    if text.startswith("kernel: "):
        return LineHead(text[8:], True, "kernel-prefix")
    if text[:1].islower():
        dmesg_x = _dmesg_x(text)
        if dmesg_x is not None:
            return dmesg_x
    if text[:1].isdigit():
        m = _VMKERNEL.match(text)
        if m is not None:  # ESXi vmkernel.log: the hypervisor's own kernel
            return LineHead(text[m.end():], True, "vmkernel", parse_iso_time(m["iso"]))
    found = parse_syslog_header(text, default_year=default_year)
    if found is None:
        m = _HOST_KERNEL.match(text)
        if m is not None:  # "pve03 kernel: ..." with no stamp (a paste, a trimmed syslog)
            return LineHead(text[m.end():], True, "host-kernel", host=m["host"])
        return LineHead(text, False, "plain")
    head, message = found
    is_kernel = head.app == "kernel" or (head.app is None and head.facility == "kern")
    uptime = None
    if is_kernel and message.startswith("["):
        stamp = split_dmesg_stamp(message)
        if stamp is not None:
            uptime, _, message = stamp
    return LineHead(
        message, True, head.format, head.time, uptime, head.host, head.facility,
        head.priority, is_kernel,
    )


def _dmesg_x(text: str) -> LineHead | None:
    """``dmesg -x``: ``kern  :err   : [  12.34] msg`` (facility and level padded, then the
    usual stamp, ``-T`` or none)."""
    m = _DMESG_X.match(text)
    if m is None or m["fac"] not in FACILITIES or m["lvl"] not in LEVELS:
        return None
    rest = text[m.end():]
    uptime = wall = None
    stamp = split_dmesg_stamp(rest) if rest.startswith("[") else None
    if stamp is not None:
        uptime, wall, rest = stamp
    return LineHead(rest, True, "dmesg-x", wall, uptime, None, m["fac"], None,
                    m["fac"] == "kern")


def netdev_fields(message: str) -> tuple[str | None, str | None, str | None]:
    """``(driver, device, pci)`` from a kernel message's device prefix, ``None`` where absent.

    ``device`` is the interface name; ``pci`` the bus address when it looks like a PCI one
    (kept as printed, also when truncated like ``0000:00:1f``). A pure function of the text,
    so short messages are memoised: a busy log repeats the same link and hang messages.
    """
    if len(message) <= MAX_CACHED:
        return _netdev_cached(message)
    return _netdev_fields(message)


def _netdev_fields(message: str) -> tuple[str | None, str | None, str | None]:
    m = _NETDEV.match(message)
    if m:
        bus = m["bus"]
        pci = bus if _PCI.match(bus) else None
        return m["driver"], m["dev"], pci
    if "NETDEV WATCHDOG: " in message:
        # old style "NETDEV WATCHDOG: eth2 (r8169): ...", or ESXi's "...: NETDEV WATCHDOG:
        # vmnic1: transmit timed out" (no driver named); a new-style line without its device
        # prefix ("NETDEV WATCHDOG: CPU: 1: ...") names no device.
        m = _OLD_WATCHDOG.search(message)
        if m and m["dev"] != "CPU":
            return m["driver"], m["dev"], None
        return None, None, None
    m = _DRIVER_DEV.match(message)
    if m:
        return m["driver"], m["dev"], None
    return None, None, None


def register_pairs(message: str) -> list[tuple[str, str]] | None:
    """Register name/value pairs on one dump line, ``[]`` for a section label, else ``None``.

    Names are kept as printed with runs of spaces collapsed (``PHY 1000BASE-T Status``);
    values without the angle brackets (``<f6>`` -> ``f6``). ixgbe's combined
    ``TDH, TDT <0>, <9>`` gives two pairs. Memoised (a hang storm repeats its register lines);
    each call returns a list of its own.
    """
    if len(message) > MAX_REGISTER_LINE:  # keeps the regex linear on hostile input
        return None
    pairs = _register_cached(message)
    return None if pairs is None else list(pairs)


def _register_pairs(message: str) -> tuple[tuple[str, str], ...] | None:
    m = REGISTER.match(message)
    if m is None:
        return () if SECTION.match(message) else None
    name = " ".join(m["name"].split())
    if m["value2"] is not None:
        names = [part.strip() for part in name.split(",")]
        if len(names) == 2:
            return ((names[0], m["value"].strip()), (names[1], m["value2"].strip()))
        return None
    return ((name, m["value"].strip()),)


_netdev_cached = functools.lru_cache(maxsize=4096)(_netdev_fields)
_register_cached = functools.lru_cache(maxsize=4096)(_register_pairs)
