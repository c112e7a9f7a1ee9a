"""The one sanitiser for untrusted text (logs, CEF records, API answers, command output,
recordings) before it reaches a widget, a report or any text output.

A log line is data, never terminal input: an ESC sequence in it must not retitle or clear the
operator's terminal, a ``\\r`` must not overwrite its own row, a bidi override must not reorder
what is read, a NUL or a raw byte must not break a pane's border. Every such character is shown
as a visible escape instead of being dropped, so nothing is lost and the operator sees that the
line carried it:

* C0 controls (except tab), DEL and C1 controls: ``\\x1b``, ``\\r``, ``\\n``, ``\\x00``,
  ``\\x9b``;
* bidi embeddings, overrides, isolates and marks, and the Unicode line/paragraph separators:
  ``<U+202E>``;
* a byte that was not UTF-8 (decoded with ``surrogateescape``): ``\\xff``; any other lone
  surrogate: ``<U+D800>``.

A tab is whitespace, not a control: :func:`visible` keeps it (files: reports, scan text) and
:func:`visible_row` expands it (a terminal row drawn cell by cell has no tab stops).
Backslashes themselves are left alone, so a visible escape and the same four typed characters
look alike; the point is that neither reaches the terminal as a control.
"""

from __future__ import annotations

import re

_ESCAPE_NAMES = {"\r": "\\r", "\n": "\\n", "\x1b": "\\x1b"}
# Bidi controls (ALM, LRM, RLM, LRE..RLO, LRI..PDI) and the line/paragraph separators.
_FORMAT_CONTROLS = "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[\x00-\x08\x0a-\x1f\x7f-\x9f{_FORMAT_CONTROLS}\ud800-\udfff]")
_UNSAFE_BUT_NEWLINE = re.compile(
    f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_FORMAT_CONTROLS}\ud800-\udfff]")
_CRLF = re.compile("\r+\n")


def escape_char(char: str) -> str:
    """The visible form of one unsafe character."""
    name = _ESCAPE_NAMES.get(char)
    if name is not None:
        return name
    code = ord(char)
    if code <= 0x9F:
        return f"\\x{code:02x}"
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    return f"<U+{code:04X}>"


def _sub(match: re.Match[str]) -> str:
    return escape_char(match.group())


def visible(text: str) -> str:
    """``text`` as one record on one row: every control, ``\\r`` and ``\\n`` included, escaped;
    tabs kept. The common case (nothing to escape) returns ``text`` itself."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_sub, text)


def visible_row(text: str) -> str:
    """:func:`visible`, with tabs expanded to spaces: for a terminal cell grid."""
    out = visible(text)
    return out.expandtabs(8) if "\t" in out else out


def visible_lines(text: str) -> str:
    """Multi-line text (a command's output): line breaks (``\\n``, ``\\r\\n``) kept as line
    breaks, everything else escaped as in :func:`visible_row`; a lone ``\\r`` is escaped."""
    if "\r" in text:
        text = _CRLF.sub("\n", text)
    if _UNSAFE_BUT_NEWLINE.search(text) is not None:
        text = _UNSAFE_BUT_NEWLINE.sub(_sub, text)
    return text.expandtabs(8) if "\t" in text else text


def is_visible(text: str) -> bool:
    """True when ``text`` holds nothing :func:`visible` would escape (tests, asserts)."""
    return _UNSAFE.search(text) is None


# Enough to make anything inert where prose lands (never at the start of a line): no link or
# image without ``[``, no HTML without ``<``, no cell break without ``|``; ``_`` and parentheses,
# common in log text, stay readable.
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|~&@])")
# What a git host turns into a link with no brackets at all (GFM "extended autolinks").
_AUTOLINK = re.compile(r"(?i)(://|\bwww\.)")


def markdown_inline(text: str) -> str:
    """Untrusted text as literal Markdown inline text: escaped as by :func:`visible_row` (one row,
    so no injected heading, list or table row), then the Markdown/HTML characters that make
    structure backslash-escaped (no live link, image, raw HTML or table cell break), and the
    ``://`` or ``www.`` of a bare address broken with an escape so it is no autolink either."""
    out = _MD_SPECIAL.sub(r"\\\1", visible_row(text))
    return _AUTOLINK.sub(lambda m: m.group()[:-1] + "\\" + m.group()[-1], out)


_JSON_UNSAFE = re.compile(f"[\x7f-\x9f{_FORMAT_CONTROLS}]")


def json_visible(text: str) -> str:
    """Serialised JSON with DEL, C1 and bidi controls written as ``\\uXXXX`` escapes.

    ``json.dumps(ensure_ascii=False)`` escapes C0 controls but writes these raw; inside a JSON
    string the escape means the same character, so the data is unchanged for any parser while
    the text is safe to print (these characters only occur inside strings)."""
    if _JSON_UNSAFE.search(text) is None:
        return text
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
