"""Whether a check passed: a step's :class:`Expect` against a command's output. Pure.

Each expectation reads the output with the project's own parsers (ethtool, quorum, kernel
log) rather than matching text, so a check means what it says ("tso is off"), and a parse
failure is a failed check that says what could not be read, never a crash.
"""

from __future__ import annotations

from labconsole.model.offloads import Offloads
from labconsole.parse.ethtool import (
    EthtoolParseError,
    long_feature_name,
    parse_driver_info,
    parse_features,
)
from labconsole.parse.kernel_scan import scan_kernel_lines
from labconsole.parse.quorum import QuorumParseError, parse_quorum
from labconsole.runbook.executor import RunResult
from labconsole.runbook.model import Expect
from labconsole.runbook.placeholders import RunbookContext


def evaluate(expect: Expect, result: RunResult, ctx: RunbookContext) -> tuple[bool, str]:
    """(passed, one line per expectation saying what was seen)."""
    notes: list[str] = []
    ok = True
    out = result.stdout
    if expect.exit_status is not None and result.exit_status != expect.exit_status:
        ok = False
        notes.append(f"exit status {result.exit_status}, expected {expect.exit_status}")
    for text in expect.contains:
        if text not in out:
            ok = False
            notes.append(f"output lacks {text!r}")
    for text in expect.not_contains:
        if text in out:
            ok = False
            notes.append(f"output has {text!r}")
    for check in (_offloads, _driver, _votes, _hangs):
        passed, note = check(expect, out, ctx)
        ok = ok and passed
        if note:
            notes.append(note)
    return ok, "; ".join(notes) if notes else "ok"


def _offloads(expect: Expect, out: str, ctx: RunbookContext) -> tuple[bool, str]:
    if not expect.offloads_off and not expect.offloads_on:
        return True, ""
    try:
        features = parse_features(out)
    except EthtoolParseError as exc:
        return False, f"cannot read offloads: {exc}"
    wrong = [n for n in expect.offloads_off if _flag(features, n) is not False]
    wrong += [n for n in expect.offloads_on if _flag(features, n) is not True]
    shown = ", ".join(f"{n} {_word(_flag(features, n))}"
                      for n in (*expect.offloads_off, *expect.offloads_on))
    return (not wrong), (f"offloads {shown}" + (f" (wrong: {', '.join(wrong)})" if wrong
                                                 else ""))


def _flag(features: Offloads, name: str) -> bool | None:
    return features.flag(long_feature_name(name))


def _word(flag: bool | None) -> str:
    return {True: "on", False: "off", None: "unknown"}[flag]


def _driver(expect: Expect, out: str, ctx: RunbookContext) -> tuple[bool, str]:
    if not expect.driver:
        return True, ""
    try:
        info = parse_driver_info(out)
    except EthtoolParseError as exc:
        return False, f"cannot read driver: {exc}"
    ok = info.driver in expect.driver
    return ok, (f"driver {info.driver} firmware {info.firmware or '?'}"
                + ("" if ok else f" (expected {' or '.join(expect.driver)})"))


def _votes(expect: Expect, out: str, ctx: RunbookContext) -> tuple[bool, str]:
    if expect.votes is None:
        return True, ""
    try:
        status = parse_quorum(out)
    except QuorumParseError as exc:
        return False, f"cannot read votes: {exc}"
    names = status.node_names()
    seen = f"votes {status.total_votes}/{status.expected_votes}" + \
        (" quorate" if status.quorate else " NOT quorate")
    if expect.votes == "node_missing":
        missing = ctx.node not in names and status.total_votes < status.expected_votes
        return missing, seen + (f", {ctx.node} missing" if missing
                                else f", {ctx.node} is a member")
    full = status.total_votes == status.expected_votes and (not names or ctx.node in names)
    return full, seen + ("" if full else f", not all {status.expected_votes} votes")


def count_hang_reports(out: str, iface: str | None) -> int:
    """Hang reports of ``iface`` (all devices when None) in a kernel log text."""
    scan = scan_kernel_lines(out.splitlines())
    return sum(h.reports for h in scan.hangs if iface is None or h.device == iface)


def _hangs(expect: Expect, out: str, ctx: RunbookContext) -> tuple[bool, str]:
    if expect.hangs is None:
        return True, ""
    n = count_hang_reports(out, ctx.iface)
    what = f"{n} hang report{'s' if n != 1 else ''} of {ctx.iface or 'any NIC'}"
    return (n > 0) == (expect.hangs == "present"), what
