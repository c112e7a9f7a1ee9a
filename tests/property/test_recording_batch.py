"""``Recorder.write_many`` writes, byte for byte, what ``Recorder.write`` of each event writes:
kernel lines of any text (quotes, backslashes, control characters, non-ASCII, lone
surrogates), reads sharing an arrival time, source and node or not (equal times as other
objects, one instant in other zones), other events between them, and registered secrets
masked across the line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labconsole.config.redact import REDACTOR, register_secret
from labconsole.events import ConnectionChange, Event, KernelText
from labconsole.sources.recording import Recorder

T0 = datetime(2026, 11, 25, 6, 19, 0, 123456, tzinfo=timezone.utc)
ZONES = (timezone.utc, timezone(timedelta(hours=2)), None)
SECRET = "s3cr3t-token-0123456789abcdef"

texts = st.one_of(
    st.text(st.characters(blacklist_categories=()), max_size=40),  # surrogates too
    st.sampled_from(["perf: took too long", 'quote " back \\ slash', "tab\there", "\x00\x1f",
                     "grüße ☃", "\ud800 lone", f"token={SECRET} in a line", ""]),
)


@st.composite
def reads(draw: st.DrawFn) -> list[Event]:
    """Events as sources hand them on: runs of kernel lines sharing a time, then others."""
    out: list[Event] = []
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        zone = draw(st.sampled_from(ZONES))
        at = T0.astimezone(zone) if zone is not None else T0.replace(tzinfo=None)
        at += timedelta(seconds=draw(st.integers(min_value=0, max_value=2)))
        node = draw(st.sampled_from(["pve01", "pve02", None]))
        source = f"kernel:{node}"
        same = draw(st.booleans())  # one time object for the read, or an equal copy per line
        for text in draw(st.lists(texts, min_size=1, max_size=8)):
            when = at if same else at + timedelta(0)
            out.append(KernelText(at=when, source=source, node=node, text=text))
        if draw(st.booleans()):
            out.append(ConnectionChange(at=at, source=source, node=node, state="connected",
                                        detail=draw(texts)))
    return out


@pytest.fixture
def secret() -> Iterator[None]:
    REDACTOR.clear()
    yield
    REDACTOR.clear()


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reads(), st.booleans(), st.integers(min_value=1, max_value=20))
def test_write_many_writes_what_write_writes(tmp_path: Path, secret: None, events: list[Event],
                                             with_secret: bool, cut: int) -> None:
    REDACTOR.clear()
    if with_secret:
        register_secret(SECRET)
    one_path, many_path = tmp_path / "one.jsonl", tmp_path / "many.jsonl"
    one_path.unlink(missing_ok=True)
    many_path.unlink(missing_ok=True)
    with Recorder(one_path) as one:
        for event in events:
            one.write(event)
    with Recorder(many_path) as many:
        for i in range(0, len(events), cut):
            assert many.write_many(events[i:i + cut])
    assert many_path.read_bytes() == one_path.read_bytes()
    assert many.written == one.written == len(events)
