"""Sinks and the alert policy from the validated ``[watch]`` config."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from labconsole.alert.command import CommandSink
from labconsole.alert.dispatch import AlertPolicy
from labconsole.alert.http import GotifySink, NtfySink, WebhookSink
from labconsole.alert.mail import MailSink
from labconsole.alert.sink import Sink
from labconsole.config.watch_model import SinkConfig, WatchConfig


def build_sink(cfg: SinkConfig, env: Mapping[str, str] | None = None) -> Sink:
    token = partial(cfg.token.read, env) if cfg.token is not None else None
    if cfg.type == "webhook":
        return WebhookSink(cfg.name, cfg.url, timeout=cfg.timeout)
    if cfg.type == "ntfy":
        return NtfySink(cfg.name, cfg.url, token=token, timeout=cfg.timeout)
    if cfg.type == "gotify":
        assert token is not None  # the config requires it
        return GotifySink(cfg.name, cfg.url, token=token, timeout=cfg.timeout)
    if cfg.type == "smtp":
        password = partial(cfg.password.read, env) if cfg.password is not None else None
        return MailSink(cfg.name, cfg.host, cfg.sender, cfg.recipients, port=cfg.port,
                        security=cfg.security, user=cfg.user, password=password,
                        timeout=cfg.timeout)
    if cfg.type == "command":
        return CommandSink(cfg.name, cfg.argv, timeout=cfg.timeout)
    raise ValueError(f"unknown sink type {cfg.type!r}")  # the config refuses it first


def build_sinks(watch: WatchConfig, env: Mapping[str, str] | None = None) -> list[Sink]:
    return [build_sink(s, env) for s in watch.sinks]


def policy(watch: WatchConfig) -> AlertPolicy:
    return watch.policy
