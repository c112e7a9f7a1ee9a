"""The configuration: clusters and nodes, SSH, the syslog listener, the Proxmox API, folders.

``find_config_path`` decides which file (``--config``, ``$LABCONSOLE_CONFIG``, XDG config dir),
``load_config`` validates it (``ConfigError`` lists every problem), and no file at all means
demo mode (``resolve_config`` returns ``None``).
"""

from __future__ import annotations

from collections.abc import Mapping

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


def resolve_config(explicit: str | None, env: Mapping[str, str]) -> Config | None:
    """The loaded config, or None (demo mode) when none is given and no default file exists."""
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
