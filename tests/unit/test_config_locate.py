"""Where the config comes from: --config, then $LABCONSOLE_CONFIG, then the XDG config dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from labconsole.config import (
    default_config_path,
    describe_search,
    find_config_path,
    load_config,
    resolve_config,
)


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private XDG config home; returns where labconsole's default file would be."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "labconsole" / "config.toml"


def test_default_path_is_in_the_xdg_config_dir(xdg: Path) -> None:
    assert default_config_path() == xdg


def test_explicit_wins_over_env_and_xdg(xdg: Path) -> None:
    xdg.parent.mkdir(parents=True)
    xdg.write_text("")
    env = {"LABCONSOLE_CONFIG": "/etc/labconsole/from-env.toml"}
    assert find_config_path("given.toml", env) == Path("given.toml")


def test_env_wins_over_xdg(xdg: Path) -> None:
    xdg.parent.mkdir(parents=True)
    xdg.write_text("")
    env = {"LABCONSOLE_CONFIG": "/etc/labconsole/from-env.toml"}
    assert find_config_path(None, env) == Path("/etc/labconsole/from-env.toml")


def test_xdg_file_is_used_when_present(xdg: Path) -> None:
    assert find_config_path(None, {}) is None
    xdg.parent.mkdir(parents=True)
    xdg.write_text("")
    assert find_config_path(None, {"LABCONSOLE_CONFIG": ""}) == xdg


def test_missing_explicit_file_is_not_demo_mode(xdg: Path, tmp_path: Path) -> None:
    path = find_config_path(str(tmp_path / "typo.toml"), {})
    assert path == tmp_path / "typo.toml"


def test_tilde_is_expanded(xdg: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert find_config_path("~/c.toml", {}) == tmp_path / "c.toml"
    assert find_config_path(None, {"LABCONSOLE_CONFIG": "~/e.toml"}) == tmp_path / "e.toml"


def test_resolve_config_is_none_in_demo_mode_and_loads_otherwise(xdg: Path) -> None:
    assert resolve_config(None, {}) is None
    sample = Path(__file__).resolve().parents[2] / "sample_config.toml"
    config = resolve_config(str(sample), {})
    assert config == load_config(sample)


def test_describe_search_lists_each_place(xdg: Path) -> None:
    assert describe_search(None, {}) == [
        "--config: not given", "$LABCONSOLE_CONFIG: not set", f"{xdg}: no such file"]
    xdg.parent.mkdir(parents=True)
    xdg.write_text("")
    assert describe_search("a.toml", {"LABCONSOLE_CONFIG": "b.toml"}) == [
        "--config: a.toml", "$LABCONSOLE_CONFIG: b.toml", f"{xdg}: found"]
