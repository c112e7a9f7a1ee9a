"""Markdown rendering of a report: reads well in a terminal (plain, short lines where it can)
and on a git host (headings, pipe tables, fenced log lines).

Everything taken from logs is escaped for the place it lands: controls shown as visible escapes
(``labconsole.sanitize``), every Markdown/HTML special character and bare address escaped in
prose (no live link, heading or table break), backtick runs in inline code and fences (a fence
is always longer than any backtick run in the lines it holds), so a hostile log line cannot
break the document's structure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from labconsole.incident.downtime import NodeDowntime, format_duration
from labconsole.incident.facts import ActionRecord, Fact
from labconsole.incident.report import IncidentReport, Report
from labconsole.incident.wording import words
from labconsole.model import timefmt
from labconsole.sanitize import markdown_inline, visible

MAX_TIMELINE_ROWS = 200
_BACKTICKS = re.compile(r"`+")


_ANGLED = re.compile(r"<[^<>\s`]{1,40}>")


def prose(text: str) -> str:
    """Log-derived text for headings, bullets and cells: a register value like ``<f6>`` would
    be an HTML tag to a git host (and vanish), so it becomes inline code; any other ``<`` and
    backslash is escaped."""
    parts: list[str] = []
    pos = 0
    for m in _ANGLED.finditer(text):
        parts.append(_escape(text[pos:m.start()]))
        parts.append(code(m.group()))
        pos = m.end()
    parts.append(_escape(text[pos:]))
    return "".join(parts)


def _escape(text: str) -> str:
    return markdown_inline(text)


def cell(text: str) -> str:
    """Text safe inside a pipe-table cell (already formatted as Markdown)."""
    return " ".join(text.replace("|", "\\|").split())


def code(text: str) -> str:
    """Inline code whose delimiter is longer than any backtick run inside."""
    text = visible(text)
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    tick = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{tick}{pad}{text}{pad}{tick}"


def fenced(lines: Sequence[str], lang: str = "text") -> list[str]:
    lines = [visible(line) for line in lines]
    longest = max((len(m) for line in lines for m in _BACKTICKS.findall(line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{lang}", *lines, fence]


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return out


class _Clock:
    """Times in the one display zone: HH:MM:SS when the data is all on one day, else with the
    date (``timefmt.clock``: without a year when the data has none, as uptime when it has no
    timestamps)."""

    def __init__(self, start: datetime | None, end: datetime | None) -> None:
        self.one_day = start is not None and end is not None and not timefmt.spans_days(
            start, end)

    def __call__(self, t: datetime) -> str:
        return timefmt.clock(t, date=not self.one_day)


def _span(report: Report) -> str:
    """The data's span, its zone and where its times come from."""
    if report.start is None or report.end is None:
        return "no timed data"
    start, end = report.start, report.end
    kind = timefmt.worst_basis([start, end])
    if kind == "no timestamps":
        if timefmt.uptime_of(end) <= 0:
            return "no timestamps (nothing in the data carries a time)"
        return (f"no timestamps (no wall-clock time in the data; times are kernel uptime, "
                f"{timefmt.uptime_of(start):.3f} s to {timefmt.uptime_of(end):.3f} s)")
    zone = timefmt.zone_name()
    one_day = not timefmt.spans_days(start, end)
    text = (f"{timefmt.clock(start, date=True)} to "
            f"{timefmt.clock(end, date=not one_day)} {zone}")
    if kind == "year unknown":
        text += (", year unknown (year-less syslog stamps and nothing else in the data gives "
                 "the year; --year sets it)")
    return text


def _summary(report: Report, t: _Clock) -> list[str]:
    n = len(report.incidents)
    words = "No incident" if n == 0 else f"{n} incident" + ("s" if n > 1 else "")
    if report.of_total is not None and n == 1:
        words = (f"Incident {report.incidents[0].incident.number} of {report.of_total} "
                 "(this write-up covers it alone)")
        out = ["## Summary", "", f"{words}.", ""]
    else:
        out = ["## Summary", "", f"{words} found in the data.", ""]
    if n:
        out += table(["#", "Start", "End", "Duration", "Nodes", "Status", "Likely cause"],
                     [[str(r.incident.number), t(r.incident.start), t(r.incident.end),
                       format_duration(r.incident.duration),
                       prose(", ".join(r.incident.nodes) or "-"), r.incident.status,
                       prose(r.cause.text)] for r in report.incidents])
        out.append("")
    return out


def _incident_of(report: Report) -> dict[int, int]:
    """id(fact) -> incident number, for the timeline's incident column."""
    return {id(f): r.incident.number for r in report.incidents for f in r.incident.facts}


def _timeline(report: Report, t: _Clock) -> list[str]:
    out = ["## Timeline", ""]
    if not report.timeline:
        return [*out, "Nothing notable happened.", ""]
    which = _incident_of(report)
    rows: list[list[str]] = []
    for f in report.timeline[:MAX_TIMELINE_ROWS]:
        number = which.get(id(f))
        rows.append([t(f.at), str(number) if number else "-", prose(f.node or "-"),
                     prose(_what(f, t))])
    out += table(["Time", "Incident", "Node", "What"], rows)
    if len(report.timeline) > MAX_TIMELINE_ROWS:
        out.append(f"\n({len(report.timeline) - MAX_TIMELINE_ROWS} more entries not shown.)")
    return [*out, ""]


