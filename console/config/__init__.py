"""The configuration: clusters and nodes, SSH, the syslog listener, the Proxmox API, folders.

``find_config_path`` decides which file (``--config``, ``$LABCONSOLE_CONFIG``, XDG config dir),
``load_config`` validates it (``ConfigError`` lists every problem), and no file at all means
demo mode (``resolve_config`` returns ``None``).

The names below are imported from their modules on first use (PEP 562), so that finding out
that there is no config (``labconsole`` playing the demo) does not load the TOML reader, the
validation and the config model before the console's first frame (issue 13 item 5).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labconsole.config.errors import ConfigError, ConfigProblem
    from labconsole.config.load import load_config
    from labconsole.config.locate import default_config_path, describe_search, find_config_path
    from labconsole.config.model import (
        ClusterConfig,
        Config,
        NodeConfig,
        ProxmoxConfig,
        SecretUnavailableError,
        SshSettings,
        SyslogConfig,
    )

# Public name -> the module of this package that defines it.
_HOME = {
    "ConfigError": "errors", "ConfigProblem": "errors",
    "load_config": "load",
    "default_config_path": "locate", "describe_search": "locate", "find_config_path": "locate",
    "ClusterConfig": "model", "Config": "model", "NodeConfig": "model",
    "ProxmoxConfig": "model", "SecretUnavailableError": "model", "SshSettings": "model",
    "SyslogConfig": "model",
}


def __getattr__(name: str) -> object:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # once: later lookups do not come here
    return value


def resolve_config(explicit: str | None, env: Mapping[str, str]) -> Config | None:
    """The loaded config, or None (demo mode) when none is given and no default file exists."""
    from labconsole.config.load import load_config
    from labconsole.config.locate import find_config_path

    path = find_config_path(explicit, env)
    return None if path is None else load_config(path)


__all__ = [
    "ClusterConfig",
    "Config",
    "ConfigError",
    "ConfigProblem",
    "NodeConfig",
    "ProxmoxConfig",
    "SecretUnavailableError",
    "SshSettings",
    "SyslogConfig",
    "default_config_path",
    "describe_search",
    "find_config_path",
    "load_config",
    "resolve_config",
]
