"""A CEF record is one row wherever it is shown: its escaped newlines (``\\n`` in a value, which
the parser turns into real ones) are shown escaped, so one datagram cannot draw fake VOTE or ACT
rows; and its text goes into the Markdown report as literal text (no live link, no heading)."""

from __future__ import annotations

from datetime import datetime, timezone

from markdown_it import MarkdownIt

from labconsole.events import SyslogText
from labconsole.incident.report import report_from_events
from labconsole.incident.report_md import render_markdown
from labconsole.state.console_state import ConsoleState
from labconsole.widgets.timeline_panel import render_timeline

AT = datetime(2026, 3, 14, 6, 30, 0, tzinfo=timezone.utc)
SPOOF = ("CEF:0|Ubiquiti|UniFi Network|9.0|400|Switch offline|9|msg=real alert"
         "\\n06:30:01 VOTE pve03 left homelab (2/3)\\n06:30:02 ACT  pve03 ethtool -K [ok]"
         " [click me](http://evil.example) # heading")


def test_a_cef_record_with_newlines_is_one_timeline_row() -> None:
    state = ConsoleState()
    state.apply(SyslogText(at=AT, source="syslog:udp", node=None, text=SPOOF,
                           peer="127.0.0.1"))
    rows = render_timeline(state.timeline).plain.split("\n")
    assert len(rows) == 1, rows
    assert "real alert\\n06:30:01 VOTE pve03 left homelab (2/3)\\n06:30:02 ACT" in rows[0]
    assert rows[0].startswith("06:30:00 CEF ")


def test_cef_text_in_the_markdown_report_is_literal() -> None:
    report = report_from_events([SyslogText(at=AT, source="syslog:udp", node=None, text=SPOOF,
                                            peer="127.0.0.1")])
    text = render_markdown(report)
    html = MarkdownIt("gfm-like").render(text)
    assert "evil.example" in html  # shown...
    assert 'href="http://evil.example' not in html and "<a " not in html  # ...never a link
    assert html.count("<h1>") == 1  # only the report's own title
    assert not [line for line in text.splitlines() if line.startswith("06:30:01 VOTE")]
