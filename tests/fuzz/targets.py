"""Every parser as a fuzz target: bytes in; only the parser's own error may come out.

One registry serves the hypothesis property tests (tests/property/test_hardening_parsers.py)
and the atheris harness (tests/fuzz/run.py), so both exercise exactly the same entry points.
A target returns normally for input it accepts *and* for input it rejects with its own,
documented error; anything else (IndexError, RecursionError, a catch-all report...) escapes
and is a bug. Seeds are the project's own synthetic fixtures (never the real samples).
"""

from __future__ import annotations

import atexit
import contextlib
import gzip
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from labconsole.config import ConfigError, load_config
from labconsole.events import EventDecodeError, event_from_json
from labconsole.parse.cef import CefParseError, parse_cef
from labconsole.parse.corosync_log import QuorumFactReader, membership_in_line
from labconsole.parse.ethtool import (
    EthtoolParseError,
    parse_driver_info,
    parse_features,
    parse_k_args,
)
from labconsole.parse.hang_detector import HangDetector
from labconsole.parse.interfaces import InterfacesParseError, parse_interfaces
from labconsole.parse.kernel_reader import KernelLogReader
from labconsole.parse.kernel_scan import scan_kernel_lines
from labconsole.parse.line_limit import LineSplitter
from labconsole.parse.pve_api import PveApiParseError, parse_pve_api
from labconsole.parse.quorum import QuorumParseError, parse_quorum
from labconsole.parse.syslog_framing import DatagramDecoder, StreamFramer
from labconsole.parse.syslog_header import parse_syslog_header
from labconsole.runbook.load import RunbookError, load_file
from labconsole.scan.opener import InputError
from labconsole.scan.scanner import scan_input
from labconsole.sources.recording import (
    Recorder,
    RecordingError,
    UnrecordableEvent,
    is_recording,
    iter_recording,
    read_line_at,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DEMO = Path(__file__).resolve().parents[2] / "console" / "demo" / "pve03_incident.jsonl"
BUNDLED_RUNBOOKS = Path(__file__).resolve().parents[2] / "console" / "runbook" / "bundled"


class CatchAllUsed(AssertionError):
    """A parser survived only through its own catch-all ("unreadable line"): still a bug."""


@dataclass(frozen=True)
class Target:
    name: str
    run: Callable[[bytes], None]
    seed_globs: tuple[str, ...]
    extra_seeds: Callable[[], list[bytes]] | None = None  # seeds from outside tests/fixtures

    def seeds(self) -> list[bytes]:
        out: list[bytes] = []
        for pattern in self.seed_globs:
            out.extend(p.read_bytes() for p in sorted(FIXTURES.glob(pattern)) if p.is_file())
        if self.name == "events":
            out.extend(DEMO.read_bytes().splitlines()[:40])
        if self.extra_seeds is not None:
            out.extend(self.extra_seeds())
        return out


def _bundled_runbooks() -> list[bytes]:
    return [p.read_bytes() for p in sorted(BUNDLED_RUNBOOKS.glob("*.toml"))]


def _recording_heads() -> list[bytes]:
    """The demo recording's first lines, whole and cut mid-line (a crash), plain and gzip."""
    head = b"\n".join(DEMO.read_bytes().splitlines()[:30]) + b"\n"
    return [head, head[:len(head) * 2 // 3], gzip.compress(head),
            gzip.compress(head)[:200]]


def text(data: bytes) -> str:
    """Bytes as the live sources decode them (asyncssh and the listener use 'replace')."""
    return data.decode("utf-8", errors="replace")


def kernel_log(data: bytes) -> None:
    reader = KernelLogReader(default_year=2024)
    detector = HangDetector()
    for line in reader.feed_text(text(data)) + reader.close():
        detector.feed(line)
    detector.finish()
    if any("unreadable line" in e for e in reader.errors):
        raise CatchAllUsed(reader.errors)
    for episode in detector.episodes:
        json.dumps(episode.to_json())
    scan_kernel_lines(text(data).splitlines(), default_year=2024)


def corosync_log(data: bytes) -> None:
    reader = QuorumFactReader(default_year=2024)
    for n, line in enumerate(text(data).splitlines() or [""], 1):
        for fact in reader.feed_line(line, n):
            json.dumps(fact.to_json())
        seen = membership_in_line(line, default_year=2024, lineno=n)
        if seen is not None:
            json.dumps(seen.to_json())


def syslog_header(data: bytes) -> None:
    for line in text(data).splitlines() or [""]:
        parse_syslog_header(line, default_year=2024)


def cef(data: bytes) -> None:
    for line in text(data).splitlines() or [""]:
        with contextlib.suppress(CefParseError):
            json.dumps(parse_cef(line, default_year=2024).to_json())


def quorum(data: bytes) -> None:
    with contextlib.suppress(QuorumParseError):
        json.dumps(parse_quorum(text(data)).to_json())


def ethtool(data: bytes) -> None:
    body = text(data)
    with contextlib.suppress(EthtoolParseError):
        parse_features(body)
    with contextlib.suppress(EthtoolParseError):
        parse_driver_info(body)
    with contextlib.suppress(EthtoolParseError):
        parse_k_args(body.split())


def interfaces(data: bytes) -> None:
    try:
        parsed = parse_interfaces(text(data))
    except InterfacesParseError:
        return
    assert parsed.render() == text(data)  # lossless: the runbook rewrites this file
    for stanza in parsed.ifaces():
        parsed.find_offload_hooks(stanza.name)
        parsed.bridge_for(stanza.name)


def pve_api(data: bytes) -> None:
    with contextlib.suppress(PveApiParseError):
        parse_pve_api(text(data))


def syslog_framing(data: bytes) -> None:
    framer = StreamFramer(max_message=256)
    step = 1 + (data[0] % 64 if data else 0)
    for start in range(0, len(data), step):
        framer.feed(data[start:start + step])
        assert framer.buffered <= 256 + 16
    framer.close()
    DatagramDecoder(max_message=256).decode(data)


def line_limit(data: bytes) -> None:
    splitter = LineSplitter(max_line=64)
    step = 1 + (data[0] % 32 if data else 0)
    body = text(data)
    for start in range(0, len(body), step):
        for line in splitter.feed(body[start:start + step]):
            assert "\n" not in line
        assert splitter.buffered <= 64
    splitter.close()


# Where the targets that read a file write it: the fuzzing processes of tests/fuzz/run.py
# name one inside their work folder (libFuzzer ends them without running atexit handlers).
SCRATCH_ENV = "LABCONSOLE_FUZZ_SCRATCH"
_TMP = Path(os.environ.get(SCRATCH_ENV)
            or Path(tempfile.gettempdir()) / f"labconsole-fuzz-{os.getpid()}")
_OWNER = os.getpid()


def _remove_scratch() -> None:
    """At exit, this process's scratch folder goes (every run used to leave one behind in
    the temporary folder); a forked child shares the name, so only the process that named
    it removes it."""
    if os.getpid() == _OWNER:
        shutil.rmtree(_TMP, ignore_errors=True)


atexit.register(_remove_scratch)


def _scratch(name: str, data: bytes) -> Path:
    _TMP.mkdir(parents=True, exist_ok=True)
    path = _TMP / name
    path.write_bytes(data)
    return path


def config(data: bytes) -> None:
    try:
        load_config(_scratch("config.toml", data))
    except ConfigError as exc:
        assert exc.problems


def scan(data: bytes) -> None:
    try:
        report = scan_input(str(_scratch("input.log", data)), default_year=2024)
    except InputError:  # its own error: e.g. a gzip stream that ends inside its header
        return
    json.dumps(report.to_json())


def events(data: bytes) -> None:
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):
        return  # the recording reader's own concern, not event_from_json's
    try:
        event = event_from_json(obj)
    except EventDecodeError:
        return
    json.dumps(event.to_json(), default=str)


def runbook(data: bytes) -> None:
    """The runbook loader as the console calls it on an operator's file."""
    try:
        book = load_file(_scratch("runbook.toml", data))
    except RunbookError as exc:
        assert str(exc).startswith(str(_TMP))  # its errors name the file
        return
    assert book.steps and len({s.id for s in book.steps}) == len(book.steps)


def recording(data: bytes) -> None:
    """Replay reading: every non-blank line is an event or a reported error, never a crash;
    whatever it yields the recorder can write again and read back."""
    path = _scratch("recording.jsonl", data)
    is_recording(path)
    errors: list[RecordingError] = []
    got = list(iter_recording(path, errors))
    if not data.startswith(b"\x1f\x8b"):  # plain text: count the lines it must account for
        lines = [ln for ln in data.split(b"\n") if ln.strip()]
        assert len(got) + len(errors) == len(lines), (len(got), errors)
        for r in got:
            read_line_at(path, r.offset)
    again = _TMP / "again.jsonl"
    again.unlink(missing_ok=True)
    written = 0
    with Recorder(again, fsync_interval=3600) as rec:
        for r in got:
            try:
                rec.write(r.event)
                written += 1
            except UnrecordableEvent:  # its own error: e.g. JSON too deep to encode again
                pass
    back_errors: list[RecordingError] = []
    back = list(iter_recording(again, back_errors)) if written else []
    assert len(back) == written and not back_errors, back_errors


TARGETS: dict[str, Target] = {t.name: t for t in (
    Target("kernel_log", kernel_log, ("kernel/*.log", "kernel/journal.*")),
    Target("syslog_header", syslog_header, ("kernel/*.log", "cef/*")),
    Target("corosync_log", corosync_log, ("corosync/*.log", "kernel/short.log")),
    Target("cef", cef, ("cef/*",)),
    Target("quorum", quorum, ("blocks/corosync*", "blocks/pvecm*", "blocks/qdevice*",
                              "blocks/fragment*")),
    Target("ethtool", ethtool, ("blocks/ethtool*",)),
    Target("interfaces", interfaces, ("blocks/interfaces*",)),
    Target("pve_api", pve_api, ("blocks/pve_*",)),
    Target("syslog_framing", syslog_framing, ("cef/*",)),
    Target("line_limit", line_limit, ("kernel/dmesg.log",)),
    Target("config", config, ("config/*.toml",)),
    Target("scan", scan, ("blocks/*.txt", "kernel/short.log", "cef/unifi*")),
    Target("events", events, ()),
    Target("recording", recording, (), _recording_heads),
    Target("runbook", runbook, (), _bundled_runbooks),
)}

