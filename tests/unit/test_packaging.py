"""The folder -> package mapping in pyproject.toml holds for regular and editable installs."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[2]


def _declared_packages() -> set[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return set(data["tool"]["setuptools"]["packages"])


def _folder_packages() -> set[str]:
    found = {"labconsole", "labconsole.widgets", "labconsole.screens"}
    for init in (ROOT / "console").rglob("__init__.py"):
        rel = init.parent.relative_to(ROOT / "console")
        if rel.parts and "__pycache__" not in rel.parts:
            found.add("labconsole." + ".".join(rel.parts))
    return found


def test_every_package_folder_is_declared() -> None:
    assert _folder_packages() == _declared_packages()


def test_core_never_imports_textual() -> None:
    """Same rule as the import-linter contract, checked on the source text as well."""
    offenders = []
    for path in (ROOT / "console").rglob("*.py"):
        if path.name == "app.py" and path.parent == ROOT / "console":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            if any(n == "textual" or n.startswith("textual.") for n in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def _import_all(python: str, extra_path: str | None, cwd: Path) -> str:
    code = "import importlib, sys\n"
    if extra_path:
        code += f"sys.path.insert(0, {extra_path!r})\n"
    code += "".join(f"importlib.import_module({n!r})\n" for n in sorted(_declared_packages()))
    code += "import labconsole, labconsole.widgets\nprint(labconsole.__file__)\n"
    out = subprocess.run([python, "-c", code], check=True, cwd=cwd, capture_output=True,
                         text=True)
    return out.stdout.strip()


def test_regular_install_imports_all_packages(tmp_path: Path) -> None:
    """Build the wheel as ``pip install .`` would and import every package from it alone."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "-w", str(tmp_path / "dist"), str(ROOT)],
        check=True, capture_output=True, cwd=tmp_path,
    )
    (wheel,) = (tmp_path / "dist").glob("labconsole-*.whl")
    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        zf.extractall(target)
    assert "labconsole/widgets/__init__.py" in names
    assert "labconsole/screens/__init__.py" in names
    # The wheel goes first on sys.path, ahead of the dev venv's editable finder.
    where = _import_all(sys.executable, str(target), tmp_path)
    assert where.startswith(str(target))


def test_editable_install_imports_all_packages(tmp_path: Path) -> None:
    """The dev venv is an editable install (``pip install -e .``): import from outside the repo."""
    where = _import_all(sys.executable, None, tmp_path)
    assert Path(where).resolve() == (ROOT / "console" / "__init__.py").resolve()


def test_console_script_and_python_m_agree(tmp_path: Path) -> None:
    """``labconsole`` and ``python -m labconsole`` are the same entry point."""
    script = Path(sys.executable).with_name("labconsole")
    via_m = subprocess.run([sys.executable, "-m", "labconsole", "--version"], cwd=tmp_path,
                           capture_output=True, text=True, check=True)
    via_script = subprocess.run([str(script), "--version"], cwd=tmp_path, capture_output=True,
                                text=True, check=True)
    assert via_m.stdout == via_script.stdout
    assert via_m.stdout.startswith("labconsole ")


@pytest.mark.parametrize(("command", "absent"), [
    ("scan", ("textual", "asyncssh")),
    ("check", ("textual", "asyncssh")),
    ("--version", ("textual", "asyncssh", "labconsole.commands.run")),
])
def test_a_command_imports_only_what_it_needs(command: str, absent: tuple[str, ...]) -> None:
    """The CLI imports only the chosen command's module (startup time of every command)."""
    code = (
        "import sys\nfrom labconsole import cli\n"
        f"cli.build_parser({command!r})\n"
        f"print([m for m in {absent!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
