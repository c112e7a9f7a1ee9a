"""``labconsole scan``'s fast paths give the straightforward per-line answer on generated mixes.

The block scan takes register blocks in one step, counts CEF records past the listed ones
without parsing them, and leaves corosync lines that cannot state a fact unparsed; none of that
may change a byte of ``scan --json`` or ``scan --events``. Each example writes a seeded mix of
``bench/loggen.py`` (every profile, every format; the ``realdata`` noise is replaced by lines
of this test, the samples are not read here) and perturbs it with odd register blocks, then
compares the fast path with the line path (:func:`scan_kernel_lines` fed every line, no block
scan, no run, no count shortcut).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import re
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.loggen import FORMATS, PROFILES, write_log
from labconsole.parse import corosync_log, fast_quorum_line, fast_syslog_head, kernel_scan_blocks
from labconsole.parse.corosync_log import facts_in_line, might_state_fact
from labconsole.parse.fast_syslog_head import FastSyslogHeads
from labconsole.parse.kernel_reader import KernelLogReader
from labconsole.parse.kernel_scan import scan_kernel_lines
from labconsole.parse.kernel_scan_blocks import KernelBlockScan, scan_kernel_blocks
from labconsole.parse.scan_facts import fact_json
from labconsole.parse.syslog_header import parse_syslog_header
from labconsole.scan import opener, scanner
from labconsole.scan.scanner import scan_input

NOISE = [
    "pvedaemon[1234]: <root@pam> starting task UPID:pve03:0000",
    "systemd[1]: Started Session 42 of user root.",
    "corosync[999]:   [KNET  ] host: host: 2 has no active links",
]
HEAD = "2024-06-03T00:00:0{s}+0200 pve03 kernel: e1000e 0000:00:1f.6 eno1: "
# Register-block lines, plain and odd: whatever the run takes must equal the line path.
REGISTERS = [
    "  TDH                  <f6>", "  TDT                  <1a>", "\tnext_to_clean        <f6>",
    "buffer_info[next_to_clean]:", "  buffer_info[next_to_clean]:", "  jiffies <{n:x}>",
    "  Tx Queue             <{q}>", "  Tx Queue             <x{q}>", "  TDH, TDT <0>, <9>",
    "  PCI Status             <10>", "  desc.status <1>", "  MAC Status <80083>",
    "  time 06:19:0{s} <1>",  # a clock: the reader looks for a glued header
    "  TDH <f6> Jun  3 00:00:0{s} pve03 kernel: chatter glued on",  # and finds one
    "  Hang state           <1>",  # a keyword: the line is a hit of its own
    "  CEF:0|a|b|c|1|n|3|",  # a divert word
    "  host: 2 link: 0 is down",  # a quorum word
    "   ", "", "  caf\u00e9 <1>", "  TDH <f6>\r", "  " + "x" * 300 + " <1>",
    "2024-06-03T00:00:0{s}+0200 pve03 kernel:   TDH <f6>",  # stamped, indented message
    "  plain indented text", "TDH <f6>",
    # near misses of the plain "  NAME   <VALUE>" line the run reads without register_pairs
    "  TDH  <f6 >", "  TDH <f6>  ", "  a" + "b" * 70 + " <1>", "  TDH " + " " * 100 + "<1>",
    "  TDH\t<{n:x}>", "  x.y <a;b=c?>", "  TDH <>", "  Tx  Queue <{q}>", "  TDH <f6:1>",
]
CEF = "Jun  3 00:00:0{s} udm CEF:0|Ubiquiti|UniFi|8.0|400|Client left|3|src=10.0.0.{s}"
ODD_LINES = [
    CEF + " " + CEF, CEF + CEF + CEF,  # glued records
    "Jun  3 00:00:01 udm text with CEF: in it", "Jun  3 00:00:01 udm xCEF:0|a|b|c|1|n|3|",
    "Jun  3 00:00:01 udm CEF:0|broken",
    # not ASCII: a record the bytes cannot count (a text digit that is not an ASCII one)
    CEF + " caf\u00e9", "Jun  3 00:00:0{s} udm CEF:\u0663|Ubiquiti|UniFi|8.0|400|n|3|src=1",
    "Jun  3 00:00:0{s} udm CEF:0|a|b|c|1|n|3|x CEF:\u0663|a|b|c|1|n|3|",
    # glued records and register-looking messages on plain short-iso kernel lines
    HEAD.format(s=1) + "NIC Link is Down" + HEAD.format(s=2) + "NIC Link is Up",
    HEAD.format(s=1) + "NIC Link is Down " + HEAD.format(s=2).replace("pve03", "pve04")
    + "NIC Link is Up",
    HEAD.format(s=1) + "NIC Link is Down pve03 kernel: TDH <f6>",
    HEAD.format(s=1) + "NIC Link is Up <1>", HEAD.format(s=1) + "TDH <f6>",
    HEAD.format(s=1) + "buffer_info[next_to_clean]:", HEAD.format(s=1) + "plain chatter",
    "2024-06-03T00:00:01+0200 pve04 kernel: e1000e 0000:00:1f.6 eno1: NIC Link is Up",
    # corosync / pmxcfs headers the fast split must read as parse_syslog_header does, or not
    "2024-06-03T00:00:0{s}+0200 pve03 corosync[9]:   [KNET  ] link: host: 2 link: 0 is down",
    "2024-06-03T00:00:0{s}Z pve_3 corosync:   [QUORUM] This node is within the primary "
    "component and will provide service.",
    "2024-06-03T00:00:0{s}.123456789+02:00 pve03 pmxcfs[12345678901]: [status] notice: node "
    "lost quorum",
    "2024-13-45T00:00:0{s}+0200 pve03 corosync[9]:   [KNET  ] link: host: 2 link: 0 is up",
    "2024-06-03T00:00:0{s}+0200 pve03 pacemaker-controld[7]: notice: Node pve02 state is now "
    "lost",
    "2024-06-03T00:00:0{s}+0200 pve03 corosync[9]: 2024-06-03T00:00:01+0200 pve04 corosync[9]: "
    "[KNET  ] host: 3 link: 1 is down",
]
# Link lines: the plain shapes the block scan reads straight into the tally, and near misses
# that must go the long way (another keyword or word in the line or in the host, a register
# sign, a glued record, no device, a state word that is not one).
LINKS = [
    "NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx", "NIC Link is Down",
    "Link is Up - 1Gbps/Full - flow control rx/tx", "link down", "Link up", "Link is upx",
    "NIC Link is Down, Reset adapter unexpectedly", "NIC Link is Down (tx hang)",
    "NIC Link is Up, TX timeout detected", "NIC Link is Up after PF reset", "Link is Down <1>",
    "NIC Link is Down: Hang", "NIC Link is Up, host: 2 link: 0 is up", "NIC Link is Up Members",
    "NIC Link is Down CEF:0|a|b|c|1|n|3|", "NIC Link is Down buffer_info",
    "NIC Link is Down 2024-06-03T00:00:01+0200 pve03 kernel: e1000e: eno1 NIC Link is Up",
    "NIC Link is Down pve03 kernel: x", "NIC Link is Up at 06:19:02", "  NIC Link is Up",
    "NIC Link is Up PCIe link lost, device now detached", "NIC Link is Up timed out",
    "NIC Link is Up WATCHDOG", "NIC Link is Up caf\u00e9",
    "NIC Link is Down 2024-06-03T00:00:01+0200 pve03 corosync[9]: x",  # a glued record
    # a corosync fact in a link message (read by the quorum scan too)
    "NIC Link is Down node lost quorum", "NIC Link is Up, [KNET  ] host: 2 link: 0 is up",
    "NIC Link is Up A new membership (1.2a) was formed. Members left: 3",
]
LINK_PREFIXES = [
    HEAD, "2024-06-03T00:00:0{s}+0200 quorum1 kernel: e1000e 0000:00:1f.6 eno1: ",
    "2024-06-03T00:00:0{s}+0200 Hangzhou kernel: igb 0000:04:00.0 enp4s0: igb: enp4s0 ",
    "2024-06-03T00:00:0{s}+0200 pve03 kernel: e1000e: eno2 ",
    "2024-06-03T00:00:0{s}+0200 pve03 kernel: ", "2024-06-03T00:00:0{s}+0200 pve03 kernel: [",
    "2024-06-03T00:00:0{s}+0200 pve03 kernel: r8169 0000:09:00.0 enp9s0: ",
    "Jun  3 00:00:0{s} pve03 kernel: r8169 0000:09:00.0 enp9s0: ",
    "2024-06-03T00:00:0{s} pve03 kernel: r8169 0000:09:00.0 enp9s0: ",
    "2024-06-03T00:00:0{s}+0200 pve03 corosync[9]: r8169 0000:09:00.0 enp9s0: ",
]
# What may follow a link line: the scan reads it straight only when the next line is skipped.
AFTER_LINK = ["", "  TDH <f6>", "2024-06-03T00:00:09+0200 pve03 kernel: chatter",
              "\tbuffer_info[next_to_clean]:", HEAD.format(s=9) + "NIC Link is Up",
              # a hang head that reads as a register line of the link line before it
              "2024-06-03T00:00:0{s}+0200 pve03 kernel: Detected Tx Unit Hang <1>"]
# journalctl -o json link entries: plain string fields (read without json.loads) and the
# near misses json.loads reads otherwise (escapes, other types, spaces, duplicate keys).
JSON_FIELDS = [
    '"__REALTIME_TIMESTAMP":"171736560{s}414497"', '"__REALTIME_TIMESTAMP":171736560{s}414497',
    '"__REALTIME_TIMESTAMP":"x{s}"', '"_SOURCE_MONOTONIC_TIMESTAMP":"12{s}414497"',
    '"_HOSTNAME":"pve03"', '"_HOSTNAME":""', '"_HOSTNAME":"quorum1"', '"_HOSTNAME":"pve\\u0003"',
    '"SYSLOG_IDENTIFIER":"kernel"', '"_TRANSPORT":"kernel"', '"_TRANSPORT":"syslog"',
    '"PRIORITY":"6"', '"PRIORITY":6', '"_BOOT_ID":"ab{s}"', '"_TRANSPORT" : "kernel"',
    # plain values that hold the separators of the fields' split (empty, ":", ",", "{")
    '"_COMM":""', '"_CMDLINE":"a:,{{b}},:"', '"_HOSTNAME":"pve0{s}"',
    # escapes, other types and odd values json.loads reads (the entry then goes the long way)
    '"_HOSTNAME":"pve\\/03"', '"_COMM":"a\\u0041"', '"_COMM":null', '"_COMM":{{"a":"b"}}',
    '"_COMM":["x"]', '"_TRANSPORT":"kern\\u0065l"', '"SYSLOG_IDENTIFIER":"kernel "',
    '"_TRANSPORT":"driver"', '"SYSLOG_IDENTIFIER":"systemd"', '"MESSAGE":null',
    # empty and odd plain values of the fields read (an empty one reads as a missing one)
    '"__REALTIME_TIMESTAMP":""', '"_SOURCE_MONOTONIC_TIMESTAMP":""', '"_TRANSPORT":""',
    '"__REALTIME_TIMESTAMP":"99999999999999999999999"', '"_SOURCE_MONOTONIC_TIMESTAMP":"1.5"',
    '"__REALTIME_TIMESTAMP":"-1"', '"__MONOTONIC_TIMESTAMP":"12{s}414497"', '"MESSAGE":""',
    # keys near the ones read
    '"message":"e1000e: eno2 NIC Link is Down"', '"_HOSTNAME_":"x"', '"X_HOSTNAME":"x"',
    '"__CURSOR":"s=ab;i=1{s};b=cd;m=1;t=2;x=3"', '"_KERNEL_SUBSYSTEM":"pci"',
]
JSON_MESSAGES = [
    '"MESSAGE":"ixgbe 0000:08:00.1 enp8s0f1: NIC Link is Down"',
    '"MESSAGE":"igb 0000:04:00.0 enp4s0: igb: enp4s0 NIC Link is Up 1000 Mbps Full Duplex"',
    '"MESSAGE":"e1000e: eno2 NIC Link is Up \\"x\\""',
    '"MESSAGE":"e1000e: eno2 NIC Link is Up\\n  TDH <1>"',
    '"MESSAGE":"e1000e: eno2 NIC Link is Down caf\\u00e9"', '"MESSAGE":"  TDH <f6>"',
    '"MESSAGE":[101,49,48,48,48,101,58,32,101,110,111,50,32,78,73,67,32,76,105,110,107,32,105,'
    '115,32,85,112]', '"MESSAGE":"e1000e 0000:00:1f.6 eno1: Detected Tx Unit Hang <1>"',
    '"MESSAGE":"e1000e: eno2 NIC Link is Up, Reset adapter unexpectedly"',
    '"MESSAGE":"r8169 0000:07:00.0 enp7s0: Link is Up - 1Gbps/Full - flow control rx/tx"',
    '"MESSAGE":"e1000e: eno2 NIC Link is Down host: 2"', '"MESSAGE":"e1000e: eno2 link down"',
    '"MESSAGE":"e1000e: eno2 NIC Link is Down node lost quorum"',
]
HEADS = ["Detected Hardware Unit Hang:", "Detected Tx Unit Hang", "NIC Link is Up 1000 Mbps",
         "Reset adapter unexpectedly", "NETDEV WATCHDOG: CPU: 1: transmit queue 0 timed out"]


def _mix(profile: str, fmt: str, lines: int, seed: int) -> str:
    out = io.StringIO()
    noise = NOISE if PROFILES[profile].real_noise else None
    write_log(out, fmt, lines, seed, profile=profile, noise=noise)
    return out.getvalue()


@st.composite
def _odd_block(draw: st.DrawFn) -> str:
    s = draw(st.integers(0, 9))
    lines = [HEAD.format(s=s) + draw(st.sampled_from(HEADS))]
    for _ in range(draw(st.integers(0, 80))):  # past FOLLOW_MAX (64) too
        lines.append(draw(st.sampled_from(REGISTERS)).format(
            s=s, n=draw(st.integers(0, 1 << 40)), q=draw(st.integers(0, 9))))
    return "\n".join(lines) + "\n"


@st.composite
def _link_lines(draw: st.DrawFn) -> str:
    s = draw(st.integers(0, 9))
    lines = []
    for _ in range(draw(st.integers(1, 4))):
        lines.append(draw(st.sampled_from(LINK_PREFIXES)).format(s=s)
                     + draw(st.sampled_from(LINKS)))
        lines.extend(after.format(s=s)
                     for after in draw(st.lists(st.sampled_from(AFTER_LINK), max_size=2)))
    return "\n".join(lines) + "\n"


@st.composite
def _json_links(draw: st.DrawFn) -> str:
    s = draw(st.integers(0, 9))
    entries = []
    order: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        if order and draw(st.booleans()):
            # the last entry's keys in the same order, one value changed (perhaps to a
            # near miss: the regex of a key sequence must read its values as json.loads)
            at = draw(st.integers(0, len(order) - 1))
            key = order[at].split(":")[0]
            order[at] = draw(st.sampled_from([
                item for item in JSON_FIELDS + JSON_MESSAGES if item.split(":")[0] == key]))
        else:
            # a plain kernel link entry (by either kernel field; its time, host and uptime
            # there or not), then perhaps a near miss; keys in any order, some twice
            fields = [JSON_MESSAGES[draw(st.sampled_from([0, 1, 9]))],
                      *draw(st.sampled_from([JSON_FIELDS[8:10], JSON_FIELDS[8:9],
                                             JSON_FIELDS[9:10]])),
                      *draw(st.lists(st.sampled_from(JSON_FIELDS[0:1] + JSON_FIELDS[3:5]),
                                     max_size=3, unique=True))]
            fields += draw(st.lists(st.sampled_from(JSON_FIELDS + JSON_MESSAGES), max_size=2))
            order = draw(st.permutations(fields))
        entries.append("{" + ",".join(order).format(s=s) + "}")
    return "\n".join(entries) + "\n"


@st.composite
def _log(draw: st.DrawFn) -> bytes:
    profile = draw(st.sampled_from(sorted(PROFILES)))
    fmt = draw(st.sampled_from([PROFILES[profile].fmt, *FORMATS]))
    text = _mix(profile, fmt, draw(st.integers(50, 1500)), draw(st.integers(0, 10_000)))
    lines = text.splitlines(keepends=True)
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(lines)))
        lines.insert(at, draw(_odd_block()))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(lines)))
        lines.insert(at, draw(st.sampled_from(ODD_LINES)).format(s=at % 10) + "\n")
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(lines)))
        lines.insert(at, draw(_link_lines()))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(lines)))
        lines.insert(at, draw(_json_links()))
    if draw(st.booleans()):  # a link line as the last line, without its newline
        lines.append(HEAD.format(s=9) + draw(st.sampled_from(LINKS)))
    return "".join(lines).encode("utf-8", errors="surrogateescape")


def _scan(path: Path, *, events: bool) -> dict[str, object]:
    facts: list[dict[str, object]] = []
    sink = (lambda fact: facts.append(fact_json(fact))) if events else None
    report = scan_input(str(path), default_year=2024, on_fact=sink)
    return {"report": report.to_json(), "facts": facts}


def _take_parsing_all(self: scanner._CefDivert, line: str, n: int) -> bool:
    """``_CefDivert.take`` as it was before the counting shortcut: every record is cut out
    of the line and offered to ``_take_one`` (which counts those past ``MAX_CEF``)."""
    if scanner.find_cef(line) < 0:
        return False
    for record in scanner.split_cef_records(line):
        self._take_one(record, n)
    return True


def _shortcuts_off() -> contextlib.ExitStack:
    stack = contextlib.ExitStack()
    stack.enter_context(mock.patch.object(corosync_log, "might_state_fact", lambda text: True))
    stack.enter_context(mock.patch.object(scanner._CefDivert, "take", _take_parsing_all))
    stack.enter_context(mock.patch.object(
        KernelBlockScan, "_register_run", lambda self, block, pos, size, finder: pos))
    stack.enter_context(mock.patch.object(
        KernelBlockScan, "_end_of_block", lambda self, block, pos, size, finder: pos))
    stack.enter_context(mock.patch.object(
        FastSyslogHeads, "split", lambda self, text: self._slow(text)))
    stack.enter_context(mock.patch.object(
        KernelBlockScan, "_fast_link", lambda self, block, start, end, finder, at: False))
    stack.enter_context(mock.patch.object(
        KernelLogReader, "feed_kernel", lambda self, text, stamp, host, message: None))
    stack.enter_context(mock.patch.object(
        KernelBlockScan, "_fast_report", lambda self, block, start, end, size, finder: 0))
    stack.enter_context(mock.patch.object(
        KernelBlockScan, "_quorum_line", lambda self, block, start, end: False))
    stack.enter_context(mock.patch.object(KernelBlockScan, "_divert_line", lambda self, raw: False))
    return stack


def _line_by_line(path: Path) -> dict[str, object]:
    """The line path with every shortcut off: each line read and parsed on its own."""
    with (_shortcuts_off(),
          mock.patch.object(scanner, "_is_journal_export", lambda head: True)):
        return _scan(path, events=False)


def _blocks_line_by_line(path: Path, block: int) -> dict[str, object]:
    """The block scan with every shortcut off: each hit line read on its own. (Facts are
    compared with it, not with the line path, whose line numbers differ where CEF records
    were taken out: an older difference, not one of the shortcuts'.)"""
    with _shortcuts_off(), mock.patch.object(opener, "BLOCK_BYTES", block):
        return _scan(path, events=True)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=_log(), block=st.sampled_from([97, 4096, 1 << 20]), events=st.booleans(),
       max_cef=st.sampled_from([0, 3, 40, scanner.MAX_CEF]))
