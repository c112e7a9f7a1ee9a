"""The context a runbook runs in, validated, and the placeholders that bring it into commands.

DESIGN.md safety rules: a command template is an argv list; a placeholder (``{iface}``) is
replaced by a value that was validated first (node and interface names against strict
patterns, the interface also against the node's real interface list, times as real datetimes)
and the argv is then quoted with :func:`shlex.join`. Nothing that came from a log line reaches
a shell unquoted, whatever it contains.

Placeholders: ``{node}``, ``{iface}``, ``{bridge}``, ``{since}``, ``{until}`` inside an argv
element, and ``{kernel_log}`` (the episode's window), ``{kernel_log_now}`` (from the window's
start up to now: what a settle check must see) and ``{quorum}``, which must be a whole element
and expand to the node's configured kernel log / quorum command (several argv elements).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from labconsole.sources.remote_command import CommandError, join, split_configured, validate_iface

NODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$")
SCALAR_NAMES = frozenset({"node", "iface", "bridge", "since", "until"})
SPLICE_NAMES = frozenset({"kernel_log", "kernel_log_now", "quorum"})
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
DEFAULT_QUORUM_COMMAND = ("corosync-quorumtool", "-s")
# Margin around a hang episode for the kernel log window: the lines that led up to it.
WINDOW_MARGIN = timedelta(minutes=2)
_FOLLOW_FLAGS = frozenset({"-f", "-F", "--follow", "--follow=name", "--follow=descriptor"})


class PlaceholderError(ValueError):
    """A context value or a template refused (names the value and the reason)."""


def validate_node(name: str) -> str:
    if not isinstance(name, str) or not NODE_RE.fullmatch(name):
        raise PlaceholderError(f"invalid node name {name!r}: must match {NODE_RE.pattern}")
    return name


def check_iface(name: str, known: Iterable[str] | None) -> str:
    """The interface name, if valid and present on the node (else PlaceholderError).
    ``known=None``: the node's list is not known yet (the engine checks it before use)."""
    try:
        return validate_iface(name, known)
    except CommandError as exc:
        raise PlaceholderError(str(exc)) from exc


def aware(when: datetime, what: str) -> datetime:
    if not isinstance(when, datetime):
        raise PlaceholderError(f"{what}: {when!r} is not a timestamp")
    if when.tzinfo is None:
        raise PlaceholderError(f"{what}: {when.isoformat()} has no time zone")
    return when.astimezone(timezone.utc)


def journal_time(when: datetime) -> str:
    """A time journalctl's --since/--until read unambiguously (UTC, explicit zone)."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True, slots=True)
class RunbookContext:
    """Who and what a runbook run is about. Build with :func:`make_context` (validates)."""

    node: str
    iface: str | None = None
    bridge: str | None = None
    peers: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    kernel_log: tuple[str, ...] = ()
    kernel_log_now: tuple[str, ...] = ()
    quorum: tuple[str, ...] = DEFAULT_QUORUM_COMMAND
    interfaces_path: str = "/etc/network/interfaces"
    episode: str | None = None
    known_ifaces: tuple[str, ...] = field(default=(), compare=False)

    @property
    def verified(self) -> bool:
        """True once the interface was checked against the node's real interface list."""
        return bool(self.known_ifaces)

    def values(self) -> dict[str, str | None]:
        return {
            "node": self.node, "iface": self.iface, "bridge": self.bridge,
            "since": journal_time(self.since) if self.since else None,
            "until": journal_time(self.until) if self.until else None,
        }


def make_context(node: str, *, iface: str | None = None,
                 known_ifaces: Iterable[str] | None = None,
                 bridge: str | None = None, peers: Iterable[str] = (),
                 since: datetime | None = None, until: datetime | None = None,
                 kernel_log_command: str | None = None,
                 quorum_command: str | None = None,
                 interfaces_path: str = "/etc/network/interfaces",
                 episode: str | None = None) -> RunbookContext:
    """Validate every value once, here; the engine and the templates trust the result."""
    known = tuple(known_ifaces) if known_ifaces is not None else None
    validate_node(node)
    peer_list = tuple(validate_node(p) for p in peers if p != node)
    if iface is not None:
        check_iface(iface, known)
    if bridge is not None:
        check_iface(bridge, known)
    start = aware(since, "since") if since is not None else None
    end = aware(until, "until") if until is not None else None
    if start and end and end < start:
        raise PlaceholderError(f"time window ends before it starts: {start} > {end}")
    if not posixpath.isabs(interfaces_path) or "\x00" in interfaces_path:
        raise PlaceholderError(f"interfaces path {interfaces_path!r} must be absolute")
    try:
        configured = kernel_log_command or "journalctl -k"
        klog = tuple(kernel_log_query(configured, start, end))
        klog_now = tuple(kernel_log_query(configured, start, None))
        quorum = tuple(split_configured(quorum_command)) if quorum_command else \
            DEFAULT_QUORUM_COMMAND
    except CommandError as exc:
        raise PlaceholderError(str(exc)) from exc
    return RunbookContext(node=node, iface=iface, bridge=bridge, peers=peer_list, since=start,
                          until=end, kernel_log=klog, kernel_log_now=klog_now, quorum=quorum,
                          interfaces_path=interfaces_path, episode=episode,
                          known_ifaces=known or ())


