"""The domain core never loads Textual or Rich: statically (import-linter) and at run time.

Every module of the ``labconsole`` package is either UI (:data:`UI_MODULES`, the widgets and
screens packages) or core; the core ones must all be listed in the import-linter contract, and
importing all of them in a fresh interpreter must leave no ``textual`` / ``rich`` module in
``sys.modules`` (an import inside a function or through a plugin escapes the static check).
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import labconsole

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
UI_MODULES = frozenset({
    "labconsole.app",
    "labconsole.commands.run",
    "labconsole.commands.serve",
    "labconsole.commands.replay",
    "labconsole.commands.runbook_app",
    "labconsole.__main__",  # runs the CLI when imported
})
UI_PACKAGES = ("labconsole.widgets", "labconsole.screens")
FORBIDDEN = ("textual", "rich")


def _all_modules() -> list[str]:
    names = [
        info.name
        for info in pkgutil.walk_packages(labconsole.__path__, "labconsole.")
    ]
    return sorted(names)


def core_modules() -> list[str]:
    return [
        name for name in _all_modules()
        if name not in UI_MODULES and not name.startswith(UI_PACKAGES)
    ]


def _contract() -> dict[str, list[str]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    [contract] = [c for c in data["tool"]["importlinter"]["contracts"]
                  if c["type"] == "forbidden"]
    return contract


def _loaded_after(modules: list[str]) -> dict[str, list[str]]:
    """Import ``modules`` one by one in a fresh interpreter; for each, the forbidden top-level
    packages loaded so far (so the first module that pulls one in is named)."""
    code = (
        "import importlib, json, sys\n"
        f"forbidden = {FORBIDDEN!r}\n"
        "out = {}\n"
        "for name in json.loads(sys.argv[1]):\n"
        "    importlib.import_module(name)\n"
        "    out[name] = sorted({m.split('.')[0] for m in sys.modules} & set(forbidden))\n"
        "print(json.dumps(out))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, json.dumps(modules)],
        capture_output=True, text=True, timeout=120, check=False, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result: dict[str, list[str]] = json.loads(proc.stdout)
    return result


def test_every_module_is_core_or_ui() -> None:
    names = _all_modules()
    assert "labconsole.parse.corosync_log" in names  # the walk sees subpackages
    listed = _contract()["source_modules"]
    uncovered = [
        name for name in core_modules()
        if not any(name == m or name.startswith(m + ".") for m in listed)
        and name not in ("labconsole", "labconsole.commands")  # package inits: checked below
    ]
    assert uncovered == [], "add these to the import-linter contract (or to UI_MODULES)"


def test_contract_forbids_textual_rich_and_the_ui() -> None:
    forbidden = set(_contract()["forbidden_modules"])
    assert {"textual", "rich", "labconsole.widgets", "labconsole.screens"} <= forbidden
    assert UI_MODULES - {"labconsole.__main__"} <= forbidden


def test_core_modules_load_no_textual_or_rich_at_run_time() -> None:
    modules = core_modules()
    assert len(modules) > 60
    loaded = _loaded_after(modules)
    offenders = {name: found for name, found in loaded.items() if found}
    assert offenders == {}, f"first module to load a forbidden package: {next(iter(offenders))}"


def test_the_check_can_fail() -> None:
    """The same probe sees Textual and Rich when a UI module is imported."""
    loaded = _loaded_after(["labconsole.parse.quorum", "labconsole.app"])
    assert loaded["labconsole.parse.quorum"] == []
    assert loaded["labconsole.app"] == ["rich", "textual"]
