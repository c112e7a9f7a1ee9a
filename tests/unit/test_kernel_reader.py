"""KernelLogReader: context handling, journal formats, bad input, glued and prompt lines."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from labconsole.model.kernel_line import KernelLine
from labconsole.parse.kernel_reader import MAX_ERRORS, MAX_LINE, KernelLogReader


def read(text: str, year: int | None = 2024) -> tuple[list[KernelLine], KernelLogReader]:
    reader = KernelLogReader(default_year=year)
    out: list[KernelLine] = []
    for raw in text.splitlines(keepends=True):
        out += reader.feed(raw)
    out += reader.close()
    return out, reader


def test_dmesg_fields_and_space_padded_stamp() -> None:
    lines, _ = read("[   12.500000] e1000e 0000:00:1f.6 eno1: NIC Link is Down\n")
    (line,) = lines
    assert (line.uptime, line.time, line.host) == (12.5, None, None)
    assert (line.driver, line.device, line.pci) == ("e1000e", "eno1", "0000:00:1f.6")
    assert line.message == "e1000e 0000:00:1f.6 eno1: NIC Link is Down"
    assert line.is_kernel and not line.continuation


def test_redacted_dmesg_stamp() -> None:
    (line,) = read("[xxxxxx] igb 0000:03:00.0 eth1: Reset adapter unexpectedly\n")[0]
    assert line.uptime is None
    assert (line.driver, line.device, line.pci) == ("igb", "eth1", "0000:03:00.0")


def test_dmesg_T_wall_time() -> None:
    (line,) = read("[Sun Feb  4 09:05:01 2024] r8169 0000:02:00.0 enp2s0: Link is Up\n")[0]
    assert line.time == datetime(2024, 2, 4, 9, 5, 1)
    assert line.device == "enp2s0"


def test_kernel_stamp_inside_syslog_line() -> None:
    (line,) = read("Feb  4 09:05:01 nodeA kernel: [ 7.250000] igb: eth1 NIC Link is Up\n")[0]
    assert (line.time, line.uptime, line.host) == (datetime(2024, 2, 4, 9, 5, 1), 7.25, "nodeA")
    assert (line.driver, line.device, line.pci) == ("igb", "eth1", None)


def test_dev_printk_prefix_without_interface() -> None:
    (line,) = read("[  5.000000] igb 0000:09:00.0: Detected Tx Unit Hang\n")[0]
    assert (line.driver, line.device, line.pci) == ("igb", None, "0000:09:00.0")


def test_old_style_watchdog_names_driver_and_device() -> None:
    (line,) = read("[ 9.000000] NETDEV WATCHDOG: eth7 (tg3): transmit queue 2 timed out\n")[0]
    assert (line.driver, line.device) == ("tg3", "eth7")


def test_prose_is_not_a_device_prefix() -> None:
    for text in ("Out of memory: Killed process 4242 (qemu)", "Hardware name: Example Board",
                 "IPv6: ADDRCONF(NETDEV_UP): eno1: link is not ready"):
        (line,) = read(f"[ 1.000000] {text}\n")[0]
        assert (line.driver, line.device, line.pci) == (None, None, None), text


def test_non_kernel_syslog_lines_are_kept_but_marked() -> None:
    lines, _ = read("Feb  4 09:05:01 nodeA corosync[77]:   [KNET  ] link: host: 2 link: 0 is down\n"
                    "Feb  4 09:05:02 nodeA pmxcfs[99]: [status] notice: node lost quorum\n")
    assert [(x.is_kernel, x.host, x.continuation) for x in lines] == [
        (False, "nodeA", False), (False, "nodeA", False)]
    assert lines[0].driver is None


def test_continuations_unprefixed_indented_and_restamped() -> None:
    text = (
        "kernel: e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:\n"
        "  TDH                  <f6>\n"          # unprefixed, indented
        "next_to_clean <f6>\n"                   # unprefixed, collapsed whitespace
        "buffer_info[next_to_clean]:\n"          # a label
        "[ 50.000000] e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:\n"
        "[ 50.000000]   TDH                  <f6>\n"   # same stamp: continuation
        "[ 51.000000]   TDH                  <f7>\n"   # other stamp: a message of its own
    )
    lines, reader = read(text)
    assert [x.continuation for x in lines] == [False, True, True, True, False, True, False]
    assert lines[1].message == "TDH                  <f6>"
    assert {x.device for x in lines[:4]} == {"eno1"}
    assert lines[5].uptime == 50.0
    assert reader.errors == []


def test_continuation_inherits_time_host_and_device() -> None:
    text = ("2024-06-03T06:19:02+02:00 pve03 kernel: e1000e 0000:00:1f.6 eno1: Detected Hardware"
            " Unit Hang:\n"
            "                                           TDH                  <f6>\n")
    head, cont = read(text)[0]
    assert cont.continuation
    assert (cont.time, cont.host, cont.driver, cont.device, cont.pci) == (
        head.time, "pve03", "e1000e", "eno1", "0000:00:1f.6")


def test_blank_line_ends_the_block() -> None:
    lines, reader = read("[ 1.000000] e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:\n"
                         "\n"
                         "  TDH <f6>\n")
    assert [x.continuation for x in lines] == [False, False]
    assert reader.skipped == 1


def test_shell_prompts_and_journal_markers_are_skipped_not_errors() -> None:
    text = ("root@pve03:~# journalctl -k --since 06:00 | grep eno1\n"
            "-- Boot 0123456789abcdef0123456789abcdef --\n"
            "[ 2.000000] e1000e: eno1 NIC Link is Down\n"
            "$ dmesg -T\n"
            "[admin@pve03 ~]$ dmesg\n"
            "-- No entries --\n")
    lines, reader = read(text)
    assert [x.message for x in lines] == ["e1000e: eno1 NIC Link is Down"]
    assert reader.skipped == 5
    assert reader.errors == []


def test_glued_syslog_lines_are_split() -> None:
    text = ("Feb  4 09:05:01 nodeA kernel: [ 10.000000] e1000e 0000:00:1f.6 eno1: Reset adapter "
            "unexpectedlyFeb  4 09:05:04 nodeA kernel: [ 13.000000] e1000e: eno1 NIC Link is Up "
            "1000 Mbps Full Duplex, Flow Control: None\n")
    first, second = read(text)[0]
    assert first.message == "e1000e 0000:00:1f.6 eno1: Reset adapter unexpectedly"
    assert second.message.startswith("e1000e: eno1 NIC Link is Up")
    assert (first.uptime, second.uptime) == (10.0, 13.0)
    assert second.time == datetime(2024, 2, 4, 9, 5, 4)
    assert first.lineno == second.lineno == 1
    assert first.raw + second.raw == text.rstrip("\n")


def test_glued_iso_and_dmesg_lines_are_split() -> None:
    lines, _ = read("2024-02-04T09:05:01+0100 nodeA kernel: one2024-02-04T09:05:02+0100 nodeA "
                    "kernel: two\n"
                    "[ 1.000000] first line text[ 2.000000] second line text\n")
    assert [x.message for x in lines] == ["one", "two", "first line text", "second line text"]
    assert [x.uptime for x in lines[2:]] == [1.0, 2.0]


def test_a_relayed_kernel_line_is_not_split_at_its_inner_header() -> None:
    lines, _ = read("2024-02-04T09:05:01+01:00 relay Feb  4 09:05:01 nodeA kernel: e1000e: eno1 "
                    "NIC Link is Down\n")
    assert len(lines) == 1
    assert (lines[0].host, lines[0].device) == ("nodeA", "eno1")


def test_journal_json_string_bytes_and_multiline_messages() -> None:
    entries = [
        {"__REALTIME_TIMESTAMP": "1717388342000000", "_HOSTNAME": "pve03",
         "_TRANSPORT": "kernel", "SYSLOG_IDENTIFIER": "kernel", "PRIORITY": "3",
         "_SOURCE_MONOTONIC_TIMESTAMP": "5015875000",
         "MESSAGE": "e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:\n  TDH  <f6>"},
        {"__REALTIME_TIMESTAMP": "1717388343000000", "_HOSTNAME": "pve03",
         "_TRANSPORT": "syslog", "SYSLOG_IDENTIFIER": "pvedaemon",
         "MESSAGE": list("caf\u00e9 \xff".encode("latin-1"))},
    ]
    lines, reader = read("".join(json.dumps(e) + "\n" for e in entries))
    assert reader.errors == []
    head, cont, other = lines
    assert head.time == datetime(2024, 6, 3, 4, 19, 2, tzinfo=timezone.utc)
    assert (head.host, head.uptime, head.priority, head.device) == ("pve03", 5015.875, 3, "eno1")
    assert cont.continuation and cont.message == "TDH  <f6>"
    assert not other.is_kernel
    assert other.message.startswith("caf")  # bytes decoded, invalid UTF-8 replaced


def test_bad_json_is_reported_with_line_numbers() -> None:
    text = ('{"MESSAGE": "ok", "__REALTIME_TIMESTAMP": "1"}\n'
            '{"MESSAGE": "cut off\n'
            "[1, 2, 3]\n"
            '{"other": 1}\n')
    lines, reader = read(text)
    assert [x.message for x in lines] == ["ok", "[1, 2, 3]"]  # a JSON array is plain text
    assert len(reader.errors) == 2
    assert reader.errors[0].startswith("line 2: bad JSON")
    assert reader.errors[1] == "line 4: JSON object has neither MESSAGE nor __REALTIME_TIMESTAMP"


def export_entry(fields: dict[str, str]) -> bytes:
    out = []
    for key, value in fields.items():
        data = value.encode()
        if b"\n" in data:
            out.append(key.encode() + b"\n" + len(data).to_bytes(8, "little") + data)
        else:
            out.append(f"{key}={value}".encode())
    return b"\n".join(out) + b"\n\n"


def test_journal_export_with_binary_field_and_no_final_blank_line() -> None:
    blob = export_entry({"__CURSOR": "s=1", "__REALTIME_TIMESTAMP": "1717388342000000",
                         "_HOSTNAME": "pve03", "_TRANSPORT": "kernel",
                         "MESSAGE": "igb 0000:09:00.0: Detected Tx Unit Hang\n  Tx Queue  <1>"})
    blob += export_entry({"__CURSOR": "s=2", "_HOSTNAME": "pve03", "_TRANSPORT": "kernel",
                          "MESSAGE": "e1000e: eno1 NIC Link is Up"})[:-1]
    lines, reader = read(blob.decode("utf-8", "surrogateescape"))
    assert reader.errors == []
    assert [(x.message, x.continuation, x.host) for x in lines] == [
        ("igb 0000:09:00.0: Detected Tx Unit Hang", False, "pve03"),
        ("Tx Queue  <1>", True, "pve03"),
        ("e1000e: eno1 NIC Link is Up", False, "pve03"),
    ]


def test_export_garbage_is_reported_and_reading_resumes() -> None:
    text = ("__CURSOR=s=1\nMESSAGE=one\n\n"
            "__CURSOR=s=2\nthis line is not a field\nMESSAGE=two\n\n"
            "__CURSOR=s=3\nMESSAGE\nshort\n")
    lines, reader = read(text)
    assert [x.message for x in lines] == ["one", "two"]
    assert reader.errors[0] == "line 5: export line is neither KEY=value nor a binary field name"
    assert reader.errors[1] == "line 10: binary field without its 8-byte length"


def test_errors_are_bounded() -> None:
    reader = KernelLogReader()
    for _ in range(MAX_ERRORS + 50):
        assert reader.feed("{broken\n") == []
    assert len(reader.errors) == MAX_ERRORS
    assert reader.errors_dropped == 50
    assert reader.error_report()[-1] == "... and 50 more"


def test_overlong_line_is_truncated_and_reported() -> None:
    (line,) = read("[ 1.000000] " + "a1:" * (MAX_LINE // 2) + "\n")[0]
    assert len(line.raw) == MAX_LINE
    reader = KernelLogReader()
    reader.feed("x" * (MAX_LINE + 1))
    assert reader.errors == [f"line 1: line longer than {MAX_LINE} characters, truncated"]


def test_hostile_inputs_never_raise() -> None:
    reader = KernelLogReader()
    samples = ["\x00\x01\x02", "[", "[ 1.0", "<", "<13>", "<13>1 ", "\ud800 lone surrogate",
               "{", "{}", "null", "__CURSOR=", "MESSAGE", "  <>  ", "a <b> <c>",
               "TDH, TDT, X <1>, <2>", "\t\t", "kernel: ", "e1000e 0000:00:1f.6 : x"]
    for sample in samples:
        reader.feed(sample)
    reader.close()
    assert reader.lineno == len(samples)


def test_feed_text_buffers_partial_lines() -> None:
    reader = KernelLogReader()
    assert reader.feed_text("[ 1.000000] e1000e: eno1 NIC Li") == []
    (line,) = reader.feed_text("nk is Down\n[ 2.0000")
    assert line.message == "e1000e: eno1 NIC Link is Down"
    (tail,) = reader.close()
    assert tail.message == "[ 2.0000"  # an unfinished stamp is plain text, not an error


def test_a_plain_kernel_record_read_short_is_the_one_feed_reads() -> None:
    """``feed_plain_kernel`` builds its record by field place: every field as ``feed`` reads
    the same line (a reordered ``KernelLine`` would show here)."""
    text = ("2024-06-03T00:00:01+0200 pve03 kernel: e1000e 0000:00:1f.6 eno1: Detected "
            "Hardware Unit Hang:")
    (want,) = KernelLogReader(default_year=2024).feed(text)
    message = text.split(" kernel: ", 1)[1]
    assert want.time is not None
    got = KernelLogReader(default_year=2024).feed_plain_kernel(
        text, message, want.time, "pve03", ("e1000e", "eno1", "0000:00:1f.6"))
    assert got == want
