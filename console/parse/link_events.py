"""NIC carrier changes in kernel messages: ``NIC Link is Up 1000 Mbps ...`` / ``Link is Down``.

Only the NIC's own carrier messages count. Bridge port states (``vmbr0: port 1(eno1) entered
disabled state``) are STP/bridge bookkeeping that follows a carrier change or an admin action;
they are not a link event of ``eno1`` and would double-count every flap. ``IPv6: ... link is
not ready`` / ``link becomes ready`` are address-configuration notices, not carrier changes.
"""

from __future__ import annotations

import functools
import re

from labconsole.model.kernel_line import KernelLine
from labconsole.model.link import LinkEvent, LinkState

# e1000e/igb ``NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx``, r8169/r8125/tg3
# ``Link is Down`` / ``Link is Up - 1Gbps/Full``, older r8169 ``link up`` / ``link down``,
# mlx5 ``Link up`` / ``Link down``.
_LINK = re.compile(
    r"(?:NIC )?Link is (?P<state>Up|Down|up|down)\b[\s:,-]*(?P<detail>.*)$"
    r"|(?<![\w-])[Ll]ink (?P<state2>up|down)$"
)


def link_event(line: KernelLine) -> LinkEvent | None:
    """The link event a kernel line announces, or ``None``.

    The device is the interface from the message's netdev prefix (``e1000e: eno1 NIC Link``
    or ``r8169 0000:03:00.0 enp3s0: Link is Down``); a message without one is not attributed.
    """
    if not line.is_kernel or line.continuation or line.device is None:
        return None
    message = line.message
    if "ink " not in message:
        return None
    found = link_state(message)
    if found is None:
        return None
    state, detail = found
    return LinkEvent(
        device=line.device, state=state, time=line.time, host=line.host, uptime=line.uptime,
        detail=detail, lineno=line.lineno,
    )


def _state(message: str) -> tuple[LinkState, str | None] | None:
    """The state and detail a message announces. A pure function of the text, memoised for
    short messages: a busy node repeats the same few link messages thousands of times."""
    # Start the search where it can first match (the regex stepping through every position
    # of a long message was the dearest part of a link line): "NIC " before "Link is ", or
    # from the start when only the end-anchored "link up/down" form can be there.
    at = message.find("Link is ")
    m = _LINK.search(message, max(at - 4, 0))
    if m is None:
        return None
    word = (m["state"] or m["state2"]).lower()
    state: LinkState = "up" if word == "up" else "down"
    return state, (m["detail"] or "").strip() or None


MAX_CACHED = 256
_state_cached = functools.lru_cache(maxsize=1024)(_state)


def link_state(message: str) -> tuple[LinkState, str | None] | None:
    """The link state and detail ``message`` announces (whatever its prefix), or ``None``."""
    return _state_cached(message) if len(message) <= MAX_CACHED else _state(message)
