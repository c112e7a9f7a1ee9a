"""The [watch] section and its sinks: defaults, every setting, and bad keys named with the
file and the key path, as for the rest of the config."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from labconsole.alert.build import build_sinks, policy
from labconsole.alert.command import CommandSink
from labconsole.alert.http import GotifySink, NtfySink, WebhookSink
from labconsole.alert.mail import MailSink
from labconsole.config import ConfigError, load_config
from labconsole.config.watch_model import SecretRef

NODE = '[[clusters]]\nname = "lab"\n[[clusters.nodes]]\nname = "pve01"\naddress = "10.0.0.11"\n'


def write(tmp_path: Path, text: str) -> Path:
    file = tmp_path / "c.toml"
    file.write_text(NODE + text, encoding="utf-8")
    return file


def problems(tmp_path: Path, text: str) -> list[str]:
    file = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(file)
    return [str(p).replace(str(file), "c.toml") for p in caught.value.problems]


def test_defaults_without_a_watch_section(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""))
    assert config.bell and config.desktop_notification
    assert config.watch.sinks == () and config.watch.rotate_mb == 64
    assert config.watch.rotate_hours == 24 and config.watch.recording is None


def test_every_sink_type_is_read_and_built(tmp_path: Path) -> None:
    secret = tmp_path / "gotify.token"
    secret.write_text("AppTok\n")
    os.chmod(secret, 0o600)
    config = load_config(write(tmp_path, f"""
[console]
bell = false
desktop_notification = false
[watch]
recording = "rec/watch.jsonl"
rotate_mb = 8
rotate_hours = 1
keep = 3
rate_limit = 5
retries = 2
[[watch.sinks]]
name = "ops"
type = "webhook"
url = "http://127.0.0.1:9000/hook"
[[watch.sinks]]
type = "ntfy"
url = "https://push.lab.example/labconsole"
token_env = "NTFY_TOKEN"
[[watch.sinks]]
type = "gotify"
url = "https://gotify.lab.example"
token_file = "{secret}"
[[watch.sinks]]
type = "smtp"
host = "mail.lab.example"
from = "labconsole@lab.example"
to = ["ops@lab.example"]
user = "labconsole"
password_env = "SMTP_PASSWORD"
[[watch.sinks]]
name = "pager"
type = "command"
argv = ["/usr/local/bin/page", "--team", "ops"]
timeout = 5
"""))
    assert not config.bell and not config.desktop_notification
    w = config.watch
    assert w.recording == tmp_path / "rec" / "watch.jsonl"
    assert (w.rotate_mb, w.rotate_hours, w.keep, w.policy.rate_limit,
            w.policy.retries) == (8, 1, 3, 5, 2)
    assert [s.name for s in w.sinks] == ["ops", "ntfy", "gotify", "smtp", "pager"]
    smtp = w.sinks[3]
    assert (smtp.port, smtp.security, smtp.recipients) == (587, "starttls", ("ops@lab.example",))
    assert smtp.password == SecretRef(env="SMTP_PASSWORD")
    sinks = build_sinks(w, env={"NTFY_TOKEN": "tk", "SMTP_PASSWORD": "pw"})
    assert [type(s) for s in sinks] == [WebhookSink, NtfySink, GotifySink, MailSink,
                                        CommandSink]
    assert isinstance(sinks[2], GotifySink) and sinks[2].token() == "AppTok"
    assert isinstance(sinks[1], NtfySink) and sinks[1].token is not None
    assert sinks[1].token() == "tk"
    assert isinstance(sinks[4], CommandSink)
    assert sinks[4].argv == ("/usr/local/bin/page", "--team", "ops")
    assert policy(w).retries == 2


def test_bad_sinks_are_named_with_file_and_key(tmp_path: Path) -> None:
    got = problems(tmp_path, """
[console]
bell = "yes"
[watch]
rotate_mb = 0
retires = 3
[[watch.sinks]]
type = "webhok"
url = "http://127.0.0.1/"
[[watch.sinks]]
type = "webhook"
url = "ftp://files.example/x"
token_file = "x"
[[watch.sinks]]
type = "ntfy"
url = "https://push.example/t"
token = "inline"
[[watch.sinks]]
type = "gotify"
url = "https://gotify.example"
[[watch.sinks]]
type = "smtp"
host = "mail.example"
from = "not an address"
to = []
security = "none"
user = "me"
password_env = "P"
[[watch.sinks]]
type = "command"
argv = "page-me --now"
[[watch.sinks]]
type = "command"
name = "ops"
argv = []
[[watch.sinks]]
type = "webhook"
name = "ops"
url = "http://user:pw@hook.example/"
""")
    assert got == [
        "c.toml: console.bell: expected a boolean (true or false), got a string",
        "c.toml: watch.retires: unknown key (did you mean 'retries'?)",
        "c.toml: watch.rotate_mb: 0 is out of range 0.01-1e+06",
        "c.toml: watch.sinks[0].type: 'webhok' is not one of webhook, ntfy, gotify, smtp, "
        "command",
        "c.toml: watch.sinks[1].token_file: not a key of a webhook sink",
        "c.toml: watch.sinks[1].url: 'ftp://files.example/x' is not an http:// or https:// URL",
        "c.toml: watch.sinks[2].token: inline secrets are refused: use token_file (a file "
        "only you can read) or token_env (a variable name)",
        "c.toml: watch.sinks[3].token_file: missing required key (or token_env)",
        "c.toml: watch.sinks[4].from: 'not an address' is not an e-mail address",
        "c.toml: watch.sinks[4].to: must list at least one address",
        "c.toml: watch.sinks[4].security: refusing to send a password unencrypted to "
        "mail.example: use starttls or tls",
        "c.toml: watch.sinks[5].argv: expected an array, got a string",
        "c.toml: watch.sinks[6].argv: must name the program to run",
        "c.toml: watch.sinks[7].url: no password in the URL: use token_file or token_env",
        "c.toml: watch.sinks[7].name: duplicate sink name 'ops' (first at "
        "watch.sinks[6].name): give each sink a name",
    ]
