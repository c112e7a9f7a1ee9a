"""``labconsole.model`` names its records without importing them all (issue 13 item 5)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import labconsole.model as model


def test_every_name_is_its_modules_own() -> None:
    assert sorted(model.__all__) == sorted(model._MODULE_OF)
    for name in model.__all__:
        home = importlib.import_module(f"labconsole.model.{model._MODULE_OF[name]}")
        assert getattr(model, name) is getattr(home, name), name


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = model.Nope
    with pytest.raises(ImportError, match="Nope"):
        exec("from labconsole.model import Nope", {})


def test_one_record_module_does_not_import_the_others() -> None:
    """A fresh interpreter: ``labconsole.model.timefmt`` loads no record module, and a name
    asked of the package loads its own module only."""
    code = ("import sys; import labconsole.model.timefmt; "
            "a = sorted(m for m in sys.modules if m.startswith('labconsole.model.')); "
            "from labconsole.model import CefEvent; "
            "b = sorted(m for m in sys.modules if m.startswith('labconsole.model.')); "
            "print(a, b)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout.strip()
    assert out == ("['labconsole.model.timefmt'] "
                   "['labconsole.model.cef', 'labconsole.model.timefmt']"), out
