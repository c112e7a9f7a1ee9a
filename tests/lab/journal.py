"""A lab node's real systemd journal, written by Debian's ``systemd-journal-remote``.

Each node has ``/var/log/journal/<machine-id>/system.journal`` in its own mount namespace
(labnet.py binds the node's ``var-log`` directory over ``/var/log``), so the console's default
kernel command, plain ``journalctl -k -f -o json`` run over SSH inside the node, reads a real
journal file with real ``__CURSOR``s, as on a Proxmox VE node.

Entries are written in the journal *export* format (systemd's JOURNAL_EXPORT_FORMAT: one
``FIELD=value`` line per field, a field with a newline in its value in the binary form
``FIELD\\n<le64 length><bytes>\\n``, an empty line ends the entry) and appended by one
``systemd-journal-remote --output=FILE INPUT`` run per batch. Measured here (systemd 252): a
second run on the same ``--output`` appends to the existing file, and a ``journalctl -f``
already following the directory prints the appended entries (tests/lab/test_journal_lab.py
shows it through the console). Runs are serialised per node: two writers on one journal file
would corrupt it.

Kernel entries carry what journald gives kernel messages: ``_TRANSPORT=kernel``,
``SYSLOG_IDENTIFIER=kernel``, ``SYSLOG_FACILITY=0``, the printk stamp as
``_SOURCE_MONOTONIC_TIMESTAMP``, the machine's real ``_BOOT_ID`` (``journalctl -k`` implies
``-b``: the current boot only). Daemon entries (corosync, pmxcfs) carry ``_TRANSPORT=syslog``,
``SYSLOG_IDENTIFIER`` and ``_SYSTEMD_UNIT`` so ``journalctl -u corosync`` finds them and
``journalctl -k`` does not.
"""

from __future__ import annotations

import os
import re
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

JOURNAL_REMOTE = Path("/lib/systemd/systemd-journal-remote")
_STAMP = re.compile(r"^\[\s*(\d+)\.(\d{1,6})\]\s?")
# Units as on a Proxmox VE node: pmxcfs runs in pve-cluster.service.
UNITS = {"corosync": "corosync.service", "pmxcfs": "pve-cluster.service"}


class JournalWriteError(RuntimeError):
    """systemd-journal-remote refused the entries (with its output)."""


def machine_id() -> str:
    return Path("/etc/machine-id").read_text().strip()


def boot_id() -> str:
    return Path("/proc/sys/kernel/random/boot_id").read_text().strip().replace("-", "")


def export_entry(fields: Iterable[tuple[str, str]]) -> bytes:
    """One entry in the journal export format (text fields; binary form for newlines)."""
    out = bytearray()
    for name, value in fields:
        data = value.encode("utf-8", "surrogateescape")
        if b"\n" in data:
            out += name.encode() + b"\n" + struct.pack("<Q", len(data)) + data + b"\n"
        else:
            out += name.encode() + b"=" + data + b"\n"
    return bytes(out + b"\n")


def _micros(at: datetime | None) -> int:
    return int(at.timestamp() * 1_000_000) if at is not None else time.time_ns() // 1000


def _monotonic_micros() -> int:
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000


@dataclass
class NodeJournal:
    """The journal directory of one node (``<dir>/journal/<machine-id>/system.journal``)."""

    host: str
    var_log: Path
    machine: str = field(default_factory=machine_id)
    boot: str = field(default_factory=boot_id)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _last_stamp: int = 0

    @property
    def directory(self) -> Path:
        return self.var_log / "journal" / self.machine

    @property
    def file(self) -> Path:
        return self.directory / "system.journal"

    def create(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)

    def kernel_entries(self, text: str, at: datetime | None = None) -> list[bytes]:
        """One kernel entry per line of dmesg-form ``text`` (``[ secs.usecs] message``); a
        line without a stamp (a hang report's register lines) keeps the last stamp seen."""
        entries = []
        for line in text.splitlines():
            m = _STAMP.match(line)
            if m:
                self._last_stamp = int(m.group(1)) * 1_000_000 + int(m.group(2).ljust(6, "0"))
                line = line[m.end():]
            entries.append(export_entry([
                *self._common(at), ("_TRANSPORT", "kernel"), ("SYSLOG_FACILITY", "0"),
                ("SYSLOG_IDENTIFIER", "kernel"), ("PRIORITY", "3"),
                ("_SOURCE_MONOTONIC_TIMESTAMP", str(self._last_stamp)),
                ("MESSAGE", line)]))
        return entries

    def daemon_entry(self, identifier: str, message: str, *, at: datetime | None = None,
                     pid: int = 1234, priority: int = 5) -> bytes:
        """A daemon's syslog line as journald stores it (corosync, pmxcfs: see UNITS)."""
        unit = UNITS.get(identifier, f"{identifier}.service")
        return export_entry([
            *self._common(at), ("_TRANSPORT", "syslog"), ("SYSLOG_FACILITY", "3"),
            ("SYSLOG_IDENTIFIER", identifier), ("_COMM", identifier), ("_PID", str(pid)),
            ("_SYSTEMD_UNIT", unit), ("PRIORITY", str(priority)), ("MESSAGE", message)])

    def _common(self, at: datetime | None) -> list[tuple[str, str]]:
        """Realtime ``at`` (default now) and the monotonic time that goes with it: journalctl
        orders entries of one boot by monotonic time, so a backdated entry must be earlier in
        both."""
        mono = _monotonic_micros()
        real = _micros(at)
        if at is not None:
            mono = max(0, mono - max(0, time.time_ns() // 1000 - real))
        return [("__REALTIME_TIMESTAMP", str(real)),
                ("__MONOTONIC_TIMESTAMP", str(mono)),
                ("_BOOT_ID", self.boot), ("_MACHINE_ID", self.machine),
                ("_HOSTNAME", self.host)]

    def append(self, entries: Iterable[bytes], timeout: float = 20,
               backdated: bool = False) -> None:
        """Append entries to the node's journal file with systemd-journal-remote.

        ``backdated`` entries (stamped in the past) go to a journal file of their own, as in
        an archived journal file: journalctl finds ``--since`` by bisecting each file on
        realtime, which only works where a file's entries are in time order, as journald
        writes them."""
        data = b"".join(entries)
        if not data:
            return
        target = self.file
        if backdated:
            target = self.directory / f"system@lab-{time.time_ns()}.journal"
        with self._lock, tempfile.NamedTemporaryFile(
                dir=self.var_log, prefix="entries-", suffix=".export") as fh:
            fh.write(data)
            fh.flush()
            res = subprocess.run(
                [str(JOURNAL_REMOTE), f"--output={target}", fh.name],
                capture_output=True, text=True, timeout=timeout, check=False)
        if res.returncode != 0:
            raise JournalWriteError(f"systemd-journal-remote -> {res.returncode}: "
                                    f"{res.stderr.strip()}")


def journal_remote_missing() -> str | None:
    if not os.access(JOURNAL_REMOTE, os.X_OK):
        return "systemd-journal-remote (Debian package systemd-journal-remote)"
    return None
