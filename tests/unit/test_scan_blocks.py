"""The block scan (``labconsole scan``'s fast path) gives exactly the line scan's result.

Inputs mix chatter, hang blocks, link lines, CEF records (good and bad), CRLF, invalid UTF-8,
blank/prompt/JSON lines and journal export entries; tiny block sizes put block boundaries
inside lines, keywords and register blocks.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labconsole.parse import kernel_scan, kernel_scan_blocks
from labconsole.parse.kernel_scan import HIT_WORDS, scan_kernel_lines
from labconsole.parse.kernel_scan_blocks import (
    KERNELISH,
    KernelBlockScan,
    scan_kernel_blocks,
)
from labconsole.scan import opener, scanner
from labconsole.scan.opener import InputError
from labconsole.scan.scanner import scan_input

HOST = "pve03"
STAMP = "2024-03-14T06:19:0{s}+0100 " + HOST + " kernel: "
HANG = [
    "e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:",
    "  TDH                  <f6>",
    "  TDT                  <1a>",
    "  next_to_use          <1a>",
    "  next_to_clean        <f6>",
    "buffer_info[next_to_clean]:",
    "  next_to_watch        <f7>",
    "  next_to_watch.status <0>",
    "MAC Status             <80083>",
    "PCI Status             <10>",
]
LINKS = [
    "e1000e 0000:00:1f.6 eno1: NIC Link is Down",
    "e1000e 0000:00:1f.6 eno1: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: None",
    "IPv6: ADDRCONF(NETDEV_CHANGE): vmbr0: link becomes ready",
    "igb 0000:03:00.0 eno2: igb: eno2 NIC Link is Up 1000 Mbps",
    "r8169 0000:02:00.0 enp2s0: Link is Down",
    "ixgbe 0000:01:00.0 ens1f0: Reset adapter",
    "NETDEV WATCHDOG: eno1 (e1000e): transmit queue 0 timed out",
    "e1000e 0000:00:1f.6 eno1: Reset adapter unexpectedly",
]
CHATTER = [
    "audit: type=1400 audit(1710393541.123:42): apparmor=\"STATUS\"",
    "vmbr0: port 1(eno1) entered forwarding state",
    "EXT4-fs (dm-1): mounted filesystem",
]
CEF = [
    "Mar 14 06:10:02 unifi CEF:0|Ubiquiti|UniFi Network|8.0.26|544|Switch Offline|5|"
    "UNIFIcategory=Monitoring msg=USW lost contact",
    "<14>Mar 14 06:11:02 unifi CEF:0|Ubiquiti|UniFi|8.0|400|Client left|3|src=10.0.0.5",
    "Mar 14 06:12:02 unifi CEF:0|broken",  # a CEF marker that does not parse: an error
    "Mar 14 06:12:03 unifi kernel: text that mentions CEF: but is not one",
    "Mar 14 06:12:04 unifi kernel: a | pipe, CEF:1 | not a record",
    "Mar 14 06:12:05 unifi kernel: xCEF:0|Hang|not a record either",
]
ODD = [
    "",
    "   ",
    "root@pve03:~# journalctl -k",
    "-- Boot 0123456789abcdef0123456789abcdef --",
    '{"MESSAGE": "e1000e 0000:00:1f.6 eno1: NIC Link is Down", "_TRANSPORT": "kernel"}',
    '{"MESSAGE": "broken json',
    "[  101.000000] e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:",
    "kernel: e1000e 0000:00:1f.6 eno1: NIC Link is Up",
    "Mar 14 06:19:02 pve03 kernel: [ 5012.1] e1000e: eno1 NIC Link is Down"
    "Mar 14 06:19:03 pve03 kernel: glued line",
    "Mar 14 06:19:04 node1 : kern:info : Hang in talos",
    "  Hang state           <1>",  # a keyword on a line that looks like a register line
    "Reset adapter, a keyword first",
    "|CEF:0|a|b|c|1|n|3|",
    "Hang|WATCHDOG|link up",
]
EXPORT = [
    "__CURSOR=s=1;i=2",
    "__REALTIME_TIMESTAMP=1710393541000000",
    "_TRANSPORT=kernel",
    "MESSAGE=e1000e 0000:00:1f.6 eno1: NIC Link is Down",
]


def _prefixed(text: str, s: int) -> str:
    return STAMP.format(s=s % 10) + text


@st.composite
def _line(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["hang", "link", "chatter", "cef", "odd", "raw", "export"]))
    s = draw(st.integers(0, 9))
    if kind == "hang":
        cut = draw(st.integers(1, len(HANG)))
        lines = [_prefixed(t, s) for t in HANG[:cut]]
        if draw(st.booleans()):  # bare continuation lines, as dmesg -t or a paste shows them
            lines[1:] = HANG[1:cut]
        return "\n".join(lines).encode()
    if kind == "raw":
        return draw(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b" ")))
    pool = {"link": LINKS, "chatter": CHATTER, "cef": CEF, "odd": ODD, "export": EXPORT}[kind]
    text = draw(st.sampled_from(pool))
    if kind in ("link", "chatter") and draw(st.booleans()):
        text = _prefixed(text, s)
    if draw(st.booleans()):
        text += draw(st.sampled_from(["\udcff", "\udce9x", " caf\u00e9"]))  # invalid UTF-8
    return text.encode("utf-8", errors="surrogateescape")


@st.composite
def _log(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(_line(), max_size=40))
    ends = draw(st.lists(st.sampled_from([b"\n", b"\r\n", b"\r\r\n"]),
                         min_size=len(lines), max_size=len(lines)))
    data = b"".join(line + end for line, end in zip(lines, ends, strict=True))
    if data and draw(st.booleans()):
        data = data.rstrip(b"\r\n")  # no newline at the end
    return data


def _scan_json(path: Path) -> dict[str, object]:
    try:
        return scan_input(str(path), default_year=2024).to_json()
    except InputError as exc:  # e.g. random bytes that start like a gzip: same for both
        return {"input error": str(exc)}


def _line_path_json(path: Path) -> dict[str, object]:
    with mock.patch.object(scanner, "_is_journal_export", lambda head: True):
        return _scan_json(path)


def _block_path_json(path: Path, block: int) -> dict[str, object]:
    with mock.patch.object(opener, "BLOCK_BYTES", block):
        return _scan_json(path)


def _lines(data: bytes) -> list[str]:
    return [raw.decode("utf-8", errors="surrogateescape").rstrip("\r\n")
            for raw in io.BytesIO(data)]


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


@pytest.fixture(params=["hyperscan", "bytes.find"])
def multi_search(request: pytest.FixtureRequest) -> Iterator[bool]:
    """Both keyword searches: Hyperscan (when installed) and the ``bytes.find`` fallback."""
    if request.param == "bytes.find":
        with mock.patch.object(kernel_scan_blocks._MultiSearch, "make", lambda words: None):
            yield False
        return
    pytest.importorskip("hyperscan")
    yield True


def test_hyperscan_is_used_when_installed() -> None:
    pytest.importorskip("hyperscan")
    assert KernelBlockScan()._multi is not None
    assert KernelBlockScan(multi_search=False)._multi is None


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=_log(), size=st.integers(1, 97))
def test_block_scan_equals_line_scan(data: bytes, size: int, multi_search: bool) -> None:
    """The kernel scan alone, exact ``kernel_lines`` included, for any chunking."""
    want = scan_kernel_lines(_lines(data), default_year=2024)
    got = scan_kernel_blocks(_chunks(data, size), default_year=2024, multi_search=multi_search)
    assert got.to_json() == want.to_json()
    assert got.kernel_lines == want.kernel_lines


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=_log(), block=st.sampled_from([7, 64, 100]), gz=st.booleans())
def test_scan_input_block_path_equals_line_path(
    data: bytes, block: int, gz: bool, tmp_path_factory: pytest.TempPathFactory,
    multi_search: bool,
) -> None:
    """The whole ``labconsole scan`` of a line log (CEF divert, line count, kinds, errors)."""
    path = tmp_path_factory.mktemp("blocks") / "log"
    path.write_bytes(gzip.compress(data) if gz else data)
    assert _block_path_json(path, block) == _line_path_json(path)


def _incident(n: int) -> bytes:
    parts = []
    for i in range(n):
        parts += [_prefixed(CHATTER[i % 3], i)] * 7 + [_prefixed(t, i) for t in HANG]
        parts += [CEF[i % 2], _prefixed(LINKS[i % len(LINKS)], i)]
    return ("\n".join(parts) + "\n").encode()


@pytest.mark.parametrize("cut", [0.3, 0.75, 0.999])
def test_truncated_gzip_same_lines_and_error(tmp_path: Path, cut: float,
                                            multi_search: bool) -> None:
    """A gzip cut after the sniffing head: same line count (the partial line before the
    break is dropped by both), same episodes, one 'input ends early' error."""
    packed = gzip.compress(_incident(1500))
    path = tmp_path / "cut.gz"
    path.write_bytes(packed[: int(len(packed) * cut)])
    got = _block_path_json(path, 4096)
    assert got == _line_path_json(path)
    (f,) = [got]
    assert any("input ends early" in e for e in f["errors"])  # type: ignore[attr-defined]
    assert f["hangs"] and f["cef"]


def test_big_input_many_blocks_same_as_line_path(tmp_path: Path, multi_search: bool) -> None:
    path = tmp_path / "big.log"
    path.write_bytes(_incident(400))
    got = _block_path_json(path, 1000)
    assert got == _line_path_json(path)
    assert got["kinds"] == ["kernel_log", "syslog_cef"]
    assert len(got["cef"]) == 400 and got["hangs"]  # type: ignore[arg-type]


def test_export_after_a_cef_first_line_is_parsed_in_full() -> None:
    """The first *kernel* line decides journal export mode, as in the line scan."""
    data = "\n".join([CEF[0], *EXPORT, "", *EXPORT, ""]).encode()
    taken: list[int] = []

    def divert(line: str, n: int) -> bool:
        taken.append(n)
        return n == 1

    scan = KernelBlockScan(default_year=2024, divert=divert)
    for chunk in _chunks(data, 5):
        scan.feed(chunk)
    got = scan.finish()
    want = scan_kernel_lines(_lines(data)[1:], default_year=2024)
    assert got.to_json() == want.to_json() and got.links.events == 2
    assert taken == [1] and scan.lines == 10 and scan.diverted == 1


def test_skipped_lines_end_the_register_block_as_in_the_line_scan(multi_search: bool) -> None:
    """A broken JSON line stops the follow without a new head; the lines skipped after it
    must cut the hang's register block, so a later indented keyword line is no register."""
    head = _prefixed(HANG[0], 1)
    lines = [head, HANG[1], '{"MESSAGE": "broken', _prefixed(CHATTER[0], 1),
             "  Hang state           <1>", HANG[2]]
    data = "\n".join(lines).encode()
    want = scan_kernel_lines(lines, default_year=2024)
    got = scan_kernel_blocks(_chunks(data, 16), default_year=2024)
    assert got.to_json() == want.to_json()
    assert got.hangs[0].registers == {"TDH": "f6"}


