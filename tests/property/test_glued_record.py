"""``glued_record``'s shortcut gives GLUE's answer.

``glued_record`` looks for a glued second header with a cheap necessary test first (a clock
followed by a tag, found from its first colon) and runs ``GLUE`` only when it holds. Here the
answer is compared with the plain test (a clock, then ``GLUE`` searched from the second
character) on messages built from header parts, clocks, clock-like runs (a MAC address) and
tags, at every position near the start.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from labconsole.parse.kernel_reader import _CLOCK, _CLOCK_MIDDLE, GLUE, glued_record

PARTS = [
    "Jun  3 00:00:01 pve04 sshd[1]: ", "Jun 13 06:19:02.5 pve04 kernel: ", "Jun  3 ",
    "2024-06-03T00:00:01+0200 pve04 kernel: ", "2024-06-03 00:00:01.123Z h a[12]: ",
    "2024-06-03T00:00:01+02:00 pve04 corosync: ", "2024-06-03T", "Dec 31 ", "Jux 13 ",
    "00:00:01", "12:34:56 ", "1:23:45 ", "06:19:02 pve04 x: ", "06:19:02Z h y: ",
    "aa:bb:cc:00:11:22:dd:ee:ff:33:44:55:08:00", "MAC=aa:bb:cc:00:11:22:33 ", ":12:",
    " pve04 kernel: ", " h [x]: ", " h x:y: ", " host: ", ":", " ", "\t", "x", "7", "[FW-DROP] ",
    "SRC=10.20.234.100 DST=10.20.0.13 LEN=60 ", "\u00e9",
]


def _reference(host: str, message: str) -> bool:
    """``glued_record`` as it was: a clock, then GLUE searched from the second character."""
    return len(message) >= 20 and (message.find(host + " kernel: ", 1) > 0
                                   or (_CLOCK_MIDDLE.search(message, 1) is not None
                                       and _CLOCK.search(message, 1) is not None
                                       and GLUE.search(message, 1) is not None))


@settings(max_examples=1500, deadline=None)
@given(lead=st.text(alphabet="x 0:", max_size=3),
       parts=st.lists(st.sampled_from(PARTS), max_size=8),
       host=st.sampled_from(["pve04", "pve03", "h"]))
def test_glued_record_equals_a_search_for_a_glued_header(lead: str, parts: list[str],
                                                         host: str) -> None:
    message = lead + "".join(parts)
    assert glued_record(host, message) == _reference(host, message)


def test_a_header_glued_at_the_second_character_is_found() -> None:
    """The earliest place a glued header is looked for (a clock's colon at 10)."""
    message = "xJun  3 00:00:01 pve04 sshd[1]: text after it"
    assert glued_record("pve03", message)
    assert not glued_record("pve03", "Jun  3 00:00:01 pve04 sshd[1]: at the start only")
