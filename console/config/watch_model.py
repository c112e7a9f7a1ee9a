"""The validated ``[watch]`` section: recording rotation, alert policy and the alert sinks."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from labconsole.config.model import SecretUnavailableError

SINK_TYPES = ("webhook", "ntfy", "gotify", "smtp", "command")


@dataclass(frozen=True, slots=True)
class SecretRef:
    """Where a sink's secret is read from when it is needed: a file only its owner can
    read, or an environment variable. Never the secret itself."""

    file: Path | None = None
    env: str | None = None

    def read(self, env: Mapping[str, str] | None = None) -> str:
        if self.file is not None:
            try:
                mode = self.file.stat().st_mode
                if mode & (stat.S_IRGRP | stat.S_IROTH):
                    raise SecretUnavailableError(
                        f"secret file {self.file} is readable by group or others "
                        f"(mode {stat.S_IMODE(mode):04o}): chmod 600 it")
                return self.file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise SecretUnavailableError(
                    f"cannot read secret file {self.file}: {exc.strerror}") from exc
        name = self.env or ""
        value = (os.environ if env is None else env).get(name, "")
        if not value:
            raise SecretUnavailableError(f"environment variable {name} is not set or empty")
        return value.strip()


@dataclass(frozen=True, slots=True)
class SinkConfig:
    """One alert sink; which fields matter depends on ``type`` (see sample_config.toml)."""

    name: str
    type: str  # one of SINK_TYPES
    timeout: float = 10.0
    url: str = ""  # webhook, ntfy, gotify
    token: SecretRef | None = None  # ntfy (optional), gotify
    host: str = ""  # smtp
    port: int = 25
    security: str = "starttls"  # "starttls" | "tls" | "none"
    sender: str = ""
    recipients: tuple[str, ...] = ()
    user: str | None = None
    password: SecretRef | None = None
    argv: tuple[str, ...] = ()  # command


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    """How alerts are sent (``[watch]`` keys of the same names; ``alert.dispatch`` applies it):
    duplicates dropped within ``dedup_window`` s, at most ``rate_limit`` per sink per
    ``rate_window`` s, ``retries`` more attempts with a backoff from ``retry_delay`` up to
    ``retry_max_delay`` s, ``queue_size`` alerts waiting per sink."""

    dedup_window: float = 600.0
    rate_limit: int = 10
    rate_window: float = 3600.0
    retries: int = 4
    retry_delay: float = 2.0
    retry_max_delay: float = 60.0
    queue_size: int = 100


@dataclass(frozen=True, slots=True)
class WatchConfig:
    """``labconsole watch``: where it records, how the recording rotates, the alert policy."""

    recording: Path | None = None  # None: RECORDING_DIR/watch.jsonl
    rotate_mb: float = 64.0
    rotate_hours: float = 24.0  # 0: by size only
    keep: int = 7  # rotated files kept
    hold: float = 5.0
    policy: AlertPolicy = AlertPolicy()
    sinks: tuple[SinkConfig, ...] = ()
