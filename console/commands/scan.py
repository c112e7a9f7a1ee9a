"""``labconsole scan [--json] PATH...``: the headless summary operators script against."""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import zlib
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

from labconsole.commands import CONFIG_HELP
from labconsole.model import timefmt
from labconsole.parse.content_time import content_year
from labconsole.parse.scan_facts import Fact, fact_json
from labconsole.sanitize import json_visible, visible
from labconsole.scan import FileReport, scan_input
from labconsole.scan.opener import InputError
from labconsole.scan.report import HANGS_PLACEHOLDER
from labconsole.sources.plain_or_gzip import open_binary

if TYPE_CHECKING:  # a config's node names are loaded with --config only
    from labconsole.config.node_names import NodeNames
    from labconsole.model import QuorumEvent


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "scan",
        help="recognise log/status files by content and summarise hangs, votes, offloads, CEF",
        description="Recognise each input by content (kernel logs in any common format, "
        "pvecm/corosync-quorumtool status, ethtool -k/-i, /etc/network/interfaces, CEF "
        "syslog, Proxmox API JSON; gzip'd too) and summarise what it holds. '-' reads stdin.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="file to scan, or - for stdin")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON object (the contract)")
    out.add_argument("--events", action="store_true",
                     help="stream every fact (hang reports, link events, CEF records) as JSON "
                     "lines as it is found, then each file's --json object as a 'file' line")
    p.add_argument(
        "--year",
        type=int,
        default=None,
        help="year for timestamps that carry none (default: the year of the input's own dated "
        "times, else shown as unknown; never the file's mtime)",
    )
    p.add_argument("--config", type=Path, default=None, help=CONFIG_HELP)
    p.set_defaults(func=run)


def attribute_node(report: FileReport, names: NodeNames) -> None:
    """With a config (issue 14 item 6): ``node``, the config node the file's records belong to,
    and ``node_from``: "content" (the one host its lines name, as the config names it) or
    "file_name" (no host in its lines; the file's name names the node), both null when
    neither tells; ``node_names``: each host as the lines write it -> the config's name for
    it, where the two differ (``pve03.lab.example`` -> ``pve03``). Hosts stay as written."""
    hosts = {h for h in (*(x.host for x in report.hangs),
                         *(x.host for x in report.links.summaries()),
                         *(x.host for x in report.quorum_events),
                         *(x.host for x in report.nic_events)) if h}
    mapped = {h: names.for_host(h) for h in hosts}
    nodes = set(mapped.values())
    node, source = None, None
    if len(nodes) == 1 and nodes <= set(names.names):
        node, source = nodes.pop(), "content"
    elif not hosts and report.kinds:
        node = names.for_file(report.path)
        source = "file_name" if node else None
    report.extra.update(node=node, node_from=source,
                        node_names={h: n for h, n in sorted(mapped.items()) if h != n})


_YEAR_SNIFF_LINES = 2000


def _default_year(path: str, explicit: int | None) -> int:
    """The year of year-less stamps (RFC 3164, journal short): ``--year``; else the year of
    the input's first dated time (an ISO stamp, a CEF record's time) within its first lines;
    else unknown: ``timefmt.YEAR_UNKNOWN``, shown as such (never the file's mtime)."""
    if explicit is not None:
        return explicit
    if path == "-":  # stdin cannot be read twice
        return timefmt.YEAR_UNKNOWN
    try:
        with open_binary(Path(path)) as fh:
            texts = [raw.decode("utf-8", errors="replace").rstrip("\r\n")
                     for raw in islice(fh, _YEAR_SNIFF_LINES)]
    except (OSError, EOFError, zlib.error):
        return timefmt.YEAR_UNKNOWN  # the scan itself reports the unreadable input
    year = content_year(texts)
    return timefmt.YEAR_UNKNOWN if year is None else year


def _names(args: argparse.Namespace) -> NodeNames | None:
    if getattr(args, "config", None) is None:
        return None
    from labconsole.config.node_names import node_names_from

    try:
        return node_names_from(getattr(args, "config", None))
    except (ValueError, OSError) as exc:
        raise _BadConfig(visible(f"labconsole scan: {exc}")) from None


class _BadConfig(Exception):
    """``--config`` names a config that does not load (one line, exit 2)."""


