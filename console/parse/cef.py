"""CEF (ArcSight Common Event Format) records, as UniFi and other gear send them over syslog.

Written by hand because ``pycef`` (the Python CEF parser on the package index) fails the
published vectors this console must read (``tests/realdata/test_cef_realdata.py`` runs it over
them and asserts where): it returns nothing for a header with an empty field, never unescapes
``\\|``, ``\\\\`` or ``\\=``, cuts the header at an escaped pipe so that the Name and Severity
end up inside an extension key, and raises ``IndexError`` when the escaped pipe is in the
Signature ID instead of reporting a bad line.

The rules this parser applies (each one has a test in ``tests/unit/test_cef.py``):

* Prefix: anything before ``CEF:<digits>|`` is a syslog prefix, read with
  ``labconsole.parse.syslog_header`` (RFC 3164 with or without ``<PRI>``, RFC 5424, and a relay
  header in front of a device header). ``host`` is the device's host (the one that raised the
  event, not the relay). A prefix that is a single bare token is taken as the host; without a
  prefix the ``dvchost`` extension is used where present.
* Header: seven ``|``-separated fields after ``CEF:``; ``\\|`` and ``\\\\`` are unescaped, any
  other backslash is kept as is. Empty fields are allowed (``CEF:0|||||||``). Fields are not
  stripped: their spaces are data.
* Malformed header: UniFi OS sends six fields (``|admins|1|msg=...``), so the extension lands in
  the Severity slot. When the sixth field is a valid severity (0-10 or Unknown/Low/Medium/High/
  Very-High) and the rest starts with ``key=``, the intent is unambiguous: vendor, product and
  version keep their places, the fifth field is the Signature ID, the Name is empty and a note
  says so. Any other short header raises :class:`CefParseError` naming how many fields it had.
* Extension: ``key=value`` pairs; a key is a run of word characters, ``.``, ``-``, ``[`` or ``]``
  right after the start or a space, followed by an unescaped ``=``. A value runs to the next key
  and may contain spaces and even an unescaped ``|``; trailing spaces are dropped. In values
  ``\\=``, ``\\\\``, ``\\|`` become ``=``, ``\\``, ``|`` and ``\\n``/``\\r`` become a newline /
  carriage return; other backslashes are kept. An ``=`` that has no key before it (``a = b``) is
  kept as value text. Text before the first key raises :class:`CefParseError` (a CEF
  extension is key=value pairs; a vendor document's ``...`` placeholder is not one).
* Duplicate keys: the last value wins (what ArcSight does), and a note names the key.
* Time precedence: ``UNIFIutcTime`` (exact UTC with milliseconds; UniFi OS prefixes use local
  time), then ``rt`` (receipt time), then ``end``, then the syslog header's time (for a relayed
  line the device's own stamp, with the relay's year; a year-less stamp without
  ``default_year`` gives no time rather than a guessed one). An extension time that cannot be
  read is noted and skipped.
"""

from __future__ import annotations

import functools
import itertools
import re
from datetime import datetime, timezone

from labconsole.model.cef import CefEvent
from labconsole.parse.cef_marker import MARKER as _MARKER
from labconsole.parse.cef_marker import find_cef as find_cef
from labconsole.parse.syslog_header import parse_syslog_header


class CefParseError(ValueError):
    """A line that holds a ``CEF:`` marker but not a CEF record this parser can read."""


# One header field: anything but an unescaped pipe, then the pipe.
_HEADER_FIELD = re.compile(r"((?:[^|\\]|\\.)*)\|")
_HEADER_ESCAPE = re.compile(r"\\([|\\])")
_KEY = re.compile(r"(?<!\S)[\w.\[\]-]+=")
_VALUE_ESCAPE = re.compile(r"\\([=\\|nr])")
_SEVERITY_WORDS = frozenset({"unknown", "low", "medium", "high", "very-high"})
_HEADER_FIELDS = 7  # CEF:Version|Vendor|Product|Version|Signature ID|Name|Severity
_TIME_KEYS = ("UNIFIutcTime", "rt", "end")
_ONE_TOKEN_HOST = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*")
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_CEF_DATE = re.compile(
    r"(?P<mon>[A-Za-z]{3}) +(?P<day>\d{1,2}) +(?P<year>\d{4}) "
    r"(?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2})(?:\.(?P<ms>\d{1,3}))?(?: (?P<zone>UTC|GMT|Z))?$"
)


_MAX_GLUED = 64


@functools.cache
def _glued_prefix() -> re.Pattern[str]:
    """The syslog prefix of a record glued after another one: a BSD or ISO stamp (or a
    <PRI>), then up to three header words, right before the next "CEF:N|". Not a value's time
    (``UNIFIutcTime=...``): no "=" before the stamp or inside the words. Compiled when a line
    first holds two records (few do; compiling it cost every scan's start a millisecond)."""
    return re.compile(
        r"(?<!=)(?:<\d{1,3}>)?(?:(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} "
        r"\d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\S*)(?: [^\s=]+){0,3} ?$"
    )


