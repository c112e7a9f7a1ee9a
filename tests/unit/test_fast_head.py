"""FastHeads answers exactly what parse_line_head answers, on any line, in any order."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import labconsole.parse.fast_head as fast_head
from labconsole.parse.fast_head import FastHeads
from labconsole.parse.kernel_line import LineHead, parse_line_head
from labconsole.parse.kernel_reader import KernelLogReader

LINES = [
    "2024-06-03T06:19:02+0200 pve03 kernel: e1000e: eno1 NIC Link is Up 1000 Mbps Full Duplex",
    "2024-06-03T06:19:02.123456+02:00 pve03 kernel: vmbr0: port 1(eno1) entered disabled state",
    "2024-06-03T06:19:02Z pve03 kernel: [ 1234.567890] e1000e: eno1 NIC Link is Down",
    "2024-02-30T06:19:02+0200 pve03 kernel: an impossible date",
    "2024-06-03T06:19:02+0200 pve03 corosync[1290]:   [KNET  ] link: host: 1 link: 0 is down",
    "2024-06-03 06:19:02 pve03 kernel: a stamp with a space",
    "Jun  3 06:19:02 pve03 kernel: e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang:",
    "Jun 13 06:19:02 pve-03.lab kernel: r8169 0000:07:00.0 enp7s0: Link is Down",
    "Jux 13 06:19:02 pve03 kernel: no such month",
    "Feb 30 06:19:02 pve03 kernel: no such day",
    "<4>Jun  3 06:19:02 pve03 kernel: with a priority",
    "                                TDH                  <f6>",
    "\tnext_to_clean        <f6>",
    "  ",
    "[ 1234.567890] e1000e: eno1 NIC Link is Down",
    "kernel: bare prefix",
    "root@pve03:~# dmesg | grep eno1",
    "2024-06-03T06:19:02+0200 pve03 kernel:  two spaces after the tag",
    "2024-06-03T06:19:02+0200 pve03 kernel: ",
]


@pytest.mark.parametrize("year", [2024, None])
def test_every_example_equals_the_slow_parser_on_first_and_later_sight(year: int | None) -> None:
    heads = FastHeads(year)
    for _ in range(3):  # first sight verifies the shape, later ones take the fast path
        for line in LINES:
            assert heads.parse(line) == parse_line_head(line, default_year=year), line
    assert heads.enabled


_STAMPS = st.sampled_from(["2024-06-03T06:19:02+0200", "2024-06-03T23:59:59.5-05:30",
                           "2024-12-31T00:00:00Z", "2023-02-29T01:02:03+0100",
                           "Jun  3 06:19:02", "Dec 31 23:59:59", "Feb 29 12:00:00"])
_HOSTS = st.sampled_from(["pve03", "pve-02.lab", "h", "10.0.0.1", "x_y"])
_TAGS = st.sampled_from(["kernel", "corosync[12]", "kernel[0]", "pmxcfs"])
_MESSAGES = st.text(alphabet=st.sampled_from(list("ab []:<>0123456789\t-.")), max_size=30)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_STAMPS, _HOSTS, _TAGS, _MESSAGES, st.booleans()), min_size=1,
                max_size=40), st.sampled_from([2024, None]))
def test_any_sequence_of_lines_equals_the_slow_parser(
    parts: list[tuple[str, str, str, str, bool]], year: int | None
) -> None:
    heads = FastHeads(year)
    for stamp, host, tag, message, indented in parts:
        line = ("   " + message) if indented else f"{stamp} {host} {tag}: {message}"
        assert heads.parse(line) == parse_line_head(line, default_year=year), line


def test_a_shape_that_answers_differently_is_never_used(monkeypatch: pytest.MonkeyPatch) -> None:
    line = LINES[0]
    odd = LineHead("odd", True, "iso")
    monkeypatch.setattr(fast_head, "parse_line_head", lambda text, default_year=None: odd)
    heads = FastHeads(2024)
    assert heads.parse(line) is odd and heads.parse(line) is odd  # untrusted: slow answer


def test_a_trusted_shape_that_changes_its_answer_turns_the_fast_path_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    heads = FastHeads(2024)
    heads.parse(LINES[0])  # trusted now
    odd = LineHead("odd", True, "iso")
    monkeypatch.setattr(fast_head, "parse_line_head", lambda text, default_year=None: odd)
    for _ in range(fast_head.VERIFY_EVERY):
        heads.parse(LINES[0])
    assert not heads.enabled and heads.parse(LINES[0]) is odd


def _trusts_by_definition(heads: FastHeads, stamp: str, host: str) -> bool:
    return heads.enabled and heads._shapes.get(
        (stamp.translate(fast_head._MASK), host)) is True


@given(st.lists(st.tuples(_STAMPS, _HOSTS, _TAGS, _MESSAGES, st.booleans()), min_size=1,
                max_size=40))
def test_trusts_answers_by_its_definition_after_any_lines(
    parts: list[tuple[str, str, str, str, bool]],
) -> None:
    """``trusts`` remembers the last stamp it trusted: the answer stays the definition's."""
    heads = FastHeads(2024)
    seen: list[tuple[str, str]] = []
    for stamp, host, tag, message, indented in parts:
        heads.parse(("   " + message) if indented else f"{stamp} {host} {tag}: {message}")
        seen.append((stamp, host))
        for s, h in seen[-3:]:
            assert heads.trusts(s, h) == _trusts_by_definition(heads, s, h)


