"""Where a replay's or the demo's runbook progress lives: the user's own data directory.

Offline runbooks (no live node) still keep their progress in an audit log, so a rehearsal can
be resumed. That file is per user, under the XDG data directory (``platformdirs``), in a
directory only its owner can enter (0700), never in the shared ``/tmp`` where another local
user could plant a file or a symlink first. Opening it never follows a symlink and refuses a
file that is not a regular file owned by the user running the console.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from platformdirs import user_data_dir

OFFLINE_AUDIT_NAME = "offline-audit.jsonl"


class UnsafeStateFile(OSError):
    """The offline state file or its directory is a symlink, not ours, or not private."""


def offline_audit_path() -> Path:
    """``<user data dir>/labconsole/offline/offline-audit.jsonl``."""
    return Path(user_data_dir("labconsole")) / "offline" / OFFLINE_AUDIT_NAME


def private_dir(path: Path) -> Path:
    """Create ``path`` (0700) if missing; refuse one that is a symlink or another user's;
    tighten our own to 0700."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise UnsafeStateFile(errno.ELOOP, f"{path} is not a directory of its own "
                                           "(a symlink?): refused")
    if st.st_uid != os.getuid():
        raise UnsafeStateFile(errno.EPERM, f"{path} belongs to uid {st.st_uid}, not to "
                                           f"you (uid {os.getuid()}): refused")
    if stat.S_IMODE(st.st_mode) & 0o077:
        os.chmod(path, 0o700)
    return path


def open_private(path: Path, flags: int) -> int:
    """A descriptor on ``path`` for this user only: created with ``O_EXCL`` (0600) when
    missing, else opened with ``O_NOFOLLOW`` and refused unless a regular file of ours.
    ``flags`` are the access flags (``os.O_RDONLY``, ``os.O_RDWR | os.O_APPEND``...)."""
    private_dir(path.parent)
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    try:
        return os.open(path, flags | os.O_CREAT | os.O_EXCL | nofollow, 0o600)
    except FileExistsError:
        pass
    try:
        fd = os.open(path, flags | nofollow)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafeStateFile(errno.ELOOP, f"{path} is a symlink: refused") from exc
        raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid():
        os.close(fd)
        what = "not a regular file" if not stat.S_ISREG(st.st_mode) \
            else f"owned by uid {st.st_uid}, not by you (uid {os.getuid()})"
        raise UnsafeStateFile(errno.EPERM, f"{path} is {what}: refused")
    return fd