def split_cef_records(line: str) -> list[str]:
    """``line`` cut into one string per CEF record: records glued onto one line (newlines lost)
    start at their own ``CEF:N|``, or at the syslog stamp in front of it. One record: ``[line]``.
    """
    starts = [m.start() for m in _MARKER.finditer(line)][:_MAX_GLUED]
    if len(starts) < 2:
        return [line]
    cuts = [0]
    glued_prefix = _glued_prefix()
    for prev, at in itertools.pairwise(starts):
        window = max(prev, at - 80)
        m = glued_prefix.search(line, window, at)
        cuts.append(m.start() if m is not None and m.start() > prev else at)
    return [line[a:b].rstrip() for a, b in zip(cuts, [*cuts[1:], len(line)], strict=True)]


def count_cef_records(line: str) -> int:
    """``len(split_cef_records(line))`` without cutting the line (0 when it holds no record):
    what a scan that only counts records past its listed ones needs."""
    words = line.count("CEF:")
    if words == 1:  # the common case: one test at the word (the lookbehind sees before it)
        markers = 1 if _MARKER.match(line, line.find("CEF:")) else 0
    else:
        markers = len(_MARKER.findall(line)) if words else 0
    return 0 if not markers else max(1, min(markers, _MAX_GLUED))


_MARKER_BYTES = re.compile(_MARKER.pattern.encode())


def count_cef_records_ascii(raw: bytes) -> int | None:
    """:func:`count_cef_records` of a line read from its bytes (the block scan's, its newline
    included) without decoding it; None when it is not ASCII (the text's ``\\d`` takes
    other digits than the bytes' then)."""
    if not raw.isascii():
        return None
    words = raw.count(b"CEF:")
    if words == 1:
        markers = 1 if _MARKER_BYTES.match(raw, raw.find(b"CEF:")) else 0
    else:
        markers = len(_MARKER_BYTES.findall(raw)) if words else 0
    return 0 if not markers else max(1, min(markers, _MAX_GLUED))


def looks_like_cef(head: str | bytes) -> bool:
    """True when any line of ``head`` (the first bytes of a file or a stream) carries CEF."""
    text = head.decode("utf-8", errors="replace") if isinstance(head, bytes) else head
    return any(find_cef(line) >= 0 for line in text.splitlines())


def parse_cef(line: str, *, default_year: int | None = None) -> CefEvent:
    """Parse one CEF record with or without a syslog prefix; raise :class:`CefParseError`."""
    text = line.rstrip("\r\n")
    start = find_cef(text)
    if start < 0:
        raise CefParseError("no 'CEF:<version>|' marker in the line")
    prefix_time, prefix_host = _read_prefix(text[:start], default_year)
    notes: list[str] = []
    fields, rest = _split_header(text[start:])
    fields, rest = _repair_header(fields, rest, notes)
    extensions = _parse_extension(rest, notes)
    host = prefix_host if prefix_host is not None else extensions.get("dvchost")
    return CefEvent(
        vendor=fields[1],
        product=fields[2],
        version=fields[3],
        signature_id=fields[4],
        name=fields[5],
        severity=fields[6],
        extensions=extensions,
        time=_event_time(extensions, prefix_time, notes),
        host=host,
        cef_version=fields[0].removeprefix("CEF:"),
        raw=text,
        notes=tuple(notes),
    )


def _read_prefix(prefix: str, default_year: int | None) -> tuple[datetime | None, str | None]:
    """Time and host from the syslog header(s) before the CEF payload, when it has them."""
    parsed = parse_syslog_header(prefix, default_year=default_year)
    if parsed is None:
        token = prefix.strip()
        return None, token if _ONE_TOKEN_HOST.fullmatch(token) else None
    header, _message = parsed
    return header.time, header.host


def _split_header(payload: str) -> tuple[list[str], str]:
    """Split ``CEF:...`` at unescaped pipes into at most 7 unescaped fields and the rest.

    With fewer than 7 pipes, the text after the last pipe comes back raw as the rest (not as a
    field), so that :func:`_repair_header` can decide what it is.
    """
    fields: list[str] = []
    pos = 0
    while len(fields) < _HEADER_FIELDS:
        match = _HEADER_FIELD.match(payload, pos)
        if match is None:
            break
        raw = match[1]
        fields.append(_HEADER_ESCAPE.sub(r"\1", raw) if "\\" in raw else raw)
        pos = match.end()
    return fields, payload[pos:]


def _is_severity(value: str) -> bool:
    value = value.strip()
    if value.isdigit():
        return 0 <= int(value) <= 10
    return value.lower() in _SEVERITY_WORDS


