"""The commands a node must have: what the console runs on it, and what the runbooks run.

A missing command shows up only when it is needed (during an incident, half way through a
runbook); ``labconsole check --connect`` asks the node for all of them up front.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from labconsole.config import NodeConfig
from labconsole.runbook.model import Runbook
from labconsole.sources.remote_command import CommandError, split_configured

# A command name we are willing to put in a probe (the probe quotes it anyway).
_NAME = re.compile(r"^[A-Za-z0-9_./+][A-Za-z0-9_./+-]*$")

# What the console itself runs on every node (quorum poll, NIC poll) and the shell utilities
# the runbook's atomic edit and detached reload use.
CONSOLE_COMMANDS = ("corosync-quorumtool", "ethtool", "ip")
EDIT_COMMANDS = ("cat", "sha256sum", "cut", "cp", "mktemp", "chmod", "sync", "mv", "setsid",
                 "nohup")


@dataclass(frozen=True, slots=True)
class Need:
    """One thing to have: any one of ``alternatives`` (each a set of commands, all needed)."""

    why: str
    alternatives: tuple[tuple[str, ...], ...]

    def missing(self, present: Iterable[str]) -> tuple[str, ...]:
        """() when satisfied; else the commands of the first alternative that are missing."""
        have = set(present)
        for option in self.alternatives:
            if all(c in have for c in option):
                return ()
        return tuple(c for c in self.alternatives[0] if c not in have)


def needs(node: NodeConfig, books: Mapping[str, Runbook]) -> list[Need]:
    """Everything the console and ``books`` need on ``node``, in a stable order."""
    out = [Need("the console polls it", ((c,),)) for c in CONSOLE_COMMANDS]
    try:
        klog = posixpath.basename(split_configured(node.kernel_log_command)[0])
        out.append(Need("kernel_log_command", ((klog,),)))
    except CommandError:
        pass  # the offline check reports the command itself
    seen = {n.alternatives for n in out}
    for book in books.values():
        for need in _book_needs(book):
            if need.alternatives not in seen:
                seen.add(need.alternatives)
                out.append(need)
    return out


def _book_needs(book: Runbook) -> Iterable[Need]:
    why = f"runbook {book.id}"
    for step in book.steps:
        if step.op == "persist_post_up":
            yield from (Need(f"{why} (edit of /etc/network/interfaces)", ((c,),))
                        for c in EDIT_COMMANDS)
        if step.op == "reload_network":
            yield Need(f"{why} (network reload)", (("ifreload",), ("ifdown", "ifup")))
            yield from (Need(f"{why} (detached run)", ((c,),)) for c in ("setsid", "nohup"))
        if step.op == "votes":
            yield Need(why, (("corosync-quorumtool",),))
        if step.command and _NAME.fullmatch(step.command[0]):
            yield Need(why, ((step.command[0],),))


def probe_names(items: Iterable[Need]) -> list[str]:
    """Every command named by ``items``, once, safe to probe."""
    names: list[str] = []
    for need in items:
        for option in need.alternatives:
            names.extend(c for c in option if c not in names and _NAME.fullmatch(c))
    return names