def run(args: argparse.Namespace) -> int:
    try:
        names = _names(args)
    except _BadConfig as exc:
        print(exc, file=sys.stderr)
        return 2
    if getattr(args, "events", False):
        return _run_events(args, names)
    reports: list[FileReport] = []
    unreadable = 0
    for path in args.paths:
        try:
            reports.append(scan_input(path, default_year=_default_year(path, args.year)))
            if names is not None:
                attribute_node(reports[-1], names)
        except InputError as exc:
            unreadable += 1
            print(visible(f"labconsole scan: cannot read {exc}"), file=sys.stderr)
            reports.append(unreadable_report(path, exc))
    if args.json:
        write_json(reports, _Output(getattr(sys.stdout, "buffer", None)))
    else:
        buffer = io.StringIO()
        for report in reports:
            print_summary(report, _VisibleLines(buffer))
        _write_out(buffer.getvalue())
    for report in reports:
        if report.ended_at is not None:  # what was read is above; the input is incomplete
            print(visible(f"labconsole scan: {report.path}: {report.ended_at}"), file=sys.stderr)
    return 2 if unreadable or any(r.ended_at is not None for r in reports) else 0


def unreadable_report(path: str, exc: InputError) -> FileReport:
    """An input that could not be read still has its entry in ``files``: no kinds, no lines,
    and why in ``errors``."""
    report = FileReport(path=path)
    report.add_error(f"cannot read {exc}")
    return report


def _run_events(args: argparse.Namespace, names: NodeNames | None = None) -> int:
    """``--events``: one JSON line per fact, written as found (nothing is held), then a
    ``"fact": "file"`` line per input with its summary (the ``--json`` object)."""
    sys.stdout.flush()
    out = _EventWriter(getattr(sys.stdout, "buffer", None))
    unreadable = 0
    try:
        for path in args.paths:
            try:
                out.path = path
                report = scan_input(path, default_year=_default_year(path, args.year),
                                    on_fact=out.fact)
            except InputError as exc:
                unreadable += 1
                out.flush()
                print(visible(f"labconsole scan: cannot read {exc}"), file=sys.stderr)
                out.line({"fact": "file", **unreadable_report(path, exc).to_json()})
                continue
            if names is not None:
                attribute_node(report, names)
            out.file_line(report)
            if report.ended_at is not None:  # the input is incomplete: an input error
                unreadable += 1
                out.flush()
                print(visible(f"labconsole scan: {path}: {report.ended_at}"), file=sys.stderr)
        out.flush()
    except _OutputClosed:  # the reader went away (``| head``): stop quietly, as grep does
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return 2 if unreadable else 0


class _OutputClosed(Exception):
    """stdout's reader is gone. Not an OSError: the scan's own read-error handling must not
    take it for the input breaking off."""


class _Output:
    """UTF-8 text out in 64 KiB writes, through ``json_visible``; input bytes that were not
    UTF-8 (kept as surrogates) become U+FFFD."""

    def __init__(self, buffer: BinaryIO | None) -> None:
        self.buffer = buffer
        self._pending: list[bytes] = []
        self._size = 0
        sys.stdout.flush()

    def write(self, text: str) -> None:
        data = json_visible(text).encode("utf-8", errors="replace")
        self._pending.append(data)
        self._size += len(data)
        if self._size >= 1 << 16:
            self.flush()

    def flush(self) -> None:
        data = b"".join(self._pending)
        self._pending.clear()
        self._size = 0
        if self.buffer is None:
            sys.stdout.write(data.decode("utf-8"))
            sys.stdout.flush()
            return
        self.buffer.write(data)
        self.buffer.flush()


class _EventWriter(_Output):
    """JSON lines: one per fact as found, then a ``"fact": "file"`` line per input. A reader
    that goes away (``| head``) ends the writing with :class:`_OutputClosed`."""

    def __init__(self, buffer: BinaryIO | None) -> None:
        super().__init__(buffer)
        self.path = ""

    def fact(self, fact: Fact) -> None:
        self.line({"path": self.path, **fact_json(fact)})

    def line(self, obj: dict[str, Any]) -> None:
        self.write(json.dumps(obj, ensure_ascii=False) + "\n")

    def file_line(self, report: FileReport) -> None:
        """``line({"fact": "file", **report.to_json()})``, its hang episodes written one at a
        time (read back from where the scan put them)."""
        _write_report(self, report, {"fact": "file"})
        self.write("\n")

    def flush(self) -> None:
        try:
            super().flush()
        except BrokenPipeError:
            raise _OutputClosed from None


