"""Shared fixtures: where the real published samples live, and the project's own fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

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