def test_fast_scan_equals_line_by_line_scan(
    data: bytes, block: int, events: bool, max_cef: int,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """``scan --json`` equals the line path's; ``scan --events`` (every fact, in order) the
    block scan's with the shortcuts off. A small ``MAX_CEF`` puts records past the listed
    ones, where they are counted, not parsed."""
    path = tmp_path_factory.mktemp("mix") / "log"
    path.write_bytes(data)
    with (mock.patch.object(opener, "BLOCK_BYTES", block),
          mock.patch.object(scanner, "MAX_CEF", max_cef)):
        fast = _scan(path, events=events)
        if events:
            assert fast == _blocks_line_by_line(path, block)
        else:
            assert fast == _line_by_line(path)


@st.composite
def _link_log(draw: st.DrawFn) -> bytes:
    """Link lines and entries of every shape and near miss, a little chatter between."""
    parts = ["2024-06-03T00:00:00+0200 pve03 kernel: a kernel log\n"]
    parts += draw(st.lists(st.one_of(_link_lines(), _json_links(), st.sampled_from([
        "2024-06-03T00:00:01+0200 pve03 kernel: chatter\n", "  TDH <f6>\n",
        HEAD.format(s=2) + "Detected Hardware Unit Hang:\n"])), min_size=1, max_size=12))
    return "".join(parts).encode("utf-8", errors="surrogateescape")


def _keyword_search(multi: bool) -> contextlib.AbstractContextManager[object]:
    """Hyperscan where installed (``multi``), else the ``bytes.find`` finder."""
    if multi:
        pytest.importorskip("hyperscan")
        return contextlib.nullcontext()
    return mock.patch.object(kernel_scan_blocks._MultiSearch, "make", lambda words: None)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=_link_log(), block=st.sampled_from([61, 1 << 20]), events=st.booleans(),
       multi=st.booleans(), shapes=st.sampled_from([0, 1, 2, 64]))
