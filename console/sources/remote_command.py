"""Safe remote command building (DESIGN.md "Safety rules for remediation").

Everything sent to a node is an argv list joined with :func:`shlex.join`, so no value can
become shell syntax; interface and node names are checked against strict patterns first, and
nothing that came from a log line or a CEF field is accepted without that check.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence

IFACE_RE = re.compile(r"^[A-Za-z0-9_.:@-]{1,15}$")
# Interface names must also not look like an option to the command they are passed to.
_OPTION_LIKE = re.compile(r"^-")


class CommandError(ValueError):
    """A value refused for a remote command (says which value and why)."""


def validate_iface(name: str, known: Iterable[str] | None = None) -> str:
    """Return ``name`` if it is a valid interface name (and one of ``known`` when given)."""
    if not isinstance(name, str) or not IFACE_RE.fullmatch(name) or _OPTION_LIKE.match(name):
        raise CommandError(f"invalid interface name {name!r}: must match {IFACE_RE.pattern}"
                           " and not start with '-'")
    if known is not None:
        names = sorted(set(known))
        if name not in names:
            raise CommandError(f"interface {name!r} not on the node (has: {', '.join(names)})")
    return name


def join(argv: Sequence[str]) -> str:
    """Quote an argv list into one command line for the remote shell."""
    if not argv:
        raise CommandError("empty command")
    for arg in argv:
        if not isinstance(arg, str):
            raise CommandError(f"command argument {arg!r} is not a string")
        if "\x00" in arg:
            raise CommandError(f"command argument {arg!r} contains a NUL byte")
    return shlex.join(argv)


def split_configured(command: str) -> list[str]:
    """Split an operator-configured command (from the config file, trusted) into argv."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise CommandError(f"cannot parse configured command {command!r}: {exc}") from exc
    if not argv:
        raise CommandError("configured command is empty")
    return argv


def ethtool_features(iface: str) -> str:
    return join(["ethtool", "-k", validate_iface(iface)])


def ethtool_driver(iface: str) -> str:
    return join(["ethtool", "-i", validate_iface(iface)])


def link_show(iface: str) -> str:
    return join(["ip", "-j", "link", "show", "dev", validate_iface(iface)])


def nic_snapshot(iface: str) -> str:
    """One round trip for the NIC source: features, driver, link, separated by markers."""
    return "; ".join([
        "echo '@@features'", ethtool_features(iface) + " 2>&1",
        "echo '@@driver'", ethtool_driver(iface) + " 2>&1",
        "echo '@@link'", link_show(iface) + " 2>&1",
    ])


def split_snapshot(text: str) -> dict[str, str]:
    """Split :func:`nic_snapshot` output back into its parts (missing parts are empty)."""
    parts: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines(keepends=True):
        marker = line.strip()
        if marker.startswith("@@") and marker[2:] in ("features", "driver", "link"):
            current = parts.setdefault(marker[2:], [])
            continue
        if current is not None:
            current.append(line)
    return {k: "".join(parts.get(k, [])) for k in ("features", "driver", "link")}
