"""Shared fixtures: where the real published samples live, and the project's own fixtures."""

from __future__ import annotations

import os
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


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The folder of real third-party samples (``../shared/realdata``); skip where absent."""
    if not REALDATA.is_dir():
        pytest.skip(f"real samples folder {REALDATA.name!r} not present next to the project")
    return REALDATA


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES
