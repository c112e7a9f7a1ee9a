"""The checks ``labconsole check`` makes without contacting anything.

A config can be valid TOML with every key right and still not work: the key file it names
is missing or readable by others (OpenSSH refuses such a key), the token variable is unset,
a node is not in known_hosts (the console refuses unknown host keys). Each of those is found
here, before the console starts and retries forever against a problem only the operator can
fix.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path

import asyncssh

from labconsole.config import Config, NodeConfig, SecretUnavailableError
from labconsole.preflight.finding import Finding
from labconsole.runbook.load import load_all
from labconsole.sources.remote_command import CommandError, split_configured
from labconsole.sources.ssh import DEFAULT_KNOWN_HOSTS, known_hosts_pattern

# What asyncssh (like OpenSSH) tries when no key file is configured and no agent runs.
DEFAULT_KEYS = ("id_ed25519", "id_ecdsa", "id_rsa", "id_ed448", "id_dsa")


def check_offline(config: Config, env: Mapping[str, str] | None = None) -> list[Finding]:
    """Every problem found on this machine alone, in config order."""
    environ = os.environ if env is None else env
    found: list[Finding] = []
    found += _directories(config)
    found += _runbooks(config)
    for cluster in config.clusters:
        for node in cluster.nodes:
            found += _node(node, environ)
        if cluster.proxmox is not None:
            try:
                cluster.proxmox.token_secret(environ)
            except SecretUnavailableError as exc:
                found.append(Finding(f"cluster {cluster.name}", "proxmox token", str(exc),
                                     _secret_fix(cluster.proxmox.token_secret_env)))
    return found


def _secret_fix(variable: str | None) -> str:
    if variable:
        return f"export {variable}=<the token secret> before starting labconsole"
    return "write the secret into the file, owned by you, chmod 600"


def _directories(config: Config) -> Iterator[Finding]:
    for what, path in (("recording_dir", config.recording_dir),
                       ("audit_log", config.audit_log.parent)):
        problem = writable_dir_problem(path)
        if problem:
            yield Finding("console", what, problem,
                          f"create it or set console.{what} to a writable place")


def writable_dir_problem(path: Path) -> str:
    """Why files cannot be created in ``path`` (created when missing), or ''."""
    if path.exists():
        if not path.is_dir():
            return f"{path} is not a directory"
        return "" if os.access(path, os.W_OK | os.X_OK) else f"{path} is not writable"
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"{path} cannot be created: {parent} is not a directory"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"{path} does not exist and {parent} is not writable"
    return ""


def _runbooks(config: Config) -> Iterator[Finding]:
    _books, problems = load_all(config.runbook_dir)
    for problem in problems:
        yield Finding("console", "runbook_dir", problem,
                      "fix the file (labconsole runbook validate FILE) or remove it")


def _node(node: NodeConfig, env: Mapping[str, str]) -> Iterator[Finding]:
    yield from _key(node, env)
    yield from _known_hosts(node)
    try:
        split_configured(node.kernel_log_command)
    except CommandError as exc:
        yield Finding(node.name, "kernel_log_command", str(exc),
                      "write it as a shell would split it, e.g. journalctl -k -f -o json")


def _key(node: NodeConfig, env: Mapping[str, str]) -> Iterator[Finding]:
    key = node.ssh.key_file
    if key is None:
        home = Path(os.path.expanduser("~/.ssh"))
        # ~/.ssh/config may name an IdentityFile for the host: asyncssh reads it, so do we not
        if not env.get("SSH_AUTH_SOCK") and not (home / "config").is_file() and \
                not any((home / k).is_file() for k in DEFAULT_KEYS):
            yield Finding(node.name, "ssh key", f"no key_file set, no SSH agent running "
                          f"($SSH_AUTH_SOCK unset) and no default key in {home}",
                          "set ssh.key_file to the private key the node accepts")
        return
    problem = private_file_problem(key)
    if problem:
        fix = f"chmod 600 {key}" if "readable by" in problem else \
            f"ssh-keygen -t ed25519 -f {key}, then add {key}.pub to the node's " \
            "authorized_keys (or set ssh.key_file to the right key)"
        yield Finding(node.name, "ssh key", problem, fix)


def private_file_problem(path: Path) -> str:
    """Why a private key cannot be used ('' when it can): missing, not a file, unreadable,
    or readable by group or others (OpenSSH refuses those keys)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return f"{path} does not exist"
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror}"
    if not stat.S_ISREG(info.st_mode):
        return f"{path} is not a regular file"
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        return f"{path} is readable by group or others (mode {stat.S_IMODE(info.st_mode):04o})"
    if not os.access(path, os.R_OK):
        return f"{path} is not readable by this user"
    return ""


def _known_hosts(node: NodeConfig) -> Iterator[Finding]:
    path = Path(os.path.expanduser(str(node.ssh.known_hosts or DEFAULT_KNOWN_HOSTS)))
    entry = known_hosts_pattern(node.address, node.ssh.port)
    scan = f"ssh-keyscan -p {node.ssh.port} {node.address}"
    add = (f"compare `{scan} | ssh-keygen -lf -` with the fingerprint shown on the node, "
           f"then append the key to {path}")
    if not path.exists():
        if not node.trust_on_first_use:
            yield Finding(node.name, "known_hosts", f"{path} does not exist", add)
        return
    try:
        info = path.stat()
        known = asyncssh.read_known_hosts(str(path))
    except (OSError, ValueError, asyncssh.KeyImportError) as exc:
        yield Finding(node.name, "known_hosts", f"cannot read {path}: {exc}",
                      "fix or recreate the file")
        return
    if info.st_mode & stat.S_IWOTH or info.st_mode & stat.S_IWGRP:
        yield Finding(node.name, "known_hosts", f"{path} is writable by group or others "
                      f"(mode {stat.S_IMODE(info.st_mode):04o}): anyone could add a host key",
                      f"chmod 644 {path}")
    keys = known.match(node.address, node.address, node.ssh.port)[0]
    if not keys and not node.trust_on_first_use:
        yield Finding(node.name, "known_hosts", f"no host key for {entry} in {path}", add)
