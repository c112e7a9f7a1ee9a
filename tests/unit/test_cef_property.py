"""CEF properties: escaping round-trips for any header/extension text; never a crash."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from labconsole.parse.cef import CefParseError, parse_cef

# Any printable text (spaces, pipes, backslashes, '=', non-ASCII), no other whitespace: the
# parser drops trailing whitespace of values and lines, by design.
TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Zs")) | st.just(" "),
    max_size=30,
)
KEYS = st.from_regex(r"[A-Za-z][A-Za-z0-9_.]{0,11}", fullmatch=True)
VALUES = (TEXT | st.sampled_from(["a\nb", "x\r\ny", "\\", "=", "|", "k=v", "a \\= b"])).map(
    str.strip
)


def escape_header(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


def escape_value(text: str) -> str:
    return (text.replace("\\", "\\\\").replace("=", "\\=")
            .replace("\n", "\\n").replace("\r", "\\r"))


@settings(max_examples=300, deadline=None)
@given(
    header=st.lists(TEXT.filter(lambda t: "\n" not in t and "\r" not in t), min_size=6,
                    max_size=6),
    extensions=st.dictionaries(KEYS, VALUES, max_size=6),
    prefixed=st.booleans(),
)
def test_escaped_fields_round_trip(header: list[str], extensions: dict[str, str],
                                   prefixed: bool) -> None:
    body = "|".join(["CEF:0", *(escape_header(f) for f in header)]) + "|"
    body += " ".join(f"{k}={escape_value(v)}" for k, v in extensions.items())
    line = ("Nov 25 06:19:02 usw-01 " if prefixed else "") + body
    event = parse_cef(line, default_year=2026)
    assert [event.vendor, event.product, event.version, event.signature_id, event.name,
            event.severity] == header
    assert event.extensions == extensions
    assert event.host == ("usw-01" if prefixed else None)
    assert event.notes == ()


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=120), st.sampled_from(["", "CEF:0|", "x CEF:1|a|b|", "CEF:0|||||||"]),
       st.text(max_size=120))
def test_any_text_parses_or_raises_cef_parse_error(head: str, marker: str, tail: str) -> None:
    try:
        event = parse_cef(head + marker + tail)
    except CefParseError as error:
        assert str(error)
    else:
        assert isinstance(event.extensions, dict)