def test_trusts_says_no_once_the_fast_path_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    heads = FastHeads(2024)
    heads.parse(LINES[0])
    stamp, host = "2024-06-03T06:19:02+0200", "pve03"
    assert heads.trusts(stamp, host) and heads.trusts(stamp, host)  # the second remembered
    assert not heads.trusts(stamp, "pve04")  # another host: a shape never checked
    odd = LineHead("odd", True, "iso")
    monkeypatch.setattr(fast_head, "parse_line_head", lambda text, default_year=None: odd)
    for _ in range(fast_head.VERIFY_EVERY):
        heads.parse(LINES[0])
    assert not heads.enabled and not heads.trusts(stamp, host)


def _reader_after_head() -> KernelLogReader:
    reader = KernelLogReader(default_year=2024)
    reader.feed("Jun  3 06:19:02 pve03 kernel: e1000e 0000:00:1f.6 eno1: Detected Hardware "
                "Unit Hang:")
    reader.feed("                                TDH                  <f6>")  # indented: trusted
    return reader


def test_feed_register_gives_what_feed_gives_for_a_register_line() -> None:
    line = "                                next_to_clean        <f6>"
    a, b = _reader_after_head(), _reader_after_head()
    assert a.feed_register(line) == b.feed(line)
    assert a.lineno == b.lineno == 3


@pytest.mark.parametrize("line", [
    "Jun  3 06:19:04 pve03 kernel: not indented",
    "   ",
    "      glued Jun  3 06:19:04 pve03 kernel: second header",
])
def test_feed_register_declines_what_is_not_certainly_a_register_line(line: str) -> None:
    reader = _reader_after_head()
    assert reader.feed_register(line) is None and reader.lineno == 2
    fresh = KernelLogReader(default_year=2024)  # no message before it: nothing to continue
    assert fresh.feed_register("    TDH   <f6>") is None


def test_judge_shape_trusts_by_the_first_check_and_stops_at_a_later_difference() -> None:
    """The one rule both fast readers (kernel heads, syslog heads) judge their checks by."""
    shapes: dict[str, bool] = {}
    assert fast_head.judge_shape(shapes, "a", True) and shapes == {"a": True}
    assert fast_head.judge_shape(shapes, "b", False) and shapes == {"a": True, "b": False}
    assert fast_head.judge_shape(shapes, "a", True)
    assert not fast_head.judge_shape(shapes, "a", False)  # trusted, then answered otherwise
    full = {str(n): True for n in range(fast_head.MAX_SHAPES)}
    assert fast_head.judge_shape(full, "new", True) and "new" not in full
    assert not fast_head.judge_shape(full, "new", False)  # no room to judge it: stop
