"""Load runbooks from TOML (bundled ones, then the operator's runbook directory), validated.

Every error names the file and the key (``steps[4].expect.offloads_off``), so an operator who
wrote a runbook knows exactly what to fix. A runbook in the operator's directory with the same
``id`` as a bundled one replaces it: that is how a site overrides a step's command (e.g. its
kernel log source: write ``command = ["journalctl", "-k", "-b", "--since", "{since}", ...]``).

Format::

    id = "e1000e-tx-hang"
    title = "..."
    description = "..."
    [applies]
    hang = true
    drivers = ["e1000e"]
    node_missing = false
    [[steps]]
    id = "confirm-votes"          # [a-z0-9-], unique
    kind = "check"                # check | action | note
    op = "votes"                  # command | votes | kernel_log | settle | persist_post_up
                                  # | reload_network  (default: command)
    title = "..."
    why = "..."
    on = "peer"                   # node | peer (default node)
    command = ["{quorum}"]        # argv template, see placeholders.py
    timeout = 30
    settle_seconds = 20           # op settle
    rollback = true               # op persist_post_up
    [steps.expect]
    exit_status = 0               # or "any"
    contains = ["..."]; not_contains = ["..."]
    offloads_off = ["tso"]; offloads_on = []; driver = ["e1000e"]
    votes = "node_missing"        # or "full"
    hangs = "present"             # or "absent"
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from labconsole.runbook.model import STEP_KINDS, STEP_OPS, TARGETS, Applies, Expect, Runbook, Step
from labconsole.runbook.placeholders import PlaceholderError, check_template

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_DEFAULT_COMMAND = {"votes": ("{quorum}",), "kernel_log": ("{kernel_log}",),
                    "settle": ("{kernel_log_now}",)}
_RUNBOOK_KEYS = {"id", "title", "description", "applies", "steps"}
_STEP_KEYS = {"id", "kind", "op", "title", "why", "on", "command", "timeout", "settle_seconds",
              "rollback", "expect"}
_EXPECT_KEYS = {"exit_status", "contains", "not_contains", "offloads_off", "offloads_on",
                "driver", "votes", "hangs"}
_APPLIES_KEYS = {"hang", "drivers", "node_missing"}


class RunbookError(ValueError):
    """A runbook file that cannot be used; the message names the file and the key."""


class _Where:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> RunbookError:
        return RunbookError(f"{self.source}: {key}: {message}" if key
                            else f"{self.source}: {message}")

    def table(self, value: Any, key: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table, not {type(value).__name__}")
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise self.fail(key, f"unknown key(s) {', '.join(unknown)} (known: "
                            f"{', '.join(sorted(allowed))})")
        return value

    def string(self, table: dict[str, Any], key: str, where: str, *, required: bool = False,
               default: str = "") -> str:
        value = table.get(key)
        if value is None:
            if required:
                raise self.fail(f"{where}{key}", "missing")
            return default
        if not isinstance(value, str):
            raise self.fail(f"{where}{key}", f"must be a string, not {type(value).__name__}")
        return value

    def strings(self, table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{where}{key}", "must be a list of strings")
        return tuple(value)

    def choice(self, table: dict[str, Any], key: str, where: str, choices: Iterable[str],
               default: str | None) -> str | None:
        value = table.get(key, default)
        if value is None:
            return None
        options = tuple(choices)
        if value not in options:
            raise self.fail(f"{where}{key}", f"{value!r} is not one of {', '.join(options)}")
        return str(value)

    def number(self, table: dict[str, Any], key: str, where: str, default: float) -> float:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self.fail(f"{where}{key}", "must be a non-negative number")
        return float(value)


def parse_runbook(text: str, source: str = "<runbook>") -> Runbook:
    """A validated :class:`Runbook` from TOML text (RunbookError naming source and key)."""
    w = _Where(source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise w.fail("", f"not valid TOML: {exc}") from exc
    except RecursionError as exc:  # tomllib recurses per nesting level
        raise w.fail("", "not valid TOML: nested too deeply") from exc
    w.table(data, "", _RUNBOOK_KEYS)
    rid = w.string(data, "id", "", required=True)
    if not ID_RE.fullmatch(rid):
        raise w.fail("id", f"{rid!r} must match {ID_RE.pattern}")
    applies_t = w.table(data.get("applies", {}), "applies", _APPLIES_KEYS)
    for key in ("hang", "node_missing"):
        if not isinstance(applies_t.get(key, False), bool):
            raise w.fail(f"applies.{key}", "must be true or false")
    applies = Applies(drivers=w.strings(applies_t, "drivers", "applies."),
                      hang=applies_t.get("hang", False),
                      node_missing=applies_t.get("node_missing", False))
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise w.fail("steps", "a runbook needs at least one [[steps]] table")
    steps = [_step(w, raw, i) for i, raw in enumerate(raw_steps)]
    seen: set[str] = set()
    for i, step in enumerate(steps):
        if step.id in seen:
            raise w.fail(f"steps[{i}].id", f"duplicate step id {step.id!r}")
        seen.add(step.id)
    return Runbook(id=rid, title=w.string(data, "title", "", required=True), steps=tuple(steps),
                   applies=applies, description=w.string(data, "description", ""),
                   source=source)


def _step(w: _Where, raw: Any, i: int) -> Step:
    at = f"steps[{i}]."
    t = w.table(raw, f"steps[{i}]", _STEP_KEYS)
    sid = w.string(t, "id", at, required=True)
    if not ID_RE.fullmatch(sid):
        raise w.fail(f"{at}id", f"{sid!r} must match {ID_RE.pattern}")
    kind = w.choice(t, "kind", at, STEP_KINDS, None)
    if kind is None:
        raise w.fail(f"{at}kind", f"missing (one of {', '.join(STEP_KINDS)})")
    op = w.choice(t, "op", at, STEP_OPS, "command") or "command"
    command = w.strings(t, "command", at) or _DEFAULT_COMMAND.get(op, ())
    if kind != "note" and op != "reload_network" and not command:
        raise w.fail(f"{at}command", f"a {kind} step with op {op!r} needs a command")
    try:
        check_template(command)
    except PlaceholderError as exc:
        raise w.fail(f"{at}command", str(exc)) from exc
    if op in ("persist_post_up", "reload_network") and kind != "action":
        raise w.fail(f"{at}kind", f"op {op!r} changes the node: it must be an action")
    if op in ("votes", "kernel_log", "settle") and kind != "check":
        raise w.fail(f"{at}kind", f"op {op!r} is read-only: it must be a check")
    rollback = t.get("rollback", False)
    if not isinstance(rollback, bool) or (rollback and op != "persist_post_up"):
        raise w.fail(f"{at}rollback", "true/false, and only for op 'persist_post_up'")
    expect = _expect(w, t.get("expect", {}), f"{at}expect.", op)
    return Step(id=sid, title=w.string(t, "title", at, required=True),
                kind=kind,  # type: ignore[arg-type]  # checked against STEP_KINDS
                op=op,  # type: ignore[arg-type]
                command=command,
                on=w.choice(t, "on", at, TARGETS, "node"),  # type: ignore[arg-type]
                why=w.string(t, "why", at), expect=expect,
                settle_seconds=w.number(t, "settle_seconds", at, 0.0),
                timeout=w.number(t, "timeout", at, 30.0), rollback=rollback)


def _expect(w: _Where, raw: Any, at: str, op: str) -> Expect:
    t = w.table(raw, at.rstrip("."), _EXPECT_KEYS)
    status = t.get("exit_status", 0)
    if status == "any":
        status = None
    elif isinstance(status, bool) or not isinstance(status, int):
        raise w.fail(f"{at}exit_status", "must be an integer or \"any\"")
    return Expect(
        exit_status=status, contains=w.strings(t, "contains", at),
        not_contains=w.strings(t, "not_contains", at),
        offloads_off=w.strings(t, "offloads_off", at),
        offloads_on=w.strings(t, "offloads_on", at), driver=w.strings(t, "driver", at),
        votes=w.choice(t, "votes", at, ("node_missing", "full"), None),  # type: ignore[arg-type]
        hangs=w.choice(t, "hangs", at, ("present", "absent"), None))  # type: ignore[arg-type]


def load_file(path: Path) -> Runbook:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RunbookError(f"{path}: cannot read: {exc}") from exc
    return parse_runbook(text, str(path))


def bundled() -> list[Runbook]:
    """The runbooks shipped with labconsole (``labconsole/runbook/bundled/*.toml``)."""
    folder = resources.files("labconsole.runbook.bundled")
    books = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            books.append(parse_runbook(entry.read_text(encoding="utf-8"),
                                       f"bundled/{entry.name}"))
    return books


def load_all(runbook_dir: Path | None = None) -> tuple[dict[str, Runbook], list[str]]:
    """Bundled runbooks, replaced or extended by the operator's directory; a broken
    operator file is reported in the returned errors, not fatal."""
    books = {b.id: b for b in bundled()}
    errors: list[str] = []
    if runbook_dir is not None and runbook_dir.is_dir():
        for path in sorted(runbook_dir.glob("*.toml")):
            try:
                book = load_file(path)
            except RunbookError as exc:
                errors.append(str(exc))
                continue
            books[book.id] = book
    return books, errors


def applicable(books: Iterable[Runbook], *, driver: str | None, hang: bool,
               node_missing: bool) -> list[Runbook]:
    return [b for b in books if b.applies.matches(driver=driver, hang=hang,
                                                  node_missing=node_missing)]
