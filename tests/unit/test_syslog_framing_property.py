"""Framing properties: any mix of framings, cut anywhere, gives back exactly the messages."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from labconsole.parse.syslog_framing import StreamFramer

MAX = 200
BODY = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x2FF, exclude_characters="\x7f"),
               max_size=60)


@st.composite
def framed(draw: st.DrawFn) -> tuple[list[str], bytes]:
    messages: list[str] = []
    wire = b""
    for _ in range(draw(st.integers(0, 6))):
        text = "<13>" + draw(BODY).rstrip()
        style = draw(st.sampled_from(["count", "lf", "crlf", "nul"]))
        if style == "count":
            text += draw(st.sampled_from(["", "\nsecond line"]))
            data = text.encode()
            wire += str(len(data)).encode() + b" " + data
        else:
            wire += text.encode() + {"lf": b"\n", "crlf": b"\r\n", "nul": b"\x00"}[style]
        messages.append(text)
    return messages, wire


@settings(max_examples=300, deadline=None)
@given(framed(), st.lists(st.integers(0, 2000), max_size=8))
def test_messages_survive_any_chunking(case: tuple[list[str], bytes], cuts: list[int]) -> None:
    messages, wire = case
    framer = StreamFramer(max_message=MAX)
    out: list[str] = []
    last = 0
    for cut in [*sorted({c % (len(wire) + 1) for c in cuts}), len(wire)]:
        out += framer.feed(wire[last:cut])
        last = cut
    out += framer.close()
    expected = [m for m in messages if len(m.encode()) <= MAX]
    assert out == expected
    assert framer.stats.oversized == len(messages) - len(expected)
    assert framer.buffered == 0


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.integers(1, 64))
def test_arbitrary_bytes_never_raise_and_stay_bounded(data: bytes, chunk: int) -> None:
    framer = StreamFramer(max_message=50)
    for start in range(0, len(data), chunk):
        for message in framer.feed(data[start : start + chunk]):
            assert len(message.encode("utf-8", "surrogatepass")) <= 50 * 3
        assert framer.buffered <= 52
    framer.close()
