"""The kernel's own count of datagrams a UDP socket dropped (its receive buffer was full).

Under a flood the kernel, not the listener, drops most datagrams: they never reach user
space, so no counter of ours can see them (issue 19: 896 of 498,474 taken in, nothing shown).
Linux keeps a per-socket drop counter, listed as the last column (``drops``) of
``/proc/net/udp`` and ``/proc/net/udp6`` next to the socket's inode; ``os.fstat`` on the
socket gives that inode. (``SO_RXQ_OVFL`` carries the same counter as ancillary data of each
``recvmsg``, which asyncio's datagram transport does not expose.)

Reading the table is O(sockets on the machine), so the listener reads it about once a second.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

PROC_TABLES = (Path("/proc/net/udp"), Path("/proc/net/udp6"))
_INODE, _DROPS = 9, -1  # column indexes in a /proc/net/udp row


def socket_inode(sock: socket.socket) -> int:
    return os.fstat(sock.fileno()).st_ino


def udp_drops(inode: int, tables: tuple[Path, ...] = PROC_TABLES) -> int | None:
    """The kernel's drop counter of the UDP socket with ``inode``; None when no table lists
    it (not Linux, /proc not mounted, or the socket is gone)."""
    wanted = str(inode)
    for table in tables:
        try:
            text = table.read_text(encoding="ascii", errors="replace")
        except OSError:
            continue
        for row in text.splitlines()[1:]:
            cols = row.split()
            if len(cols) > _INODE and cols[_INODE] == wanted:
                try:
                    return int(cols[_DROPS])
                except ValueError:
                    return None
    return None
