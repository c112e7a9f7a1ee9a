"""``labconsole scan --json`` on one invented pve03 episode written in every kernel log format.

A small generator below renders the same incident (node pve03, e1000e 0000:00:1f.6 eno1
reporting "Detected Hardware Unit Hang" every 2 s, five times, TDH and next_to_clean frozen at
<f6>, corosync chatter in between, then the link going down) in each format an operator pastes
or streams. Every rendering must give the same episode through the CLI's JSON; host and times
only where the format carries them. Then the awkward inputs: mixed kernel + CEF, empty,
binary garbage, a 1 MB line, CRLF. All values are invented.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from labconsole.cli import main

TZ = timezone(timedelta(hours=1))
T0 = datetime(2026, 3, 14, 6, 19, 2, 500000, tzinfo=TZ)  # first report
UPTIME0 = 5015.5  # seconds since boot at T0
REPORTS = 5
EVERY = 2.0
HOST = "pve03"
TALOS_HOST = "10.5.0.3"
PREFIX = "e1000e 0000:00:1f.6 eno1: "
LINK_DOWN = "e1000e: eno1 NIC Link is Down"


def hang_block(n: int) -> list[str]:
    """Report ``n``: the ring is stuck (TDH / next_to_clean <f6>), only jiffies move."""
    return [
        PREFIX + "Detected Hardware Unit Hang:",
        "  TDH                  <f6>",
        "  TDT                  <1a>",
        "  next_to_use          <1a>",
        "  next_to_clean        <f6>",
        "buffer_info[next_to_clean]:",
        "  time_stamp           <10a8b3c2d>",
        "  next_to_watch        <f6>",
        f"  jiffies              <10a8b{0x3e40 + 0x7d0 * n:04x}>",
        "  next_to_watch.status <0>",
        "MAC Status             <40080083>",
        "PHY Status             <796d>",
        "PHY 1000BASE-T Status  <3800>",
        "PHY Extended Status    <3000>",
        "PCI Status             <10>",
    ]


# (seconds after T0, program, message lines); program "kernel" marks kernel records.
Record = tuple[float, str, list[str]]


def incident() -> list[Record]:
    records: list[Record] = []
    for n in range(REPORTS):
        records.append((EVERY * n, "kernel", hang_block(n)))
        records.append((EVERY * n + 0.25, "corosync",
                        ["  [KNET  ] link: host: 1 link: 0 is down"]))
    records.append((EVERY * REPORTS + 1.0, "kernel", [LINK_DOWN]))
    return records


Render = Callable[[datetime, float, str, list[str]], list[str]]


def _tag(prog: str) -> str:
    return "kernel" if prog == "kernel" else f"{prog}[1290]"


def journal(stamp: Callable[[datetime], str]) -> Render:
    """journalctl short*: one header per record, continuation lines indented to the text."""

    def render(at: datetime, up: float, prog: str, lines: list[str]) -> list[str]:
        head = f"{stamp(at)} {HOST} {_tag(prog)}: "
        return [head + lines[0], *(" " * len(head) + line for line in lines[1:])]

    return render


def per_line(head: Callable[[datetime, float, str], str | None]) -> Render:
    """A header on every physical line (dmesg, syslog forwarding, logread, Talos)."""

    def render(at: datetime, up: float, prog: str, lines: list[str]) -> list[str]:
        h = head(at, up, prog)
        return [] if h is None else [h + line for line in lines]

    return render


def first_line_only(head: Callable[[datetime, float], str], indent: int) -> Render:
    """Kernel records only; the header on the first line, the rest bare (pasted excerpts)."""

    def render(at: datetime, up: float, prog: str, lines: list[str]) -> list[str]:
        if prog != "kernel":
            return []
        return [head(at, up) + lines[0], *(" " * indent + line for line in lines[1:])]

    return render


def uptime(up: float) -> str:
    return f"[{up:12.6f}]"


def kernel_only(head: Callable[[datetime, float], str]) -> Callable[..., str | None]:
    def h(at: datetime, up: float, prog: str) -> str | None:
        return head(at, up) if prog == "kernel" else None

    return h


def bsd(at: datetime) -> str:
    return at.strftime("%b %e %H:%M:%S")


def syslog3164(pri: bool) -> Render:
    """rsyslog file / forwarded RFC 3164; kernel messages keep their [uptime] stamp."""

    def head(at: datetime, up: float, prog: str) -> str:
        kernel = prog == "kernel"
        p = f"<{3 if kernel else 30}>" if pri else ""
        return f"{p}{bsd(at)} {HOST} {_tag(prog)}: " + (f"{uptime(up)} " if kernel else "")

    return per_line(head)


RENDERERS: dict[str, Render] = {
    "short": journal(bsd),
    "short-precise": journal(lambda t: t.strftime("%b %d %H:%M:%S.%f")),
    "short-iso": journal(lambda t: t.strftime("%Y-%m-%dT%H:%M:%S%z")),
    "short-iso-precise": journal(lambda t: t.isoformat(timespec="microseconds")),
    "dmesg": per_line(kernel_only(lambda t, up: uptime(up) + " ")),
    "dmesg-T": per_line(kernel_only(lambda t, up: t.strftime("[%a %b %e %H:%M:%S %Y] "))),
    "rfc3164-pri": syslog3164(pri=True),
    "rfc3164": syslog3164(pri=False),
    "rfc5424": per_line(lambda t, up, prog: (
        f"<{3 if prog == 'kernel' else 30}>1 {t.isoformat(timespec='microseconds')} {HOST} "
        f"{prog} {'-' if prog == 'kernel' else '1290'} - - ")),
    "openwrt": per_line(lambda t, up, prog: (
        f"{t.strftime('%a %b %e %H:%M:%S %Y')} "
        f"{'kern.err' if prog == 'kernel' else 'daemon.info'} {_tag(prog)}: "
        + (f"{uptime(up)} " if prog == "kernel" else ""))),
    "talos": per_line(kernel_only(lambda t, up: (
        f"{TALOS_HOST}: kern: {'err':>7}: "
        f"[{t.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%f')}000Z]: "))),
    # dmesg where only the first line of each record carries the stamp (aligned, or not).
    "dmesg-bare-continuation": first_line_only(lambda t, up: uptime(up) + " ", 15),
    "dmesg-bare-continuation-unindented": first_line_only(lambda t, up: uptime(up) + " ", 0),
    # "kernel:" on the first line only, nothing else.
    "kernel-prefix-first-line": first_line_only(lambda t, up: "kernel: ", 2),
    # journalctl -k -o cat: the messages alone, no header at all.
    "journal-cat": first_line_only(lambda t, up: "", 0),
    # dmesg -x: facility and level columns before the stamp.
    "dmesg-x": per_line(kernel_only(lambda t, up: f"kern  :err   : {uptime(up)} ")),
    # talosctl dmesg against one node: no host in front, padded columns.
    "talos-no-host": per_line(kernel_only(lambda t, up: (
        f"kern: {'err':>7}: [{t.astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%f')}Z]: "
    ))),
}


def render(fmt: str, records: list[Record]) -> list[str]:
    out: list[str] = []
    for offset, prog, lines in records:
        at = T0 + timedelta(seconds=offset)
        out += RENDERERS[fmt](at, UPTIME0 + offset, prog, lines)
    return out


def journal_fields(offset: float, prog: str, lines: list[str]) -> dict[str, str]:
    at = T0 + timedelta(seconds=offset)
    fields = {
        "__REALTIME_TIMESTAMP": str(round(at.timestamp() * 1e6)),
        "__MONOTONIC_TIMESTAMP": str(round((UPTIME0 + offset) * 1e6)),
        "_HOSTNAME": HOST,
        "SYSLOG_IDENTIFIER": prog,
        "_TRANSPORT": "kernel" if prog == "kernel" else "syslog",
        "PRIORITY": "3" if prog == "kernel" else "6",
        "MESSAGE": "\n".join(lines),
    }
    if prog != "kernel":
        fields["_PID"] = "1290"
    return fields


def render_json(records: list[Record]) -> bytes:
    """``journalctl -o json``: one object per line, multi-line messages as one string."""
    rows = [json.dumps(journal_fields(*r), separators=(",", ":")) for r in records]
    return ("\n".join(rows) + "\n").encode()


def render_export(records: list[Record]) -> bytes:
    """``journalctl -o export``: fields with a newline use the binary-safe length form."""
    chunks = []
    for n, record in enumerate(records):
        entry = [f"__CURSOR=s=0123;i={n:x}".encode()]
        for key, value in journal_fields(*record).items():
            data = value.encode()
            if b"\n" in data:
                entry.append(key.encode() + b"\n" + len(data).to_bytes(8, "little") + data)
            else:
                entry.append(key.encode() + b"=" + data)
        chunks.append(b"\n".join(entry) + b"\n\n")
    return b"".join(chunks)


def text(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def with_prompts(lines: list[str]) -> list[str]:
    return ["root@pve03:~# journalctl -k --since '2026-03-14 06:19' --until '06:20'",
            *lines, "root@pve03:~# "]


def glued(lines: list[str]) -> list[str]:
    """Every report's first line glued to the end of the line before it (lost newlines)."""
    out: list[str] = []
    for line in lines:
        if out and "Detected Hardware Unit Hang" in line:
            out[-1] += line
        else:
            out.append(line)
    return out


