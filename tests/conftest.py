"""Shared fixtures: where the real published samples live, and the project's own fixtures.

Also the rule that CI never skips what is real (issue 18): with ``CI=true`` or
``LABCONSOLE_REQUIRE_LAB=1`` (``.ci/run`` sets both), a lab, e2e or real-sample test that would
skip FAILS instead, naming what is missing, and the run ends with how many of each kind ran and
passed. Outside CI they keep skipping with their reason (``make test`` lists them with ``-rs``).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Generator
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs a fixed, reproducible set of examples (derandomized): a red CI then always means the
# same failing input, reproducible locally with HYPOTHESIS_PROFILE=ci. Local runs stay random so
# they keep exploring (and `make fuzz` runs the atheris harnesses for longer).
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("HYPOTHESIS_PROFILE"):
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])

ROOT = Path(__file__).resolve().parent.parent
REALDATA = ROOT.parent / "shared" / "realdata"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# The kinds of test that need something real (a lab, tmux, the real samples): by folder or
# by marker. Counted at the end of every run; never allowed to skip in CI.
REAL_KINDS = ("lab", "e2e", "realdata")
_KIND_DIRS = {"lab": "lab", "e2e": "e2e", "realdata": "realdata"}
_COUNTS: Counter[tuple[str, str]] = Counter()


def require_real() -> bool:
    """True in CI (``CI=true``) or with ``LABCONSOLE_REQUIRE_LAB=1``: real tests must run."""
    flag = os.environ.get("LABCONSOLE_REQUIRE_LAB", "").strip().lower()
    ci = os.environ.get("CI", "").strip().lower()
    return flag in {"1", "true", "yes"} or ci in {"1", "true", "yes"}


def real_kinds(item: pytest.Item) -> list[str]:
    """Which of lab/e2e/realdata a test is: its folder under tests/, or its markers."""
    kinds = {m.name for m in item.iter_markers() if m.name in REAL_KINDS}
    try:
        rel = Path(str(item.path)).resolve().relative_to(ROOT / "tests")
    except ValueError:
        rel = None
    if rel is not None and rel.parts:
        kinds |= {kind for kind, folder in _KIND_DIRS.items() if rel.parts[0] == folder}
    if "realdata" in getattr(item, "fixturenames", ()):
        kinds.add("realdata")
    return sorted(kinds)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "realdata: reads the real third-party samples (../shared/realdata)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    kinds = real_kinds(item)
    if not kinds:
        return
    if report.skipped and not hasattr(report, "wasxfail") and require_real():
        _fail_instead_of_skip(report, "/".join(kinds) + " test")
    if report.when == "call" or not report.passed:
        for kind in kinds:
            _count(kind, report)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector
                               ) -> Generator[None, pytest.CollectReport, None]:
    """A whole module of real tests skipped at import (``importorskip``) fails in CI too."""
    outcome = yield
    report = outcome.get_result()
    if not (report.skipped and require_real() and isinstance(collector, pytest.Module)):
        return
    try:
        rel = Path(str(collector.path)).resolve().relative_to(ROOT / "tests")
    except ValueError:
        return
    if rel.parts and rel.parts[0] in _KIND_DIRS.values():
        _fail_instead_of_skip(report, f"{rel.parts[0]} module")


def _fail_instead_of_skip(report: pytest.TestReport | pytest.CollectReport, what: str) -> None:
    reason = _skip_reason(report)
    report.outcome = "failed"
    report.longrepr = (f"{what} would have skipped, and CI must run it "
                       f"(CI=true or LABCONSOLE_REQUIRE_LAB=1): missing: {reason}")


def _count(kind: str, report: pytest.TestReport) -> None:
    """Per kind: ran (the test body ran), passed, and what ended it before or instead."""
    if report.when == "call" and not report.skipped:
        _COUNTS[(kind, "ran")] += 1
        _COUNTS[(kind, report.outcome)] += 1
    elif report.when != "teardown" or report.failed:
        _COUNTS[(kind, f"{report.outcome} in {report.when}")] += 1


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """How many lab, e2e and real-sample tests ran and passed (and skipped or failed early)."""
    if not _COUNTS:
        return
    terminalreporter.section("real components")
    for kind, title in (("lab", "lab (real corosync/sshd/ifupdown2 in netns)"),
                        ("e2e", "e2e (tmux, real processes)"),
                        ("realdata", "real samples")):
        ran, passed = _COUNTS[(kind, "ran")], _COUNTS[(kind, "passed")]
        other = {k: n for (c, k), n in _COUNTS.items()
                 if c == kind and k not in {"ran", "passed", "failed"} and n}
        extra = "".join(f", {n} {k}" for k, n in sorted(other.items()))
        terminalreporter.write_line(f"{title}: {ran} ran, {passed} passed{extra}")
    mode = "required (skips fail)" if require_real() else "optional (skips allowed)"
    terminalreporter.write_line(f"real tests: {mode}")


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The folder of real third-party samples (``../shared/realdata``); skip where absent."""
    if not REALDATA.is_dir():
        pytest.skip("real samples folder ../shared/realdata not present next to the project")
    return REALDATA


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(autouse=True)
def _forget_registered_secrets() -> Generator[None, None, None]:
    """Secrets a test registers (building a Proxmox API source does) are masked process-wide
    in recordings and the audit log: forget them after each test, so no test's output depends
    on which tests ran before it."""
    yield
    from labconsole.config.redact import REDACTOR

    REDACTOR.clear()


@pytest.fixture(autouse=True)
def _display_zone_back_to_utc() -> Generator[None, None, None]:
    """An entry point run in a test (``report --tz``, a config's ``timezone``) sets the
    process's display zone: put UTC back after each test."""
    yield
    from labconsole.model import timefmt

    timefmt.set_display_zone(timefmt.DISPLAY_ZONE)
