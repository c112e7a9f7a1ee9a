"""Bad input: every parser, on arbitrary bytes, mutated real-format input and adversarial
input, raises nothing but its own parse error and never hangs; hang detection does not depend
on how the stream was chunked.

"Never hangs" is checked with ``signal.alarm`` as a hang detector (a generous limit per call,
not a speed assertion): catastrophic regex backtracking on 100k characters takes minutes to
hours, far beyond it. Speed itself is measured in bench/, not here.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labconsole.events import EVENT_TYPES
from labconsole.parse.hang_detector import HangDetector
from labconsole.parse.kernel_reader import KernelLogReader
from labconsole.parse.line_limit import LineSplitter
from tests.fuzz.targets import FIXTURES, TARGETS, Target

HANG_LIMIT_S = 20  # per call: a hang detector, two orders of magnitude above a normal run
NAMES = sorted(TARGETS)


class Hung(Exception):
    pass


@contextmanager
def hang_guard(seconds: int = HANG_LIMIT_S) -> Iterator[None]:
    def fire(signum: int, frame: object) -> None:
        raise Hung(f"still running after {seconds} s: a hang (catastrophic backtracking?)")

    old = signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def test_the_hang_guard_fires_on_a_catastrophic_regex() -> None:
    """The guard itself works: a known catastrophic pattern is stopped, not waited for."""
    import re

    with pytest.raises(Hung), hang_guard(1):
        re.match(r"(a+)+$", "a" * 40 + "!")


# -- arbitrary bytes --------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=3000))
def test_arbitrary_bytes_raise_only_the_parsers_own_error(name: str, data: bytes) -> None:
    with hang_guard():
        TARGETS[name].run(data)


# -- mutated real-format input ----------------------------------------------------------------

SHELLISH = [b";", b"|", b"$(", b"`", b"\n", b"\r\n", b"\x00", b"\\", b"<", b">", b"=", b"[",
            b"]", b"{", b"}", b'"', b"'", b"\t", b" " * 40, b"\xff\xfe", "\u00e9".encode(),
            "\u2028".encode(), b"CEF:0|", b"<13>1 ", b"Quorate:", b"TDH", b"__CURSOR=",
            b"iface ", b"post-up ", b'{"data":', b"[clusters]", b"Detected Hardware Unit Hang"]


@st.composite
def mutated(draw: st.DrawFn, target: Target) -> bytes:
    seeds = target.seeds() or [b'{"type": "kernel", "at": "2024-06-03T06:19:02", "text": ""}']
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 10))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.integers(0, 3))
        if op == 0:
            data[at:at] = draw(st.sampled_from(SHELLISH)) * draw(st.integers(1, 50))
        elif op == 1:
            del data[at:at + draw(st.integers(1, 80))]
        elif op == 2:
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        else:  # duplicate a stretch: repeated headers and blocks
            cut = data[at:at + draw(st.integers(1, 300))]
            data[at:at] = bytes(cut) * draw(st.integers(1, 20))
    return bytes(data)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_real_format_input(name: str, data: st.DataObject) -> None:
    payload = data.draw(mutated(TARGETS[name]))
    with hang_guard():
        TARGETS[name].run(payload)


# -- adversarial input ------------------------------------------------------------------------

ADVERSARIAL: dict[str, bytes] = {
    "100k spaces": b" " * 100_000,
    "50k <": b"<" * 50_000,
    "50k =": b"=" * 50_000,
    "50k backslashes": b"\\" * 50_000,
    "50k pipes": b"|" * 50_000,
    "50k [": b"[" * 50_000,
    "50k {": b"{" * 50_000,
    "json nesting": b'{"data":' + b"[" * 50_000,
    "100k digits": b"1" * 100_000,
    "repeated BSD headers": b"Jun 03 06:19:02 pve03 kernel: " * 5_000,
    "repeated ISO headers": b"2024-06-03T06:19:02+02:00 pve03 kernel: " * 3_000,
    "repeated dmesg stamps": b"[ 1234.567890] " * 6_000,
    "repeated PRI": b"<13>1 " * 15_000,
    "repeated CEF headers": b"CEF:0|Ubiquiti|UniFi|1|2|x|5|" * 3_000,
    "CEF keys without values": b"CEF:0|a|b|c|d|e|5|" + b"k= " * 30_000,
    "CEF escaped everything": b"CEF:0|a|b|c|d|e|5|msg=" + b"\\=" * 30_000,
    "registers": b"  TDH <" * 15_000,
    "device prefixes": b"e1000e 0000:00:1f.6 eno1: " * 3_000,
    "quorum rows": b"         1          1 pve01 (local)\n" * 3_000,
    "quorum words": b"Quorate: " * 10_000,
    "ethtool colons": b"tcp-segmentation-offload:" * 5_000,
    "interfaces continuations": b"iface vmbr0 inet static \\\n" * 5_000,
    "toml nesting": b"a = " + b"[" * 20_000,
    "toml inline tables": b"a = " + b"{b = " * 5_000,
    "octet counts": b"65536 <" * 10_000,
    "nul and control bytes": bytes(range(32)) * 3_000,
    "one long line of junk": bytes((i * 7919) % 256 for i in range(200_000)),
}


@pytest.mark.parametrize("name", NAMES)
def test_adversarial_inputs_finish_and_raise_only_own_errors(name: str) -> None:
    target = TARGETS[name]
    for label, payload in ADVERSARIAL.items():
        with hang_guard():
            try:
                target.run(payload)
            except Hung as exc:
                raise AssertionError(f"{name} hangs on {label}") from exc


# -- recordings: any JSON object with an event type ------------------------------------------

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=8)


@settings(max_examples=400, deadline=None)
@given(kind=st.sampled_from([*EVENT_TYPES, "nope", ""]),
       at=st.one_of(st.just("2024-06-03T06:19:02+00:00"), JSONISH),
       extra=st.dictionaries(st.sampled_from(["source", "node", "text", "state", "iface",
                                              "path", "body", "bogus", "retry_in"]),
                             JSONISH, max_size=5))
def test_any_recorded_object_decodes_or_is_refused_with_its_error(
        kind: str, at: object, extra: dict[str, object]) -> None:
    import json

    TARGETS["events"].run(json.dumps({"type": kind, "at": at, **extra}).encode())


# -- hang detection does not depend on chunking -----------------------------------------------

# Text formats a live stream delivers (journal export is binary-framed: scan-only input).
HANG_LOGS = sorted(p for p in (FIXTURES / "kernel").iterdir() if p.suffix in (".log", ".json"))


def episodes_of(lines: list[str]) -> list[tuple[str, str, int]]:
    reader, detector = KernelLogReader(default_year=2024), HangDetector()
    for text in lines:
        for line in reader.feed(text):
            detector.feed(line)
    for line in reader.close():
        detector.feed(line)
    detector.finish()
    return [(e.kind, e.device, e.reports) for e in detector.episodes]


@settings(max_examples=60, deadline=None)
@given(index=st.integers(0, len(HANG_LOGS) - 1), noise=st.lists(
    st.sampled_from(["", "junk \x01\x02", "Jun 03 06:19:09 pve03 kernel: e1000e 0000:00:1f.6 "
                     "eno1: Reset adapter unexpectedly", "[", "\t\t", "TDH <f6>"]), max_size=5),
       cuts=st.lists(st.integers(1, 400), min_size=1, max_size=40))
def test_hang_episode_counts_do_not_depend_on_chunking(
        index: int, noise: list[str], cuts: list[int]) -> None:
    """Whole-text reading vs the live SSH path (arbitrary chunks -> LineSplitter -> reader)."""
    body = HANG_LOGS[index].read_text(encoding="utf-8", errors="replace")
    text = body + "\n".join(noise) + ("\n" if noise else "") + body
    expected = episodes_of(text.split("\n"))
    assert any(kind == "unit_hang" for kind, _, _ in expected) or "Hang" not in body

    splitter, lines, pos, i = LineSplitter(), [], 0, 0
    while pos < len(text):
        step = cuts[i % len(cuts)]
        lines.extend(splitter.feed(text[pos:pos + step]))
        pos, i = pos + step, i + 1
    lines.extend(splitter.close())
    assert episodes_of(lines) == expected

    reader, detector = KernelLogReader(default_year=2024), HangDetector()
    pos = i = 0
    while pos < len(text):  # the reader's own chunked entry point agrees too
        step = cuts[i % len(cuts)]
        for line in reader.feed_text(text[pos:pos + step]):
            detector.feed(line)
        pos, i = pos + step, i + 1
    for line in reader.close():
        detector.feed(line)
    detector.finish()
    assert [(e.kind, e.device, e.reports) for e in detector.episodes] == expected