# name -> (bytes of the input, host, clock). clock: "naive" wall time to the second,
# "naive-us" with microseconds, "aware" an instant (offset printed, any precision), None: no
# wall-clock time at all.
def inputs() -> dict[str, tuple[bytes, str | None, str | None]]:
    rec = incident()
    cases: dict[str, tuple[bytes, str | None, str | None]] = {
        "short": (text(render("short", rec)), HOST, "naive"),
        "short-precise": (text(render("short-precise", rec)), HOST, "naive-us"),
        "short-iso": (text(render("short-iso", rec)), HOST, "aware"),
        "short-iso-precise": (text(render("short-iso-precise", rec)), HOST, "aware"),
        "json": (render_json(rec), HOST, "aware"),
        "export": (render_export(rec), HOST, "aware"),
        "dmesg": (text(render("dmesg", rec)), None, None),
        "dmesg-T": (text(render("dmesg-T", rec)), None, "naive"),
        "rfc3164-pri": (text(render("rfc3164-pri", rec)), HOST, "naive"),
        "rfc3164": (text(render("rfc3164", rec)), HOST, "naive"),
        "rfc5424": (text(render("rfc5424", rec)), HOST, "aware"),
        "openwrt": (text(render("openwrt", rec)), None, "naive"),
        "talos": (text(render("talos", rec)), TALOS_HOST, "aware"),
        "dmesg-bare-continuation": (text(render("dmesg-bare-continuation", rec)), None, None),
        "dmesg-bare-continuation-unindented": (
            text(render("dmesg-bare-continuation-unindented", rec)), None, None),
        "kernel-prefix-first-line": (
            text(render("kernel-prefix-first-line", rec)), None, None),
        "journal-cat": (text(render("journal-cat", rec)), None, None),
        "dmesg-x": (text(render("dmesg-x", rec)), None, None),
        "talos-no-host": (text(render("talos-no-host", rec)), None, "aware"),
        "short-with-prompts": (text(with_prompts(render("short", rec))), HOST, "naive"),
        "rfc3164-glued": (text(glued(render("rfc3164", rec))), HOST, "naive"),
        "dmesg-glued": (text(glued(render("dmesg", rec))), None, None),
        "short-crlf": (text(render("short", rec)).replace(b"\n", b"\r\n"), HOST, "naive"),
        "short-gzip": (gzip.compress(text(render("short", rec))), HOST, "naive"),
    }
    return cases