def _repair_header(fields: list[str], rest: str, notes: list[str]) -> tuple[list[str], str]:
    """Accept a full header; recover UniFi OS's six-field header; reject anything else."""
    if len(fields) == _HEADER_FIELDS:
        return fields, rest
    if len(fields) == _HEADER_FIELDS - 1 and _is_severity(fields[-1]) and _starts_with_key(rest):
        notes.append("header has 6 fields, Name missing: field 5 read as Signature ID")
        return [*fields[:5], "", fields[5]], rest
    raise CefParseError(
        f"CEF header has {len(fields)} of {_HEADER_FIELDS} '|'-terminated fields "
        f"(CEF:Version|Vendor|Product|Version|Signature ID|Name|Severity|)"
    )


def _starts_with_key(text: str) -> bool:
    stripped = text.lstrip()
    keys = _key_positions(stripped)
    return bool(keys) and keys[0][0] == 0


def _key_positions(text: str) -> list[tuple[int, int]]:
    """(key start, ``=`` offset) of every ``key=`` in an extension, in order.

    A key starts the text or follows whitespace and is followed by ``=``; as a backslash is
    not a key character, an escaped ``\\=`` never ends a key.
    """
    return [(m.start(), m.end() - 1) for m in _KEY.finditer(text)]


_VALUE_ESCAPES = {"=": "=", "\\": "\\", "|": "|", "n": "\n", "r": "\r"}


def _unescape_value(raw: str) -> str:
    if "\\" not in raw:
        return raw
    return _VALUE_ESCAPE.sub(lambda m: _VALUE_ESCAPES[m[1]], raw)


def _parse_extension(rest: str, notes: list[str]) -> dict[str, str]:
    text = rest.strip()
    if not text:
        return {}
    keys = _key_positions(text)
    if not keys or keys[0][0] != 0:
        # A valid header with junk where the extension should be (a vendor document's "..."
        # placeholder, free text): the header is the alert, so keep it and say what was lost.
        end = keys[0][0] if keys else len(text)
        notes.append(f"extension does not start with key=value: {text[:end].strip()!r} dropped")
    result: dict[str, str] = {}
    for index, (start, eq) in enumerate(keys):
        end = keys[index + 1][0] if index + 1 < len(keys) else len(text)
        key = text[start:eq]
        if key in result:
            notes.append(f"duplicate extension key {key!r}: last value kept")
        result[key] = _unescape_value(text[eq + 1 : end].rstrip())
    return result


def unreadable_times(extensions: dict[str, str]) -> list[tuple[str, str]]:
    """The time extensions (key, value) of a record that are no time (out of range, not a
    date): the record is kept, and a scan reports these as errors for it."""
    return [(key, extensions[key]) for key in _TIME_KEYS
            if key in extensions and parse_cef_time(extensions[key]) is None]


def record_time(extensions: dict[str, str]) -> datetime | None:
    """The record's own time (``UNIFIutcTime``, ``rt``, ``end``: the first readable one), not
    its syslog prefix's: a replay places a CEF line at this time, never at a file's mtime."""
    for key in _TIME_KEYS:
        value = extensions.get(key)
        if value is not None:
            parsed = parse_cef_time(value)
            if parsed is not None:
                return parsed
    return None


def _event_time(
    extensions: dict[str, str], prefix_time: datetime | None, notes: list[str]
) -> datetime | None:
    for key in _TIME_KEYS:
        value = extensions.get(key)
        if value is None:
            continue
        parsed = parse_cef_time(value)
        if parsed is not None:
            return parsed
        notes.append(f"unreadable time in {key}={value!r}: skipped")
    return prefix_time


def parse_cef_time(value: str) -> datetime | None:
    """A CEF time value: epoch milliseconds, ISO 8601, or ``MMM dd yyyy HH:mm:ss[.SSS]``."""
    value = value.strip()
    if value.isdigit():
        if len(value) > 16:  # beyond any datetime (year 9999 is 15 digits of milliseconds)
            return None
        try:
            return datetime.fromtimestamp(int(value) / 1000, tz=timezone.utc)
        except (OverflowError, ValueError, OSError):  # past year 9999 or the platform's time_t
            return None
    match = _CEF_DATE.match(value)
    if match:
        return _from_cef_date(match)
    iso = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        return None


def _from_cef_date(match: re.Match[str]) -> datetime | None:
    month = _MONTHS.get(match["mon"].lower())
    if month is None:
        return None
    micro = int((match["ms"] or "0").ljust(3, "0")) * 1000
    zone = timezone.utc if match["zone"] else None
    try:
        return datetime(
            int(match["year"]), month, int(match["day"]),
            int(match["h"]), int(match["m"]), int(match["s"]), micro, tzinfo=zone,
        )
    except ValueError:
        return None