def write_json(reports: list[FileReport], out: _Output) -> None:
    """``{"files": [...]}`` exactly as ``json.dumps(..., ensure_ascii=False)`` writes it (then
    made visible), written in pieces: a file's hang episodes one at a time, read back from
    where the scan put them (a storm's tens of thousands are never all in memory)."""
    out.write('{"files": [')
    for i, report in enumerate(reports):
        if i:
            out.write(", ")
        _write_report(out, report)
    out.write("]}\n")
    out.flush()


def _write_report(out: _Output, report: FileReport, lead: dict[str, Any] | None = None) -> None:
    """``json.dumps({**lead, **report.to_json()})`` in pieces: the object around its hang
    episodes, then each episode as it is read back."""
    marker = json.dumps(HANGS_PLACEHOLDER)
    head, tail = json.dumps({**(lead or {}), **report.to_json(hangs=False)},
                            ensure_ascii=False).split(marker, 1)
    out.write(head + "[")
    for j, hang in enumerate(report.hangs):
        out.write((", " if j else "") + json.dumps(hang.to_json(), ensure_ascii=False))
    out.write("]" + tail)


def _write_out(text: str) -> None:
    """Write UTF-8; bytes that were not UTF-8 in the input (kept as surrogates) become U+FFFD."""
    sys.stdout.flush()
    data = text.encode("utf-8", errors="replace")
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(data.decode("utf-8"))
        return
    buffer.write(data)
    buffer.flush()


def _on(report: FileReport, host: str | None) -> str:
    """`` on HOST`` as the config names it (``--config``), the file's node when the lines
    name none, else nothing."""
    if host:
        return " on " + report.extra.get("node_names", {}).get(host, host)
    node = report.extra.get("node")
    return f" on {node}" if node else ""


