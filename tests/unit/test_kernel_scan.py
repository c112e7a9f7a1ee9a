"""The fast scan: same answers as the full reader, content sniffing, counts and errors."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from labconsole.model.link import LinkEvent
from labconsole.model.link_summary import LinkTally
from labconsole.parse.hang_detector import HangDetector
from labconsole.parse.kernel_reader import KernelLogReader
from labconsole.parse.kernel_scan import looks_like_kernel_log, scan_kernel_lines
from labconsole.parse.scan_facts import HangReport

CHATTER = [
    "Jun  3 06:19:01 pve03 pvedaemon[2211]: <root@pam> successful auth for user 'root@pam'\n",
    "Jun  3 06:19:01 pve03 corosync[1290]:   [KNET  ] link: host: 1 link: 0 is down\n",
    "Jun  3 06:19:01 pve03 kernel: vmbr0: port 1(eno1) entered disabled state\n",
    "                                indented text after chatter <f6>\n",
    "Jun  3 06:19:01 pve03 kernel:   TDH                  <00>\n",
    "{\"MESSAGE\": broken json\n",
    "\n",
]
BLOCK = [
    "Jun  3 06:19:02 pve03 kernel: e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:\n",
    "                                TDH                  <f6>\n",
    "                                next_to_clean        <f6>\n",
    "                              PCI Status             <10>\n",
]
LINK_UP = "Jun  3 06:19:30 pve03 kernel: e1000e: eno1 NIC Link is Up 1000 Mbps Full Duplex\n"


def tally(links: list[LinkEvent]) -> list[dict[str, object]]:
    """The per-device summary of every link event, as the scan reports it."""
    out = LinkTally()
    for link in links:
        out.add(link)
    return out.to_json()


def full(lines: list[str]) -> tuple[list[dict[str, object]], list[LinkEvent], list[str]]:
    reader = KernelLogReader(default_year=2024)
    detector = HangDetector()
    for raw in lines:
        for line in reader.feed(raw):
            detector.feed(line)
    for line in reader.close():
        detector.feed(line)
    detector.finish()
    return [h.to_json() for h in detector.episodes], detector.links, reader.error_report()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(["chatter", "block", "link"]), max_size=40),
       st.lists(st.integers(0, len(CHATTER) - 1), min_size=40, max_size=40))
def test_scan_equals_full_reader_on_any_mix(parts: list[str], picks: list[int]) -> None:
    lines: list[str] = []
    for i, part in enumerate(parts):
        if part == "chatter":
            lines.append(CHATTER[picks[i]])
        elif part == "block":
            lines += BLOCK
        else:
            lines.append(LINK_UP)
    streamed: list[object] = []
    result = scan_kernel_lines(lines, default_year=2024, on_fact=streamed.append)
    hangs, links, errors = full(lines)
    assert [h.to_json() for h in result.hangs] == hangs
    assert result.links.to_json() == tally(links)
    # every link event is streamed, in order, and each hang report once
    assert [x for x in streamed if isinstance(x, LinkEvent)] == links
    reports = [x for x in streamed if isinstance(x, HangReport)]
    assert len(reports) == sum(h["reports"] for h in hangs)  # type: ignore[misc]
    assert result.lines == len(lines)
    # the scan reports bad JSON only on lines it had to parse; each is a real error too
    assert set(result.errors) <= set(errors)


def test_indented_line_after_skipped_chatter_is_not_a_register() -> None:
    lines = [BLOCK[0], CHATTER[0], "                                TDH                  <00>\n"]
    (ep,) = scan_kernel_lines(lines, default_year=2024).hangs
    assert "TDH" not in ep.registers


def test_glued_hang_behind_chatter_is_found_with_line_numbers() -> None:
    lines = [CHATTER[0], CHATTER[1].rstrip("\n") + BLOCK[0], BLOCK[1]]
    (ep,) = scan_kernel_lines(lines, default_year=2024).hangs
    assert (ep.device, ep.first_lineno, ep.registers["TDH"]) == ("eno1", 2, "f6")


def test_error_line_numbers_count_skipped_lines() -> None:
    lines = [CHATTER[0]] * 5 + ['{"MESSAGE": "e1000e: eno1 NIC Link is Up", oops}\n']
    result = scan_kernel_lines(lines)
    assert result.errors[0].startswith("line 6: bad JSON")


def test_kernel_line_count() -> None:
    lines = CHATTER[:3] + BLOCK + [LINK_UP, "[ 1.000000] plain dmesg line\n"]
    result = scan_kernel_lines(lines, default_year=2024)
    assert result.lines == 9
    assert result.kernel_lines == 1 + len(BLOCK) + 2  # vmbr0 line, the block, link, dmesg


def test_empty_input() -> None:
    result = scan_kernel_lines([])
    assert (result.lines, result.kernel_lines, result.hangs, result.links.to_json(),
            result.errors) == (0, 0, [], [], [])


def test_sniffing(fixtures: Path) -> None:
    for name in ("dmesg.log", "talos.log", "journal.json", "journal.export", "openwrt.log"):
        text = (fixtures / "kernel" / name).read_text(encoding="utf-8", errors="replace")
        assert looks_like_kernel_log(text.splitlines()[:20]), name
    not_kernel = [
        ["Quorum information", "------------------", "Date:             Mon Jun  3 06:20:00 2024"],
        ["Jun  3 06:19:01 pve03 corosync[1290]:   [TOTEM ] A new membership (1.2a) was formed."],
        ["Jun  3 06:19:01 sw-1 CEF:0|Ubiquiti|UniFi Network|9.0|201|Something|5|src=10.0.0.1"],
        ["auto vmbr0", "iface vmbr0 inet static", "\tbridge-ports eno1"],
        ['{"data": [{"type": "node", "name": "pve01"}]}'],
        ["Features for eno1:", "tcp-segmentation-offload: on"],
        [],
    ]
    for head in not_kernel:
        assert not looks_like_kernel_log(head), head
    assert looks_like_kernel_log(["root@pve:~# dmesg | grep eno1", "[ 4.0] e1000e: eno1 x"])
    assert looks_like_kernel_log(["kernel: e1000e 0000:00:1f.6 eno1: Detected Hardware"])