def _what(f: Fact, t: _Clock) -> str:
    """The fact's words (a stuck ring is in a hang's); a hang's end in the report's zone."""
    if f.kind == "hang" and f.hang is not None:
        return f"{words(f)}, until {t(f.last)}"
    return words(f)


def _downtime_rows(downtime: dict[str, NodeDowntime], t: _Clock) -> list[list[str]]:
    rows = []
    for d in downtime.values():
        spans = ", ".join(f"{t(i.start)}-{t(i.end)}" + (" (still out)" if i.open else "")
                          for i in d.out_of_votes) or "-"
        rows.append([prose(d.node), format_duration(d.total) if d.out_of_votes else "0 s", spans,
                     format_duration(d.link_total) if d.link_down else "0 s"])
    return rows


_DOWNTIME_HEADER = ["Node", "Out of the votes", "When", "Link down"]


def _actions(records: Sequence[ActionRecord], t: _Clock) -> list[str]:
    if not records:
        return ["No remediation steps recorded (no audit log entries or runbook actions in "
                "this incident's time).", ""]
    rows = []
    for a in records:
        what = code(a.command) if a.command else prose(a.detail or "(note)")
        exit_status = "-" if a.exit_status is None else str(a.exit_status)
        result = a.result + (" (dry run)" if a.dry_run and a.result != "dry-run" else "")
        if a.kind == "typed":  # not sent: typed by the operator at the node's console
            result = "typed by hand at the console"
        rows.append([t(a.at), prose(a.node or "-"), prose(f"{a.runbook}/{a.step}"), what,
                     prose(result), exit_status])
    return [*table(["Time", "Node", "Step", "Command", "Result", "Exit"], rows), ""]


def _incident(r: IncidentReport, t: _Clock) -> list[str]:
    inc, cause = r.incident, r.cause
    out = [f"## Incident {inc.number}: {prose(cause.text)}", ""]
    out.append(f"- **When:** {t(inc.start)} to {t(inc.end)} ({format_duration(inc.duration)}),"
               f" {inc.status}")
    out.append(f"- **Nodes:** {prose(', '.join(inc.nodes) or 'none lost')}")
    out.append(f"- **Likely cause:** {prose(cause.text)}")
    out += [f"- **Also:** {prose(c)}" for c in cause.contributing]
    if inc.outstanding:
        out.append(f"- **Still outstanding:** {prose(', '.join(inc.outstanding))}")
    out += ["", "### Evidence", ""]
    out += [f"- {prose(e)}" for e in cause.evidence] + [""]
    if cause.log_lines:
        out += ["Key log lines:", "", *fenced(cause.log_lines), ""]
    out += ["### Downtime", "", *table(_DOWNTIME_HEADER, _downtime_rows(r.downtime, t)), ""]
    out += ["### Remediation", "", *_actions(r.actions, t)]
    if r.changes:
        out += ["Final state:", ""] + [f"- {prose(c.sentence())}" for c in r.changes] + [""]
    out += ["### Check next time", ""] + [f"- {c}" for c in cause.next_checks] + [""]
    return out


def _times(report: Report) -> str:
    if timefmt.worst_basis([report.start, report.end]) == "no timestamps":
        return "the data's own (kernel uptime), never a file's modification time"
    return (f"the data's own, shown in {timefmt.zone_name()} (stamps without a zone are read "
            "as UTC), never a file's modification time")


def _origin(report: Report) -> str:
    """``replay of `a.jsonl` ``, ``demo: replay of `labconsole/demo/...` ``, ``live console``."""
    origin = report.origin
    names = ", ".join(code(p) for p in origin.paths)
    if origin.kind == "live":
        return "live console" + (f" ({names})" if names else "")
    if origin.kind == "demo":
        return "demo: replay of the bundled recording" + (f" {names}" if names else "")
    return f"replay of {names}" if names else "replay"


def render_markdown(report: Report, title: str = "Incident report") -> str:
    t = _Clock(report.start, report.end)
    out = [f"# {title}", "", f"- **Data:** {_span(report)}",
           f"- **From:** {_origin(report)}",
           f"- **Times:** {_times(report)}",
           f"- **Nodes seen:** {prose(', '.join(report.nodes) or '-')}",
           f"- **Rules:** incident ends after {format_duration(report.rules.settle)} with every "
           f"node back; device alerts hold up to {format_duration(report.rules.precursor)}", ""]
    out += _summary(report, t) + _timeline(report, t)
    for r in report.incidents:
        out += _incident(r, t)
    out += ["## Downtime per node", "",
            *table(_DOWNTIME_HEADER, _downtime_rows(report.downtime, t)), ""]
    if report.unattached:
        out += ["## Remediation outside any incident", "", *_actions(report.unattached, t)]
    if report.errors:
        out += ["## Input problems", "", f"{len(report.errors)} line(s) skipped:", ""]
        out += [f"- {prose(e)}" for e in report.errors[:50]] + [""]
    return "\n".join(out).rstrip("\n") + "\n"
