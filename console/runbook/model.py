"""Runbooks as data: a runbook is a title, when it applies, and ordered steps.

Built only by :mod:`labconsole.runbook.load` (which validates the TOML); the engine reads them.
A step is a *check* (read-only, runs by itself, passes when its expectation holds), an *action*
(changes something, runs only after the operator confirms) or a *note* (text to read).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

StepKind = Literal["check", "action", "note"]
# What a step does beyond "run this argv": the operations that need more than one command.
StepOp = Literal["command", "votes", "kernel_log", "settle", "persist_post_up",
                 "reload_network"]
Target = Literal["node", "peer"]
VotesExpect = Literal["node_missing", "full"]
HangsExpect = Literal["present", "absent"]

STEP_KINDS: tuple[str, ...] = ("check", "action", "note")
STEP_OPS: tuple[str, ...] = ("command", "votes", "kernel_log", "settle", "persist_post_up",
                             "reload_network")
TARGETS: tuple[str, ...] = ("node", "peer")


@dataclass(frozen=True, slots=True)
class Expect:
    """What makes a check pass. Every field that is set must hold (an empty Expect: exit 0)."""

    exit_status: int | None = 0  # None: any exit status
    contains: tuple[str, ...] = ()
    not_contains: tuple[str, ...] = ()
    offloads_off: tuple[str, ...] = ()  # ethtool -k output: these features are off
    offloads_on: tuple[str, ...] = ()
    driver: tuple[str, ...] = ()  # ethtool -i output: the driver is one of these
    votes: VotesExpect | None = None  # quorum output: context node missing / all N of N
    hangs: HangsExpect | None = None  # kernel log output: hang reports of the iface


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    title: str
    kind: StepKind
    op: StepOp = "command"
    command: tuple[str, ...] = ()  # argv template with {placeholders}; see placeholders.py
    on: Target = "node"
    why: str = ""
    expect: Expect = field(default_factory=Expect)
    settle_seconds: float = 0.0  # op "settle": how long no new hang report may arrive
    timeout: float = 30.0
    rollback: bool = False  # op "persist_post_up": the console offers to restore the backup


@dataclass(frozen=True, slots=True)
class Applies:
    """When the runbook is offered: a hang episode of one of ``drivers``, or a node that
    left the votes without one (``node_missing``)."""

    drivers: tuple[str, ...] = ()
    hang: bool = False
    node_missing: bool = False

    def matches(self, *, driver: str | None, hang: bool, node_missing: bool) -> bool:
        if hang and self.hang:
            return not self.drivers or (driver or "") in self.drivers
        return node_missing and self.node_missing and not hang


@dataclass(frozen=True, slots=True)
class Runbook:
    id: str
    title: str
    steps: tuple[Step, ...]
    applies: Applies = field(default_factory=Applies)
    description: str = ""
    source: str = ""  # file it came from (for messages)

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(f"runbook {self.id!r} has no step {step_id!r}")
