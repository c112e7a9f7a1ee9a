"""``labconsole report [PATH...] [-o FILE] [--format md|json] [--audit AUDIT.jsonl]``.

Correlates recordings and/or plain log files into incidents and writes the write-up: Markdown
for people (terminal or git host), JSON for scripts. With no PATH it reports on the bundled
demo recording of the pve03 incident. Headless: never imports Textual.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labconsole.commands import CONFIG_HELP
from labconsole.commands.tz_option import add_tz_option, use_tz
from labconsole.config.node_names import node_names_from
from labconsole.config.redact import redact
from labconsole.sanitize import json_visible, visible
from labconsole.sources.recording import RecordingError

if TYPE_CHECKING:
    from labconsole.incident.report import Report


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "report", help="incident report (Markdown or JSON) from recordings or log files",
        description="Group the events of recordings or log files into incidents, name the "
                    "likely cause of each with its evidence, downtime per node and the "
                    "remediation steps of an audit log. No PATH: the bundled demo recording.")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                   help="recording (.jsonl, .jsonl.gz) or plain log file")
    p.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                   help="write the report here (atomically) instead of stdout")
    p.add_argument("--format", choices=("md", "json"), default=None,
                   help="md (default) or json; -o FILE.json implies json")
    p.add_argument("--audit", type=Path, action="append", default=[], metavar="AUDIT.jsonl",
                   help="runbook audit log with the remediation steps (repeatable; default: "
                        "the runbooks' own audit log when it exists, for PATHs given)")
    p.add_argument("--no-audit", action="store_true",
                   help="no remediation steps from any audit log, not even the default one")
    p.add_argument("--config", type=Path, default=None,
                   help=CONFIG_HELP)
    p.add_argument("--year", type=int, default=None,
                   help="year of log lines whose stamp has none (default: the year the data's "
                        "own dated times give, else shown as unknown; never the file's mtime)")
    add_tz_option(p)
    p.set_defaults(func=run)


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    if args.output is not None and args.output.suffix.lower() == ".json":
        return "json"
    return "md"


def write_atomic(path: Path, text: str) -> None:
    """A report half-written by a crash would look complete: write a temp file, then rename.
    The file is 0600 (mkstemp's mode, kept by the rename) and any registered secret is
    masked (issue 19 item 6)."""
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(redact(text))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def audit_paths(args: argparse.Namespace) -> list[Path]:
    """``--audit`` as given; without it, the runbook's default audit log when it exists.

    Not for the bundled demo: its incidents are synthetic (2025-11-08), and the operator's
    real steps would only show up as remediation outside any incident.
    """
    if args.no_audit:
        return []
    if args.audit or not args.paths:
        return list(args.audit)
    from labconsole.runbook.session import default_audit_path

    default = default_audit_path()
    return [default] if default.is_file() else []


def build(args: argparse.Namespace, problems: list[RecordingError] | None = None) -> Report:
    """The report object for parsed arguments (raises ValueError/OSError on unusable input);
    lines that could not be read are appended to ``problems``. The console's ``i`` builds the
    same object from the same events (``report_from_state``) and names the data the same way."""
    from labconsole.demo.generate import DEMO_PATH
    from labconsole.incident.report import DataSource, report_from_paths

    paths = list(args.paths) or [DEMO_PATH]
    audits = audit_paths(args)
    for audit in audits:
        if not audit.is_file():
            raise ValueError(f"{audit}: no such audit log")
    if audits and not args.audit:
        print(f"labconsole report: remediation steps from the runbook audit log {audits[0]} "
              "(--no-audit leaves them out)", file=sys.stderr)
    # the bundled file is named as such, not where this machine installed it
    origin = DataSource.of_paths(args.paths) if args.paths else DataSource.demo()
    names = node_names_from(getattr(args, "config", None)) if args.paths else None
    report = report_from_paths(paths, audit=audits, year=args.year, problems=problems,
                               origin=origin, names=names)
    report.sources = list(origin.paths)
    return report


def json_text(report: Report) -> str:
    """The JSON form as written (untrusted text made visible)."""
    from labconsole.incident.report_json import report_json

    return json_visible(json.dumps(report_json(report), ensure_ascii=False, indent=2)) + "\n"


def render(args: argparse.Namespace, problems: list[RecordingError] | None = None) -> str:
    """The report text for parsed arguments (see ``build``)."""
    from labconsole.incident.report_md import render_markdown

    use_tz(args)
    report = build(args, problems)
    if _format(args) == "json":
        return json_text(report)
    title = "Incident report" + ("" if args.paths else " (bundled demo recording)")
    return render_markdown(report, title=title)


def run(args: argparse.Namespace) -> int:
    problems: list[RecordingError] = []
    try:
        text = render(args, problems)
    except (ValueError, OSError) as exc:
        print(visible(f"labconsole report: {exc}"), file=sys.stderr)
        return 2
    # A truncated input is reported on what was read, and is still an input error (exit 2).
    cut = [p for p in problems if p.ends_input]
    for problem in cut:
        print(visible(f"labconsole report: {problem}"), file=sys.stderr)
    status = 2 if cut else 0
    if args.output is None:
        sys.stdout.write(text)
        return status
    try:
        write_atomic(args.output, text)
    except OSError as exc:
        print(f"labconsole report: cannot write {args.output}: {exc}", file=sys.stderr)
        return 2
    print(visible(f"labconsole report: wrote {args.output}"), file=sys.stderr)
    return status
