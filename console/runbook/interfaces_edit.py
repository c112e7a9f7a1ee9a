"""Persisting the offload fix in the node's /etc/network/interfaces, safely (DESIGN.md rules).

Read the file over the executor, edit it with :class:`InterfacesFile` (every other byte kept),
and write it back *on the node* with one shell script that:

1. refuses (exit 3) when the file's SHA-256 is no longer the one we read: someone changed it
   since, and our edit was made against the old text;
2. copies the current file to a timestamped backup (``PATH.labconsole-STAMP.bak``), fsynced;
3. writes the new text to a temp file in the same directory, fsyncs it, checks its hash,
   renames it over the file (atomic on POSIX) and fsyncs the directory.

A crash before the rename leaves the old file (and a stray ``.interfaces.labconsole.*`` temp
file, which ifupdown never reads); after it, the new one. Never a partial file.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from labconsole.parse.interfaces import InterfacesEditError, InterfacesFile
from labconsole.parse.offload_persist import inet_stanza, persistence
from labconsole.runbook.executor import Executor, RunResult

REFUSED_STATUS = 3
_STAMP = re.compile(r"^[0-9]{8}T[0-9]{6}Z?$")


class EditRefused(RuntimeError):
    """The edit was not made; the message says why (file changed, no bridge, ...)."""


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True, slots=True)
class RemoteFile:
    node: str
    path: str
    text: str

    @property
    def digest(self) -> str:
        return sha256(self.text)


@dataclass(frozen=True, slots=True)
class EditPlan:
    """What :func:`plan_post_up` decided: the new text, or ``changed=False`` and why not."""

    original: RemoteFile
    new_text: str
    bridge: str
    line: str
    changed: bool
    reason: str = ""


async def read_remote(executor: Executor, node: str, path: str) -> RemoteFile:
    res = await executor.run(node, shlex.join(["cat", "--", path]), timeout=15)
    if res.exit_status != 0:
        raise EditRefused(f"{node}: cannot read {path}: {res.stderr.strip() or res.exit_status}")
    return RemoteFile(node, path, res.stdout)


def plan_post_up(current: RemoteFile, iface: str, hook_argv: Sequence[str],
                 bridge: str | None = None) -> EditPlan:
    """Add ``post-up HOOK`` to the inet stanza of the interface that carries ``iface``: the
    bridge listing it in its ports, or with no bridge the NIC's own stanza.

    Unchanged ("already present") only when a hook there already turns tso, gso and gro off
    for good (:mod:`labconsole.parse.offload_persist`: not commented, not short-circuited,
    not turned back on, in a stanza that is brought up). Refused, with the reason, when no
    stanza would run the hook, or when the added line would still not take effect.
    """
    where = f"{current.path} on {current.node}"
    model = InterfacesFile.parse(current.text)
    line = shlex.join(hook_argv)
    before = persistence(model, iface, bridge)
    carrier = before.carrier or iface
    if before.effective:
        hook = next(h for h in reversed(before.hooks) if h.state == "effective")
        return EditPlan(current, current.text, carrier, line, False,
                        f"already present: line {hook.line} '{hook.keyword} {hook.command}' "
                        f"in {hook.stanza}")
    target = inet_stanza(model, carrier, iface) if before.carrier else None
    if target is None:
        raise EditRefused(f"{where}: {before.problem}; not guessing where the hook belongs")
    try:
        edited = model.with_post_up(target, line)
    except InterfacesEditError as exc:
        raise EditRefused(f"{where}: {exc}") from exc
    after = persistence(edited, iface, bridge)
    if not after.brought_up:  # added where it belongs; it runs once the bridge is brought up
        note = f"{after.problem}: the hook runs only once it is"
        if edited.render() == current.text:
            return EditPlan(current, current.text, carrier, line, False, f"in place, but {note}")
        return EditPlan(current, edited.render(), carrier, line, True, note)
    if not after.effective:
        undoing = [f"line {h.line} '{h.keyword} {h.command}'" for h in after.hooks
                   if h.state != "effective"
                   and h.stanza in (f"iface {target.name} inet", f"iface {iface} inet")]
        raise EditRefused(f"{where}: with the hook added to iface {target.name} inet, "
                          f"{', '.join(after.missing) or 'the offloads'} would still not be "
                          "off" + (f" ({'; '.join(undoing)})" if undoing else "")
                          + ": fix the file by hand")
    return EditPlan(current, edited.render(), carrier, line, True)


def backup_path(path: str, stamp: str) -> str:
    if not _STAMP.fullmatch(stamp):
        raise EditRefused(f"invalid backup stamp {stamp!r}")
    return f"{path}.labconsole-{stamp}.bak"


def write_script(path: str, expected: str, new_digest: str, stamp: str) -> str:
    """The shell script that does the checked, atomic write (new text on stdin)."""
    if not posixpath.isabs(path):
        raise EditRefused(f"{path!r} is not an absolute path")
    for digest in (expected, new_digest):
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise EditRefused(f"invalid digest {digest!r}")
    f = shlex.quote(path)
    d = shlex.quote(posixpath.dirname(path))
    bak = shlex.quote(backup_path(path, stamp))
    bak_base = shlex.quote(backup_path(path, stamp)[: -len(".bak")])
    tmp_pattern = shlex.quote(posixpath.join(posixpath.dirname(path),
                                             f".{posixpath.basename(path)}.labconsole.XXXXXX"))
    return "\n".join([
        "set -eu",
        f"cur=$(sha256sum -- {f} | cut -d' ' -f1)",
        f'if [ "$cur" != {expected} ]; then',
        # the path only ever as a quoted argument, never inside the format (issue 19 item 11)
        f"  printf 'refused: %s changed since it was read (sha256 now %s)\\n' {f} \"$cur\" >&2",
        f"  exit {REFUSED_STATUS}",
        "fi",
        f"bak={bak}; n=0",
        # never overwrite an earlier backup (two edits in the same second)
        f'while [ -e "$bak" ]; do n=$((n+1)); bak={bak_base}-$n.bak; done',
        f'cp -p -- {f} "$bak"',
        'sync -- "$bak"',
        f"tmp=$(mktemp -- {tmp_pattern})",
        "cat > \"$tmp\"",
        f"chmod --reference={f} -- \"$tmp\"",
        f"chown --reference={f} -- \"$tmp\" 2>/dev/null || true",
        "sync -- \"$tmp\"",
        "new=$(sha256sum -- \"$tmp\" | cut -d' ' -f1)",
        f'if [ "$new" != {new_digest} ]; then rm -f -- "$tmp"; '
        'echo "short write: temp file hash $new" >&2; exit 4; fi',
        f"mv -f -- \"$tmp\" {f}",
        f"sync -- {d}",
        'echo "backup $bak"',
    ]) + "\n"


@dataclass(frozen=True, slots=True)
class WriteResult:
    command: str
    result: RunResult
    backup: str
    new_digest: str


async def write_atomic(executor: Executor, current: RemoteFile, new_text: str, stamp: str
                       ) -> WriteResult:
    """Write ``new_text`` over the file we read as ``current``; EditRefused when the file
    changed since (the node says so) or the write failed."""
    new_digest = sha256(new_text)
    script = write_script(current.path, current.digest, new_digest, stamp)
    command = shlex.join(["sh", "-c", script])
    res = await executor.run(current.node, command, input=new_text, timeout=30)
    if res.exit_status == REFUSED_STATUS:
        raise EditRefused(res.stderr.strip() or f"{current.path} changed since it was read")
    if res.exit_status != 0:
        raise EditRefused(f"{current.node}: writing {current.path} failed "
                          f"({res.exit_status}): {res.stderr.strip()}")
    backup = next((line[len("backup "):] for line in res.stdout.splitlines()
                   if line.startswith("backup ")), backup_path(current.path, stamp))
    return WriteResult(command, res, backup, new_digest)


async def rollback(executor: Executor, node: str, path: str, backup: str, written_digest: str,
                   stamp: str) -> WriteResult:
    """Restore ``backup`` over ``path`` byte for byte, only if ``path`` is still the file we
    wrote (``written_digest``); the same checked atomic write, with its own backup."""
    saved = await read_remote(executor, node, backup)
    current = await read_remote(executor, node, path)
    if current.digest != written_digest:
        raise EditRefused(f"refused: {path} on {node} changed since labconsole wrote it; "
                          f"restore {backup} by hand after checking")
    return await write_atomic(executor, current, saved.text, stamp)