def test_link_lines_read_straight_equal_the_line_path(
    data: bytes, block: int, events: bool, multi: bool, shapes: int,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Link lines and JSON link entries the block scan reads straight into the tally (and
    their near misses, which it must read the long way) give the line path's answer, with
    either keyword search, however few JSON key sequences the scan may learn."""
    path = tmp_path_factory.mktemp("links") / "log"
    path.write_bytes(data)
    with (mock.patch.object(opener, "BLOCK_BYTES", block), _keyword_search(multi),
          mock.patch.object(kernel_scan_blocks, "MAX_JSON_SHAPES", shapes)):
        fast = _scan(path, events=events)
        if events:
            assert fast == _blocks_line_by_line(path, block)
        else:
            assert fast == _line_by_line(path)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=_link_log(), size=st.sampled_from([61, 1 << 20]), multi=st.booleans())
def test_link_lines_read_straight_by_the_kernel_scan_alone(
    data: bytes, size: int, multi: bool,
) -> None:
    """The same without a divert word (``scan_kernel_blocks``): the finder alone tells a
    line holding only its link word (no follow, quorum or divert word to look for)."""
    lines = [raw.decode("utf-8", errors="surrogateescape").rstrip("\r\n")
             for raw in io.BytesIO(data)]
    want = scan_kernel_lines(lines, default_year=2024)
    chunks = [data[i:i + size] for i in range(0, len(data), size)]
    got = scan_kernel_blocks(chunks, default_year=2024, multi_search=multi)
    assert json.dumps(got.to_json()) == json.dumps(want.to_json())
    assert got.kernel_lines == want.kernel_lines


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=_log(), size=st.integers(50, 5000))
def test_block_scan_with_runs_equals_line_scan(data: bytes, size: int) -> None:
    """The kernel scan alone, exact kernel line count included, for any chunking."""
    lines = [raw.decode("utf-8", errors="surrogateescape").rstrip("\r\n")
             for raw in io.BytesIO(data)]
    want = scan_kernel_lines(lines, default_year=2024)
    chunks = [data[i:i + size] for i in range(0, len(data), size)]
    got = scan_kernel_blocks(chunks, default_year=2024)
    assert got.to_json() == want.to_json()
    assert got.kernel_lines == want.kernel_lines


CORO = st.sampled_from([
    "A new membership (1.2a) was formed. Members left: 3",
    "A new membership (1.2a) was formed. Members joined: 1 left: 3",
    "This node is within the non-primary component and will NOT provide any services.",
    "This node is within the primary component and will provide service.",
    "node lost quorum", "node has quorum", "xnode has quorumx", "Quorum lost", ":quorum acquired",
    "host: 2 link: 0 is down", "host: 2 link: 0 is upx", "host: host: 2 has no active links",
    "Node pve02 state is now lost", "Node pve02[2] - state is now member",
    "[QUORUM] Members[2]: 1 2", "quorum", "Members", "state is now",
])
PREFIX = st.sampled_from([
    "", "2024-06-03T00:00:00+0200 pve03 corosync[9]:   [KNET  ] ", "Jun  3 00:00:00 pve03 ",
    "[1] pve03 corosyncnotice  [TOTEM ] ", "Jan 07 03:14:33 [KNET] ", "x",
    "<13>1 2024-06-03T00:00:00Z pve03 pmxcfs 1 - - ",
])


@given(parts=st.lists(st.tuples(PREFIX, CORO, st.text(max_size=8)), min_size=1, max_size=3))
def test_a_line_without_a_possible_fact_states_none(
    parts: list[tuple[str, str, str]]
) -> None:
    """``might_state_fact`` is a superset test: glued or not, a line it rejects has no fact."""
    text = "".join(p + c + t for p, c, t in parts)
    if not might_state_fact(text):
        assert facts_in_line(text, default_year=2024) == []
        for part in corosync_log.split_glued(text):
            assert facts_in_line(part, default_year=2024) == []


# An e1000e report as the driver prints it (the pattern the block scan reads in one match),
# and the near misses that must go line by line: each entry is (indent, name, value).
E1000E = [("  ", "TDH", "{tdh}"), ("  ", "TDT", "1a"), ("  ", "next_to_use", "1a"),
          ("  ", "next_to_clean", "{tdh}"), ("", "buffer_info[next_to_clean]:", None),
          ("  ", "time_stamp", "{n:x}"), ("  ", "next_to_watch", "{tdh}"),
          ("  ", "jiffies", "{m:x}"), ("  ", "next_to_watch.status", "0"),
          ("", "MAC Status", "80083"), ("", "PHY Status", "796d"),
          ("", "PHY 1000BASE-T Status", "3800"), ("", "PHY Extended Status", "3000"),
          ("", "PCI Status", "10")]
REPORT_HEADS = [
    HEAD + "Detected Hardware Unit Hang:", HEAD + "Detected Hardware Unit Hang",
    HEAD.replace("pve03", "pve04") + "Detected Hardware Unit Hang:",
    HEAD.replace("eno1", "enp3s0") + "Detected Hardware Unit Hang:",
    "Jun  3 00:00:0{s} pve03 kernel: e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:",
    "2024-06-03T00:00:0{s}+0200 pve03 kernel: [ 12.5] e1000e: Detected Hardware Unit Hang:",
    HEAD + "Detected Hardware Unit Hang: Members", HEAD + "Detected Tx Unit Hang:",
    HEAD + "NIC Link is Down " + HEAD + "Detected Hardware Unit Hang:",
    # heads read without the line path (``_fast_head``), and its near misses: other stamp
    # shapes (another minute, Z, a fraction, no zone), dates and seconds that do not exist,
    # a quorum word in the host, a clock in the PCI address, a register sign, a glued
    # record, a divert word
    HEAD + "Detected Hardware Unit Hang:", HEAD + "Detected Hardware Unit Hang:",
    "2024-06-03T23:5{s}:5{s}Z pve03 kernel: e1000e 0000:00:19.0 eno2: Detected Hardware "
    "Unit Hang:",
    "2024-06-03T00:00:0{s}.12345+02:00 pve03 kernel: e1000e 0000:00:1f.6 eno1: Detected "
    "Hardware Unit Hang:",
    "2024-06-03T00:0{s}:0{s} pve03 kernel: e1000e 0000:00:1f.6 eno1: Detected Hardware Unit "
    "Hang:",
    "2024-02-30T00:00:0{s}+0200 pve03 kernel: e1000e 0000:00:1f.6 eno1: Detected Hardware "
    "Unit Hang:",
    "2024-06-03T00:00:6{s}+0200 pve03 kernel: e1000e 0000:00:1f.6 eno1: Detected Hardware "
    "Unit Hang:",
    HEAD.replace("pve03", "quorum1") + "Detected Hardware Unit Hang:",
    HEAD + "TDH <f6> Detected Hardware Unit Hang:",
    HEAD + "x pve03 kernel: Detected Hardware Unit Hang:",
    HEAD + "at 06:19:02 Jun  3 00:00:01 pve03 kernel: Detected Hardware Unit Hang:",
    HEAD + "CEF:0|a|b|c|1|n|3| Detected Hardware Unit Hang:",
]
# What may replace or join a register line: another host's line, an unknown register, a
# queue, a clock, blank, a keyword, odd values.
REPORT_ODD = [
    "2024-06-03T00:00:0{s}+0200 pve04 kernel: e1000e: eno2 chatter",
    "2024-06-03T00:00:0{s}+0200 pve03 kernel: chatter",
    "  extra_register       <1>", "  Tx Queue             <{q}>", "  time 06:19:0{s} <1>",
    "", "  ", "  Hang <1>", "  host: 2 link: 0 is down", "  desc.status <1>", "  TDH <f6>",
    "  PCI Status             <10>", "  CEF:0|a|b|c|1|n|3|",
]


@st.composite
def _e1000e_report(draw: st.DrawFn, heads: list[str] = REPORT_HEADS,
                   changes: tuple[int, ...] = (0, 0, 0, 1, 2), second: int | None = None) -> str:
    s = draw(st.integers(0, 9)) if second is None else second
    values = {"tdh": draw(st.sampled_from(["f6", "44", "0", "F6"])),
              "n": draw(st.integers(0, 1 << 40)), "m": draw(st.integers(0, 1 << 40)),
              "q": draw(st.integers(0, 9)), "s": s}
    lines = [draw(st.sampled_from(heads)).format(s=s)]
    # journalctl indents a message's later lines under its first; 70 is past the pattern's 64
    margin = draw(st.sampled_from([" " * 39, " " * 39, " " * 39, " ", "\t", "", " " * 70]))
    spacing = draw(st.sampled_from(["column", "column", " ", "\t", " " * 70]))
    for indent, name, value in E1000E:
        # e1000e pads the names to one column
        pad = " " * max(1, 23 - len(indent) - len(name)) if spacing == "column" else spacing
        line = (f"{margin}{indent}{name}" if value is None
                else f"{margin}{indent}{name}{pad}<{value.format(**values)}>")
        lines.append(line)
    # near misses: a line changed, dropped, added (most reports are left whole)
    if draw(st.integers(0, 7)) == 0:  # the final register missing: the report stays open
        lines.pop()
    for _ in range(draw(st.sampled_from(changes))):
        at = draw(st.integers(1, len(lines)))
        how = draw(st.sampled_from(["drop", "add", "replace", "crlf", "space", "trailing",
                                    "value"]))
        if at == len(lines) or how == "add":
            lines.insert(at, draw(st.sampled_from(REPORT_ODD)).format(**values))
        elif how == "drop":
            del lines[at]
        elif how == "replace":
            lines[at] = draw(st.sampled_from(REPORT_ODD)).format(**values)
        elif how == "crlf":
            lines[at] += "\r"
        elif how == "value":  # too long, empty, not hex
            odd = draw(st.sampled_from(["1" * 17, "", "4:4", "0x1"]))
            lines[at] = re.sub(r"<[^>]*>", f"<{odd}>", lines[at])
        elif how == "space":
            lines[at] = lines[at].replace("<", "< ", 1)
        else:
            lines[at] += draw(st.sampled_from([" ", "x", " <1>"]))
    return "\n".join(lines) + "\n"


@st.composite
def _indented_run(draw: st.DrawFn) -> str:
    """Indented lines after a report, around what is left of the follow budget (64 lines
    after a hit, 50 after a whole report)."""
    line = draw(st.sampled_from(["  plain indented text", "  TDH <f6>", "  x_y <{n}>"]))
    return "".join(line.format(n=i) + "\n" for i in range(draw(st.integers(45, 55))))


@st.composite
def _storm_log(draw: st.DrawFn) -> bytes:
    """e1000e reports back to back and between other lines, standard ones and near misses."""
    first = draw(st.sampled_from(["2024-06-03T00:00:00+0200 pve03 kernel: a kernel log\n", ""]))
    parts = [first, *draw(st.lists(st.one_of(
        _e1000e_report(), _e1000e_report(), st.sampled_from([
            "2024-06-03T00:00:01+0200 pve03 kernel: chatter\n",
            "2024-06-03T00:00:01+0200 pve03 kernel: chatter\n",
            # after chatter: a stamped register-like line (it continues the chatter),
            # a line the plain shape does not read
            "2024-06-03T00:00:01+0200 pve03 kernel: Hang state <1>\n",
            "2024-06-03T00:00:01+0200 pve03 kernel: [FW-DROP] IN=vmbr0 MAC=aa:00:11:22\n",
            HEAD.format(s=2) + "Reset adapter unexpectedly\n",
            HEAD.format(s=3) + "NIC Link is Up 1000 Mbps Full Duplex\n",
            "2024-06-03T00:00:01+0200 pve03 corosync[9]:   [KNET  ] host: 2 link: 0 is down\n",
            "  extra_register       <1>\n", "  Tx Queue             <3>\n",
        ]), _indented_run()), min_size=1, max_size=10))]
    text = "".join(parts)
    if draw(st.booleans()):  # the input ends inside a report
        text = text[:draw(st.integers(0, len(text)))]
    return text.encode("utf-8", errors="surrogateescape")


# A storm's heads (``_fast_head`` reads them without the line path): mostly the standard
# one; the same minute in other zones (a minute's time is remembered), and heads holding a
# quorum word, a divert word, a glued record or a register sign, which must go the line
# path.
STORM_HEADS = [
    HEAD + "Detected Hardware Unit Hang:", HEAD + "Detected Hardware Unit Hang:",
    HEAD + "Detected Hardware Unit Hang:", HEAD.replace("eno1", "eno2") + "Detected Hardware "
    "Unit Hang", HEAD.replace("+0200", "Z") + "Detected Hardware Unit Hang:",
    HEAD.replace("+0200", "-0500") + "Detected Hardware Unit Hang:",
    HEAD.replace("+0200", ".5+0200") + "Detected Hardware Unit Hang:",
    HEAD + "Members[2]: Detected Hardware Unit Hang:",
    HEAD + "CEF:0|a|b|c|1|n|3| Detected Hardware Unit Hang:",
    HEAD + "TDH <f6> Detected Hardware Unit Hang:",
    HEAD + "x pve03 kernel: Detected Hardware Unit Hang:",
    HEAD.replace("00:00:0", "00:00:6") + "Detected Hardware Unit Hang:",
]
# What may come after a storm's report: chatter that ends its register block, then a line
# that chatter's context may change (a stamped register-like line continues it), or not.
CHATTER = "2024-06-03T00:00:0{s}+0200 pve03 kernel: chatter"
AFTER_CHATTER = [
    CHATTER, "2024-06-03T00:00:0{s}+0200 pve03 kernel: Hang state <1>",
    "2024-06-03T00:00:0{s}+0200 pve03 kernel: Detected Tx Unit Hang <1>",
    "2024-06-03T00:00:0{s}+0200 pve03 kernel: [FW-DROP] IN=vmbr0 MAC=aa:00:11:22",
    "2024-06-03T00:00:0{s}+0200 pve03 kernel: [FW-DROP] IN=vmbr0 MAC=aa:bb:cc:00:11:22:33 "
    "OUT=",  # a clock-like MAC address
    "2024-06-03T00:00:0{s}+0200 pve03 kernel: [FW-DROP] at 06:19:02 Jun  3 00:00:01 pve04 "
    "sshd[1]: a record glued on",
    # a dmesg stamp: the message continues the report's (in its second), as the next does
    "2024-06-03T00:00:0{s}+0200 pve03 kernel: [ 12.5]   plain indented\n  TDH <f6>",
    "2024-06-03T00:00:0{s}+0200 pve03 kernel: [xx]   plain indented",
    "2024-06-03T00:00:0{s}+0200 pve03 kernel: [Mon Jun  3 00:00:01 2024]   plain indented",
    "2024-06-03T00:00:0{s}+0200 pve03 kernel: at 00:00:01 chatter",
    # a record glued on without a bracket (found by its clock), at the earliest place
    "2024-06-03T00:00:0{s}+0200 pve03 kernel: xJun  3 00:00:01 pve04 sshd[1]: glued on",
    "2024-06-03T00:00:0{s}+0200 pve03 kernel: chatter 2024-06-03T00:00:01+0200 pve04 "
    "sshd[1]: glued on",
    HEAD + "Reset adapter unexpectedly", HEAD + "NIC Link is Up 1000 Mbps Full Duplex",
    "  TDH <f6>",
]


@st.composite
def _head_storm(draw: st.DrawFn) -> bytes:
    """A hang storm: every head of :data:`STORM_HEADS` in some order, each twice (a stamp
    shape is read the short way once the line path has checked it) after a standard one;
    chatter and the lines of :data:`AFTER_CHATTER` between them; few near misses."""
    s = draw(st.integers(0, 9))
    parts = [draw(st.sampled_from(["2024-06-03T00:00:00+0200 pve03 kernel: a kernel log\n",
                                   ""]))]
    for head in draw(st.permutations(STORM_HEADS[3:])):
        for each in (STORM_HEADS[0], head, head):
            second = draw(st.sampled_from([s, None]))  # the lines after it in its second
            parts.append(draw(_e1000e_report([each], (0, 0, 0, 0, 0, 1), second)))
            if draw(st.booleans()):
                parts.append(CHATTER.format(s=s) + "\n")
            for _ in range(draw(st.sampled_from([0, 1, 1, 2]))):
                parts.append(draw(st.sampled_from(AFTER_CHATTER)).format(s=s) + "\n")
    return "".join(parts).encode()


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=_storm_log(), block=st.sampled_from([61, 97, 700, 1 << 20]), events=st.booleans())
def test_e1000e_reports_read_whole_equal_the_line_path(
    data: bytes, block: int, events: bool, tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Hang reports the block scan reads in one match (and their near misses: a register
    missing, changed or added, another host's line inside, CRLF, odd spacing, a report cut by
    a block's end or the input's) give the line path's answer."""
    _assert_line_path_answer(data, block, events, tmp_path_factory)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=_head_storm(), block=st.sampled_from([97, 4096, 1 << 20]), events=st.booleans())
