"""Plain typed records shared by parsers, sources, the incident logic and the UI.

Every record has ``to_json()`` giving exactly the shape of the ``labconsole scan --json``
contract in DESIGN.md, so the CLI, recordings and reports agree on one vocabulary.

The names below are imported from their modules when first asked for (``from labconsole.model
import CefEvent``), not when the package is: importing one record module (``labconsole.model.
timefmt``) imports this package first, and the console's first frame should not wait for
records it has no use for yet (issue 13 item 5: a CEF record's type comes with its parser).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from labconsole.model.cef import CefEvent
    from labconsole.model.hang import HangEpisode, HangForm, HangKind
    from labconsole.model.kernel_line import KernelLine
    from labconsole.model.link import LinkEvent, LinkState
    from labconsole.model.nic_event import NicDetached
    from labconsole.model.offloads import DriverInfo, Offloads
    from labconsole.model.quorum import QuorumNode, QuorumStatus
    from labconsole.model.quorum_event import (
        QUORUM_EVENT_KINDS,
        MembershipSeen,
        QuorumEvent,
        QuorumEventKind,
    )
    from labconsole.model.timefmt import iso_or_none

# name -> the module (in this package) that defines it
_MODULE_OF = {
    "QUORUM_EVENT_KINDS": "quorum_event",
    "CefEvent": "cef",
    "DriverInfo": "offloads",
    "HangEpisode": "hang",
    "HangForm": "hang",
    "HangKind": "hang",
    "KernelLine": "kernel_line",
    "LinkEvent": "link",
    "LinkState": "link",
    "MembershipSeen": "quorum_event",
    "NicDetached": "nic_event",
    "Offloads": "offloads",
    "QuorumEvent": "quorum_event",
    "QuorumEventKind": "quorum_event",
    "QuorumNode": "quorum",
    "QuorumStatus": "quorum",
    "iso_or_none": "timefmt",
}
__all__ = [
    "QUORUM_EVENT_KINDS",
    "CefEvent",
    "DriverInfo",
    "HangEpisode",
    "HangForm",
    "HangKind",
    "KernelLine",
    "LinkEvent",
    "LinkState",
    "MembershipSeen",
    "NicDetached",
    "Offloads",
    "QuorumEvent",
    "QuorumEventKind",
    "QuorumNode",
    "QuorumStatus",
    "iso_or_none",
]


def __getattr__(name: str) -> Any:
    """A record's name, from its module (imported now if it was not yet)."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