@pytest.mark.parametrize("first", ["Reset adapter", "Hang", "link down"])
def test_a_keyword_at_a_line_start_after_a_passed_one_is_found(
    first: str, multi_search: bool
) -> None:
    """The finder remembers each keyword's next position; a stale one is searched again
    from exactly the next line's start."""
    lines = [f"{first} one", _prefixed(CHATTER[1], 1), f"{first} two", CHATTER[2]]
    data = "\n".join(lines).encode()
    want = scan_kernel_lines(lines, default_year=2024)
    scan = KernelBlockScan(default_year=2024, multi_search=multi_search,
                           divert=lambda line, n: False, divert_find=b"|")
    scan.feed(data)
    got = scan.finish()
    # Only a hang report is followed: after it the headless last line is parsed (and counts
    # as kernel text); after a reset or link line it is skipped and counted by its prefix.
    followed = first == "Hang"
    assert got.to_json() == want.to_json()
    assert got.kernel_lines == want.kernel_lines == (4 if followed else 3)


def test_a_line_longer_than_many_chunks_is_read_whole() -> None:
    long = _prefixed("e1000e 0000:00:1f.6 eno1: NIC Link is Down " + "x" * 5000, 1)
    data = "\n".join([CHATTER[0], long, *HANG[:3], long]).encode()
    want = scan_kernel_lines(_lines(data), default_year=2024)
    got = scan_kernel_blocks(_chunks(data, 7), default_year=2024)
    assert got.to_json() == want.to_json() and got.links.events == 2


def test_drop_partial_forgets_the_line_cut_by_a_read_error() -> None:
    """What a truncated gzip leaves: the whole lines count, the cut one is gone."""
    scan = KernelBlockScan(default_year=2024)
    scan.feed(b"one\ntwo\nthr")
    scan.feed(b"ee e1000e 0000:00:1f.6 eno1: NIC Link is D")
    scan.drop_partial()
    result = scan.finish()
    assert scan.lines == result.lines == 2 and not result.links


def test_hit_words_are_what_the_line_scan_tests() -> None:
    for word in HIT_WORDS:
        assert kernel_scan._hit(f"x {word} y")
    assert not kernel_scan._hit("IPv6: ADDRCONF(NETDEV_CHANGE): vmbr0: link becomes ready")


@pytest.mark.parametrize("line", [
    "[ 1.0] x", "kernel: x", "Mar 1 h kernel: x", "t h : kern: x", '{"k": "kernel"}',
    "not kernel:x", "kernel:x", "x kernel:", "plain",
])
def test_kernelish_regex_matches_the_line_test(line: str) -> None:
    for end in ("", "\n", "\r\n"):
        found = len(KERNELISH.findall((line + end).encode()))
        assert found == int(kernel_scan._kernelish(line)), (line, end)
