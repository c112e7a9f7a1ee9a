"""``labconsole runbook show``: the plan in full, as the operator will meet it.

Every step with its exact command; a command that needs a value nobody gave (the interface)
shows the template with ``<iface>`` and one line at the top says which option to pass; every
note's text; and for the persist step the exact change to ``/etc/network/interfaces``: a
unified diff against the node's own file when it can be read (read-only, over the same
verified SSH as the console), else the stanza line it would add.
"""

from __future__ import annotations

import asyncio
import difflib
import re
import shlex
import textwrap

from labconsole.config import NodeConfig
from labconsole.runbook.engine import preview_command
from labconsole.runbook.interfaces_edit import EditRefused, RemoteFile, plan_post_up
from labconsole.runbook.model import Runbook, Step
from labconsole.runbook.placeholders import PlaceholderError, RunbookContext, render_command
from labconsole.sanitize import visible

INDENT = "      "
READ_TIMEOUT = 8.0
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def print_plan(book: Runbook, ctx: RunbookContext, node: NodeConfig | None, *,
               offline: bool, iface_given: bool) -> None:
    where = f"node {ctx.node}"
    if ctx.iface:
        where += f", iface {ctx.iface}" + ("" if iface_given else " (from the config)")
    print(f"{book.title}\n{where}")
    if ctx.iface is None and _needs_iface(book):
        print("no interface known for this node: pass --iface NAME (commands below show "
              "<iface>)")
    for i, step in enumerate(book.steps, start=1):
        print(f"{i:>2}. [{step.kind}] {step.title}")
        if step.kind == "note":
            for line in textwrap.wrap(step.why, 88 - len(INDENT)):
                print(f"{INDENT}{line}")
            continue
        print(f"{INDENT}on {step.on}: {_command(step, ctx)}")
        if step.op == "persist_post_up":
            for line in persist_change(step, ctx, node, offline=offline):
                print(f"{INDENT}{visible(line)}")  # the node's own file: untrusted text


def _needs_iface(book: Runbook) -> bool:
    return any("{iface}" in arg for step in book.steps for arg in step.command)


def _command(step: Step, ctx: RunbookContext) -> str:
    shown = preview_command(step, ctx)
    if not shown.startswith("(cannot build"):
        return shown
    # the template, with what is missing in angle brackets: still the exact command's shape
    return " ".join(_PLACEHOLDER.sub(r"<\1>", arg) for arg in step.command)


def persist_change(step: Step, ctx: RunbookContext, node: NodeConfig | None, *,
                   offline: bool) -> list[str]:
    """The change as lines: a diff when the node's file was read, else the line to add."""
    try:
        hook = render_command(step.command, ctx)
    except PlaceholderError:
        return ["change: (pass --iface to see the line it adds)"]
    stanza = ctx.bridge or "bridge"
    would_add = [f"change: in the {stanza} stanza of {ctx.interfaces_path} (the one that "
                 f"carries {ctx.iface}), add one line:", f"    post-up {hook}"]
    if offline or node is None:
        why = "--offline" if offline else f"{ctx.node} is not in the config"
        return [*would_add, f"(not read from the node: {why})"]
    text, problem = asyncio.run(read_interfaces(node, ctx.interfaces_path))
    if text is None:
        return [*would_add, f"(cannot read it from {ctx.node}: {problem})"]
    assert ctx.iface is not None
    try:
        plan = plan_post_up(RemoteFile(ctx.node, ctx.interfaces_path, text), ctx.iface,
                            shlex.split(hook), ctx.bridge)
    except EditRefused as exc:
        return [f"change: refused: {exc}"]
    if not plan.changed:
        return [f"change: none: {plan.reason}"]
    diff = difflib.unified_diff(text.splitlines(keepends=True),
                                plan.new_text.splitlines(keepends=True),
                                ctx.interfaces_path, f"{ctx.interfaces_path} (new)")
    return [f"change (read from {ctx.node} now):", *(line.rstrip("\n") for line in diff)]


async def read_interfaces(node: NodeConfig, path: str) -> tuple[str | None, str]:
    """The node's file, or (None, why not); host key verified as by the console."""
    from dataclasses import replace

    from labconsole.sources.live import ssh_target
    from labconsole.sources.ssh import TRANSIENT_ERRORS, connect, describe_error

    target = replace(ssh_target(node), connect_timeout=READ_TIMEOUT, trust_on_first_use=False)
    try:
        conn = await asyncio.wait_for(connect(target), READ_TIMEOUT + 2)
        try:
            res = await asyncio.wait_for(conn.run(shlex.join(["cat", "--", path]), check=False,
                                                  encoding="utf-8", errors="replace"),
                                         READ_TIMEOUT)
        finally:
            conn.close()
    except TRANSIENT_ERRORS as exc:
        return None, describe_error(exc)
    if res.exit_status != 0:
        return None, str(res.stderr or "").strip() or f"cat exited {res.exit_status}"
    return str(res.stdout or ""), ""
