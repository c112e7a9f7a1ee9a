"""The one sanitiser: what each unsafe character becomes, and that nothing else changes."""

from __future__ import annotations

import json

import pytest
from markdown_it import MarkdownIt

from labconsole.sanitize import (
    is_visible,
    json_visible,
    markdown_inline,
    visible,
    visible_lines,
    visible_row,
)


@pytest.mark.parametrize(("raw", "shown"), [
    ("\x1b]0;X\x07", "\\x1b]0;X\\x07"),           # terminal title
    ("\x1b[2J", "\\x1b[2J"),                      # clear screen
    ("06:30:01 pve03 real\rFAKE", "06:30:01 pve03 real\\rFAKE"),
    ("two\nrows", "two\\nrows"),
    ("nul\x00del\x7f", "nul\\x00del\\x7f"),
    ("c1 \x9b2J \x9d0;t", "c1 \\x9b2J \\x9d0;t"),      # C1 CSI and OSC
    ("abc\u202edef", "abc<U+202E>def"),           # right-to-left override
    ("\u2066iso\u2069", "<U+2066>iso<U+2069>"),   # isolates
    ("line\u2028sep", "line<U+2028>sep"),
    ("byte \udcff", "byte \\xff"),                # a non-UTF-8 byte (surrogateescape)
    ("lone \ud800", "lone <U+D800>"),
    ("tab\tkept", "tab\tkept"),
])
def test_visible_escapes(raw: str, shown: str) -> None:
    assert visible(raw) == shown
    assert is_visible(visible(raw).replace("\t", " "))


def test_plain_text_is_returned_unchanged() -> None:
    text = "e1000e 0000:00:1f.6 eno1: Detected Hardware Unit Hang: TDH <f6> — ünïcode ✔"
    assert visible(text) is text
    assert visible_row(text) is text


def test_visible_row_expands_tabs() -> None:
    assert visible_row("a\tb") == "a       b"
    assert "\t" not in visible_row("\t\x1b\t")


def test_visible_lines_keeps_line_breaks_only() -> None:
    assert visible_lines("one\r\ntwo\nthree\rX\x1b[2J") == "one\ntwo\nthree\\rX\\x1b[2J"


def test_markdown_inline_has_no_live_link_or_structure() -> None:
    hostile = ("[click me](http://evil.example) ![i](http://e.x/i.png) <b>x</b> "
               "<https://e.x> | cell | \n# heading\n|a|b|\n|-|-| www.e.x")
    line = f"- {markdown_inline(hostile)}"
    html = MarkdownIt("gfm-like").render(line)
    assert "<a " not in html and "<img" not in html and "<b>" not in html
    assert "<h1" not in html and "<table" not in html
    assert html.count("<li>") == 1
    assert "http://" not in line and "https://" not in line and "www." not in line


def test_json_visible_is_the_same_data() -> None:
    value = {"m": "c1 \x9b2J bidi \u202e del \x7f esc \x1b"}
    text = json_visible(json.dumps(value, ensure_ascii=False))
    assert is_visible(text)
    assert json.loads(text) == value
