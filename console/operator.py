"""Who acts, for the audit log: the local user, and through ``serve`` the name the browser
session authenticated as.

``labconsole serve`` starts one ``labconsole run`` per browser session as the user serve runs
as (root's SSH keys behind it); the audit log must say who was at the browser, so serve puts
the authenticated name in the session's environment (``SERVE_USER_ENV``) and every audit entry
of that session carries ``NAME via serve (as LOCALUSER)``.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping

from labconsole.sanitize import visible_row

SERVE_USER_ENV = "LABCONSOLE_SERVE_USER"


def local_user() -> str:
    """The local user name (a uid when the system has no name for it, e.g. a container user
    without a passwd entry: the audit trail must not stop the console)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return f"uid{os.getuid()}"


def operator_name(env: Mapping[str, str] | None = None) -> str:
    """The name audit entries carry for whoever acts in this process."""
    served = (os.environ if env is None else env).get(SERVE_USER_ENV, "").strip()
    if served:
        return f"{visible_row(served)} via serve (as {local_user()})"
    return local_user()