def test_storm_heads_read_short_equal_the_line_path(
    data: bytes, block: int, events: bool, tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A storm's report heads read without the line path, the chatter ending a register
    block before the next report, and their near misses (another stamp shape in the same
    minute, a second that does not exist, a quorum or divert word, a glued record, a line
    the chatter's context changes) give the line path's answer."""
    _assert_line_path_answer(data, block, events, tmp_path_factory)


def _assert_line_path_answer(data: bytes, block: int, events: bool,
                             tmp_path_factory: pytest.TempPathFactory) -> None:
    """The block scan and ``scan`` of ``data`` fed in ``block``-byte chunks answer as the
    line path does (the block scan with its shortcuts off, kernel line and ``Members[``
    counts included), to the byte of their JSON (the order of a report's registers too)."""
    chunks = [data[i:i + block] for i in range(0, len(data), block)]
    got = scan_kernel_blocks(chunks, default_year=2024)
    with _shortcuts_off():
        want = scan_kernel_blocks(chunks, default_year=2024)
    assert json.dumps(got.to_json()) == json.dumps(want.to_json())
    assert (got.kernel_lines, got.members_seen) == (want.kernel_lines, want.members_seen)
    path = tmp_path_factory.mktemp("storm") / "log"
    path.write_bytes(data)
    with mock.patch.object(opener, "BLOCK_BYTES", block):
        fast = _scan(path, events=events)
        want_scan = (_blocks_line_by_line(path, block) if events else _line_by_line(path))
    assert json.dumps(fast) == json.dumps(want_scan)


# corosync / pmxcfs lines the block scan reads from what it remembers of their header and
# message, or of the whole line (``FastQuorumLines``), and the near misses it must read the
# long way: headers of every form (an impossible date, an app named Members, no pid, a
# spaced host, a relay, RFC 5424, a kernel line, none), messages with a clock, a glued
# record, a keyword or divert word, CR, non-ASCII, trailing space, over the length limit.
QUORUM_HEADERS = [
    "2024-06-03T00:00:0{s}+0200 pve0{h} corosync[1187]: ",
    "2024-06-03T00:00:0{s}+0200 pve0{h} corosync[1187]: ",
    "2024-06-03T00:00:0{s}Z pve0{h} corosync[1187]: ",
    "2024-06-03T00:00:0{s}.5+0200 pve0{h} corosync[1187]: ",
    "2024-06-03T00:00:0{s}.12345{s}+02:00 pve0{h} pmxcfs[12]: ",
    "2024-06-03T00:00:0{s}Z pve_{h} corosync: ", "2024-13-45T00:00:0{s}+0200 pve03 corosync[9]: ",
    "2024-06-03T00:00:6{s}+0200 pve0{h} corosync[1187]: ",  # seconds 60-62: no time
    "2024-06-31T00:0{s}:01+0200 pve0{h} corosync[1187]: ",  # no such day
    "2024-06-03T00:00:0{s}+0200 pve03 Members[2]: ", "2024-06-03T00:00:0{s}+0200 pve03 Members: ",
    "2024-06-03T00:00:0{s}+0200 pve0{h} pacemaker-controld[7]: ",
    "2024-06-03T00:00:0{s}+0200 pve03 corosync[12345678901]: ",
    "2024-06-03 00:00:0{s} pve03 corosync[9]: ",
    "2024-06-03T00:00:0{s}+0200 node  0{h} corosync[9]: ",
    "2024-06-03T00:00:0{s}+0200 relay Jun  3 00:00:0{s} pve0{h} corosync[9]: ",
    "Jun  3 00:00:0{s} pve0{h} corosync[9]: ", "Jun 13 16:19:3{s} [25591] pve03 corosync notice  ",
    "<13>1 2024-06-03T00:00:0{s}Z pve03 pmxcfs 1 - - ", "2024-06-03T00:00:0{s}+0200 pve03 kernel: ",
    "", "2024-06-03T00:00:0{s}+0200 pve03 corosync[9]:",
    "2024-06-03T00:00:0{s}+0200 pve03 x:y[9]: ", "2024-06-03T00:00:0{s}+0200 Hangzhou kernel: ",
    "2024-06-03T00:00:0{s}+0200 pve03 WATCHDOG[9]: ",
]
QUORUM_MESSAGES = [
    "  [KNET  ] link: host: {n} link: 0 is down", "  [KNET  ] rx: host: {n} link: 1 is up",
    "  [KNET  ] link: host: {n} link: 0 is down", "  [QUORUM] Members[2]: 1 {n}",
    "  [KNET  ] host: host: {n} has no active links", "  [QUORUM] Members[2]: 1 {n}",
    "  [TOTEM ] A new membership (1.{n}a) was formed. Members left: {n}",
    "  [TOTEM ] A new membership (1.2a) was formed. Members joined: 1 left: {n}",
    "  [TOTEM ] A new membership (10.1.2.{n}:20{n}) was formed. Members joined: {n}",
    "  [TOTEM ] A new membership (1{n}:34:56) was formed. Members left: 2",
    "  [TOTEM ] A new membership (1.{n}A) was formed. Members left: 2",
    "  [TOTEM ] A new membership (1.RINGb) was formed. Members left: 2",  # a new ring a line
    "A new membership (1.A) was formed. Members left: 2 A new membership (1.RING) was formed. "
    "Members joined: 3",
    "  [QUORUM] This node is within the non-primary component and will NOT provide any services.",
    "  [QUORUM] This node is within the primary component and will provide service.",
    "[status] notice: node lost quorum", "[status] notice: node has quorum",
    "notice: Node pve0{n} state is now lost", "Quorum lost", ":quorum acquired", "quorum",
    "  [KNET  ] link: host: {n} link: 0 is down at 06:19:0{n}",
    "  [KNET  ] link: host: 2 link: 0 is down2024-06-03T00:00:01+0200 pve04 corosync[9]: "
    "[KNET  ] host: {n} link: 1 is down",
    "host: 2 link: 0 is down Jun  3 00:00:01 pve04 pmxcfs[3]: node lost quorum",
    "  [KNET  ] link: host: {n} link: 0 is down NIC Link is Up", "Members Hang",
    "host: {n} link: 0 is down CEF:0|a|b|c|1|n|3|", "host: {n} link: 0 is down caf\u00e9",
    "  [KNET  ] link: host: {n} link: 0 is down\r", "host: {n} link: 0 is down  ",
    "host: {n} link: 0 is down " + "x" * 600, "x" * 4100 + " host: {n} link: 0 is up",
    "host: {n} link: 0 is down " + "x" * 4050,  # the line too long for a fact, not the message
    "  [QUORUM] Members[3]: 1 2 {n}\tMembers[1]: 1",
]
QUORUM_OTHER = [
    "2024-06-03T00:00:01+0200 pve03 kernel: chatter",
    '{{"MESSAGE":"host: {n} link: 0 is down","_HOSTNAME":"pve03",'
    '"__REALTIME_TIMESTAMP":"1717365600414497"}}',
    HEAD.format(s=2) + "Detected Hardware Unit Hang:", "  TDH <f6>",
    HEAD.format(s=3) + "NIC Link is Up 1000 Mbps Full Duplex",
]


@st.composite
def _quorum_log(draw: st.DrawFn) -> bytes:
    """corosync lines of a few headers and messages (so lines, headers and messages repeat,
    facts too), a few other lines between; perhaps no newline at the end."""
    headers = [draw(st.sampled_from(QUORUM_HEADERS)).format(
        s=draw(st.integers(0, 2)), h=draw(st.sampled_from("1223")))
        for _ in range(draw(st.integers(1, 4)))]
    # the same host and program with another stamp shape (trusted apart)
    headers += [h.replace("+0200 ", draw(st.sampled_from(["Z ", ".5+0200 "])), 1)
                for h in headers if "+0200 " in h]
    messages = [draw(st.sampled_from(QUORUM_MESSAGES)).format(n=draw(st.integers(1, 3)))
                for _ in range(draw(st.integers(1, 6)))]
    coro = st.tuples(st.sampled_from(headers), st.sampled_from(messages),
                     st.sampled_from("0123")).map(lambda h_m_r: h_m_r[0] + h_m_r[1].replace(
                         "RING", h_m_r[2]))
    other = st.sampled_from(QUORUM_OTHER).map(lambda line: line.format(n=2))
    lines = ["2024-06-03T00:00:00+0200 pve03 kernel: a kernel log",
             *draw(st.lists(st.one_of(coro, coro, other), min_size=20, max_size=150))]
    return ("\n".join(lines) + draw(st.sampled_from(["\n", ""]))).encode(
        "utf-8", errors="surrogateescape")


def _odd_slow_header(line: str, *, default_year: int | None = None) -> object:
    """``parse_syslog_header`` that names hosts pve02 and pve_2, and any host of a UTC
    stamp, otherwise: header shapes the fast split must find answered differently, and
    leave to the slow one (the same host and program may be trusted with another stamp)."""
    found = parse_syslog_header(line, default_year=default_year)
    if found is not None and (found[0].host in ("pve02", "pve_2")
                              or found[0].stamp.endswith("Z")):
        return dataclasses.replace(found[0], host=f"odd-{found[0].host}"), found[1]
    return found


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=_quorum_log(), block=st.sampled_from([61, 1 << 20]), events=st.booleans(),
       max_facts=st.sampled_from([0, 2, corosync_log.MAX_SCAN_FACTS]),
       check=st.sampled_from([2, 3, 256, 256]), remembered=st.sampled_from([1, 2, 4096, 4096]),
       odd_slow=st.booleans())
def test_corosync_lines_read_from_memory_equal_the_line_path(
    data: bytes, block: int, events: bool, max_facts: int, check: int, remembered: int,
    odd_slow: bool, tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """corosync lines read from remembered headers, messages and whole lines give the line
    path's answer: the facts (listed, counted past a small list, streamed), their repeats,
    member lists, line numbers. The fast header split is checked every ``check`` answers,
    the memories hold ``remembered`` entries (cleared when full), and with ``odd_slow`` the
    slow header parse answers one host's shapes otherwise (the fast split must not trust
    them)."""
    path = tmp_path_factory.mktemp("corosync") / "log"
    path.write_bytes(data)
    slow = _odd_slow_header if odd_slow else parse_syslog_header
    chunks = [data[i:i + block] for i in range(0, len(data), block)]
    with (mock.patch.object(opener, "BLOCK_BYTES", block),
          mock.patch.object(corosync_log, "MAX_SCAN_FACTS", max_facts),
          mock.patch.object(fast_syslog_head, "VERIFY_EVERY", check),
          mock.patch.object(fast_quorum_line, "MAX_REMEMBERED", remembered),
          mock.patch.object(corosync_log, "parse_syslog_header", slow)):
        # The kernel scan alone: every field of every fact (source, ring, link, line number
        # too), the count of member lists, the kernel lines.
        got = scan_kernel_blocks(chunks, default_year=2024)
        with _shortcuts_off():
            want = scan_kernel_blocks(chunks, default_year=2024)
        assert (got.quorum_events, got.quorum_dropped, got.members_seen, got.kernel_lines) == (
            want.quorum_events, want.quorum_dropped, want.members_seen, want.kernel_lines)
        assert got.to_json() == want.to_json()
        fast = _scan(path, events=events)
        if events:
            assert fast == _blocks_line_by_line(path, block)
        else:
            assert fast == _line_by_line(path)


def test_a_header_trusted_with_one_stamp_shape_is_not_with_another(tmp_path: Path) -> None:
    """The fast header split trusts a (stamp shape, host, program): the same host and program
    under a stamp of another shape are checked apart (here the slow parse answers them
    otherwise)."""
    message = "corosync[1187]:   [KNET  ] link: host: {} link: 0 is down\n"
    trusted = "2024-06-03T00:00:01+0200 pve03 " + message.format(2)
    other = "2024-06-03T00:00:01Z pve03 " + message.format(3)
    path = tmp_path / "log"
    path.write_text("2024-06-03T00:00:00+0200 pve03 kernel: a kernel log\n"
                    + trusted * 3 + other * 3)
    with mock.patch.object(corosync_log, "parse_syslog_header", _odd_slow_header):
        fast = _scan(path, events=True)
        assert [f["host"] for f in fast["facts"]] == ["pve03", "odd-pve03"]
        assert fast == _blocks_line_by_line(path, 1 << 20)


CEF_LOG_LINES = [
    CEF, CEF + " " + CEF, CEF + " caf\u00e9", "Jun  3 00:00:0{s} udm CEF:0|broken",
    "Jun  3 00:00:0{s} udm text with CEF: in it", "Jun  3 00:00:0{s} udm xCEF:0|a|b|c|1|n|3|",
    "Jun  3 00:00:0{s} udm CEF:\u0663|Ubiquiti|UniFi|8.0|400|n|3|src=1",
    "Jun  3 00:00:0{s} udm CEF:0|a|b|c|1|n|3|x CEF:\u0663|a|b|c|1|n|3|",
    HEAD + "NIC Link is Down", HEAD + "NIC Link is Up CEF:0|a|b|c|1|n|3|",
    "2024-06-03T00:00:0{s}+0200 pve03 kernel: chatter",
    "2024-06-03T00:00:0{s}+0200 pve03 corosync[9]:   [KNET  ] link: host: 2 link: 0 is down",
    HEAD + "NIC Link is Up " + "x" * 17000,  # a reader error naming its line
]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(lines=st.lists(st.sampled_from(CEF_LOG_LINES), min_size=1, max_size=60),
       s=st.integers(0, 9), max_cef=st.sampled_from([0, 2]), events=st.booleans(),
       first=st.sampled_from(["2024-06-03T00:00:00+0200 pve03 kernel: a kernel log\n", ""]))
def test_cef_records_counted_from_their_bytes_equal_the_line_path(
    lines: list[str], s: int, max_cef: int, events: bool, first: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """CEF records past the listed ones, counted from the block scan's bytes (and the lines
    it must decode: not ASCII, no record), one at a time or in runs with lines between,
    leave the counts, the kernel lines between them and the line numbers of what follows
    them (a reader error's) as the line path has them."""
    path = tmp_path_factory.mktemp("cef") / "log"
    path.write_text(first + "".join(line.format(s=s) + "\n" for line in lines))
    with mock.patch.object(scanner, "MAX_CEF", max_cef):
        fast = _scan(path, events=events)
        assert fast == (_blocks_line_by_line(path, 1 << 20) if events else _line_by_line(path))


def test_kernel_lines_between_counted_cef_records_count(tmp_path: Path) -> None:
    """A kernel line seen only between two counted records still makes a kernel log."""
    lines = [CEF, "2024-06-03T00:00:01+0200 pve03 corosync[9]: Members", CEF,
             "2024-06-03T00:00:01+0200 pve03 kernel: chatter", CEF, CEF]
    path = tmp_path / "log"
    path.write_text("".join(line.format(s=1) + "\n" for line in lines))
    with mock.patch.object(scanner, "MAX_CEF", 0):
        fast = _scan(path, events=False)
        assert "kernel_log" in fast["report"]["kinds"]  # type: ignore[index]
        assert fast == _line_by_line(path)


def test_json_key_sequences_learned_are_bounded() -> None:
    """Each JSON link entry of a new key sequence compiles a regex: past ``MAX_JSON_SHAPES``
    sequences the entries go the long way (the same answer), none is learned."""
    keys = ["_HOSTNAME", "SYSLOG_IDENTIFIER", "_TRANSPORT", "__REALTIME_TIMESTAMP", "PRIORITY"]
    values = {"_HOSTNAME": "pve03", "SYSLOG_IDENTIFIER": "kernel", "_TRANSPORT": "kernel",
              "__REALTIME_TIMESTAMP": "1717365601731444", "PRIORITY": "6"}
    lines = []
    for i in range(kernel_scan_blocks.MAX_JSON_SHAPES + 30):
        order = keys[i % 5:] + keys[:i % 5] + [f"X{i}"]  # a new sequence each line
        fields = [f'"{k}":"{values.get(k, "x")}"' for k in order]
        state = ("Up", "Down")[i % 2]
        fields.insert(i % 4, f'"MESSAGE":"e1000e: eno2 NIC Link is {state}"')
        lines.append("{" + ",".join(fields) + "}\n")
    data = "".join(lines).encode()
    scan = KernelBlockScan(default_year=2024)
    scan.feed(data)
    got = scan.finish()
    assert len(scan._json_shapes) == kernel_scan_blocks.MAX_JSON_SHAPES
    want = scan_kernel_lines([line.rstrip("\n") for line in lines], default_year=2024)
    assert json.dumps(got.to_json()) == json.dumps(want.to_json())
    assert got.links.events == len(lines)
