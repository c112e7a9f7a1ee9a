"""A kernel log line after parsing, whatever format it came in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(slots=True)  # not frozen: see the class docstring
class KernelLine:
    """One logical kernel log line.

    Immutable by convention, not ``frozen``: every line of a log is built once, and a frozen
    dataclass's ``__init__`` sets each of the 15 fields through ``object.__setattr__``
    (about 2.3 us a line against 0.6: a tenth of a kernel-line flood's cost in the console).
    Nothing assigns to a line's fields after it is built, and nothing hashes one (it is not
    hashable: ``eq`` without ``frozen``); code that needs another line builds one
    (``dataclasses.replace``).

    ``time`` is a wall-clock time where the format carries one (journal, syslog, ``dmesg -T``);
    ``uptime`` is the ``[secs]`` stamp where present (dmesg, kernel prefix inside syslog).
    ``continuation`` marks an unprefixed line that belongs to the previous message (the register
    lines of an e1000e hang dump). ``driver``/``device``/``pci`` come from the
    ``<driver> <bus-address> <iface>:`` prefix the kernel's ``netdev_*`` helpers print.
    """

    raw: str
    message: str
    lineno: int = 0
    time: datetime | None = None
    uptime: float | None = None
    host: str | None = None
    facility: str | None = None
    priority: int | None = None
    driver: str | None = None
    device: str | None = None
    pci: str | None = None
    continuation: bool = False
    is_kernel: bool = True
    # The syslog tag / journal SYSLOG_IDENTIFIER where the reader saw one (journal entries).
    app: str | None = None
    # False for a line with no recognised prefix at all (dmesg -t, a paste, prose): such a line
    # is a kernel record only when it starts like one (``driver bus iface:``).
    headed: bool = True
