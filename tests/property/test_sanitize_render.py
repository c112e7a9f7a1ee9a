"""For any string, what the widgets and report renderers make of it holds no control character:
the rendered segments (what Textual writes to the terminal) are checked with an oracle that does
not share the sanitiser's code (Unicode categories and bidi classes).
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.segment import Segment
from rich.text import Text

from labconsole.events import QuorumUnreadable
from labconsole.incident.facts import Fact
from labconsole.incident.report_md import prose
from labconsole.runbook.engine import StepRun
from labconsole.runbook.model import Step
from labconsole.state.console_state import ConsoleState
from labconsole.state.health import SourceHealth
from labconsole.state.kernel_log import KernelLogStore
from labconsole.state.log_view import LogQuery, LogView
from labconsole.state.nics import NicsState, NicState
from labconsole.state.timeline import Timeline, TimelineEntry
from labconsole.widgets.kernel_log import KernelLogPane
from labconsole.widgets.nic_panel import render_nics
from labconsole.widgets.runbook_step_detail import render_step_detail
from labconsole.widgets.status_bar import render_status
from labconsole.widgets.timeline_panel import render_timeline
from labconsole.widgets.votes_panel import render_votes

AT = datetime(2026, 11, 8, 6, 19, 2, tzinfo=timezone.utc)
BIDI_CONTROLS = {"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}

# Biased towards the characters that matter, plus anything at all.
HOSTILE = st.text(alphabet=st.one_of(
    st.sampled_from(list("\x1b\r\n\t\x00\x07\x7f\x9b\x9d\u202e\u2066\u2069\u2028\udcff[]()|#")),
    st.characters(codec=None)), max_size=60)


def unsafe(char: str) -> bool:
    return (unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp")
            or unicodedata.bidirectional(char) in BIDI_CONTROLS
            or char in "\u061c\u200e\u200f")


def assert_clean(segments: list[Segment]) -> None:
    for seg in segments:
        if seg.control:  # rich's own cursor moves, never from the text
            continue
        bad = [c for c in seg.text if unsafe(c)]
        assert not bad, f"{seg.text!r} carries {bad!r}"


def rendered(text: Text) -> list[Segment]:
    """The segments of each screen row (rich's own line breaks taken out, as Textual does)."""
    console = Console(width=80, color_system="truecolor", force_terminal=True)
    lines = console.render_lines(text, console.options, pad=False, new_lines=False)
    return [seg for line in lines for seg in line]


@settings(max_examples=300, deadline=None)
@given(HOSTILE, HOSTILE)
def test_kernel_log_rows(line: str, node: str) -> None:
    store = KernelLogStore(spill=False)
    store.add(node or "pve01", line, AT)
    view = LogView(store, query=LogQuery())
    view.sync()
    pane = KernelLogPane(view)
    for row in view.rows:
        assert_clean(pane._segments(row))


@settings(max_examples=300, deadline=None)
@given(HOSTILE, HOSTILE)
def test_timeline_rows(text: str, node: str) -> None:
    timeline = Timeline()
    fact = Fact(at=AT, kind="cef_note", node=node, text=text)
    timeline.add(TimelineEntry(at=AT, kind="cef", node=node, fact=fact, severity="warning"))
    assert_clean(rendered(render_timeline(timeline)))


@settings(max_examples=200, deadline=None)
@given(HOSTILE, HOSTILE)
def test_votes_panel_rows(node: str, reason: str) -> None:
    state = ConsoleState()
    state.apply(QuorumUnreadable(at=AT, source="quorum:c", node=node or "n", reason=reason,
                                 cluster=node))
    assert_clean(rendered(render_votes(state.votes, AT)))


@settings(max_examples=200, deadline=None)
@given(HOSTILE, HOSTILE, HOSTILE)
def test_nic_panel_and_status_bar(driver: str, error: str, detail: str) -> None:
    nics = NicsState()
    nics.nics[("pve01", "eno1")] = NicState(node="pve01", iface="eno1", updated=AT, since=AT,
                                            driver=driver, firmware=detail, error=error)
    assert_clean(rendered(render_nics(nics, show_all=True)))
    health = {"ssh": SourceHealth(name=detail or "ssh", state="failed", detail=error)}
    assert_clean(rendered(render_status(health, AT, recording=None, replay=None, errors=1,
                                        message=detail, problems=[error])))


@settings(max_examples=200, deadline=None)
@given(HOSTILE, HOSTILE)
def test_runbook_output(output: str, detail: str) -> None:
    run = StepRun(step=Step(id="s", title=detail, kind="check"), status="fail",
                  command="ethtool -k eno1", output=output, detail=detail)
    assert_clean(rendered(render_step_detail(run, 1, dry_run=False, waiting=False)))


@settings(max_examples=300, deadline=None)
@given(HOSTILE)
def test_markdown_prose_has_no_control_or_line_break(text: str) -> None:
    out = prose(text)
    assert not [c for c in out if unsafe(c)]