class _VisibleLines:
    """Writes each line of the summary through the sanitiser: file names, devices, hosts and
    CEF fields come from the input and must not reach the terminal raw."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def write(self, text: str) -> None:
        self.out.write("".join(visible(line) + "\n" for line in text.split("\n")[:-1]))


def print_summary(report: FileReport, out: TextIO | _VisibleLines) -> None:
    """A few lines per file an operator can read at a glance."""
    kinds = ", ".join(report.kinds) or "no known format"
    out.write(f"{report.path}: {kinds}, {report.lines} lines\n")
    if report.extra.get("node_from") == "file_name":
        out.write(f"  node {report.extra['node']} (from the file name: its lines name no "
                  "host)\n")
    for hang in report.hangs:
        where = _on(report, hang.host)
        stuck = ""
        consumer = hang.consumer()
        if hang.stuck and consumer is not None:
            stuck = f", TX ring stuck ({consumer[0]} <{consumer[1].strip('<>')}>)"
        elif hang.stuck:
            stuck = ", TX ring stuck"
        span = _span(hang.first, hang.last) or ", no timestamps" + (
            f" (uptime {hang.first_uptime:.3f} s)" if hang.first_uptime is not None else "")
        resets = (f", {hang.resets} reset{'s' if hang.resets != 1 else ''}"
                  if hang.resets else "")
        out.write(
            f"  HANG {hang.driver or '(driver not shown)'} {hang.device or '(device not shown)'}"
            f"{where}: {hang.kind} x {hang.reports}"
            f"{stuck}{resets}{span}\n"
        )
    for gone in report.nic_events:
        where = _on(report, gone.host)
        when = f" at {_when(gone.time)}" if gone.time else ""
        out.write(f"  NIC LOST {gone.driver} {gone.device}{where}: PCIe link lost, "
                  f"device detached (not a TX hang){when}\n")
    for link in report.links.summaries():
        host = _on(report, link.host)
        longest = (f", longest down {link.longest_down_s:.1f} s"
                   if link.longest_down_s is not None else "")
        out.write(f"  link {link.device}{host}: {link.downs} down, {link.ups} up, "
                  f"{link.flaps} flaps{longest}{_span(link.first, link.last)}\n")
    for event in report.quorum_events:
        out.write(f"  {_quorum_event_text(event)}\n")
    if report.quorum is not None:
        q = report.quorum
        state = "quorate" if q.quorate else "NOT QUORATE"
        names = ", ".join(n.name for n in q.nodes)
        out.write(f"  votes {q.total_votes}/{q.expected_votes} {state}; members: {names}\n")
    if report.offloads is not None:
        o = report.offloads
        flags = " ".join(f"{name}={_onoff(getattr(o, name))}" for name in ("tso", "gso", "gro"))
        out.write(f"  offloads {o.device or '(device not shown)'}: {flags}\n")
    if "driver" in report.extra:
        d = report.extra["driver"]
        out.write(f"  driver {d.get('driver')} {d.get('version')} firmware {d.get('firmware')}\n")
    for persisted in report.extra.get("offload_hooks", []):
        _offload_hook_lines(persisted, out)
    for cef in report.cef[:20]:
        host = f" from {cef.host}" if cef.host else ""
        device, client = cef.device(), cef.client()
        about = (f", device {device}" if device else "") + (f", client {client}" if client else "")
        when = f" at {_when(cef.time)}" if cef.time else ""
        out.write(f"  CEF {cef.vendor} {cef.product}: {cef.name} (sev {cef.severity}){host}"
                  f"{about}{when}\n")
    if len(report.cef) > 20:
        out.write(f"  ... {len(report.cef) - 20} more CEF records\n")
    for error in report.errors:
        out.write(f"  error: {error}\n")


def _offload_hook_lines(p: dict[str, Any], out: TextIO | _VisibleLines) -> None:
    """``offload fix for eno1 (bridge vmbr0): tso yes, gso yes, gro NO``, then each hook
    that does not count, and why."""
    flags = ", ".join(f"{f} {'yes' if p[f] else 'NO'}" for f in ("tso", "gso", "gro"))
    carrier = f" ({p['carrier_kind']} {p['carrier']})" if p["carrier"] else ""
    verdict = "persisted" if p["effective"] else "NOT persisted"
    problem = f"; {p['problem']}" if p["problem"] else ""
    out.write(f"  offload fix for {p['port']}{carrier}: {verdict}: {flags}{problem}\n")
    for hook in p["hooks"]:
        if hook["state"] != "effective":
            where = f" ({hook['stanza']})" if hook["stanza"] else ""
            out.write(f"    line {hook['line']}{where} {hook['keyword']} {hook['command']}: "
                      f"{hook['state']}: {hook['why']}\n")


_EVENT_WORDS = {
    "member_left": "members left",
    "member_joined": "members joined",
    "quorum_lost": "QUORUM LOST",
    "quorum_regained": "quorum regained",
    "link_down": "knet link down to node",
    "link_up": "knet link up to node",
}


def _quorum_event_text(event: QuorumEvent) -> str:
    """``cluster pve01: members left 3 (corosync) at ...``: who saw what, when."""
    nodes = " " + " ".join(event.nodes) if event.nodes else ""
    link = f" (link {event.link})" if event.link is not None else ""
    source = f" ({event.source})" if event.source else ""
    when = f" at {_when(event.at)}" if event.at else f" (line {event.lineno})"
    return (f"cluster {event.host or '(host not shown)'}: {_EVENT_WORDS[event.kind]}{nodes}"
            f"{link}{source}{when}")


def _onoff(value: bool | None) -> str:
    return "?" if value is None else ("on" if value else "off")


def _when(t: datetime) -> str:
    """A time in the text summary: ISO 8601 (in UTC when it has a zone); a year-less stamp
    nothing dated as ``Nov 16 13:33:12 (year unknown)``."""
    if timefmt.basis(t) == "year unknown":
        return f"{t:%b %d %H:%M:%S} (year unknown)"
    return timefmt.iso_or_none(t) or ""


def _span(first: datetime | None, last: datetime | None) -> str:
    if first is None:
        return ""
    if last is None or last == first:
        return f", at {_when(first)}"
    return f", {_when(first)} .. {_when(last)}"