CASES = inputs()
# Formats that carry kernel records only (the corosync records are not rendered).
KERNEL_ONLY = frozenset({
    "dmesg", "dmesg-T", "talos", "dmesg-bare-continuation", "dmesg-bare-continuation-unindented",
    "kernel-prefix-first-line", "dmesg-glued", "journal-cat", "dmesg-x", "talos-no-host",
})

# Known scan bugs, reported to the lead; strict so each flips to a failure when fixed.
KNOWN_BROKEN: dict[str, str] = {}


def format_params() -> list[Any]:
    return [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BROKEN[name]))
        if name in KNOWN_BROKEN else name
        for name in sorted(CASES)
    ]


def scan(capsys: pytest.CaptureFixture[str], *paths: Path, status: int = 0
         ) -> list[dict[str, Any]]:
    code = main(["scan", "--json", "--year", "2026", *map(str, paths)])
    assert code == status
    files: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["files"]
    return files


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def expected_time(clock: str | None, offset: float) -> datetime | str | None:
    at = T0 + timedelta(seconds=offset)
    if clock is None:
        return None
    if clock == "aware":
        return at
    wall = at.replace(tzinfo=None)
    return (wall if clock == "naive-us" else wall.replace(microsecond=0)).isoformat()


def same_time(got: str | None, want: datetime | str | None) -> bool:
    """Aware times compare as instants (UTC or local offset both right); naive as text."""
    if isinstance(want, datetime):
        if got is None:
            return False
        parsed = datetime.fromisoformat(got)
        if parsed.tzinfo is None:
            return False
        # Formats printing whole seconds drop T0's half second.
        return want - timedelta(seconds=1) < parsed <= want
    return got == want


