"""Syslog stream framing: octet counting, LF/CRLF/NUL lines, limits, garbage, chunk invariance."""

from __future__ import annotations

import pytest

from labconsole.parse.syslog_framing import DatagramDecoder, FramingStats, StreamFramer

CEF_A = "<134>Nov 25 06:19:02 usw CEF:0|Ubiquiti|UniFi Network|9.0.1|1|Switch Offline|5|msg=a"
CEF_B = "<134>1 2026-11-25T06:10:00Z unifi app - - - CEF:0|V|P|1|2|Back|3|msg=multi\nline"


def counted(message: str) -> bytes:
    body = message.encode()
    return str(len(body)).encode() + b" " + body


def feed_all(data: bytes, chunks: list[int], max_message: int = 1024) -> tuple[list[str], dict]:
    """Feed ``data`` cut at the given offsets, then close; return messages and stats."""
    framer = StreamFramer(max_message=max_message)
    out: list[str] = []
    last = 0
    for cut in [*chunks, len(data)]:
        out += framer.feed(data[last:cut])
        last = cut
    out += framer.close()
    s = framer.stats
    return out, {"oversized": s.oversized, "garbage": s.garbage, "truncated": s.truncated,
                 "messages": s.messages}


def test_octet_counting_keeps_embedded_newlines() -> None:
    out, stats = feed_all(counted(CEF_A) + counted(CEF_B), [])
    assert out == [CEF_A, CEF_B]
    assert stats["messages"] == 2


@pytest.mark.parametrize("terminator", [b"\n", b"\r\n", b"\x00"])
def test_newline_framing_with_each_terminator(terminator: bytes) -> None:
    data = CEF_A.encode() + terminator + b"<13>Nov 25 06:19:03 pve03 kernel: x" + terminator
    out, _ = feed_all(data, [])
    assert out == [CEF_A, "<13>Nov 25 06:19:03 pve03 kernel: x"]


def test_mixed_framing_on_one_connection() -> None:
    data = (counted(CEF_A) + b"<13>plain line\n" + counted(CEF_B)
            + b"2026-07-17T10:51:14+02:00 relay digits first\r\n" + b"5 packets lost\n")
    out, stats = feed_all(data, [])
    assert out == [CEF_A, "<13>plain line", CEF_B,
                   "2026-07-17T10:51:14+02:00 relay digits first", "5 packets lost"]
    assert stats["oversized"] == stats["garbage"] == 0


def test_every_single_cut_gives_the_same_messages() -> None:
    data = (counted(CEF_A) + b"<13>plain\r\n" + counted(CEF_B) + b"\x00"
            + b"12 not a count\n" + counted("<1>x" * 300) + b"<14>tail")
    whole, whole_stats = feed_all(data, [], max_message=700)
    assert whole_stats == {"oversized": 1, "garbage": 0, "truncated": 0, "messages": 5}
    for cut in range(1, len(data)):
        assert feed_all(data, [cut], max_message=700) == (whole, whole_stats), cut


def test_byte_by_byte_feeding_matches_whole() -> None:
    data = counted(CEF_A) + b"<13>a\n" + counted(CEF_B)
    assert feed_all(data, list(range(1, len(data)))) == feed_all(data, [])


def test_oversized_octet_frame_is_skipped_exactly() -> None:
    big = "<13>" + "x" * 5000
    out, stats = feed_all(counted(big) + counted(CEF_A), [100, 2000], max_message=1000)
    assert out == [CEF_A]
    assert stats["oversized"] == 1


def test_oversized_line_is_dropped_up_to_its_newline_without_buffering_it() -> None:
    framer = StreamFramer(max_message=100)
    assert framer.feed(b"<13>" + b"y" * 50) == []
    assert framer.buffered == 54
    assert framer.feed(b"y" * 10_000) == []
    assert framer.buffered == 0  # nothing of the long line is held
    assert framer.feed(b"y" * 10_000 + b"\n<13>next\n") == ["<13>next"]
    assert framer.stats.oversized == 1


def test_line_of_exactly_max_bytes_passes_and_one_more_is_oversized() -> None:
    out, stats = feed_all(b"<1>" + b"a" * 7 + b"\r\n" + b"<1>" + b"b" * 8 + b"\n", [],
                          max_message=10)
    assert out == ["<1>aaaaaaa"]
    assert stats["oversized"] == 1


def test_garbage_frame_is_counted_and_dropped() -> None:
    tls_hello = b"\x16\x03\x01\x02\x05\x01\x07\x01\xfc\x03\x03"  # no NUL: one frame
    out, stats = feed_all(tls_hello + b"\n" + CEF_A.encode() + b"\n", [])
    assert out == [CEF_A]
    assert stats["garbage"] == 1


def test_connection_closed_mid_body_counts_truncated() -> None:
    out, stats = feed_all(counted(CEF_A)[:30], [])
    assert out == []
    assert stats["truncated"] == 1


def test_unterminated_last_line_is_delivered_on_close() -> None:
    framer = StreamFramer()
    assert framer.feed(b"<13>last words") == []
    assert framer.close() == ["<13>last words"]


def test_invalid_utf8_is_replaced_not_raised() -> None:
    out, _ = feed_all(b"<13>caf\xe9 ok\n", [])
    assert out == ["<13>caf\ufffd ok"]


def test_empty_lines_are_not_messages() -> None:
    out, stats = feed_all(b"\n\r\n\x00\n<13>x\n\n", [])
    assert out == ["<13>x"]
    assert stats["messages"] == 1 and stats["garbage"] == 0


def test_dropped_sums_the_reasons() -> None:
    assert FramingStats(oversized=2, garbage=3, truncated=1).dropped == 6


def test_max_message_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_message must be positive"):
        StreamFramer(max_message=0)


def test_datagram_is_one_message_with_trailing_newlines_stripped() -> None:
    decoder = DatagramDecoder(max_message=200)
    assert decoder.decode((CEF_A + "\n").encode()) == CEF_A
    assert decoder.decode(b"<13>two\nlines\r\n\x00") == "<13>two\nlines"
    assert decoder.decode(b"\n") is None
    assert decoder.decode(b"<13>" + b"z" * 300) is None
    assert decoder.decode(b"\x16\x03\x01 hello") is None
    assert decoder.decode(b"<13>\xff\xfe") == "<13>\ufffd\ufffd"
    stats = decoder.stats
    assert (stats.messages, stats.oversized, stats.garbage) == (3, 1, 1)
