"""The whole-report pattern of the block scan matches as its plain form does.

``_E1000E_REPORT`` takes each register line as an atomic group with possessive blanks, spaces
tried first (where the regex engine has them): a faster form of ``[ \\t]{1,64}`` before a name
or a value; the five status lines are one group. Here it is compared with the plain form
(every blank run ``[ \\t]{1,64}``, no atomic group, a group per line) on reports whose
blanks, names and values vary around the pattern's limits: the same match or none, the same
span, the same text in its groups.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from labconsole.parse import kernel_scan_blocks as k

_VALUE = rb"[ \t]{1,64}<([0-9a-fA-F]{1,16})>\n"
PLAIN = re.compile(
    rb"(?:" + k._PLAIN_STAMP + k._PLAIN_HOST + rb"[ -~]{0,4000}?|[^\n]{0,4000}?)"
    rb"Detected Hardware Unit Hang:?\n"
    + b"".join(
        rb"([ \t]{1,64}buffer_info\[next_to_clean\]:)\n" if name is None
        else rb"[ \t]{1,64}" + re.escape(name) + _VALUE if name in k._E1000E_SIMPLE
        else rb"([ \t]{1,64}" + re.escape(name) + rb"[ \t]{1,64}<[0-9a-fA-F]{1,16}>)\n"
        for name in k._E1000E_LINES))

HEADS = [b"2024-06-03T00:00:01+0200 pve03 kernel: e1000e 0000:00:1f.6 eno1: ",
         b"Jun  3 00:00:01 pve03 kernel: e1000e: ", b""]
GOOD_RUNS = [b" " * 39, b" " * 41, b" ", b" " * 64, b"\t", b" \t ", b"\t" * 64]
ODD_RUNS = st.lists(st.sampled_from([b" ", b"\t"]), min_size=0, max_size=70).map(b"".join)
GOOD_VALUES = [b"f6", b"18034a6a7", b"F6", b"1" * 16]
ODD_VALUES = [b"", b"1" * 17, b"x", b"4:4", b" f6"]


@st.composite
def _run(draw: st.DrawFn) -> bytes:
    """Mostly a run the pattern takes; one in 40 anything (none, past 64, mixed)."""
    if draw(st.integers(0, 39)) == 0:
        return draw(ODD_RUNS)
    return draw(st.sampled_from(GOOD_RUNS))


@st.composite
def _value(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 39)) == 0:
        return draw(st.sampled_from(ODD_VALUES))
    return draw(st.sampled_from(GOOD_VALUES))


@st.composite
def _report(draw: st.DrawFn) -> bytes:
    lines = [draw(st.sampled_from(HEADS)) + b"Detected Hardware Unit Hang"
             + draw(st.sampled_from([b":", b""]))]
    for name in k._E1000E_LINES:
        if name is None:
            lines.append(draw(_run()) + b"buffer_info[next_to_clean]:")
        else:
            if draw(st.integers(0, 99)) == 0:
                name = name[:-1] + b"x"  # a near miss of the name
            lines.append(draw(_run()) + name + draw(_run()) + b"<" + draw(_value()) + b">")
    if draw(st.integers(0, 19)) == 0:
        lines[draw(st.integers(1, len(lines) - 1))] += draw(st.sampled_from([b" ", b"\r", b"x"]))
    return b"\n".join(lines) + b"\n" + draw(st.sampled_from([b"", b"  TDH <1>\n"]))


@settings(max_examples=150, deadline=None)
@given(text=_report())
def test_the_report_pattern_matches_as_its_plain_form(text: bytes) -> None:
    fast, plain = k._E1000E_REPORT.match(text), PLAIN.match(text)
    assert (fast is None) == (plain is None)
    if fast is not None and plain is not None:
        assert fast.span() == plain.span()
        # the status lines are one group there (their text and the newlines between them)
        assert fast.groups()[:11] + tuple(fast[12].split(b"\n")) == plain.groups()
