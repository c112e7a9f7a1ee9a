"""Where the configuration file is: ``--config``, then ``$LABCONSOLE_CONFIG``, then XDG."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from platformdirs import user_config_dir

ENV_VAR = "LABCONSOLE_CONFIG"
APP_NAME = "labconsole"


def default_config_path() -> Path:
    """``config.toml`` in the user's config dir (``$XDG_CONFIG_HOME/labconsole`` on Linux)."""
    return Path(user_config_dir(APP_NAME)) / "config.toml"


def find_config_path(explicit: str | None, env: Mapping[str, str]) -> Path | None:
    """The config file to use, or None for demo mode (nothing given and no default file).

    An explicit ``--config`` or ``$LABCONSOLE_CONFIG`` is returned even when the file does not
    exist, so that loading it reports the missing file instead of silently playing the demo.
    """
    if explicit:
        return Path(explicit).expanduser()
    from_env = env.get(ENV_VAR, "")
    if from_env:
        return Path(from_env).expanduser()
    default = default_config_path()
    return default if default.is_file() else None


def describe_search(explicit: str | None, env: Mapping[str, str]) -> list[str]:
    """One line per place looked at, in order, for 'no configuration found' messages."""
    return [
        f"--config: {explicit}" if explicit else "--config: not given",
        f"${ENV_VAR}: {env[ENV_VAR]}" if env.get(ENV_VAR) else f"${ENV_VAR}: not set",
        f"{default_config_path()}: "
        + ("found" if default_config_path().is_file() else "no such file"),
    ]
