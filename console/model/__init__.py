"""Plain typed records shared by parsers, sources, the incident logic and the UI.

Every record has ``to_json()`` giving exactly the shape of the ``labconsole scan --json``
contract in DESIGN.md, so the CLI, recordings and reports agree on one vocabulary.
"""

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
