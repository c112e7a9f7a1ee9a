"""The header in front of a syslog / journal line: when, which host, which program.

Written by hand rather than with a library: the syslog packages we know parse either strict
RFC 5424 or strict RFC 3164 from a socket, while operators paste journalctl's ``short-*``
formats, OpenWrt ``logread``, Home Assistant exports, Talos ``dmesg`` and relayed messages with
two headers. One small set of anchored regular expressions covers them all and stays fast.

Year-less formats (RFC 3164, journalctl ``short``) get their year from ``default_year``; when
that is ``None`` the header's ``time`` is ``None`` (a guessed year would be a lie) and the
timestamp text stays available in ``SyslogHeader.stamp``.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}
_MONTH = r"(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_CLOCK = r"(?P<hh>\d\d):(?P<mi>\d\d):(?P<ss>\d\d)(?:\.(?P<frac>\d{1,9}))?"
_ISO = (
    r"(?P<y>\d{4})-(?P<mo>\d\d)-(?P<d>\d\d)[T ]" + _CLOCK + r"(?P<tz>Z|[+-]\d\d:?\d\d)?"
)
# A syslog tag: program name, optional [pid], a colon, then a space or the end of the line.
# The name may not contain ':' so that payloads such as ``CEF:0|...`` are never taken as a tag.
# (A kmsg stamp may follow the colon with no space: ``kernel:[75215.928881] ...``.)
_TAG = r"(?P<app>[^\s:\[\]]+)(?:\[(?P<pid>[^\]\s]*)\])?:(?: |$|(?=\[ *\d+\.\d+\]))"

_PRI = re.compile(r"<(?P<pri>\d{1,3})>")
_RFC5424 = re.compile(
    r"(?P<ver>[1-9]\d{0,2}) (?P<ts>-|\S+) (?P<host>\S+) (?P<app>\S+) (?P<pid>\S+) (?P<msgid>\S+) "
)
_BSD_STAMP = re.compile(_MONTH + r" (?P<day>[ \d]?\d) " + _CLOCK + r" ")
_OPENWRT_STAMP = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) " + _MONTH + r" +(?P<day>\d{1,2}) " + _CLOCK
    + r" (?P<year>\d{4}) (?P<fac>[a-z0-9]+)\.(?P<lvl>[a-z]+) "
)
_ISO_STAMP = re.compile(_ISO + r" ")
# ``talosctl dmesg``: ``HOST: kern:    err: [ISO]: msg``; the host is absent when the command
# ran against one node, and facility/level are padded to a column (any number of spaces).
_TALOS = re.compile(
    r"(?:(?P<host>[^\s:]+(?::\d+)?): +)?(?P<fac>[a-z0-9]+): +(?P<lvl>[a-z]+): *"
    r"\[(?P<iso>[^\]]+)\]: ?"
)
_ISO_ONLY = re.compile(_ISO + r"$")
_HOST_TAG = re.compile(r"(?P<host>\S+) " + _TAG)
# A host anonymised with a space inside ("node  02", manifest C09): only a word followed by a
# purely numeric word, and only when a tag with a [pid] follows, so ordinary text never matches.
_SPACED_HOST_TAG = re.compile(
    r"(?P<host>[A-Za-z][\w.-]* +\d+) (?P<app>[^\s:\[\]]+)\[(?P<pid>\d+)\]:(?: |$)"
)
_MONTH_INITIALS = frozenset("JFMASOND")
_HOST_ONLY = re.compile(r"(?P<host>\S+)(?: |$)")
_TAG_ONLY = re.compile(_TAG)

FACILITIES = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
    "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
)
LEVELS = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")


@dataclass(frozen=True, slots=True)
class SyslogHeader:
    """What the header said. Fields the format does not print are ``None``.

    ``format`` names the recognised layout: ``rfc5424``, ``rfc3164`` (also journalctl
    ``short`` / ``short-precise``), ``iso`` (journalctl ``short-iso[-precise]`` and ISO-stamped
    syslog), ``haos`` (``2026-01-19 16:20:20.995 host``), ``openwrt`` (``logread``),
    ``talos`` (``talosctl dmesg``), ``relay+rfc3164`` (a relay's ISO stamp and host in front
    of the device's own RFC 3164 header: ``relay_host`` keeps the relay, ``host`` the device).
    """

    format: str
    time: datetime | None
    host: str | None
    app: str | None = None
    pid: str | None = None
    priority: int | None = None
    facility: str | None = None
    level: str | None = None
    stamp: str = ""
    relay_host: str | None = None
    msgid: str | None = None


def parse_syslog_header(
    line: str, *, default_year: int | None = None
) -> tuple[SyslogHeader, str] | None:
    """Split ``line`` into its header and the message after it, or ``None`` without a header.

    The message is what follows ``tag[pid]: `` (RFC 3164 family) or the structured data
    (RFC 5424). When no tag follows the host (``Mar 14 06:08:41 usw-core CEF:0|...``) the
    header's ``app`` is ``None`` and the message starts right after the host.
    """
    priority: int | None = None
    pos = 0
    m = _PRI.match(line)
    if m:
        priority = int(m.group("pri"))
        if priority > 191:
            return None
        pos = m.end()
    for parser in (_rfc5424, _iso, _bsd, _openwrt, _talos):
        found = parser(line, pos, priority, default_year)
        if found is not None:
            return found
    return None


def _facility_level(priority: int | None) -> tuple[str | None, str | None]:
    if priority is None:
        return None, None
    fac = priority >> 3
    return (FACILITIES[fac] if fac < len(FACILITIES) else None), LEVELS[priority & 7]


def _frac_us(frac: str | None) -> int:
    return int((frac or "0")[:6].ljust(6, "0"))


_TZ_CACHE: dict[str, timezone] = {"Z": timezone.utc}


def _tz(text: str | None) -> timezone | None:
    if not text:
        return None
    tz = _TZ_CACHE.get(text)
    if tz is None:
        sign = -1 if text[0] == "-" else 1
        digits = text[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))
        if len(_TZ_CACHE) < 256:
            _TZ_CACHE[text] = tz
    return tz


def _iso_time(m: re.Match[str]) -> datetime | None:
    try:
        return datetime(
            int(m["y"]), int(m["mo"]), int(m["d"]), int(m["hh"]), int(m["mi"]), int(m["ss"]),
            _frac_us(m["frac"]), tzinfo=_tz(m["tz"]),
        )
    except ValueError:
        return None


def parse_iso_time(text: str) -> datetime | None:
    """An ISO 8601 stamp as syslog/journal/Talos print it (``T`` or space, 0-9 decimals)."""
    m = _ISO_ONLY.match(text)
    return _iso_time(m) if m else None


def bsd_time(m: re.Match[str], year: int | None) -> datetime | None:
    """The time of a match with ``mon`` (``Jan``..``Dec``), ``day``, ``hh``, ``mi``, ``ss``
    and optionally ``frac`` groups (a BSD syslog stamp, ``dmesg -T``, corosync's logfile);
    None without a year, a month or a valid date."""
    month = MONTHS.get(m["mon"] or "")
    if year is None or month is None:
        return None
    try:
        return datetime(year, month, int(m["day"]), int(m["hh"]), int(m["mi"]), int(m["ss"]),
                        _frac_us(m.groupdict().get("frac")))
    except ValueError:
        return None


def _rfc5424(
    line: str, pos: int, priority: int | None, year: int | None
) -> tuple[SyslogHeader, str] | None:
    if priority is None and not line.startswith("1 ", pos):
        return None
    m = _RFC5424.match(line, pos)
    if not m:
        return None
    ts = m["ts"]
    time = None if ts == "-" else parse_iso_time(ts)
    if ts != "-" and time is None:
        return None
    if priority is None and time is None:
        return None  # without <PRI>, only a real timestamp makes "1 ..." a version field
    rest = _skip_structured_data(line, m.end())
    if rest is None:
        return None
    fac, lvl = _facility_level(priority)

    def nil(value: str) -> str | None:
        return None if value == "-" else value

    header = SyslogHeader(
        "rfc5424", time, nil(m["host"]), nil(m["app"]), nil(m["pid"]), priority, fac, lvl,
        ts, msgid=nil(m["msgid"]),
    )
    return header, line[rest:]


def _skip_structured_data(line: str, pos: int) -> int | None:
    """Index after RFC 5424 structured data (``-`` or ``[id k="v"]...``) and one space."""
    if line.startswith("-", pos):
        pos += 1
    elif line.startswith("[", pos):
        while line.startswith("[", pos):
            pos = _end_of_sd_element(line, pos)
            if pos < 0:
                return None
    else:
        return None
    if pos < len(line) and line[pos] == " ":
        pos += 1
    return pos


def _end_of_sd_element(line: str, pos: int) -> int:
    """Index after the ``]`` closing the element at ``pos``; ``\\]`` and quotes respected."""
    quoted = False
    i = pos + 1
    while i < len(line):
        ch = line[i]
        if ch == "\\":
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif ch == "]" and not quoted:
            return i + 1
        i += 1
    return -1


def _openwrt(
    line: str, pos: int, priority: int | None, year: int | None
) -> tuple[SyslogHeader, str] | None:
    m = _OPENWRT_STAMP.match(line, pos)
    if not m:
        return None
    header = SyslogHeader(
        "openwrt", bsd_time(m, int(m["year"])), None, priority=priority,
        facility=m["fac"], level=m["lvl"], stamp=line[pos : m.start("fac") - 1],
    )
    return _with_tag(header, line, m.end())


def _talos(
    line: str, pos: int, priority: int | None, year: int | None
) -> tuple[SyslogHeader, str] | None:
    m = _TALOS.match(line, pos)
    if not m or m["fac"] not in FACILITIES or m["lvl"] not in LEVELS:
        return None
    time = parse_iso_time(m["iso"])
    if time is None:
        return None
    header = SyslogHeader(
        "talos", time, m["host"], "kernel" if m["fac"] == "kern" else None,
        priority=priority, facility=m["fac"], level=m["lvl"], stamp=m["iso"],
    )
    return header, line[m.end() :]


def _iso(
    line: str, pos: int, priority: int | None, year: int | None
) -> tuple[SyslogHeader, str] | None:
    m = _ISO_STAMP.match(line, pos)
    if not m:
        return None
    time = _iso_time(m)
    if time is None:
        return None
    after = m.end()
    found = _host_and_tag(line, after)
    if found is None:
        return None
    host, app, pid, end = found
    fac, lvl = _facility_level(priority)
    if app is None and end < len(line) and line[end] in _MONTH_INITIALS:
        # A relay in front of the device's own RFC 3164 header (double header). The relay's
        # stamp is the time: it has a year and, unlike the device's local stamp, a zone.
        inner = _bsd(line, end, priority, time.year)
        if inner is not None:
            head, msg = inner
            when = time if time.tzinfo is not None else head.time
            relayed = SyslogHeader(
                "relay+rfc3164", when, head.host, head.app, head.pid, priority, fac, lvl,
                head.stamp, relay_host=host,
            )
            return relayed, msg
    stamp = line[pos : after - 1]
    fmt = "haos" if " " in stamp else "iso"
    return SyslogHeader(fmt, time, host, app, pid, priority, fac, lvl, stamp), line[end:]


def _bsd(
    line: str, pos: int, priority: int | None, year: int | None
) -> tuple[SyslogHeader, str] | None:
    m = _BSD_STAMP.match(line, pos)
    if not m:
        return None
    found = _host_and_tag(line, m.end())
    if found is None:
        return None
    host, app, pid, end = found
    fac, lvl = _facility_level(priority)
    header = SyslogHeader(
        "rfc3164", bsd_time(m, year), host, app, pid, priority, fac, lvl,
        line[pos : m.end() - 1],
    )
    return header, line[end:]


def _host_and_tag(
    line: str, pos: int
) -> tuple[str | None, str | None, str | None, int] | None:
    if line.startswith("[", pos):
        # "[KNET] ...", "[25591] host ...": a subsystem tag or a pid, never a host name (a
        # trimmed paste or corosync's logfile): no host, the message starts here.
        return None, None, None, pos
    m = _HOST_TAG.match(line, pos) or _SPACED_HOST_TAG.match(line, pos)
    if m:
        return host_or_none(m["host"]), m["app"], m["pid"], m.end()
    hm = _HOST_ONLY.match(line, pos)
    if not hm:
        return None
    return host_or_none(hm["host"]), None, None, hm.end()


def host_or_none(name: str | None) -> str | None:
    """A host name as logged, or None when it holds a control character (a NUL, an escape,
    a byte that was not UTF-8): such a name is damage, and would become a phantom node."""
    if name is None or not name.isprintable():
        return None
    return name


def _with_tag(base: SyslogHeader, line: str, pos: int) -> tuple[SyslogHeader, str]:
    m = _TAG_ONLY.match(line, pos)
    if not m:
        return base, line[pos:]
    return dataclasses.replace(base, app=m["app"], pid=m["pid"]), line[m.end() :]