def episode_window(first: datetime | None, last: datetime | None, now: datetime
                   ) -> tuple[datetime | None, datetime]:
    """The kernel log window of an episode: a margin before its first report and after its
    last (or up to now when it is still open)."""
    since = first - WINDOW_MARGIN if first else None
    until = min(last + WINDOW_MARGIN, now) if last else now
    return since, max(until, since) if since else until


def kernel_log_query(configured: str, since: datetime | None, until: datetime | None
                     ) -> list[str]:
    """A one-shot (not following) read of the node's kernel log over the window.

    ``journalctl`` gets ``-k --since --until``; any other configured command (the lab's
    ``tail -F FILE``, a ``dmesg -w``) loses its follow flags and is read whole: files carry
    no filter we could trust, and the hang detector folds what it finds anyway. An operator
    with another log source overrides the step's command in their own runbook directory.
    """
    argv = split_configured(configured)
    if posixpath.basename(argv[0]) == "journalctl":
        out = ["journalctl", "-k", "--no-pager", "-o", "short-iso"]
        if since is not None:
            out += ["--since", journal_time(since)]
        if until is not None:
            out += ["--until", journal_time(until)]
        return out
    if posixpath.basename(argv[0]) == "dmesg":
        return [a for a in argv if a not in ("-w", "--follow", "-W", "--follow-new")]
    return [a for a in argv if a not in _FOLLOW_FLAGS]


def template_names(template: Sequence[str]) -> set[str]:
    """Placeholder names used by an argv template (for validation at load time)."""
    return {m.group(1) for arg in template for m in _PLACEHOLDER.finditer(arg)}


def check_template(template: Sequence[str]) -> None:
    """Refuse unknown placeholders, splices that are not a whole element, stray braces."""
    for arg in template:
        names = _PLACEHOLDER.findall(arg)
        rest = _PLACEHOLDER.sub("", arg)
        if "{" in rest or "}" in rest:
            raise PlaceholderError(f"{arg!r}: a brace that is not a {{placeholder}}")
        for name in names:
            if name in SPLICE_NAMES and arg != "{" + name + "}":
                raise PlaceholderError(f"{arg!r}: {{{name}}} must be a whole argument")
            if name not in SCALAR_NAMES | SPLICE_NAMES:
                raise PlaceholderError(
                    f"{arg!r}: unknown placeholder {{{name}}} (known: "
                    f"{', '.join(sorted(SCALAR_NAMES | SPLICE_NAMES))})")


def render_argv(template: Sequence[str], ctx: RunbookContext) -> list[str]:
    """Fill a template with validated context values (PlaceholderError when one is unset)."""
    check_template(template)
    values = ctx.values()
    out: list[str] = []
    for arg in template:
        if arg[1:-1] in SPLICE_NAMES and arg == "{" + arg[1:-1] + "}":
            splice = {"{kernel_log}": ctx.kernel_log, "{kernel_log_now}": ctx.kernel_log_now,
                      "{quorum}": ctx.quorum}[arg]
            if not splice:
                raise PlaceholderError(f"{arg} is not configured for node {ctx.node}")
            out.extend(splice)
            continue

        def fill(m: re.Match[str]) -> str:
            value = values.get(m.group(1))
            if value is None:
                raise PlaceholderError(f"{{{m.group(1)}}} has no value for this run "
                                       f"(node {ctx.node})")
            return value

        out.append(_PLACEHOLDER.sub(fill, arg))
    return out


def render_command(template: Sequence[str], ctx: RunbookContext) -> str:
    """The exact command line sent to the node: the filled argv, quoted."""
    try:
        return join(render_argv(template, ctx))
    except CommandError as exc:
        raise PlaceholderError(str(exc)) from exc


def parse_link_names(text: str) -> list[str]:
    """Interface names from ``ip -o link show`` (``2: eno1@if5: <...>`` -> ``eno1``)."""
    names = []
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) < 3 or not parts[0].strip().isdigit():
            continue
        name = parts[1].strip().split("@", 1)[0]
        if name:
            names.append(name)
    return names