@pytest.mark.parametrize("name", format_params())
def test_every_format_gives_the_same_episode(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, host, clock = CASES[name]
    (f,) = scan(capsys, write(tmp_path, f"{name}.log", data))
    knet = name not in KERNEL_ONLY
    assert f["kinds"] == (["kernel_log", "corosync_log"] if knet else ["kernel_log"])
    assert f["errors"] == []
    # corosync's knet line between the reports: one fact each, with the logging node.
    facts = f["quorum_events"]
    assert len(facts) == (REPORTS if knet else 0)
    for n, fact in enumerate(facts):
        assert (fact["kind"], fact["nodes"], fact["host"]) == (
            "link_down", ["1"], None if name == "openwrt" else host)
        assert fact["text"].strip() == "[KNET  ] link: host: 1 link: 0 is down"
        assert same_time(fact["at"], expected_time(clock, EVERY * n + 0.25)), fact["at"]
    assert (f["quorum"], f["offloads"], f["cef"]) == (None, None, [])
    (h,) = f["hangs"]
    assert (h["kind"], h["driver"], h["device"], h["pci"]) == (
        "unit_hang", "e1000e", "eno1", "0000:00:1f.6")
    assert (h["reports"], h["stuck"], h["host"]) == (REPORTS, True, host)
    assert (h["registers"]["TDH"], h["registers"]["next_to_clean"]) == ("f6", "f6")
    assert h["registers"]["jiffies"] == f"10a8b{0x3e40 + 0x7d0 * (REPORTS - 1):04x}"
    assert len(h["registers"]) == 13
    assert same_time(h["first"], expected_time(clock, 0.0)), h["first"]
    assert same_time(h["last"], expected_time(clock, EVERY * (REPORTS - 1))), h["last"]
    (eno1,) = f["links"]
    assert (eno1["device"], eno1["host"], eno1["downs"], eno1["ups"]) == ("eno1", host, 1, 0)
    (down,) = eno1["recent"]
    assert down["state"] == "down"
    assert same_time(down["time"], expected_time(clock, EVERY * REPORTS + 1.0)), down["time"]
    assert eno1["first"] == eno1["last"] == down["time"]


def test_line_counts_are_physical_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    short = render("short", incident())
    assert len(short) == REPORTS * (15 + 1) + 1
    crlf = text(short).replace(b"\n", b"\r\n")
    no_final_newline = "\n".join(short).encode()
    files = scan(capsys, write(tmp_path, "a", text(short)), write(tmp_path, "b", crlf),
                 write(tmp_path, "c", no_final_newline))
    assert [f["lines"] for f in files] == [len(short)] * 3


def test_stuck_flag_follows_the_ring(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """Same format, but TDH / next_to_clean move between reports: not stuck."""
    lines = []
    for n, line in enumerate(render("short", incident())):
        if "TDH " in line or "next_to_clean  " in line:
            line = line.replace("<f6>", f"<{0xf6 + n:x}>")
        lines.append(line)
    (f,) = scan(capsys, write(tmp_path, "moving.log", text(lines)))
    (h,) = f["hangs"]
    assert (h["reports"], h["stuck"]) == (REPORTS, False)


UNIFI_OFFLINE = (
    "Mar 14 06:05:11 unifi CEF:0|Ubiquiti|UniFi Network|9.0.114|208|Device Offline|5|"
    "UNIFIcategory=Devices UNIFIhost=unifi UNIFIdeviceName=usw-lab-24 "
    "UNIFIdeviceMac=02:00:00:aa:bb:01 UNIFIutcTime=2026-03-14T05:05:11.250Z "
    "msg=usw-lab-24 is offline. Clients on ports 1\\=3 disconnected."
)
UNIFI_ONLINE = (
    "Mar 14 07:10:02 unifi CEF:0|Ubiquiti|UniFi Network|9.0.114|209|Device Online|2|"
    "UNIFIcategory=Devices UNIFIhost=unifi UNIFIdeviceName=usw-lab-24 "
    "msg=usw-lab-24 is back online."
)


def test_mixed_kernel_and_cef(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A syslog server's file: UniFi CEF alerts interleaved with pve03's kernel lines."""
    kernel = render("rfc3164", incident())
    mixed = [UNIFI_OFFLINE, *kernel[:20], "Mar 14 06:19:05 unifi CEF:0|Ubiquiti|broken",
             *kernel[20:], UNIFI_ONLINE]
    (f,) = scan(capsys, write(tmp_path, "syslog", text(mixed)))
    assert f["kinds"] == ["kernel_log", "corosync_log", "syslog_cef"]
    assert f["lines"] == len(mixed)
    (h,) = f["hangs"]
    assert (h["device"], h["reports"], h["stuck"], h["host"]) == ("eno1", REPORTS, True, HOST)
    offline, online = f["cef"]
    assert (offline["signature_id"], offline["name"], offline["severity"]) == (
        "208", "Device Offline", "5")
    assert (offline["host"], offline["time"]) == ("unifi", "2026-03-14T05:05:11.250000+00:00")
    assert offline["extensions"]["msg"] == "usw-lab-24 is offline. Clients on ports 1=3 " \
        "disconnected."
    assert (online["name"], online["time"]) == ("Device Online", "2026-03-14T07:10:02")
    (error,) = f["errors"]
    assert error.startswith("line 22: CEF: ")
    assert [event["state"] for link in f["links"] for event in link["recent"]] == ["down"]


def test_mixed_json_order_does_not_matter(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """CEF first then kernel, or kernel first then CEF: the same findings."""
    kernel = render("rfc3164", incident())
    a, b = scan(capsys, write(tmp_path, "a", text([UNIFI_OFFLINE, *kernel])),
                write(tmp_path, "b", text([*kernel, UNIFI_OFFLINE])))
    for f in (a, b):
        f.pop("path")
        f["kinds"].sort()
    assert a == b


def test_empty_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (f,) = scan(capsys, write(tmp_path, "empty.log", b""))
    assert {k: v for k, v in f.items() if k != "path"} == {
        "kinds": [], "lines": 0, "hangs": [], "links": [], "quorum_events": [],
        "nic_events": [], "quorum": None, "offloads": None, "cef": [], "errors": []}


def garbage(seed: int) -> bytes:
    return random.Random(seed).randbytes(200_000)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_binary_garbage_is_read_without_findings(
    seed: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = garbage(seed)
    (f,) = scan(capsys, write(tmp_path, "garbage.bin", data))  # exit 0 is asserted in scan()
    assert (f["hangs"], f["links"], f["cef"], f["quorum"], f["offloads"]) == (
        [], [], [], None, None)
    assert f["lines"] == data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_binary_garbage_has_no_kind(
    seed: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (f,) = scan(capsys, write(tmp_path, "garbage.bin", garbage(seed)))
    assert f["kinds"] == []


def test_truncated_gzip_keeps_what_was_read(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A log rotated mid-write: the readable reports are scanned, the break is reported."""
    lines = render("short", incident())
    packed = gzip.compress(text(lines * 400))  # big enough to cut after the sniffing head
    (f,) = scan(capsys, write(tmp_path, "cut.gz", packed[: len(packed) * 3 // 4]), status=2)
    assert f["kinds"] == ["kernel_log", "corosync_log"]
    assert f["hangs"] and f["hangs"][0]["stuck"] is True
    assert 0 < f["lines"] < len(lines) * 400
    assert len(f["errors"]) == 1 and "input ends early" in f["errors"][0]


def test_one_megabyte_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 1 MB line first (bigger than the sniffing head) and one in the middle."""
    lines = render("rfc3164", incident())
    huge = "x" * (1 << 20)
    kernel_huge = f"Mar 14 06:18:59 {HOST} kernel: [ 5012.000000] audit: " + "y" * (1 << 20)
    data = [huge, *lines[:16], kernel_huge, *lines[16:]]
    (f,) = scan(capsys, write(tmp_path, "huge.log", text(data)))
    assert f["kinds"] == ["kernel_log", "corosync_log"]
    assert f["lines"] == len(data)
    (h,) = f["hangs"]
    assert (h["reports"], h["stuck"], h["host"]) == (REPORTS, True, HOST)
    assert f["errors"] == []


CRLF_BLOCKS = {
    "blocks/corosync3_pve01_2of3_quorumtool.txt": "quorum_status",
    "blocks/ethtool_k_eno1_e1000e_offloads_on.txt": "ethtool_features",
    "blocks/interfaces_pve03_vmbr0_with_hook.txt": "interfaces",
    "cef/unifi_switch_reboot.log": "syslog_cef",
}


@pytest.mark.parametrize("rel", sorted(CRLF_BLOCKS))
def test_crlf_block_and_cef_files_read_the_same(
    rel: str, fixtures: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = (fixtures / rel).read_bytes()
    assert b"\r\n" not in data
    lf, crlf = scan(capsys, write(tmp_path, "lf", data),
                    write(tmp_path, "crlf", data.replace(b"\n", b"\r\n")))
    assert CRLF_BLOCKS[rel] in lf["kinds"]
    lf.pop("path")
    crlf.pop("path")
    assert crlf == lf


def test_all_formats_in_one_call(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every rendering at once: one report per path, in order, all with the same episode."""
    names = sorted(set(CASES) - set(KNOWN_BROKEN))
    paths = [write(tmp_path, name, CASES[name][0]) for name in names]
    files = scan(capsys, *paths)
    assert [f["path"] for f in files] == [str(p) for p in paths]
    assert {(f["hangs"][0]["device"], f["hangs"][0]["reports"]) for f in files} == {
        ("eno1", REPORTS)}


def test_one_megabyte_cef_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 1 MB extension value stays one record with the value intact."""
    big = "z" * (1 << 20)
    data = [UNIFI_ONLINE, UNIFI_OFFLINE.replace("is offline.", f"is offline {big}."),
            UNIFI_ONLINE]
    (f,) = scan(capsys, write(tmp_path, "bigcef.log", text(data)))
    assert f["kinds"] == ["syslog_cef"]
    assert [c["name"] for c in f["cef"]] == ["Device Online", "Device Offline", "Device Online"]
    assert f["cef"][1]["extensions"]["msg"] == (
        f"usw-lab-24 is offline {big}. Clients on ports 1=3 disconnected.")
    assert f["errors"] == []
